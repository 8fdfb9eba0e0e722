// Package plots draws lazybench's charts with gonum.org/v1/plot: modeled
// section and deferral latency (box plots and CDFs), the backend's main
// counter against the ideal strategy, batch-size histograms, ratio bars, the
// replay engine's measured speed, the arm64 calibration curve, and charts of
// `go test -bench` output with medians and 95% confidence intervals over
// repeated runs.
//
// Every percentile drawn comes from replay.Dist / replay.Type7, the single
// quantile definition lazybench uses in tables, JSON and charts (gonum's own
// box plot computes quartiles differently, so box plots here are fed our
// quantiles). Charts of modeled figures say "modeled" in their axis label;
// charts of wall-clock figures say "measured".
//
// Output is deterministic for a given input: gonum's SVG writer is, and the
// charts use one fixed font (gonum's default, Liberation) at fixed sizes.
package plots

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/internal/atomicfile"
	"github.com/lazybench/lazybench/lazymmu"
)

// Default chart size.
const (
	Width  = 8 * vg.Inch
	Height = 4.5 * vg.Inch
	// PNGDPI is the resolution of PNG output.
	PNGDPI = 96
)

// StrategyOrder returns the strategies' contract names in contract order.
func StrategyOrder() []string {
	var s []string
	for _, st := range lazymmu.Strategies() {
		s = append(s, st.String())
	}
	return s
}

// sortByOrder sorts names by their position in order, unknown names last in
// alphabetical order.
func sortByOrder(names []string, order []string) {
	pos := func(n string) int {
		for i, o := range order {
			if o == n {
				return i
			}
		}
		return len(order)
	}
	sort.SliceStable(names, func(a, b int) bool {
		pa, pb := pos(names[a]), pos(names[b])
		if pa != pb {
			return pa < pb
		}
		return names[a] < names[b]
	})
}

// sortArches sorts backend names in their order (arch.Info.Order), unknown
// names last in alphabetical order.
func sortArches(names []string) {
	var order []string
	for _, n := range arch.Names() {
		if slices.Contains(names, n) {
			order = append(order, n)
		}
	}
	sortByOrder(names, order)
}

// ArchColor returns the colour of the backend named name (arch.Info.Colour),
// grey for one that is not registered. Backend colours are Okabe-Ito;
// strategies (Color) use another palette, so no strategy shares one.
func ArchColor(name string) color.Color {
	if info, ok := arch.Lookup(name); ok {
		return info.Colour
	}
	return color.Gray{Y: 120}
}

// archTitle returns the title of the backend named name for an axis label:
// arch.Title, a proposal's label on a line of its own.
func archTitle(name string) string { return strings.Replace(arch.Title(name), " (", "\n(", 1) }

// archTitles returns archTitle of each of names.
func archTitles(names []string) []string {
	t := make([]string, len(names))
	for i, n := range names {
		t[i] = archTitle(n)
	}
	return t
}

// ArchGlyph returns the marker of the backend named name, one per backend in
// their order, so arches stay apart without colour too.
func ArchGlyph(name string) draw.GlyphDrawer {
	glyphs := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.RingGlyph{}, draw.CrossGlyph{}, draw.PlusGlyph{}, draw.PyramidGlyph{}}
	for i, a := range arch.Names() {
		if a == name {
			return glyphs[i%len(glyphs)]
		}
	}
	return glyphs[len(glyphs)-1]
}

// palette colours strategies and other series (Paul Tol's "muted" scheme,
// colour-blind friendly), one colour each and none an arch's.
var palette = []color.Color{
	color.RGBA{51, 34, 136, 255},   // indigo
	color.RGBA{204, 102, 119, 255}, // rose
	color.RGBA{221, 204, 119, 255}, // sand
	color.RGBA{68, 170, 153, 255},  // teal
	color.RGBA{136, 34, 85, 255},   // wine
	color.RGBA{153, 153, 51, 255},  // olive
	color.RGBA{136, 204, 238, 255}, // cyan
	color.RGBA{170, 68, 153, 255},  // purple
	color.RGBA{17, 119, 51, 255},   // green
}

// Color returns the i-th colour of the series (strategy) palette.
func Color(i int) color.Color {
	n := len(palette)
	return palette[((i%n)+n)%n]
}

// newPlot returns a plot with lazybench's fixed styling.
func newPlot(title, xlabel, ylabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(9)
	p.Y.Tick.Label.Font.Size = vg.Points(9)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.Top = true
	p.Legend.Padding = vg.Points(2)
	p.Legend.ThumbnailWidth = vg.Points(12)
	return p
}

// Save writes p to path atomically, as SVG or PNG by path's extension, at
// size w x h (Width x Height if zero).
func Save(p *plot.Plot, w, h vg.Length, path string) error {
	return atomicfile.Write(path, func(out io.Writer) error {
		return Write(p, w, h, strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), "."), out)
	})
}

// Write renders p to out in format "svg" or "png". A chart that cannot be
// drawn (gonum panics, e.g. on a value <= 0 or not finite on a log axis) is
// an error naming the chart, not a panic.
func Write(p *plot.Plot, w, h vg.Length, format string, out io.Writer) error {
	return writePanels([]*plot.Plot{p}, 1, w, h, format, out)
}

// SavePanels writes ps to path atomically (SVG or PNG by its extension) as
// a grid of panels, cols per row, each Width x Height.
func SavePanels(ps []*plot.Plot, cols int, path string) error {
	return atomicfile.Write(path, func(out io.Writer) error {
		return writePanels(ps, cols, 0, 0, strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), "."), out)
	})
}

// writePanels renders ps in a grid of cols columns, each panel w x h
// (Width x Height if zero), to out in format "svg" or "png".
func writePanels(ps []*plot.Plot, cols int, w, h vg.Length, format string, out io.Writer) (err error) {
	if w == 0 {
		w = Width
	}
	if h == 0 {
		h = Height
	}
	cols = max(1, min(cols, len(ps)))
	rows := (len(ps) + cols - 1) / cols
	W, H := w*vg.Length(cols), h*vg.Length(rows)
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch format {
	case "svg":
		c = vgsvg.New(W, H)
	case "png":
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(W, H), vgimg.UseDPI(PNGDPI))}
	default:
		return fmt.Errorf("unsupported image format %q (want svg or png)", format)
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: rows, Cols: cols}
	for i, p := range ps {
		labelScales(p)
		if err := drawSafely(p, tiles.At(dc, i%cols, i/cols)); err != nil {
			return err
		}
	}
	_, err = c.WriteTo(out)
	return err
}

// drawSafely is drawWithLegendOutside with gonum's panics turned into an
// error.
func drawSafely(p *plot.Plot, dc draw.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("chart %q cannot be drawn: %v", p.Title.Text, r)
		}
	}()
	drawWithLegendOutside(p, dc)
	return nil
}

// drawWithLegendOutside draws p on dc with its legend (if any) in a column
// at the right of the plot area, so that the legend never hides data. The
// legend's text follows its icons, so a viewer that substitutes a wider font
// for the SVG's (a browser without Liberation fonts) only lets the text run
// further right instead of over the icons.
func drawWithLegendOutside(p *plot.Plot, dc draw.Canvas) {
	l := p.Legend
	l.Top, l.Left = true, true
	r := l.Rectangle(dc)
	w := r.Max.X - r.Min.X
	if w <= 0 {
		p.Draw(dc)
		return
	}
	w += vg.Points(18) // room for a wider substitute font
	p.Legend = plot.NewLegend()
	defer func() { p.Legend = l }()
	gap := vg.Points(6)
	p.Draw(draw.Crop(dc, 0, -(w + gap), 0, 0))
	l.YOffs = -p.Title.TextStyle.Height(p.Title.Text) - vg.Points(12)
	l.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-w, 0, 0, 0))
}

// labelScales appends "(log scale)" or "(linear scale)" to the label of each
// numeric axis of p (once: a label that says so already is kept).
func labelScales(p *plot.Plot) {
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		if a.Label.Text == "" || strings.Contains(a.Label.Text, " scale)") {
			continue
		}
		if _, nominal := a.Tick.Marker.(plot.ConstantTicks); nominal {
			continue
		}
		if _, log := a.Scale.(plot.LogScale); log {
			a.Label.Text += " (log scale)"
		} else {
			a.Label.Text += " (linear scale)"
		}
	}
}

// useLog switches axis a to a log scale with readable ticks.
func useLog(a *plot.Axis) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = plot.LogTicks{Prec: -1}
}

// wantLog reports whether positive values spanning lo..hi call for a log axis
// (more than two decades).
func wantLog(lo, hi float64) bool {
	return lo > 0 && hi/lo > 100
}

// Bars is a grouped bar chart: Groups along X (nominal), one series of bars per
// name in Series, with optional error bars. NaN values are not drawn. It works
// on linear and log Y axes (on a log axis the bars rise from the axis minimum).
type Bars struct {
	Groups []string
	Series []string
	// Values[s][g] is the height of series s in group g.
	Values [][]float64
	// Lo and Hi, if set, are the error bar ends, indexed like Values.
	Lo, Hi [][]float64
	// Log draws the value axis on a log scale.
	Log bool
	// Base, if not 0, is the value bars rise (or fall) from, drawn as a
	// line: 1 for ratios, so that a bar shows the ratio's distance from 1
	// and not from the axis minimum. By default bars rise from 0, or from
	// the axis minimum on a log scale.
	Base float64
	// Colors, if set, gives each series its colour (default: the palette's
	// colour of the series index), so that one arch keeps its colour
	// across charts.
	Colors []color.Color
}

func (b *Bars) color(s int) color.Color {
	if s < len(b.Colors) {
		return b.Colors[s]
	}
	return Color(s)
}

// Plot builds the chart.
func (b *Bars) Plot(title, xlabel, ylabel string) *plot.Plot {
	p := newPlot(title, xlabel, ylabel)
	lo, hi := math.Inf(1), math.Inf(-1)
	for s := range b.Values {
		for g, v := range b.Values[s] {
			for _, x := range []float64{v, at(b.Lo, s, g), at(b.Hi, s, g)} {
				if math.IsNaN(x) || math.IsInf(x, 0) || (b.Log && x <= 0) {
					continue
				}
				lo = math.Min(lo, x)
				hi = math.Max(hi, x)
			}
		}
	}
	if math.IsInf(lo, 1) { // nothing to draw
		lo, hi = 0, 1
	}
	if b.Base > 0 {
		lo, hi = math.Min(lo, b.Base), math.Max(hi, b.Base)
	}
	if b.Log && lo > 0 {
		useLog(&p.Y)
		p.Y.Min = lo / 2
		p.Y.Max = hi * 1.5
	} else {
		b.Log = false
		p.Y.Min = math.Min(0, lo)
		p.Y.Max = hi * 1.08
		if p.Y.Max <= p.Y.Min {
			p.Y.Max = p.Y.Min + 1
		}
	}
	p.Add(&barsPlotter{b})
	p.NominalX(b.Groups...)
	p.X.Min, p.X.Max = -0.5, float64(len(b.Groups))-0.5
	if len(b.Series) > 1 {
		for s, name := range b.Series {
			p.Legend.Add(name, swatch{b.color(s)})
		}
	}
	return p
}

func at(v [][]float64, s, g int) float64 {
	if s < len(v) && g < len(v[s]) {
		return v[s][g]
	}
	return math.NaN()
}

type barsPlotter struct{ b *Bars }

const groupWidth = 0.8 // share of a group's slot that its bars fill

func (bp *barsPlotter) Plot(c draw.Canvas, plt *plot.Plot) {
	b := bp.b
	trX, trY := plt.Transforms(&c)
	ns := len(b.Series)
	if ns == 0 {
		return
	}
	bw := groupWidth / float64(ns)
	base := 0.0
	if b.Log {
		base = plt.Y.Min
	}
	if b.Base != 0 {
		base = b.Base
		c.StrokeLines(draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}, c.ClipLinesY([]vg.Point{{X: trX(-0.5), Y: trY(base)}, {X: trX(float64(len(b.Groups)) - 0.5), Y: trY(base)}})...)
	}
	errStyle := draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)}
	for s := 0; s < ns; s++ {
		for g := range b.Groups {
			v := at(b.Values, s, g)
			if math.IsNaN(v) || math.IsInf(v, 0) || (b.Log && v <= 0) {
				continue
			}
			x0 := float64(g) - groupWidth/2 + float64(s)*bw
			x1 := x0 + bw
			lo := math.Min(base, v)
			hi := math.Max(base, v)
			if b.Log && b.Base == 0 {
				lo, hi = base, math.Max(v, base)
			}
			rect := []vg.Point{{X: trX(x0), Y: trY(lo)}, {X: trX(x0), Y: trY(hi)}, {X: trX(x1), Y: trY(hi)}, {X: trX(x1), Y: trY(lo)}}
			c.FillPolygon(b.color(s), c.ClipPolygonY(rect))
			c.StrokeLines(draw.LineStyle{Color: color.Gray{Y: 60}, Width: vg.Points(0.4)}, c.ClipLinesY(append(rect, rect[0]))...)
			el, eh := at(b.Lo, s, g), at(b.Hi, s, g)
			if !math.IsNaN(el) && !math.IsNaN(eh) && (!b.Log || el > 0) {
				xm := trX((x0 + x1) / 2)
				cw := (trX(x1) - trX(x0)) / 4
				c.StrokeLines(errStyle, c.ClipLinesY(
					[]vg.Point{{X: xm, Y: trY(el)}, {X: xm, Y: trY(eh)}},
					[]vg.Point{{X: xm - cw, Y: trY(el)}, {X: xm + cw, Y: trY(el)}},
					[]vg.Point{{X: xm - cw, Y: trY(eh)}, {X: xm + cw, Y: trY(eh)}},
				)...)
			}
		}
	}
}

// swatch is a legend entry: a filled square.
type swatch struct{ c color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	r := c.Rectangle
	c.FillPolygon(s.c, []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}})
}

// fmtNum formats v compactly for tables and labels.
func fmtNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.4g", v)
	}
}

// FormatNum formats v compactly (integers without decimals, else 4
// significant digits, NaN as "-").
func FormatNum(v float64) string { return fmtNum(v) }
