package plots

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"

	"gonum.org/v1/plot"

	_ "github.com/lazybench/lazybench/arch/all" // arch order, colours and titles
	"github.com/lazybench/lazybench/replay"
)

// fixture returns hand-made results of one trace: 2 arches x 3 strategies with
// known counts and distributions.
func fixture() []*replay.Result {
	var rs []*replay.Result
	for ai, a := range []string{"x86-xen", "arm64"} { // out of contract order on purpose
		for si, s := range []string{"ideal", "upstream", "none"} {
			r := &replay.Result{Trace: "t1", Arch: a, Strategy: s, Events: 1000, Updates: 400,
				ModeledNs: float64(1000 * (ai + 1) * (si + 1)), Main: "barriers",
				ArchOps: map[string]uint64{"barriers": uint64(10 * (si + 1))},
				Batches: make([]uint64, 1025), Section: &replay.Dist{}, Deferred: &replay.Dist{}}
			if a == "x86-xen" {
				r.Main = "hypercalls"
				r.ArchOps = map[string]uint64{"hypercalls": uint64(5 * (si + 1))}
			}
			r.Batches[1] = uint64(3 + si)
			r.Batches[31] = uint64(2 * ai)
			r.Batches[2000%1025] = 1
			for i := 1; i <= 100; i++ {
				r.Section.Add(float64(i * (si + 1) * (ai + 1)))
				r.Deferred.Add(float64(i*i) * float64(si+1))
			}
			rs = append(rs, r)
		}
	}
	return rs
}

func checkGolden(t *testing.T, name string, p *plot.Plot) {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(p, 0, 0, "svg", &buf); err != nil {
		t.Fatal(err)
	}
	checkSVG(t, buf.Bytes())
	golden.Check(t, filepath.Join("testdata", name+".svg"), buf.Bytes())
}

// checkSVG checks that b is well-formed XML with an svg root.
func checkSVG(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("root element %q, want svg", root)
	}
}

func TestGolden(t *testing.T) {
	rs := fixture()
	for _, tc := range []struct {
		name string
		p    *plot.Plot
	}{
		{"mainratio", MainCounterRatio("t1", rs)},
		{"section_box", Boxes("t1", rs, SectionLatency)},
		{"deferral_cdf", CDF("t1", "arm64", rs, DeferralTime)},
		{"batches", BatchHistogram("t1", "upstream", rs)},
		{"speed", ReplaySpeed("Replay speed (MEASURED)", []SpeedPoint{{"arm64", 1000, 0.001}, {"arm64", 100000, 0.05}, {"x86", 1000, 0.002}, {"x86", 100000, 0.08}})},
		{"calibration", Calibration("calibration", []CalibPoint{{1, 4, 4, true}, {2, -3, -3.04, true}, {4, -11, 0, false}, {512, -33, -33.27, true}})},
		{"kpkeys", KpkeysCalibration("kpkeys", []KpkeysPoint{{"fork", false, 221.39, 221.39}, {"fork", true, 3.35, 0.22}, {"p:1", false, 15.54, 14.8}, {"p:64", true, -0.49, 1.26}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, tc.name, tc.p)
			if !strings.Contains(tc.p.Title.Text+tc.p.Y.Label.Text, "modeled") && !strings.Contains(tc.p.Y.Label.Text, "MEASURED") && tc.name != "calibration" && tc.name != "kpkeys" {
				t.Errorf("chart says neither modeled nor MEASURED: %q / %q", tc.p.Title.Text, tc.p.Y.Label.Text)
			}
		})
	}
}

func TestPNGDecodes(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(MainCounterRatio("t1", fixture()), 0, 0, "png", &buf); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := img.Bounds().Dx(), 768; got != want {
		t.Errorf("PNG width %d px, want %d (8 in at 96 dpi)", got, want)
	}
	if err := Write(MainCounterRatio("t1", fixture()), 0, 0, "jpg", &buf); err == nil {
		t.Error("jpg accepted")
	}
}

func TestSaveAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.png")
	if err := Save(MainCounterRatio("t1", fixture()), 0, 0, path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatal(err)
	}
	if err := Save(MainCounterRatio("t1", fixture()), 0, 0, filepath.Join(dir, "b.gif")); err == nil {
		t.Error("gif accepted")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("dir holds %d entries, want 1 (no temp files left)", len(ents))
	}
}

func TestMainRatio(t *testing.T) {
	mk := func(n uint64) *replay.Result {
		return &replay.Result{Main: "barriers", ArchOps: map[string]uint64{"barriers": n}}
	}
	for _, tc := range []struct {
		v, base uint64
		want    float64
	}{{10, 5, 2}, {0, 0, 1}, {3, 0, math.NaN()}, {0, 4, 0}} {
		got := MainRatio(mk(tc.v), mk(tc.base))
		if !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want)) {
			t.Errorf("MainRatio(%d, %d) = %v, want %v", tc.v, tc.base, got, tc.want)
		}
	}
}

func TestBatchBins(t *testing.T) {
	b := make([]uint64, 1025)
	b[1], b[2], b[3], b[4], b[1023], b[1024] = 1, 2, 3, 4, 5, 6
	labels, counts := BatchBins(b)
	if len(labels) != 11 || labels[0] != "1" || labels[1] != "2-3" || labels[10] != ">=1024" {
		t.Fatalf("labels %v", labels)
	}
	want := []float64{1, 5, 4, 0, 0, 0, 0, 0, 0, 5, 6}
	for i := range want {
		if counts[i] != want[i] {
			t.Errorf("bin %s = %v, want %v", labels[i], counts[i], want[i])
		}
	}
}

func TestBoxOfUsesType7(t *testing.T) {
	d := &replay.Dist{}
	for _, v := range []float64{1, 2, 3, 4} {
		d.Add(v)
	}
	b, ok := BoxOf(d)
	if !ok {
		t.Fatal("empty")
	}
	// type 7: h = (n-1)p; P25 = 1 + 0.75*1 = 1.75, P75 = 3.25, P50 = 2.5
	if b.P25 != 1.75 || b.P50 != 2.5 || b.P75 != 3.25 || b.Max != 4 || b.N != 4 {
		t.Errorf("box %+v", b)
	}
	if _, ok := BoxOf(&replay.Dist{}); ok {
		t.Error("empty dist gave a box")
	}
}

// TestHostileValuesNeverPanic: charts of results with figures that are not
// finite, zero or at float64's ends are drawn or refused with an error
// naming the chart, never a panic (issue 20, item 1: a cost of 1e306 made
// the throughput chart's log axis panic inside gonum and the report exit 2).
func TestHostileValuesNeverPanic(t *testing.T) {
	for _, v := range []float64{math.Inf(1), math.NaN(), 0, math.MaxFloat64, math.SmallestNonzeroFloat64, -1} {
		rs := fixture()
		rs[0].ModeledNs = v
		rs[1].Section.Add(v)
		rs[2].Deferred.Add(v)
		charts := []*plot.Plot{
			MainCounterRatio("t1", rs), BatchHistogram("t1", "upstream", rs),
			Calibration("c", []CalibPoint{{Pages: 1, Published: v, HasPublished: true, Modeled: 1}, {Pages: 2, Published: 1, HasPublished: true, Modeled: v}}),
			ReplaySpeed("s", []SpeedPoint{{Arch: "arm64", Events: 10, Seconds: v}, {Arch: "arm64", Events: 20, Seconds: 1}}),
			KpkeysCalibration("k", []KpkeysPoint{{"a", false, v, 1}, {"b", true, 1, v}}),
		}
		for _, w := range []Which{SectionLatency, DeferralTime} {
			charts = append(charts, Boxes("t1", rs, w), CDF("t1", "arm64", rs, w), CDF("t1", "x86-xen", rs, w))
		}
		for _, p := range charts {
			var buf bytes.Buffer
			err := Write(p, 0, 0, "svg", &buf)
			if err != nil && !strings.Contains(err.Error(), fmt.Sprintf("chart %q cannot be drawn: ", p.Title.Text)) {
				t.Errorf("value %v: %q: error %v does not name the chart", v, p.Title.Text, err)
			}
		}
	}
}

// svgText renders p and returns the SVG.
func svgText(t *testing.T, p *plot.Plot) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(p, 0, 0, "svg", &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestCDFMergesCoincidingLines: two strategies with the same distribution
// are one line whose legend entry names both; a third stays apart.
func TestCDFMergesCoincidingLines(t *testing.T) {
	var rs []*replay.Result
	for i, s := range []string{"upstream", "typed", "none"} {
		r := &replay.Result{Trace: "t", Arch: "arm64", Strategy: s, Section: &replay.Dist{}, Deferred: &replay.Dist{}}
		for k := 1; k <= 50; k++ {
			r.Deferred.Add(float64(k * (1 + i/2)))
		}
		rs = append(rs, r)
	}
	svg := svgText(t, CDF("t", "arm64", rs, DeferralTime))
	if !strings.Contains(svg, ">upstream = typed</text>") {
		t.Error("legend lacks the merged entry 'upstream = typed'")
	}
	if strings.Contains(svg, ">typed</text>") || !strings.Contains(svg, ">none</text>") {
		t.Error("legend: want typed only in the merged entry and none on its own")
	}
	if n := strings.Count(svg, "stroke-width:1.4"); n != 2+2 { // two lines, two legend icons
		t.Errorf("%d line strokes, want 4 (2 lines and their legend icons)", n)
	}
}

// TestMainCounterRatioSkipsNoCounter: an arch without a main counter (x86)
// gets no bars and no group.
func TestMainCounterRatioSkipsNoCounter(t *testing.T) {
	rs := fixture()
	for _, s := range []string{"ideal", "upstream", "none"} {
		rs = append(rs, &replay.Result{Trace: "t1", Arch: "x86", Strategy: s, ArchOps: map[string]uint64{}})
	}
	svg := svgText(t, MainCounterRatio("t1", rs))
	if strings.Contains(svg, ">x86</text>") {
		t.Error("x86, which has no counter, is drawn")
	}
	if !strings.Contains(svg, ">arm64</text>") {
		t.Error("arm64 is not drawn")
	}
}

// TestAxisScaleLabels: numeric axes say linear or log, nominal ones do not,
// and writing twice does not say it twice.
func TestAxisScaleLabels(t *testing.T) {
	p := Boxes("t1", fixture(), SectionLatency)
	svgText(t, p)
	svg := svgText(t, p)
	if !strings.Contains(svg, "ns (linear scale)</text>") && !strings.Contains(svg, "ns (log scale)</text>") {
		t.Error("the value axis does not say its scale")
	}
	if strings.Contains(svg, "scale) (") || strings.Contains(svg, "architecture (l") {
		t.Error("a scale said twice, or on the nominal axis")
	}
}
