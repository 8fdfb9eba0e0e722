package plots

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/internal/archinfo"
	"github.com/lazybench/lazybench/replay"
)

// matrix indexes results of one trace by arch and strategy, in contract order.
type matrix struct {
	arches, strategies []string
	cell               map[[2]string]*replay.Result
}

func newMatrix(rs []*replay.Result) *matrix {
	m := &matrix{cell: map[[2]string]*replay.Result{}}
	seenA, seenS := map[string]bool{}, map[string]bool{}
	for _, r := range rs {
		if r == nil {
			continue
		}
		if !seenA[r.Arch] {
			seenA[r.Arch] = true
			m.arches = append(m.arches, r.Arch)
		}
		if !seenS[r.Strategy] {
			seenS[r.Strategy] = true
			m.strategies = append(m.strategies, r.Strategy)
		}
		m.cell[[2]string{r.Arch, r.Strategy}] = r
	}
	sortArches(m.arches)
	sortByOrder(m.strategies, StrategyOrder())
	return m
}

func (m *matrix) get(arch, strategy string) *replay.Result { return m.cell[[2]string{arch, strategy}] }

func logCalled(v [][]float64) bool {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range v {
		for _, x := range row {
			if x > 0 && !math.IsInf(x, 0) {
				lo, hi = math.Min(lo, x), math.Max(hi, x)
			}
		}
	}
	return wantLog(lo, hi)
}

// MainRatio returns the ratio of r's main counter to base's (the main
// metric's RatioTo): 1 when both are zero, NaN when only base is zero, a
// result is missing or r's arch has no main counter.
func MainRatio(r, base *replay.Result) float64 {
	if r == nil || r.Main == "" {
		return math.NaN()
	}
	v, ok := replay.MetricByKey("main").RatioTo(r, base)
	if !ok {
		return math.NaN()
	}
	return v
}

// MainCounterRatio charts, for one trace, each backend's main counter per
// strategy as a ratio to the same backend under the `ideal` strategy. Arches
// whose ideal count is zero while another strategy's is not have no ratio
// (NaN, not drawn); the report's tables show their raw counts.
func MainCounterRatio(trace string, rs []*replay.Result) *plot.Plot {
	m := newMatrix(rs)
	var groups, arches []string
	for _, a := range m.arches {
		if r := m.get(a, "upstream"); r == nil || r.Main == "" {
			continue // no counter: nothing to draw (n/a in the tables)
		}
		arches = append(arches, a)
		groups = append(groups, archTitle(a)+"\n("+m.get(a, "upstream").Main+")")
	}
	b := &Bars{Groups: groups, Series: m.strategies}
	for _, s := range m.strategies {
		row := make([]float64, len(arches))
		for g, a := range arches {
			row[g] = MainRatio(m.get(a, s), m.get(a, "ideal"))
		}
		b.Values = append(b.Values, row)
	}
	b.Log, b.Base = logCalled(b.Values), 1
	return b.Plot(fmt.Sprintf("Main arch counter against ideal, trace %s (modeled)\nbar: count / ideal's count, drawn from 1 (no bar: equal); no counter: left out", trace),
		"architecture (main counter)", "count / count under ideal (modeled)")
}

// Which selects one of a result's distributions.
type Which int

// The distributions of a Result.
const (
	SectionLatency Which = iota // Result.Section: outermost section length
	DeferralTime                // Result.Deferred: how long an update stayed deferred
)

func (w Which) dist(r *replay.Result) *replay.Dist {
	if r == nil {
		return nil
	}
	if w == SectionLatency {
		return r.Section
	}
	return r.Deferred
}

// String names the distribution ("section latency", "deferral time").
func (w Which) String() string {
	if w == SectionLatency {
		return "section latency"
	}
	return "deferral time"
}

// Box is the five figures a box plot draws, all type-7 percentiles of a
// replay.Dist: the box spans P25..P75 with a line at P50, the whiskers reach
// P1 and P99, and a dot marks the maximum.
type Box struct {
	P1, P25, P50, P75, P99, Max float64
	N                           uint64
}

// BoxOf computes d's box figures; ok is false for an empty or nil d.
func BoxOf(d *replay.Dist) (b Box, ok bool) {
	if d == nil || d.Count() == 0 {
		return Box{}, false
	}
	return Box{P1: d.Percentile(0.01), P25: d.Percentile(0.25), P50: d.Percentile(0.5),
		P75: d.Percentile(0.75), P99: d.Percentile(0.99), Max: d.Max(), N: d.Count()}, true
}

// Boxes charts one distribution (section latency or deferral time) of one
// trace's results as box plots, grouped by arch, one box per strategy.
func Boxes(trace string, rs []*replay.Result, which Which) *plot.Plot {
	m := newMatrix(rs)
	bp := &boxPlotter{groups: len(m.arches), series: len(m.strategies)}
	lo, hi := math.Inf(1), math.Inf(-1)
	for s, st := range m.strategies {
		for g, a := range m.arches {
			b, ok := BoxOf(which.dist(m.get(a, st)))
			if !ok {
				continue
			}
			bp.boxes = append(bp.boxes, placedBox{Box: b, s: s, g: g})
			for _, v := range []float64{b.P1, b.Max} {
				if v > 0 {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
	}
	p := newPlot(fmt.Sprintf("%s, trace %s (modeled)\nbox P25-P75, line P50, whiskers P1-P99, dot max", upperFirst(which.String()), trace), "architecture",
		fmt.Sprintf("modeled %s, ns", which))
	if math.IsInf(lo, 1) {
		lo, hi = 1, 10
	}
	if wantLog(lo, hi) {
		useLog(&p.Y)
		bp.log = true
		p.Y.Min, p.Y.Max = lo/1.5, hi*1.5
	} else {
		p.Y.Min, p.Y.Max = 0, hi*1.08
	}
	bp.floor = p.Y.Min
	p.Add(bp)
	p.NominalX(archTitles(m.arches)...)
	p.X.Min, p.X.Max = -0.5, float64(len(m.arches))-0.5
	for s, name := range m.strategies {
		p.Legend.Add(name, swatch{Color(s)})
	}
	return p
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

type placedBox struct {
	Box
	s, g int
}

type boxPlotter struct {
	boxes          []placedBox
	groups, series int
	log            bool
	floor          float64
}

func (bp *boxPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	y := func(v float64) vg.Length {
		if bp.log && v < bp.floor {
			v = bp.floor
		}
		return trY(v)
	}
	bw := groupWidth / float64(bp.series)
	line := draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}
	for _, b := range bp.boxes {
		x0 := float64(b.g) - groupWidth/2 + float64(b.s)*bw + bw*0.1
		x1 := x0 + bw*0.8
		xm := trX((x0 + x1) / 2)
		l, r := trX(x0), trX(x1)
		rect := []vg.Point{{X: l, Y: y(b.P25)}, {X: l, Y: y(b.P75)}, {X: r, Y: y(b.P75)}, {X: r, Y: y(b.P25)}}
		c.FillPolygon(Color(b.s), c.ClipPolygonY(rect))
		c.StrokeLines(line, c.ClipLinesY(append(rect, rect[0]))...)
		c.StrokeLines(draw.LineStyle{Color: color.Black, Width: vg.Points(1.4)}, c.ClipLinesY([]vg.Point{{X: l, Y: y(b.P50)}, {X: r, Y: y(b.P50)}})...)
		cw := (r - l) / 4
		c.StrokeLines(line, c.ClipLinesY(
			[]vg.Point{{X: xm, Y: y(b.P75)}, {X: xm, Y: y(b.P99)}},
			[]vg.Point{{X: xm - cw, Y: y(b.P99)}, {X: xm + cw, Y: y(b.P99)}},
			[]vg.Point{{X: xm, Y: y(b.P25)}, {X: xm, Y: y(b.P1)}},
			[]vg.Point{{X: xm - cw, Y: y(b.P1)}, {X: xm + cw, Y: y(b.P1)}},
		)...)
		pt := vg.Point{X: xm, Y: y(b.Max)}
		if c.ContainsY(pt.Y) {
			c.DrawGlyph(draw.GlyphStyle{Color: color.Black, Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}, pt)
		}
	}
}

// CDFPoints is how many points a CDF line has at most.
const CDFPoints = 400

// CDF charts the cumulative distribution of one distribution of one trace's
// results on one arch, a line per strategy; strategies with the same
// distribution share one line, whose legend entry names them all. The line is drawn through type-7
// quantiles at evenly spaced probabilities, so it agrees with the tables.
func CDF(trace, arch string, rs []*replay.Result, which Which) *plot.Plot {
	m := newMatrix(rs)
	p := newPlot(fmt.Sprintf("CDF of %s, trace %s, arch %s (modeled)", which, trace, archinfo.Title(arch)),
		fmt.Sprintf("modeled %s, ns", which), "fraction of samples")
	lo, hi := math.Inf(1), math.Inf(-1)
	type line struct {
		s     int
		names []string // the strategies whose distributions this line draws
		xys   plotter.XYs
	}
	var lines []line
	for s, st := range m.strategies {
		d := which.dist(m.get(arch, st))
		if d == nil || d.Count() == 0 {
			continue
		}
		n := CDFPoints
		if c := int(d.Count()); c < n {
			n = c
		}
		var xys plotter.XYs
		for i := 0; i <= n; i++ {
			q := float64(i) / float64(n)
			v := d.Percentile(q)
			xys = append(xys, plotter.XY{X: v, Y: q})
			if v > 0 {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		merged := false
		for i := range lines { // a line another strategy draws already: name it there
			if sameXYs(lines[i].xys, xys) {
				lines[i].names = append(lines[i].names, st)
				merged = true
				break
			}
		}
		if !merged {
			lines = append(lines, line{s, []string{st}, xys})
		}
	}
	logX := wantLog(lo, hi)
	if logX {
		useLog(&p.X)
		p.X.Min, p.X.Max = lo/1.2, hi*1.2
	}
	for _, l := range lines {
		if logX { // a log axis cannot show 0: clamp to the axis minimum
			for i := range l.xys {
				if l.xys[i].X < p.X.Min {
					l.xys[i].X = p.X.Min
				}
			}
		}
		ln, err := plotter.NewLine(l.xys)
		if err != nil {
			continue
		}
		ln.Color = Color(l.s)
		ln.Width = vg.Points(1.4)
		ln.StepStyle = plotter.NoStep
		p.Add(ln)
		p.Legend.Add(strings.Join(l.names, " = "), ln)
	}
	p.Y.Min, p.Y.Max = 0, 1
	if len(lines) == 0 {
		p.Title.Text += ": no samples"
		if !logX {
			p.X.Min, p.X.Max = 0, 1
		}
	}
	p.Add(plotter.NewGrid())
	return p
}

// sameXYs reports whether two lines have the same points.
func sameXYs(a, b plotter.XYs) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BatchBins returns the labels of the batch-size histogram's power-of-two
// bins (1, 2-3, 4-7, ..., 512-1023, >=1024) and folds batches (Result.Batches,
// indexed by size) into them.
func BatchBins(batches []uint64) (labels []string, counts []float64) {
	for lo := 1; lo <= 1024; lo *= 2 {
		hi := 2*lo - 1
		switch {
		case lo == 1:
			labels = append(labels, "1")
		case lo == 1024:
			labels = append(labels, ">=1024")
		default:
			labels = append(labels, fmt.Sprintf("%d-%d", lo, hi))
		}
		if lo == 1024 { // the last bucket holds every larger batch
			hi = len(batches) - 1
		}
		sum := 0.0
		for n := lo; n <= hi && n < len(batches); n++ {
			sum += float64(batches[n])
		}
		counts = append(counts, sum)
	}
	return labels, counts
}

// BatchHistogram charts, for one trace and one strategy, how many batches of
// each size (power-of-two bins) each arch drained, a bar series per arch.
func BatchHistogram(trace, strategy string, rs []*replay.Result) *plot.Plot {
	m := newMatrix(rs)
	var labels []string
	b := &Bars{}
	for _, a := range m.arches {
		r := m.get(a, strategy)
		if r == nil {
			continue
		}
		l, counts := BatchBins(r.Batches)
		labels = l
		total := 0.0
		for i := range counts {
			total += counts[i]
			if counts[i] == 0 {
				counts[i] = math.NaN()
			}
		}
		if total == 0 {
			continue
		}
		b.Series = append(b.Series, arch.Title(a))
		b.Colors = append(b.Colors, ArchColor(a))
		b.Values = append(b.Values, counts)
	}
	if labels == nil {
		labels, _ = BatchBins(nil)
	}
	b.Groups = labels
	b.Log = logCalled(b.Values)
	p := b.Plot(fmt.Sprintf("Batch sizes drained, trace %s, strategy %s (modeled)", trace, strategy), "entries per drained batch", "drains (modeled)")
	if len(b.Series) == 1 { // Bars omits a one-entry legend; this chart names its arch
		p.Legend.Add(b.Series[0], swatch{b.color(0)})
	}
	if len(b.Series) == 0 {
		p.Title.Text += ": no batches"
	}
	return p
}
