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
