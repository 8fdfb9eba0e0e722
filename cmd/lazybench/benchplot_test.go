package main

import (
	"bytes"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"
	"github.com/lazybench/lazybench/internal/svgtest"
)

// TestBenchplotSample charts the checked-in `go test -bench` sample and
// compares the chart with its golden SVG and the table with known medians.
func TestBenchplotSample(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.svg")
	var stdout, stderr bytes.Buffer
	err := run([]string{"benchplot", "-metric", "modeled-ns/op", "-x", "/strategy", "-group", "/arch", "-panel", "", "testdata/bench-sample.txt", "-o", out}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2+7*2 {
		t.Fatalf("%d table lines, want 16:\n%s", len(lines), stdout.String())
	}
	if want := "# modeled-ns/op (modeled): median and 95% confidence interval"; lines[0] != want {
		t.Errorf("header %q, want %q", lines[0], want)
	}
	// Modeled metrics are exact (Unit ... assume=exact): the interval is the value.
	for _, want := range []string{"upstream\tarm64\t285255\t285255\t285255\t6", "none\tarm64\t1027660\t1027660\t1027660\t6"} {
		if !strings.Contains(stdout.String(), want+"\n") {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
	// A modeled count without "modeled" in its unit is labelled by its
	// assume=exact metadata (it was drawn as MEASURED).
	var fl bytes.Buffer
	if err := run([]string{"benchplot", "-metric", "flushes/op", "-x", "/strategy", "-group", "/arch", "-panel", "", "testdata/bench-sample.txt", "-o", filepath.Join(dir, "f.svg")}, &fl, &stderr); err != nil {
		t.Fatal(err)
	}
	if want := "# flushes/op (modeled): "; !strings.HasPrefix(fl.String(), want) {
		t.Errorf("flushes/op table starts %q, want %q", strings.SplitN(fl.String(), "\n", 2)[0], want)
	}
	if svg, err := os.ReadFile(filepath.Join(dir, "f.svg")); err != nil || !bytes.Contains(svg, []byte("flushes/op (modeled)")) {
		t.Errorf("flushes/op chart lacks the modeled axis label (%v)", err)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	svgtest.Check(t, "m.svg", got)
	golden.Check(t, "testdata/benchplot-modeled.svg", got)

	// Measured time with confidence intervals, as PNG, keys swapped.
	pngOut := filepath.Join(dir, "t.png")
	stdout.Reset()
	if err := run([]string{"benchplot", "-metric", "sec/op", "-x", "/arch", "-group", "/strategy", "-panel", "", "-o", pngOut, "testdata/bench-sample.txt"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(pngOut)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatal(err)
	}
	if want := "# sec/op (MEASURED): median and 95% confidence interval\n"; !strings.HasPrefix(stdout.String(), want) {
		t.Errorf("sec/op table starts %q, want %q", stdout.String()[:min(len(want), stdout.Len())], want)
	}
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n")[2:] {
		var x, g string
		var med, lo, hi float64
		var n int
		if _, err := sscanTabs(l, &x, &g, &med, &lo, &hi, &n); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if !(lo <= med && med <= hi) || n != 6 {
			t.Errorf("line %q: median outside its interval or n != 6", l)
		}
	}
}

// TestBenchplotPanels: by default a panel per arch, strategies along X and
// a series per trace, so no cell mixes arches or traces: every cell has its
// six runs and an interval. Without panel and series, a cell pools the two
// arches: a warning, no interval, and the table says so.
func TestBenchplotPanels(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if err := run([]string{"benchplot", "-metric", "sec/op", "testdata/bench-sample.txt", "-o", filepath.Join(dir, "p.svg")}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if lines[1] != "/arch\t/strategy\t/trace\tmedian\tlo\thi\tn" || len(lines) != 2+2*7 {
		t.Fatalf("table:\n%s", stdout.String())
	}
	for _, l := range lines[2:] {
		f := strings.Split(l, "\t")
		if len(f) != 7 || f[6] != "6" || f[4] == "-" || f[5] == "-" {
			t.Errorf("line %q: want 6 runs of one benchmark with an interval", l)
		}
	}
	if strings.Contains(stderr.String(), "pool") {
		t.Errorf("default layout warns of pooling: %s", stderr.String())
	}
	if svg, err := os.ReadFile(filepath.Join(dir, "p.svg")); err != nil || !bytes.Contains(svg, []byte("/arch = arm64")) || !bytes.Contains(svg, []byte("/arch = x86-xen")) {
		t.Errorf("chart lacks a panel per arch (%v)", err)
	}
	stdout.Reset()
	stderr.Reset()
	if err := run([]string{"benchplot", "-metric", "sec/op", "-panel", "", "-group", "", "testdata/bench-sample.txt", "-o", filepath.Join(dir, "q.svg")}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "7 of 7 cells pool several benchmarks") {
		t.Errorf("no pooling warning: %q", stderr.String())
	}
	for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n")[2:] {
		f := strings.Split(l, "\t")
		if len(f) != 7 || f[3] != "-" || f[4] != "-" || f[5] != "12" || f[6] != "pools 2 benchmarks" {
			t.Errorf("pooled line %q: want no interval, 12 runs, pools 2", l)
		}
	}
}

func sscanTabs(line string, args ...any) (int, error) {
	return fmt.Sscan(strings.ReplaceAll(line, "\t", " "), args...)
}

func TestBenchplotErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "empty.txt")
	os.WriteFile(bad, []byte("not a benchmark\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"benchplot", "testdata/bench-sample.txt"}, 2, "-o"},
		{[]string{"benchplot", "-o", filepath.Join(dir, "a.svg")}, 2, "no input"},
		{[]string{"benchplot", "-o", filepath.Join(dir, "a.jpg"), "testdata/bench-sample.txt"}, 2, ".svg or .png"},
		{[]string{"benchplot", "-o", filepath.Join(dir, "a.svg"), "-metric", "nope/op", "testdata/bench-sample.txt"}, 1, "nope/op"},
		{[]string{"benchplot", "-o", filepath.Join(dir, "a.svg"), bad}, 1, "no benchmark results"},
		{[]string{"benchplot", "-o", filepath.Join(dir, "a.svg"), filepath.Join(dir, "missing.txt")}, 1, "missing.txt"},
		{[]string{"benchplot", "-o", filepath.Join(dir, "a.svg"), "-x", "/(", "testdata/bench-sample.txt"}, 1, "-x"},
	} {
		err := run(tc.args, io.Discard, io.Discard)
		if code := exitCode(err, io.Discard); code != tc.code || err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d, error %v; want exit %d and %q", tc.args[1:], code, err, tc.code, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a.svg")); err == nil {
		t.Error("a failed benchplot wrote its output")
	}
}
