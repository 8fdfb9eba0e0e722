package plots

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
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
	p := newPlot(title, "trace size, events", "MEASURED replay speed, events per second (wall clock)")
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
		byArch[s.Arch] = append(byArch[s.Arch], plotter.XY{X: float64(s.Events), Y: v})
		lo, hi = math.Min(lo, float64(s.Events)), math.Max(hi, float64(s.Events))
	}
	sortByOrder(arches, ArchOrder)
	if wantLog(lo, hi) {
		useLog(&p.X)
	}
	for i, a := range arches {
		xys := byArch[a]
		sort.Slice(xys, func(x, y int) bool { return xys[x].X < xys[y].X })
		l, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			continue
		}
		l.Color, sc.Color = Color(i), Color(i)
		l.Width = vg.Points(1.2)
		sc.Shape = draw.CircleGlyph{}
		p.Add(l, sc)
		p.Legend.Add(a, l, sc)
	}
	p.Y.Min = 0
	p.Add(plotter.NewGrid())
	return p
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
			p.Legend.Add("modeled (lazybench arm64, fitted)", l, sc)
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
