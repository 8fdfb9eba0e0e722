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
		sc.Shape = draw.CircleGlyph{}
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
