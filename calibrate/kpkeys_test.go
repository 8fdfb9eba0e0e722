package calibrate

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/internal/golden"
)

// testMapPages is the fork and munmap mapping of the tests: 16 page tables
// (the published 1 GB is 512; overheads are per page, so the fit barely
// notices, and the race detector does not take minutes).
const testMapPages = 8192

func testKpkeysOptions() KpkeysOptions {
	return KpkeysOptions{Loops: testLoops, MapPages: testMapPages}
}

// testKpkeysPoints is the published table with fork and munmap on the
// tests' mapping.
func testKpkeysPoints() []KpkeysPoint {
	pts := DefaultKpkeysPoints()
	for i := range pts {
		if pts[i].Benchmark != BenchAlloc {
			pts[i].Pages = testMapPages
		}
	}
	return pts
}

func TestReadKpkeysPointsErrors(t *testing.T) {
	const h = "benchmark,pages,without_pct,with_pct\n"
	for _, tc := range []struct {
		name, in, want string
	}{
		{"header", "benchmark,pages,pct\n", `f.csv:1: header "benchmark,pages,pct", want "benchmark,pages,without_pct,with_pct"`},
		{"fields", h + "fork,1,2\n", "f.csv:2: 3 fields, want 4"},
		{"benchmark", h + "# c\nclone,1,2,3\n", `f.csv:3: benchmark "clone": want fork, munmap or fix_size_alloc`},
		{"pages", h + "fork,0,2,3\n", `f.csv:2: pages "0": want an integer from 1 to 1048576`},
		{"pages big", h + "fork,2000000,2,3\n", `f.csv:2: pages "2000000"`},
		{"without", h + "munmap,8,x,3\n", `f.csv:2: without_pct "x": want a finite number above -100, or nothing`},
		{"with", h + "munmap,8,1,-100\n", `f.csv:2: with_pct "-100"`},
		{"inf", h + "munmap,8,1,Inf\n", `f.csv:2: with_pct "Inf"`},
		{"both empty", h + "fix_size_alloc,8,,\n", "f.csv:2: both overheads empty: give at least one"},
		{"dup", h + "fix_size_alloc,8,1,\nfork,8,1,2\nfix_size_alloc,8,,2\n", "f.csv:4: fix_size_alloc pages 8 given twice (first on line 2)"},
		{"empty", "", "f.csv: no header line"},
		{"no points", h, "f.csv: no points after the header"},
		{"long line", h + "fork,1," + strings.Repeat("1", 5000) + ",1\n", "f.csv:2: line longer than 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadKpkeysPoints("f.csv", strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
	pts, err := ReadKpkeysPoints("f.csv", strings.NewReader(" benchmark , pages,without_pct,with_pct\r\nfix_size_alloc,8,,-1.5\r\nmunmap,4,2,\nfork,9,1,2\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []KpkeysPoint{{BenchFork, 9, 1, 2, true, true}, {BenchMunmap, 4, 2, 0, true, false}, {BenchAlloc, 8, 0, -1.5, false, true}}
	if len(pts) != 3 || pts[0] != want[0] || pts[1] != want[1] || pts[2] != want[2] {
		t.Fatalf("points %+v, want %+v", pts, want)
	}
}

// The embedded table is the published one, in row order.
func TestDefaultKpkeysPoints(t *testing.T) {
	want := []KpkeysPoint{
		{BenchFork, GiBPages, 221.39, 3.35, true, true},
		{BenchMunmap, GiBPages, 17.37, -0.28, true, true},
		{BenchAlloc, 1, 15.54, 12.57, true, true},
		{BenchAlloc, 4, 39.18, 9.13, true, true},
		{BenchAlloc, 64, 83.39, -0.49, true, true},
	}
	got := DefaultKpkeysPoints()
	if len(got) != len(want) {
		t.Fatalf("%d points, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("point %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// The counts each benchmark's replays give, per kernel: the rules of
// docs/arch/arm64-kpkeys.md on the generated workloads. Without batching,
// every PTE write is two POR_EL1 writes and two ISBs (fork writes two PTEs a
// page, munmap and each half of vmalloc+vfree one); with it, one raise and
// one restore per section (one section per page table of fork and munmap:
// the generated mapping starts 276 pages into a table, at 0x7f0000114000,
// so 4096 pages span 9 tables; two sections per vmalloc+vfree), the vmap
// section's restore without its ISB.
func TestKpkeysCounts(t *testing.T) {
	info, _ := arch.Lookup(KpkeysArch)
	opt, err := kpkeysDefaults(testKpkeysOptions())
	if err != nil {
		t.Fatal(err)
	}
	benches := []*kbench{{name: BenchFork, pages: 4096, calls: 1}, {name: BenchMunmap, pages: 4096, calls: 1}, {name: BenchAlloc, pages: 4, calls: 100}}
	if _, err := measureKpkeys(benches, info, opt); err != nil {
		t.Fatal(err)
	}
	por, isb := len(info.Params)-2, len(info.Params)-1
	for i, w := range []struct{ withoutPOR, withPOR, withISB float64 }{
		{4 * 4096, 2 * 9, 2 * 9},
		{2 * 4096, 2 * 9, 2 * 9},
		{2 * 2 * 4 * 100, 4 * 100, 3 * 100},
	} {
		b := benches[i]
		if b.terms[0][por] != 0 || b.terms[0][isb] != 0 {
			t.Errorf("%s: the baseline switched: %v", b.name, b.terms[0])
		}
		if b.terms[1][por] != w.withoutPOR || b.terms[1][isb] != w.withoutPOR {
			t.Errorf("%s without batching: %v POR_EL1 writes, %v ISBs, want %v each", b.name, b.terms[1][por], b.terms[1][isb], w.withoutPOR)
		}
		if b.terms[2][por] != w.withPOR || b.terms[2][isb] != w.withISB {
			t.Errorf("%s with batching: %v POR_EL1 writes, %v ISBs, want %v and %v", b.name, b.terms[2][por], b.terms[2][isb], w.withPOR, w.withISB)
		}
		for k := 1; k < 3; k++ {
			for j := 0; j < por; j++ {
				if b.terms[k][j] != b.terms[0][j] {
					t.Errorf("%s kernel %d: arm64 count %d is %v, baseline %v: kpkeys must not change arm64's work", b.name, k, j, b.terms[k][j], b.terms[0][j])
				}
			}
		}
	}
}

// Points generated through the pipeline from known work terms and
// por_write_ns are fitted back.
func TestFitKpkeysRecovers(t *testing.T) {
	known := map[string]float64{ForkWork: 60, MunmapWork: 400, CallWork: 500, PageWork: 90, "por_write_ns": 6}
	info, _ := arch.Lookup(KpkeysArch)
	opt, _ := kpkeysDefaults(testKpkeysOptions())
	benches := kpkeysBenches(testKpkeysPoints(), opt)
	if _, err := measureKpkeys(benches, info, opt); err != nil {
		t.Fatal(err)
	}
	m := &kmodel{benches: benches, terms: kpkeysTerms(info, info.Values(nil)), npar: len(info.Params)}
	th := m.start()
	for j, tm := range m.terms {
		if v, ok := known[tm.Name]; ok {
			th[j] = v
		}
	}
	var pts []KpkeysPoint
	for _, b := range benches {
		if b.name != BenchAlloc || b.pages == 2 || b.pages == 16 || b.pages == 128 {
			pts = append(pts, KpkeysPoint{b.name, b.pages, m.pct(b, 0, th), m.pct(b, 1, th), true, true})
		}
	}
	res, err := FitKpkeys(pts, opt)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range known {
		if got := res.Value(name); math.Abs(got-v) > 0.01*v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	if res.RMS > 0.01 || res.LOOMax > 0.05 {
		t.Errorf("rms %v, held-out max %v: the model generated these points", res.RMS, res.LOOMax)
	}
}

// The default fit: the contract CSV (golden), every row the issue names,
// and what the docs say of it.
func TestDefaultKpkeysFit(t *testing.T) {
	res, err := FitKpkeys(testKpkeysPoints(), testKpkeysOptions())
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	if err := res.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/kpkeys_fit.golden.csv", csv.Bytes())
	lines := strings.Split(strings.TrimSuffix(csv.String(), "\n"), "\n")
	if lines[0] != KpkeysHeader || len(lines) != 1+2+len(CurvePages) {
		t.Fatalf("header %q, %d lines", lines[0], len(lines))
	}
	if !strings.HasPrefix(lines[1], "fork,8192,221.39,") || !strings.HasPrefix(lines[2], "munmap,8192,17.37,") || !strings.HasPrefix(lines[6], "fix_size_alloc,8,,") {
		t.Errorf("rows %q %q %q", lines[1], lines[2], lines[6])
	}
	for _, r := range res.Rows {
		if r.HasWithout && math.Abs(r.ModeledWithout-r.PublishedWithout) > 1.5 {
			t.Errorf("%s %d without: modeled %.2f, published %.2f", r.Benchmark, r.Pages, r.ModeledWithout, r.PublishedWithout)
		}
	}
	// With batching the overhead is a fixed cost per call, so it falls as
	// the call grows; without, it rises toward the per-page share.
	prev := KpkeysRow{ModeledWithout: 0, ModeledWith: math.Inf(1)}
	for _, p := range CurvePages {
		r, ok := res.Row(BenchAlloc, p)
		if !ok || r.ModeledWith >= prev.ModeledWith || r.ModeledWithout <= prev.ModeledWithout {
			t.Errorf("p:%d: %+v after %+v", p, r, prev)
		}
		prev = r
	}
	if res.Linearity > 1e-6 || res.LOOCells != 6 {
		t.Errorf("linearity %v, %d held-out cells", res.Linearity, res.LOOCells)
	}
	if got := res.Value("isb_ns"); got != 10 {
		t.Errorf("anchor isb_ns moved to %v", got)
	}
}
