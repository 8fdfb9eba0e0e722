package calibrate

import (
	"bytes"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
	_ "github.com/lazybench/lazybench/arch/all"
)

// testLoops keeps the tests fast: fewer calls per point than the command
// (no lazy purge happens in so few calls, which the synthetic test does not
// need and the shape test tolerates).
func testLoops(p int) int { return max(4, 2048/p) }

func TestReadPointsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"header", "pages,pct\n1,2\n", "f.csv:1: header"},
		{"comment then bad header", "# x\n\npages\n", "f.csv:3: header"},
		{"fields", "pages,change_pct\n1,2,3\n", "f.csv:2: 3 fields"},
		{"pages", "pages,change_pct\n0,2\n", "f.csv:2: pages \"0\""},
		{"pages text", "pages,change_pct\n# c\nx,2\n", "f.csv:3: pages \"x\""},
		{"pct", "pages,change_pct\n1,abc\n", "f.csv:2: change_pct \"abc\""},
		{"pct range", "pages,change_pct\n1,-100\n", "f.csv:2: change_pct"},
		{"nan", "pages,change_pct\n1,NaN\n", "f.csv:2: change_pct"},
		{"dup", "pages,change_pct\n4,1\n4,2\n", "f.csv:3: pages 4 given twice (first on line 2)"},
		{"empty", "", "f.csv: no header"},
		{"no points", "pages,change_pct\n", "f.csv: no points"},
		{"long line", "pages,change_pct\n1," + strings.Repeat("1", 5000) + "\n", "f.csv:2: line longer than 4096 bytes"},
		// Issue 20, item 4: points whose replays would take hours.
		{"total pages", "pages,change_pct\n1048576,-50\n1,2\n", "f.csv:3: the page counts add up to more than 1048576"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadPoints("f.csv", strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	pts, err := ReadPoints("f.csv", strings.NewReader("pages, change_pct\r\n8, -1.5\r\n2,3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 2 || pts[0] != (Point{2, 3}) || pts[1] != (Point{8, -1.5}) {
		t.Fatalf("points %v", pts)
	}
	if d := DefaultPoints(); len(d) != 6 || d[0] != (Point{1, 4}) || d[5] != (Point{512, -33.27}) {
		t.Fatalf("default points %v", d)
	}
}

// TestFitRecoversKnownParameters generates points from known costs and work
// terms through the real pipeline, fits them, and checks that the fit finds
// the same values.
func TestFitRecoversKnownParameters(t *testing.T) {
	info, ok := arch.Lookup("arm64")
	if !ok {
		t.Fatal("arm64 backend not registered (arch/all is imported)")
	}
	truth := info.Values(nil)
	truth["flag_atomic_ns"] = 15
	const callNs, pageNs = 700, 90
	pages := []int{1, 2, 3, 4, 8, 16, 64, 512}
	curve, err := Curve("arm64", arch.Costs{"arm64": truth}, callNs, pageNs, pages, testLoops, 0)
	if err != nil {
		t.Fatal(err)
	}
	var pts []Point
	for _, p := range pages {
		pts = append(pts, Point{p, curve[p]})
	}
	res, err := Fit(pts, Options{Arch: "arm64", Loops: testLoops})
	if err != nil {
		t.Fatal(err)
	}
	free := 0
	for _, tm := range res.Terms {
		if tm.Status == "fitted" {
			free++
		}
	}
	if free != 3 {
		t.Errorf("%d fitted terms, want 3 (call and page work, the fixed deferral cost): %+v", free, res.Terms)
	}
	if res.RMS > 0.05 {
		t.Errorf("rms %.3f pp fitting points made by the model itself", res.RMS)
	}
	want := map[string]float64{CallWork: callNs, PageWork: pageNs, "flag_atomic_ns": 15, "defer_check_ns": truth["defer_check_ns"], "barrier_pair_ns": truth["barrier_pair_ns"]}
	for _, tm := range res.Terms {
		w, ok := want[tm.Name]
		if !ok {
			continue
		}
		if math.Abs(tm.Value-w) > 0.03*w+1 {
			t.Errorf("%s = %.3f, want %.3f (%s)", tm.Name, tm.Value, w, tm.Status)
		}
	}
}

// TestDefaultFitShape fits the published Apple M2 points and checks the curve
// has the published shape and stays close to every point.
func TestDefaultFitShape(t *testing.T) {
	if _, ok := arch.Lookup("arm64"); !ok {
		t.Fatal("arm64 backend not registered (arch/all is imported)")
	}
	res, err := Fit(DefaultPoints(), Options{Loops: testLoops})
	if err != nil {
		t.Fatal(err)
	}
	m := map[int]float64{}
	for _, r := range res.Rows {
		m[r.Pages] = r.Modeled
		if r.HasPublished && math.Abs(r.Modeled-r.Published) > 1.5 {
			t.Errorf("pages %d: modeled %.2f%%, published %.2f%%", r.Pages, r.Modeled, r.Published)
		}
	}
	if m[1] <= 0 {
		t.Errorf("p=1 change %.2f%%, want a regression (> 0)", m[1])
	}
	for _, p := range CurvePages[1:] {
		if m[p] >= m[p/2] {
			t.Errorf("not decreasing: p=%d %.2f%% after p=%d %.2f%%", p, m[p], p/2, m[p/2])
		}
	}
	if d := m[256] - m[512]; d > 1 {
		t.Errorf("not saturating: p=256..512 changes %.2f pp", d)
	}
	if d1, d2 := m[1]-m[2], m[256]-m[512]; d2 > d1/5 {
		t.Errorf("last doubling changes %.2f pp, first %.2f pp", d2, d1)
	}
	if len(res.Rows) != len(CurvePages) {
		t.Errorf("%d rows, want %d", len(res.Rows), len(CurvePages))
	}

	// The CSV of the contract and a cost file that arch.ParseCosts accepts.
	var csv bytes.Buffer
	if err := res.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if lines[0] != "pages,published_pct,modeled_pct" || len(lines) != 11 || !strings.HasPrefix(lines[1], "1,4.00,") || !strings.HasPrefix(lines[5], "16,,") {
		t.Errorf("CSV:\n%s", csv.String())
	}
	var toml bytes.Buffer
	if err := res.WriteCosts(&toml, M2Source); err != nil {
		t.Fatal(err)
	}
	costs, err := arch.ParseCosts("fit.toml", toml.Bytes())
	if err != nil {
		t.Fatalf("cost file does not load: %v\n%s", err, toml.String())
	}
	for _, tm := range res.Terms {
		if !tm.Work && math.Abs(costs["arm64"][tm.Name]-tm.Value) > 1e-4*math.Max(1, tm.Value) {
			t.Errorf("cost file %s = %v, fit %v", tm.Name, costs["arm64"][tm.Name], tm.Value)
		}
	}
	if res.Linearity > 0.5 {
		t.Errorf("direct replay differs from the linear model by %.2f pp", res.Linearity)
	}
}

func TestFitErrors(t *testing.T) {
	if _, err := Fit(nil, Options{}); err == nil {
		t.Error("no points accepted")
	}
	if _, err := Fit(DefaultPoints(), Options{Arch: "nope"}); err == nil || !strings.Contains(err.Error(), "unknown arch") {
		t.Errorf("unknown arch: %v", err)
	}
	if _, err := Fit(DefaultPoints(), Options{Anchor: "nope", Loops: testLoops}); err == nil || !strings.Contains(err.Error(), "no parameter") {
		t.Errorf("unknown anchor: %v", err)
	}
}

func TestNelderMead(t *testing.T) {
	// Rosenbrock: minimum at (1, 1).
	f := func(x []float64) float64 { return 100*math.Pow(x[1]-x[0]*x[0], 2) + math.Pow(1-x[0], 2) }
	x := []float64{-1.2, 1}
	for i := 0; i < 5; i++ {
		x = nelderMead(f, x, 0.5, 5000)
	}
	if math.Abs(x[0]-1) > 1e-4 || math.Abs(x[1]-1) > 1e-4 {
		t.Errorf("minimum at %v, want (1, 1)", x)
	}
}

// TestCurveStreams: replaying a generated trace allocates a bounded amount
// whatever its page count (issue 20, item 4: the fit held three whole traces
// per page count, about 12 KB per page: 8.4 GB and growing at 2^20 pages).
// The old code allocated 163 MB here; streaming in chunks, 12 MB.
func TestCurveStreams(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	got, err := Curve("arm64", nil, 0, 0, []int{16384}, nil, 1)
	runtime.ReadMemStats(&after)
	if err != nil || len(got) != 1 {
		t.Fatalf("Curve: %v, %v", got, err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("Curve of 16384 pages allocated %.1f MB", float64(alloc)/(1<<20))
	if alloc > 16<<20 {
		t.Errorf("Curve of 16384 pages allocated %d MB, want under 16 MB", alloc>>20)
	}
}
