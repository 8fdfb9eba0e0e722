package report

import (
	"fmt"
	"html/template"
	"math"
	"path/filepath"
	"slices"

	"github.com/lazybench/lazybench/internal/archinfo"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/plots"
	"github.com/lazybench/lazybench/replay"
)

// overviewCharts draws the two charts behind the nesting and batching
// findings: per arch, each strategy's main counter and modeled time summed
// over the arch's traces, as a ratio to upstream's.
func overviewCharts(dir string, page *reportPage, rp *Replays, opt Options) error {
	for _, c := range []struct {
		name, title, ylabel, note string
		f                         func(*replay.Result) float64
		counter                   bool
	}{
		{"overview-main", "Main arch counter against upstream, by arch (modeled)\nbar: sum over the arch's traces / upstream's sum, drawn from 1 (no bar: equal)",
			"counter / upstream's (modeled)", "arches without a main counter (x86) are left out; sums over each arch's traces of a page size its kernel has", mainValue, true},
		{"overview-time", "Modeled time of arch work against upstream, by arch (modeled)\nbar: sum over the arch's traces / upstream's sum, drawn from 1 (no bar: equal)",
			"modeled time / upstream's (modeled)", "sums over each arch's traces of a page size its kernel has; ideal is the fewest flushes with no hazard, not a bound on time", modeledNs, false},
	} {
		b := &plots.Bars{}
		for _, s := range lazymmu.Strategies() {
			b.Series = append(b.Series, s.String())
		}
		b.Values = make([][]float64, len(b.Series))
		for _, a := range rp.Arches {
			set := newTraceSet(rp, a)
			if c.counter && set.main() == "" {
				continue
			}
			label := archinfo.Title(a)
			if c.counter {
				label += "\n(" + set.main() + ")"
			}
			b.Groups = append(b.Groups, label)
			up := set.sum(lazymmu.Upstream, c.f)
			for i, s := range lazymmu.Strategies() {
				v := math.NaN()
				if up != 0 {
					v = set.sum(s, c.f) / up
				}
				b.Values[i] = append(b.Values[i], v)
			}
		}
		b.Log, b.Base = true, 1
		f, err := saveChart(dir, c.name, b.Plot(c.title, "architecture", c.ylabel), true, figure{Kind: "modeled",
			Command: "lazybench compare --metric modeled_ns,main", Note: c.note})
		if err != nil {
			return err
		}
		page.Overview = append(page.Overview, f)
	}
	page.Figures = append(page.Figures, page.Overview...)
	return nil
}

// unfittedPage replays arm64 once more with the costs given (not fitted)
// and writes arm64-unfitted.html: its modeled times beside the fitted ones.
func unfittedPage(dir string, page *reportPage, srcs []matrix.Source, fitted *Replays, opt Options) error {
	const a = "arm64"
	if !slices.Contains(fitted.Arches, a) {
		return nil
	}
	rp, err := Run(srcs, []string{a}, replay.Config{Costs: opt.Costs, Kernel: opt.Kernel}, opt.Jobs, nil)
	if err != nil {
		return err
	}
	t := table{ID: "unfitted", Title: "arm64 modeled time: unfitted (fitted)",
		Note: "Each cell: the modeled time with arm64's default (or the cost file's) costs, and in parentheses with the fitted costs the report uses. Counts do not depend on costs.",
		Head: []string{"trace"}}
	for _, s := range lazymmu.Strategies() {
		t.Head = append(t.Head, s.String())
	}
	for i, tr := range rp.Traces {
		row := []cell{{Text: shortName(tr.Name), Class: "l", Link: tracePage(tr.Name)}}
		for _, s := range lazymmu.Strategies() {
			u, f := tr.Get(a, s), fitted.Traces[i].Get(a, s)
			row = append(row, cell{Text: fmtNs(u.ModeledNs) + " (" + fmtNs(f.ModeledNs) + ")"})
		}
		t.Rows = append(t.Rows, row)
	}
	page.Unfitted = "arm64-unfitted.html"
	return writeHTML(filepath.Join(dir, page.Unfitted), unfittedTemplate, struct {
		Note  string
		Table table
	}{page.CostsNote, t})
}

var unfittedTemplate = template.Must(template.New("unfitted").Parse(pageStyle + `
<title>lazybench report: arm64 without the fit</title></head><body>
<p><a href="index.html">&larr; lazybench report</a></p>
<h1>arm64 with its unfitted costs</h1>
<p class="lead">{{.Note}}</p>
{{template "table" .Table}}
</body></html>
` + tableTemplate))

// xenChart draws, for x86-xen under upstream, the share of batched
// hypercalls of each size (power-of-two bins), recorded traces against
// generated ones; nil without x86-xen or batches.
func xenChart(dir string, rp *Replays) (*figure, error) {
	const a = "x86-xen"
	if !slices.Contains(rp.Arches, a) {
		return nil, nil
	}
	b := &plots.Bars{}
	for _, rec := range []bool{true, false} {
		var sum []uint64
		rs := rp.upstream(a, rec)
		n := len(rs)
		for _, r := range rs {
			for i, c := range r.Batches {
				for len(sum) <= i {
					sum = append(sum, 0)
				}
				sum[i] += c
			}
		}
		labels, counts := plots.BatchBins(sum)
		total := 0.0
		for _, c := range counts {
			total += c
		}
		if total == 0 {
			continue
		}
		for i := range counts {
			counts[i] /= total
		}
		kind := kindName(rec)
		b.Groups = labels
		b.Series = append(b.Series, fmt.Sprintf("%s (%s, %s)", kind, plural(n, "trace", "traces"), plural(int(total), "hypercall", "hypercalls")))
		b.Values = append(b.Values, counts)
	}
	if len(b.Series) == 0 {
		return nil, nil
	}
	f, err := saveChart(dir, "xen-batches", b.Plot("x86-xen under upstream: PTE updates per batched hypercall (modeled)\nbar: share of the set's batched hypercalls (multicall buffer drains) of that size",
		"PTE updates per batched hypercall", "share of batched hypercalls (modeled)"), true, figure{Kind: "modeled",
		Command: "lazybench compare --arch x86-xen --strategy upstream --json (batches)",
		Note:    "Result.Batches of x86-xen under upstream summed over the recorded and over the generated traces, folded into power-of-two bins; updates done at once (not batched) are not drawn: the table counts them"})
	if err != nil {
		return nil, err
	}
	return &f, nil
}
