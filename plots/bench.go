package plots

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

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

// BenchCell is the summary of one (x, group) cell of a benchmark table: the
// median (or the exact value under `assume=exact`) and its 95% confidence
// interval, computed by golang.org/x/perf/benchmath as benchstat does.
type BenchCell struct {
	X, Group string
	N        int
	Summary  benchmath.Summary
}

// BenchTable is a metric of benchmark results projected onto two keys.
type BenchTable struct {
	Metric     string // the unit as asked, e.g. "modeled-ns/op"; values are in it
	XKey       string // the -x projection
	GroupKey   string // the -group projection
	Xs, Groups []string
	Cells      map[[2]string]*BenchCell
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
// summarises metric by the projections x and group (benchproc syntax, e.g.
// "/strategy", "/arch", ".name"). Results without the metric are skipped.
func ReadBench(inputs []BenchInput, metric, x, group string) (*BenchTable, error) {
	// benchfmt tidies units on reading (ns/op becomes sec/op, scaled by
	// 1e-9); values are scaled back to the unit asked for.
	factor, unit := benchunit.Tidy(1, metric)
	filter, err := benchproc.NewFilter("*")
	if err != nil {
		return nil, err
	}
	var pp benchproc.ProjectionParser
	xp, err := pp.Parse(x, filter)
	if err != nil {
		return nil, fmt.Errorf("-x %q: %v", x, err)
	}
	gp, err := pp.Parse(group, filter)
	if err != nil {
		return nil, fmt.Errorf("-group %q: %v", group, err)
	}
	t := &BenchTable{Metric: metric, XKey: x, GroupKey: group, Cells: map[[2]string]*BenchCell{}}
	values := map[[2]benchproc.Key][]float64{}
	var xKeys, gKeys []benchproc.Key
	seenX, seenG := map[benchproc.Key]bool{}, map[benchproc.Key]bool{}
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
				xk, gk := xp.Project(rec), gp.Project(rec)
				if !seenX[xk] {
					seenX[xk] = true
					xKeys = append(xKeys, xk)
				}
				if !seenG[gk] {
					seenG[gk] = true
					gKeys = append(gKeys, gk)
				}
				values[[2]benchproc.Key{xk, gk}] = append(values[[2]benchproc.Key{xk, gk}], v)
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
	assumption := units.GetAssumption(unit)
	t.Modeled = strings.Contains(metric, "modeled") || assumption == benchmath.AssumeExact
	for _, xk := range xKeys {
		t.Xs = append(t.Xs, xk.StringValues())
	}
	for _, gk := range gKeys {
		t.Groups = append(t.Groups, gk.StringValues())
	}
	thresholds := benchmath.DefaultThresholds
	few := 0
	for _, xk := range xKeys {
		for _, gk := range gKeys {
			vs, ok := values[[2]benchproc.Key{xk, gk}]
			if !ok {
				continue
			}
			for i := range vs {
				vs[i] /= factor
			}
			sum := assumption.Summary(benchmath.NewSample(vs, &thresholds), Confidence)
			if len(sum.Warnings) > 0 {
				few++
			}
			c := &BenchCell{X: xk.StringValues(), Group: gk.StringValues(), N: len(vs), Summary: sum}
			t.Cells[[2]string{c.X, c.Group}] = c
		}
	}
	if few > 0 {
		t.Warnings = append(t.Warnings, fmt.Sprintf("%d of %d cells have too few samples for a %.0f%% confidence interval (benchstat wants 6 or more; run go test -count 6); they are drawn without error bars", few, len(t.Cells), Confidence*100))
	}
	return t, nil
}

// Chart draws the table as a bar chart: the x values along X, a bar per group
// value, bar height the median and error bars its confidence interval. A
// modeled metric (see Modeled) is labelled modeled; others MEASURED.
func (t *BenchTable) Chart(title string) *plot.Plot {
	b := &Bars{Groups: t.Xs, Series: t.Groups}
	for _, g := range t.Groups {
		var v, lo, hi []float64
		for _, x := range t.Xs {
			c := t.Cells[[2]string{x, g}]
			if c == nil {
				v, lo, hi = append(v, math.NaN()), append(lo, math.NaN()), append(hi, math.NaN())
				continue
			}
			l, h := c.Summary.Lo, c.Summary.Hi
			if math.IsInf(l, 0) || math.IsInf(h, 0) { // too few samples for the interval: no error bar
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
		title = fmt.Sprintf("%s by %s and %s (median, %.0f%% CI)", t.Metric, t.XKey, t.GroupKey, Confidence*100)
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

// WriteText prints the table: one line per cell with its median, interval and
// sample count, in the order of the chart.
func (t *BenchTable) WriteText(w io.Writer) error {
	kind := "MEASURED"
	if t.Modeled {
		kind = "modeled"
	}
	if _, err := fmt.Fprintf(w, "# %s (%s): median and %.0f%% confidence interval\n%s\t%s\tmedian\tlo\thi\tn\n", t.Metric, kind, Confidence*100, t.XKey, t.GroupKey); err != nil {
		return err
	}
	for _, x := range t.Xs {
		for _, g := range t.Groups {
			c := t.Cells[[2]string{x, g}]
			if c == nil {
				continue
			}
			if _, err := fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", x, g, fmtNum(c.Summary.Center), fmtNum(c.Summary.Lo), fmtNum(c.Summary.Hi), c.N); err != nil {
				return err
			}
		}
	}
	return nil
}
