package report

import (
	"fmt"
	"html/template"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"

	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/internal/archinfo"
	"github.com/lazybench/lazybench/plots"
	"github.com/lazybench/lazybench/replay"
)

// traceLink is one trace in the index's list of trace pages.
type traceLink struct {
	Name, File, Kind, Desc string
	Events, PageSize       string
	Mismatch               string // arches whose kernel lacks the trace's page size
	figures                int
}

// tracePageData is the page of one trace.
type tracePageData struct {
	Name, Desc, Params, Kind, Workload, Events, PageSize string
	Mismatch                                             string
	Modeled, CostsCommand                                string
	Results                                              table
	Figures                                              []figure
	CDFs                                                 []figure
}

// writeTracePage draws one trace's charts and writes trace-NAME.html.
func writeTracePage(dir string, e corpus.Entry, tr *Trace, arches []string, opt Options) (traceLink, error) {
	costs := opt.kernelArg()
	if opt.CostsPath != "" {
		costs += " --costs " + opt.CostsPath
	}
	var mism []string
	for _, a := range arches {
		if !tr.Fits(a) {
			mism = append(mism, archinfo.Title(a))
		}
	}
	d := &tracePageData{Name: e.Name, Desc: e.Description, Params: formatParams(e.Params), Kind: e.Kind, Workload: e.Workload,
		Events: fmtInt(e.Events), PageSize: pageSizeText(tr.PageSize), Mismatch: strings.Join(mism, ", "), Modeled: Modeled,
		CostsCommand: "lazybench compare --trace corpus:" + e.Name + costs, Results: resultRows(tr, arches)}
	if err := traceCharts(dir, d, tr, arches, opt); err != nil {
		return traceLink{}, err
	}
	file := tracePage(e.Name)
	if err := writeHTML(filepath.Join(dir, file), tracePageTemplate, d); err != nil {
		return traceLink{}, err
	}
	return traceLink{Name: e.Name, File: file, Kind: e.Kind, Desc: e.Description, Events: d.Events, PageSize: d.PageSize,
		Mismatch: d.Mismatch, figures: len(d.Figures) + len(d.CDFs)}, nil
}

// pageSizeText: "4 KiB" ("unknown" for 0).
func pageSizeText(b uint32) string {
	if b == 0 {
		return "unknown"
	}
	return fmtInt(b>>10) + " KiB"
}

// traceCharts draws a trace's charts: the main counter against ideal, the
// section and deferral box plots, the batch sizes and, per arch, the CDFs.
func traceCharts(dir string, d *tracePageData, tr *Trace, arches []string, opt Options) error {
	rs := tr.Results
	base := "trace-" + d.Name
	add := func(name string, p *plot.Plot, note string) error {
		f, err := saveChart(dir, base+"-"+name, p, opt.AllPNG, figure{Kind: "modeled", Command: d.CostsCommand, Note: note})
		d.Figures = append(d.Figures, f)
		return err
	}
	if err := add("main-vs-ideal", plots.MainCounterRatio(d.Name, rs), "arch_ops[main counter] / the same under ideal (the fewest flushes with no hazard); arches without a counter left out; missing bars: ideal's count is 0 (see the table)"); err != nil {
		return err
	}
	if err := add("section-box", plots.Boxes(d.Name, rs, plots.SectionLatency), "section_ns: outermost enable to its disable; type-7 percentiles of replay.Dist"); err != nil {
		return err
	}
	if err := add("deferral-box", plots.Boxes(d.Name, rs, plots.DeferralTime), "deferred_ns: from an update's deferral to the drain that made it take effect; type-7 percentiles"); err != nil {
		return err
	}
	if err := add("batches", plots.BatchHistogram(d.Name, "upstream", rs), "Result.Batches under upstream, folded into power-of-two bins; a bar is the number of drains of that many entries"); err != nil {
		return err
	}
	for _, a := range arches {
		for _, w := range []plots.Which{plots.SectionLatency, plots.DeferralTime} {
			if !hasSamples(rs, a, w) {
				continue
			}
			name := fmt.Sprintf("cdf-%s-%s", strings.ReplaceAll(w.String(), " ", "-"), a)
			f, err := saveChart(dir, base+"-"+name, plots.CDF(d.Name, a, rs, w), opt.AllPNG, figure{Kind: "modeled",
				Command: fmt.Sprintf("%s --arch %s", d.CostsCommand, a),
				Note:    "type-7 quantiles at 400 evenly spaced probabilities; strategies with the same distribution share a line, named together in the legend"})
			if err != nil {
				return err
			}
			d.CDFs = append(d.CDFs, f)
		}
	}
	return nil
}

func hasSamples(rs []*replay.Result, a string, w plots.Which) bool {
	for _, r := range rs {
		if r.Arch != a {
			continue
		}
		d := r.Section
		if w == plots.DeferralTime {
			d = r.Deferred
		}
		if d != nil && d.Count() > 0 {
			return true
		}
	}
	return false
}

var tracePageTemplate = template.Must(template.New("trace").Parse(pageStyle + `
<title>lazybench report: trace {{.Name}}</title></head><body>
<p><a href="index.html">&larr; lazybench report</a></p>
<h1>Trace {{.Name}}</h1>
<p>{{.Desc}} &mdash; {{.Kind}}, workload <code>{{.Workload}}</code>, {{.Events}} events, base page size {{.PageSize}}{{if .Params}}, parameters <code>{{.Params}}</code>{{end}}.</p>
<p class="lead">{{.Modeled}} Reproduce: <code>{{.CostsCommand}}</code>.</p>
{{if .Mismatch}}<p class="warn">Page size: {{.PageSize}} is not a base page size of the kernels of {{.Mismatch}}; their rows are marked &dagger; and their figures describe a kernel that does not exist.</p>{{end}}
{{template "table" .Results}}
{{range .Figures}}<div class="fig"><img src="{{.File}}" alt="{{.Title}}" loading="lazy"><div class="cap"><span class="tag">{{.Kind}}</span> {{.Note}}</div></div>
{{end}}
{{if .CDFs}}<h2>CDFs per arch ({{len .CDFs}} charts)</h2>
{{range .CDFs}}<div class="fig"><img src="{{.File}}" alt="{{.Title}}" loading="lazy"><div class="cap"><span class="tag">{{.Kind}}</span> {{.Note}}</div></div>
{{end}}{{end}}
</body></html>
` + tableTemplate))
