package calibrate

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
)

// FuzzReadPoints checks that any input either parses into valid, sorted,
// unique points or fails with an error naming the file, never panicking.
func FuzzReadPoints(f *testing.F) {
	f.Add(M2CSV)
	f.Add("pages,change_pct\n1,2\n")
	f.Add("pages,change_pct\n1,2\n1,3\n")
	f.Add("# c\npages, change_pct\r\n4,-1e2\n")
	f.Fuzz(func(t *testing.T, in string) {
		pts, err := ReadPoints("f.csv", strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(pts) == 0 || len(pts) > MaxPoints {
			t.Fatalf("%d points", len(pts))
		}
		for i, p := range pts {
			if p.Pages < 1 || p.Pages > MaxPages || math.IsNaN(p.ChangePct) || math.IsInf(p.ChangePct, 0) || p.ChangePct <= -100 {
				t.Fatalf("invalid point %+v", p)
			}
			if i > 0 && pts[i-1].Pages >= p.Pages {
				t.Fatalf("not sorted or duplicate: %v", pts)
			}
		}
	})
}

// FuzzReadKpkeysPoints checks that any input either parses into valid rows,
// in row order and unique, or fails with an error naming the file, never
// panicking.
func FuzzReadKpkeysPoints(f *testing.F) {
	f.Add(KpkeysCSV)
	f.Add("benchmark,pages,without_pct,with_pct\nfork,1,2,\n")
	f.Fuzz(func(t *testing.T, in string) {
		pts, err := ReadKpkeysPoints("f.csv", strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.csv") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(pts) == 0 || len(pts) > MaxPoints {
			t.Fatalf("%d points", len(pts))
		}
		for i, p := range pts {
			if _, ok := benchOrder[p.Benchmark]; !ok || p.Pages < 1 || p.Pages > MaxPages || !(p.HasWithout || p.HasWith) {
				t.Fatalf("invalid point %+v", p)
			}
			for _, v := range []float64{p.Without, p.With} {
				if math.IsNaN(v) || math.IsInf(v, 0) || v <= -100 {
					t.Fatalf("invalid overhead in %+v", p)
				}
			}
			if i > 0 && !kpkeysLess(pts[i-1].Benchmark, pts[i-1].Pages, p.Benchmark, p.Pages) {
				t.Fatalf("not in row order or duplicate: %+v", pts)
			}
		}
	})
}

// FuzzFit runs any points file that parses through the fit (small loop
// counts, page counts summing to at most 2048 so that one input takes well
// under a second): it must fail with an error or give finite figures, and
// the cost file it writes must load (every fitted parameter within
// arch.MaxCost; issue 20).
func FuzzFit(f *testing.F) {
	f.Add(M2CSV)
	f.Add("pages,change_pct\n1,4\n")
	f.Add("pages,change_pct\n1,-99.999\n2,1e300\n1024,-5e-324\n")
	f.Fuzz(func(t *testing.T, in string) {
		pts, err := ReadPoints("f.csv", strings.NewReader(in))
		if err != nil {
			return
		}
		total := 0
		for _, p := range pts {
			total += p.Pages
		}
		if total > 2048 {
			return
		}
		r, err := Fit(pts, Options{Loops: func(p int) int { return max(1, 64/p) }, Workers: 1})
		if err != nil {
			return
		}
		finite := func(what string, v float64) {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%s is %v", what, v)
			}
		}
		finite("rms", r.RMS)
		finite("max", r.MaxAbs)
		finite("linearity", r.Linearity)
		for _, term := range r.Terms {
			finite(term.Name, term.Value)
		}
		for _, row := range r.Rows {
			finite(fmt.Sprintf("modeled at %d pages", row.Pages), row.Modeled)
		}
		var buf bytes.Buffer
		if err := r.WriteCosts(&buf, "fuzz"); err != nil {
			t.Fatal(err)
		}
		if _, err := arch.ParseCosts("fitted.toml", buf.Bytes()); err != nil {
			t.Fatalf("the fitted cost file does not load: %v\n%s", err, buf.String())
		}
	})
}
