package plots

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/lazybench/lazybench/internal/archinfo"
	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchproc"
	"golang.org/x/perf/benchunit"
	"gonum.org/v1/plot"
)

// BenchInput is one `go test -bench` output to read.
type BenchInput struct {
	Name string    // file name, for error messages
	R    io.Reader // its content
}

// BenchCell is the summary of one (panel, x, group) cell of a benchmark
// table: the median (or the exact value under `assume=exact`) and its 95%
// confidence interval, computed by golang.org/x/perf/benchmath as benchstat
// does. A cell whose samples come from several benchmarks (they differ in a
// key none of the projections takes, such as two traces pooled) is Pooled:
// its interval would span their differences, so it has none.
type BenchCell struct {
	Panel, X, Group string
	N               int
	Summary         benchmath.Summary
	Pooled          int // distinct benchmarks in the cell (1: repeated samples of one)
}

// BenchQuery says what to chart: a metric (unit), the keys along X, of the
// bar series and of the panels (benchproc projections, e.g. "/strategy",
// "/arch", ".name"; an empty Panel or Group is one panel or one series), and
// a benchproc filter ("" keeps everything).
type BenchQuery struct {
	Metric, X, Group, Panel, Filter string
}

// BenchTable is a metric of benchmark results projected onto three keys.
type BenchTable struct {
	Metric     string // the unit as asked, e.g. "modeled-ns/op"; values are in it
	XKey       string // the -x projection
	GroupKey   string // the -group projection
	PanelKey   string // the -panel projection ("" for one panel)
	Panels     []string
	Xs, Groups []string
	Cells      map[[3]string]*BenchCell // by panel, x, group
	// Modeled is set when the metric is a model output, not a measurement:
	// its name says "modeled" or its unit is marked `assume=exact` (the
	// bench package marks every deterministic model count so).
	Modeled bool
	// Warnings are non-fatal problems: syntax errors of single lines, results
	// that lack the metric.
	Warnings []string
}

// Confidence is the confidence level of BenchTable's intervals.
const Confidence = 0.95

// ReadBench reads `go test -bench` output (benchfmt) from inputs and
// summarises q.Metric by the projections of q. Results without the metric,
// or that q.Filter drops, are skipped.
func ReadBench(inputs []BenchInput, q BenchQuery) (*BenchTable, error) {
	metric := q.Metric
	// benchfmt tidies units on reading (ns/op becomes sec/op, scaled by
	// 1e-9); values are scaled back to the unit asked for.
	factor, unit := benchunit.Tidy(1, metric)
	fq := q.Filter
	if fq == "" {
		fq = "*"
	}
	filter, err := benchproc.NewFilter(fq)
	if err != nil {
		return nil, fmt.Errorf("-filter %q: %v", q.Filter, err)
	}
	var pp benchproc.ProjectionParser
	xp, err := pp.Parse(q.X, filter)
	if err != nil {
		return nil, fmt.Errorf("-x %q: %v", q.X, err)
	}
	gp, err := pp.Parse(q.Group, filter)
	if err != nil {
		return nil, fmt.Errorf("-group %q: %v", q.Group, err)
	}
	pnp, err := pp.Parse(q.Panel, filter)
	if err != nil {
		return nil, fmt.Errorf("-panel %q: %v", q.Panel, err)
	}
	rp := pp.Residue()
	t := &BenchTable{Metric: metric, XKey: q.X, GroupKey: q.Group, PanelKey: q.Panel, Cells: map[[3]string]*BenchCell{}}
	type cellKey [3]benchproc.Key
	values := map[cellKey][]float64{}
	residues := map[cellKey]map[benchproc.Key]bool{}
	var xKeys, gKeys, pKeys []benchproc.Key
	seenX, seenG, seenP := map[benchproc.Key]bool{}, map[benchproc.Key]bool{}, map[benchproc.Key]bool{}
	units := benchfmt.UnitMetadataMap{}
	results := 0
	for _, in := range inputs {
		r := benchfmt.NewReader(in.R, in.Name)
		for r.Scan() {
			switch rec := r.Result().(type) {
			case *benchfmt.SyntaxError:
				t.Warnings = append(t.Warnings, rec.Error())
			case *benchfmt.UnitMetadata:
				units[benchfmt.UnitMetadataKey{Unit: rec.Unit, Key: rec.Key}] = rec
			case *benchfmt.Result:
				results++
				if ok, _ := filter.Apply(rec); !ok {
					continue
				}
				v, ok := rec.Value(unit)
				if !ok {
					continue
				}
				xk, gk, pk := xp.Project(rec), gp.Project(rec), pnp.Project(rec)
				if !seenX[xk] {
					seenX[xk] = true
					xKeys = append(xKeys, xk)
				}
				if !seenG[gk] {
					seenG[gk] = true
					gKeys = append(gKeys, gk)
				}
				if !seenP[pk] {
					seenP[pk] = true
					pKeys = append(pKeys, pk)
				}
				k := cellKey{pk, xk, gk}
				values[k] = append(values[k], v)
				if residues[k] == nil {
					residues[k] = map[benchproc.Key]bool{}
				}
				residues[k][rp.Project(rec)] = true
			}
		}
		if err := r.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) { // benchfmt's line number is of the line before
				return nil, fmt.Errorf("%s: line too long (not go test -bench output?)", in.Name)
			}
			if strings.HasPrefix(err.Error(), in.Name+":") { // benchfmt named it
				return nil, err
			}
			return nil, fmt.Errorf("%s: %v", in.Name, err)
		}
	}
	if results == 0 {
		names := make([]string, len(inputs))
		for i, in := range inputs {
			names[i] = in.Name
		}
		return nil, fmt.Errorf("%s: no benchmark results (want `go test -bench` output)", strings.Join(names, ", "))
	}
	if len(values) == 0 {
		return nil, fmt.Errorf("no benchmark result reports metric %q", metric)
	}
	benchproc.SortKeys(xKeys)
	benchproc.SortKeys(gKeys)
	benchproc.SortKeys(pKeys)
	assumption := units.GetAssumption(unit)
	t.Modeled = strings.Contains(metric, "modeled") || assumption == benchmath.AssumeExact
	for _, xk := range xKeys {
		t.Xs = append(t.Xs, xk.StringValues())
	}
	for _, gk := range gKeys {
		t.Groups = append(t.Groups, gk.StringValues())
	}
	for _, pk := range pKeys {
		t.Panels = append(t.Panels, pk.StringValues())
	}
	thresholds := benchmath.DefaultThresholds
	few, pooled := 0, 0
	for k, vs := range values {
		for i := range vs {
			vs[i] /= factor
		}
		sum := assumption.Summary(benchmath.NewSample(vs, &thresholds), Confidence)
		c := &BenchCell{Panel: k[0].StringValues(), X: k[1].StringValues(), Group: k[2].StringValues(), N: len(vs), Summary: sum, Pooled: len(residues[k])}
		switch {
		case c.Pooled > 1:
			pooled++
			c.Summary.Lo, c.Summary.Hi = math.NaN(), math.NaN()
		case len(sum.Warnings) > 0:
			few++
		}
		t.Cells[[3]string{c.Panel, c.X, c.Group}] = c
	}
	if pooled > 0 {
		t.Warnings = append(t.Warnings, fmt.Sprintf("%d of %d cells pool several benchmarks (they differ in a key that is neither -x, -group nor -panel, e.g. trace or arch): their median is drawn without a confidence interval; add the key to -group or -panel, or -filter it", pooled, len(t.Cells)))
	}
	if few > 0 {
		t.Warnings = append(t.Warnings, fmt.Sprintf("%d of %d cells have too few samples for a %.0f%% confidence interval (benchstat wants 6 or more; run go test -count 6); they are drawn without error bars", few, len(t.Cells), Confidence*100))
	}
	return t, nil
}

// Charts draws the table as bar charts, one per panel value: the x values
// along X, a bar per group value, bar height the median and error bars its
// confidence interval (only for repeated samples of one benchmark with enough
// of them). A modeled metric (see Modeled) is labelled modeled; others
// MEASURED.
func (t *BenchTable) Charts(title string) []*plot.Plot {
	var ps []*plot.Plot
	for _, panel := range t.Panels {
		ps = append(ps, t.chart(title, panel))
	}
	return ps
}

func (t *BenchTable) chart(title, panel string) *plot.Plot {
	b := &Bars{Groups: t.Xs, Series: t.Groups}
	for _, g := range t.Groups {
		var v, lo, hi []float64
		for _, x := range t.Xs {
			c := t.Cells[[3]string{panel, x, g}]
			if c == nil {
				v, lo, hi = append(v, math.NaN()), append(lo, math.NaN()), append(hi, math.NaN())
				continue
			}
			l, h := c.Summary.Lo, c.Summary.Hi
			if math.IsInf(l, 0) || math.IsInf(h, 0) || l == h { // no interval (too few samples, pooled, or exact): no error bar
				l, h = math.NaN(), math.NaN()
			}
			v, lo, hi = append(v, c.Summary.Center), append(lo, l), append(hi, h)
		}
		b.Values, b.Lo, b.Hi = append(b.Values, v), append(b.Lo, lo), append(b.Hi, hi)
	}
	b.Log = logCalled(b.Values)
	kind := "MEASURED"
	if t.Modeled {
		kind = "modeled"
	}
	if title == "" {
		title = fmt.Sprintf("%s by %s and %s", t.Metric, t.XKey, t.GroupKey)
		if !t.Modeled {
			title += fmt.Sprintf(" (bar: median; whiskers: %.0f%% CI over repeated runs)", Confidence*100)
		} else {
			title += " (bar: the modeled value)"
		}
	}
	if t.PanelKey != "" {
		title = fmt.Sprintf("%s\n%s = %s", title, t.PanelKey, panelTitle(t.PanelKey, panel))
	}
	p := b.Plot(title, t.XKey, fmt.Sprintf("%s (%s)", t.Metric, kind))
	if len(t.Groups) == 1 {
		p.Legend.Add(t.GroupKey+"="+t.Groups[0], swatch{Color(0)})
	}
	if len(t.Xs) > 6 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = -1
		p.X.Tick.Label.YAlign = -0.5
	}
	return p
}

// panelTitle shows an arch panel with its label (archinfo.Title).
func panelTitle(key, v string) string {
	if key == "/arch" {
		return archinfo.Title(v)
	}
	return v
}

// WriteText prints the table: one line per cell with its median, interval,
// sample count and the number of benchmarks it pools, in the order of the
// charts.
func (t *BenchTable) WriteText(w io.Writer) error {
	kind := "MEASURED"
	if t.Modeled {
		kind = "modeled"
	}
	head := fmt.Sprintf("# %s (%s): median and %.0f%% confidence interval\n", t.Metric, kind, Confidence*100)
	cols := fmt.Sprintf("%s\t%s\tmedian\tlo\thi\tn\n", t.XKey, t.GroupKey)
	if t.PanelKey != "" {
		cols = t.PanelKey + "\t" + cols
	}
	if _, err := io.WriteString(w, head+cols); err != nil {
		return err
	}
	for _, panel := range t.Panels {
		for _, x := range t.Xs {
			for _, g := range t.Groups {
				c := t.Cells[[3]string{panel, x, g}]
				if c == nil {
					continue
				}
				line := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%d", x, g, fmtNum(c.Summary.Center), fmtNum(c.Summary.Lo), fmtNum(c.Summary.Hi), c.N)
				if t.PanelKey != "" {
					line = panel + "\t" + line
				}
				if c.Pooled > 1 {
					line += fmt.Sprintf("\tpools %d benchmarks", c.Pooled)
				}
				if _, err := fmt.Fprintln(w, line); err != nil {
					return err
				}
			}
		}
	}
	return nil
}
