package plots

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/lazybench/lazybench/arch"
)

// SpeedPoint is one wall-clock measurement of the replay engine: a replay of a
// trace of Events events on Arch took Seconds.
type SpeedPoint struct {
	Arch    string
	Events  uint64
	Seconds float64
}

// EventsPerSecond returns the measured replay speed.
func (s SpeedPoint) EventsPerSecond() float64 {
	if s.Seconds <= 0 {
		return math.NaN()
	}
	return float64(s.Events) / s.Seconds
}

// ReplaySpeed charts the harness's own MEASURED replay speed (events per
// second of wall clock) against trace size, a line per arch.
func ReplaySpeed(title string, pts []SpeedPoint) *plot.Plot {
	p := newPlot(title, "trace size, events", "MEASURED replay speed, million events/s (wall clock)")
	byArch := map[string]plotter.XYs{}
	var arches []string
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range pts {
		v := s.EventsPerSecond()
		if math.IsNaN(v) || s.Events == 0 {
			continue
		}
		if _, ok := byArch[s.Arch]; !ok {
			arches = append(arches, s.Arch)
		}
		byArch[s.Arch] = append(byArch[s.Arch], plotter.XY{X: float64(s.Events), Y: v / 1e6})
		lo, hi = math.Min(lo, float64(s.Events)), math.Max(hi, float64(s.Events))
	}
	sortArches(arches)
	if wantLog(lo, hi) {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = sizeTicks{}
	}
	for _, a := range arches {
		xys := byArch[a]
		sort.Slice(xys, func(x, y int) bool { return xys[x].X < xys[y].X })
		l, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			continue
		}
		l.Color, sc.Color = ArchColor(a), ArchColor(a)
		l.Width = vg.Points(1.2)
		sc.Shape = ArchGlyph(a)
		p.Add(l, sc)
		p.Legend.Add(arch.Title(a), l, sc)
	}
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	return p
}

// sizeTicks labels a log axis of counts at 1, 2, 5 x powers of ten as 10k,
// 20k, 50k, 100k, 1M ...
type sizeTicks struct{}

func (sizeTicks) Ticks(min, max float64) []plot.Tick {
	var t []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < min || v > max {
				continue
			}
			t = append(t, plot.Tick{Value: v, Label: countLabel(v)})
		}
	}
	return t
}

func countLabel(v float64) string {
	switch {
	case v >= 1e9:
		return fmtNum(v/1e9) + "G"
	case v >= 1e6:
		return fmtNum(v/1e6) + "M"
	case v >= 1e3:
		return fmtNum(v/1e3) + "k"
	}
	return fmtNum(v)
}

// CalibPoint is one row of the calibration table: the modeled change at Pages
// and, if HasPublished, the published one (percent).
type CalibPoint struct {
	Pages        int
	Modeled      float64
	Published    float64
	HasPublished bool
}

// Calibration charts the modeled change in time per call against the published
// points, over pages on a log2 axis.
func Calibration(title string, pts []CalibPoint) *plot.Plot {
	p := newPlot(title, "pages per vmalloc+vfree (log scale)", "change in time per call with batching, %")
	p.X.Scale = plot.LogScale{}
	var ticks []plot.Tick
	var mod, pub plotter.XYs
	for _, c := range pts {
		ticks = append(ticks, plot.Tick{Value: float64(c.Pages), Label: fmt.Sprint(c.Pages)})
		if !math.IsNaN(c.Modeled) {
			mod = append(mod, plotter.XY{X: float64(c.Pages), Y: c.Modeled})
		}
		if c.HasPublished {
			pub = append(pub, plotter.XY{X: float64(c.Pages), Y: c.Published})
		}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range pts {
		for _, v := range []float64{c.Modeled, c.Published} {
			if !math.IsNaN(v) && (v != c.Published || c.HasPublished) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if !math.IsInf(lo, 1) {
		pad := math.Max(1, 0.06*(hi-lo))
		p.Y.Min, p.Y.Max = math.Min(lo-pad, -pad), math.Max(hi+pad, pad)
		step := 5.0
		for (p.Y.Max-p.Y.Min)/step > 12 {
			step *= 2
		}
		var yt []plot.Tick
		for v := math.Ceil(p.Y.Min/step) * step; v <= p.Y.Max; v += step {
			yt = append(yt, plot.Tick{Value: v, Label: fmtNum(v)})
		}
		p.Y.Tick.Marker = plot.ConstantTicks(yt)
	}
	zero, _ := plotter.NewLine(plotter.XYs{{X: float64(pts[0].Pages), Y: 0}, {X: float64(pts[len(pts)-1].Pages), Y: 0}})
	if zero != nil {
		zero.Color = Color(6)
		zero.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(zero)
	}
	if len(mod) > 0 {
		l, sc, err := plotter.NewLinePoints(mod)
		if err == nil {
			l.Color, sc.Color = Color(0), Color(0)
			l.Width = vg.Points(1.5)
			sc.Shape = draw.CircleGlyph{}
			p.Add(l, sc)
			p.Legend.Add("modeled (fitted)", l, sc)
		}
	}
	if len(pub) > 0 {
		sc, err := plotter.NewScatter(pub)
		if err == nil {
			sc.Color = Color(5)
			sc.Shape = draw.BoxGlyph{}
			sc.Radius = vg.Points(3.5)
			p.Add(sc)
			p.Legend.Add("published", sc)
		}
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// KpkeysPoint is one published cell of the kpkeys calibration: a benchmark
// (Label, e.g. "fork" or "p:64") and column (With: the batched kernel), its
// published and modeled overheads, percent.
type KpkeysPoint struct {
	Label              string
	With               bool
	Published, Modeled float64
}

// KpkeysCalibration charts modeled against published overheads of the
// kpkeys calibration, both columns, on a symmetric log scale (the figures
// run from -0.5% to 221%), with the diagonal where they would agree and each
// point labelled with its residual (modeled - published, percentage points).
func KpkeysCalibration(title string, pts []KpkeysPoint) *plot.Plot {
	p := newPlot(title, "published overhead, % (symmetric log scale)", "modeled overhead, % (symmetric log scale)")
	lo, hi := 0.0, 1.0
	for _, c := range pts {
		lo, hi = math.Min(lo, math.Min(c.Published, c.Modeled)), math.Max(hi, math.Max(c.Published, c.Modeled))
	}
	lo, hi = lo-0.2*math.Abs(lo)-0.5, hi*1.3
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Min, a.Max = lo, hi
		a.Scale = symlog{}
		a.Tick.Marker = symlogTicks{}
	}
	if d, err := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}}); err == nil {
		d.Color = Color(6)
		d.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(d)
		p.Legend.Add("modeled = published", d)
	}
	for k, name := range []string{"without batching", "with batching"} {
		var xy plotter.XYs
		var labels []string
		for _, c := range pts {
			if c.With == (k == 1) {
				xy = append(xy, plotter.XY{X: c.Published, Y: c.Modeled})
				labels = append(labels, fmt.Sprintf("%s %+.2f", c.Label, c.Modeled-c.Published))
			}
		}
		if len(xy) == 0 {
			continue
		}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			continue
		}
		sc.Color = Color(k * 5)
		sc.Shape = [2]draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}}[k]
		sc.Radius = vg.Points(3.5)
		p.Add(sc)
		p.Legend.Add(name+" (label: residual, pp)", sc)
		if l, err := plotter.NewLabels(plotter.XYLabels{XYs: xy, Labels: labels}); err == nil {
			for i := range l.TextStyle {
				l.TextStyle[i].Font.Size = vg.Points(8)
				l.TextStyle[i].Color = Color(k * 5)
			}
			l.Offset = vg.Point{X: vg.Points(5), Y: vg.Points(-3 + 6*float64(k))}
			p.Add(l)
		}
	}
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

// symlog is sign(x) log10(1 + |x|), normalised to [min, max].
type symlog struct{}

func symlogF(x float64) float64 { return math.Copysign(math.Log10(1+math.Abs(x)), x) }

// Normalize implements plot.Normalizer.
func (symlog) Normalize(min, max, x float64) float64 {
	a, b := symlogF(min), symlogF(max)
	return (symlogF(x) - a) / (b - a)
}

// symlogTicks marks 0 and ±1, 3, 10, 30, ... within the axis range.
type symlogTicks struct{}

// Ticks implements plot.Ticker.
func (symlogTicks) Ticks(min, max float64) []plot.Tick {
	t := []plot.Tick{{Value: 0, Label: "0"}}
	for v := 1.0; v <= 1e6; v *= 10 {
		for _, m := range []float64{v, 3 * v} {
			for _, s := range []float64{1, -1} {
				if x := s * m; x >= min && x <= max {
					t = append(t, plot.Tick{Value: x, Label: fmtNum(x)})
				}
			}
		}
	}
	sort.Slice(t, func(a, b int) bool { return t[a].Value < t[b].Value })
	return t
}
