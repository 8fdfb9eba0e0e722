package workload

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"

	"github.com/lazybench/lazybench/traces"
)

// goldenParams are small parameter sets whose whole text trace is checked in
// under testdata/golden: a change to any generator shows up there line by line.
var goldenParams = map[string]Values{
	"fork":            {"pages": 12, "ptes": 8, "none-pm": 200, "resched-pm": 300},
	"munmap":          {"pages": 12, "ptes": 8, "resched-pm": 50},
	"exit":            {"pages": 12, "ptes": 8, "vmas": 2},
	"mprotect":        {"pages": 10, "ptes": 8, "none-pm": 200},
	"mremap":          {"pages": 10, "ptes": 8, "misalign": 3},
	"madvise":         {"pages": 70, "ptes": 64, "resched-pm": 1000, "young-pm": 300},
	"vmalloc":         {"pages": 3, "loops": 3, "ptes": 8, "lazy-max": 6},
	"kasan-vmalloc":   {"pages": 8, "loops": 3, "lazy-max": 20},
	"debug-pagealloc": {"pages": 20, "ptes": 64, "bundle": 4, "batch": 8},
	"pagemap-scan":    {"pages": 10, "ptes": 8},
	"irq":             {"pages": 4, "loops": 2},
	"preempt":         {"pages": 3, "loops": 4, "cpus": 2},
	"mix":             {"pages": 16, "loops": 1, "tasks": 10, "irq-pm": 20, "slice-us": 1},
}

func TestGolden(t *testing.T) {
	for _, w := range Workloads() {
		v, ok := goldenParams[w.Name]
		if !ok {
			t.Errorf("no golden parameters for %s", w.Name)
			continue
		}
		t.Run(w.Name, func(t *testing.T) {
			var buf bytes.Buffer
			tw, err := traces.NewTextWriter(&buf, Meta(w, v))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Generate(v, tw); err != nil {
				t.Fatal(err)
			}
			if err := tw.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden", w.Name+".lmt.txt")
			golden.Check(t, path, buf.Bytes())
		})
	}
}
