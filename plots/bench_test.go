package plots

import (
	"math"
	"strings"
	"testing"
)

const benchOut = `goos: linux
goarch: amd64
pkg: github.com/lazybench/lazybench/bench
BenchmarkReplay/arch=arm64/strategy=upstream-2   	1	100 ns/op	7 modeled-ns/op
BenchmarkReplay/arch=arm64/strategy=upstream-2   	1	300 ns/op	7 modeled-ns/op
BenchmarkReplay/arch=arm64/strategy=upstream-2   	1	200 ns/op	7 modeled-ns/op
BenchmarkReplay/arch=x86/strategy=upstream-2     	1	50 ns/op	3 modeled-ns/op
BenchmarkReplay/arch=x86/strategy=flat-2         	1	60 ns/op
this line is not a result
`

// TestReadBench: medians per (x, group) cell in the unit asked for, keys in
// input order, results without the metric skipped, errors naming the input.
func TestReadBench(t *testing.T) {
	tests := []struct {
		metric, x, group string
		cells            map[[2]string]float64 // (x, group) -> median
		n                map[[2]string]int
		err              string
	}{
		{"ns/op", "/arch", "/strategy",
			map[[2]string]float64{{"arm64", "upstream"}: 200, {"x86", "upstream"}: 50, {"x86", "flat"}: 60},
			map[[2]string]int{{"arm64", "upstream"}: 3, {"x86", "upstream"}: 1, {"x86", "flat"}: 1}, ""},
		{"modeled-ns/op", "/strategy", "/arch",
			map[[2]string]float64{{"upstream", "arm64"}: 7, {"upstream", "x86"}: 3},
			map[[2]string]int{{"upstream", "arm64"}: 3, {"upstream", "x86"}: 1}, ""},
		{"B/op", "/arch", "/strategy", nil, nil, `no benchmark result reports metric "B/op"`},
		{"ns/op", "/arch@(", "/strategy", nil, nil, `-x "/arch@("`},
	}
	for _, tt := range tests {
		tab, err := ReadBench([]BenchInput{{Name: "in.txt", R: strings.NewReader(benchOut)}}, BenchQuery{Metric: tt.metric, X: tt.x, Group: tt.group})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.metric, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.metric, err)
		}
		if len(tab.Cells) != len(tt.cells) {
			t.Errorf("%s: %d cells, want %d", tt.metric, len(tab.Cells), len(tt.cells))
		}
		for k, want := range tt.cells {
			c := tab.Cells[[3]string{"", k[0], k[1]}]
			if c == nil {
				t.Errorf("%s: no cell %v", tt.metric, k)
				continue
			}
			if math.Abs(c.Summary.Center-want) > 1e-9*want || c.N != tt.n[k] {
				t.Errorf("%s %v: median %v of %d, want %v of %d", tt.metric, k, c.Summary.Center, c.N, want, tt.n[k])
			}
		}
		if len(tab.Warnings) != 1 { // the too-few-samples note
			t.Errorf("%s: warnings %q, want 1", tt.metric, tab.Warnings)
		}
	}
	_, err := ReadBench([]BenchInput{{Name: "z", R: strings.NewReader(strings.Repeat("x", 1<<20))}}, BenchQuery{Metric: "ns/op", X: "/arch", Group: "/strategy"})
	if err == nil || err.Error() != "z: line too long (not go test -bench output?)" {
		t.Errorf("long line: %v", err)
	}
	_, err = ReadBench([]BenchInput{{Name: "a.txt", R: strings.NewReader("")}, {Name: "b.txt", R: strings.NewReader("garbage\n")}}, BenchQuery{Metric: "ns/op", X: "/arch", Group: "/strategy"})
	if err == nil || err.Error() != "a.txt, b.txt: no benchmark results (want `go test -bench` output)" {
		t.Errorf("no results: %v", err)
	}
}

// FuzzReadBench: any input reads without panic; a table it returns has a cell
// for every (panel, x, group) it lists and nothing else, each with at least
// one sample of at least one benchmark.
func FuzzReadBench(f *testing.F) {
	f.Add(benchOut)
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := ReadBench([]BenchInput{{Name: "f", R: strings.NewReader(in)}}, BenchQuery{Metric: "ns/op", X: "/arch", Group: "/strategy"})
		if err != nil {
			return
		}
		if len(tab.Cells) == 0 || len(tab.Cells) > len(tab.Panels)*len(tab.Xs)*len(tab.Groups) {
			t.Fatalf("%d cells for %d x %d x %d keys", len(tab.Cells), len(tab.Panels), len(tab.Xs), len(tab.Groups))
		}
		for k, c := range tab.Cells {
			if c.N < 1 || c.Panel != k[0] || c.X != k[1] || c.Group != k[2] || c.Pooled < 1 {
				t.Fatalf("cell %v: %+v", k, c)
			}
		}
	})
}
