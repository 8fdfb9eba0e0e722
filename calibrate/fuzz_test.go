package calibrate

import (
	"math"
	"strings"
	"testing"
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
