package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lazybench/lazybench/plots"
)

func init() {
	register(&command{
		name:    "benchplot",
		summary: "chart a metric of go test -bench output, a panel per arch (medians; 95% CIs over repeated runs only)",
		run:     runBenchplot,
	})
}

// runBenchplot implements `lazybench benchplot [-metric UNIT] [-x KEY]
// [-group KEY] [-panel KEY] [-filter EXPR] FILE... -o OUT.svg`. Files are `go
// test -bench` output (or "-" for stdin); keys use benchproc's projection
// syntax (/strategy, /arch, .name, goos...). The chart has a panel per value
// of -panel (default: per arch); its bars are medians, with 95% confidence
// intervals computed as benchstat does (golang.org/x/perf/benchmath; exact
// for units marked `assume=exact`) only where a cell holds repeated runs of
// one benchmark; the table is printed to stdout.
func runBenchplot(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("benchplot", stderr)
	metric := fs.String("metric", "modeled-ns/op", "metric (unit) to chart, e.g. modeled-ns/op, sec/op, barriers/op, B/s")
	x := fs.String("x", "/strategy", "key along the X axis (benchproc projection)")
	group := fs.String("group", "/trace", "key of the bar series (benchproc projection; \"\" for one series)")
	panel := fs.String("panel", "/arch", "key of the panels, one chart each (benchproc projection; \"\" for one panel)")
	filter := fs.String("filter", "", "benchproc filter of the results to chart, e.g. '/trace:(mix OR fork)'")
	cols := fs.Int("cols", 2, "panels per row")
	out := fs.String("o", "", "output chart, .svg or .png (required)")
	title := fs.String("title", "", "chart title (default: metric by keys)")
	if err := parseFlags(fs, reorderFlags(args)); err != nil {
		return err
	}
	if *out == "" {
		return usagef("benchplot: -o OUT.svg is required")
	}
	if ext := strings.ToLower(filepath.Ext(*out)); ext != ".svg" && ext != ".png" {
		return usagef("benchplot: -o %s: want a .svg or .png file", *out)
	}
	if fs.NArg() == 0 {
		return usagef("benchplot: no input files (go test -bench output; - for stdin)")
	}
	var inputs []plots.BenchInput
	for _, name := range fs.Args() {
		if name == "-" {
			inputs = append(inputs, plots.BenchInput{Name: "<stdin>", R: os.Stdin})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		inputs = append(inputs, plots.BenchInput{Name: name, R: f})
	}
	t, err := plots.ReadBench(inputs, plots.BenchQuery{Metric: *metric, X: *x, Group: *group, Panel: *panel, Filter: *filter})
	if err != nil {
		return err
	}
	for _, w := range t.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
	if err := plots.SavePanels(t.Charts(*title), *cols, *out); err != nil {
		return err
	}
	return t.WriteText(stdout)
}

// reorderFlags moves flags after the file arguments in front of them, so
// that `benchplot FILE... -o OUT.svg` works as documented (the flag package
// stops at the first non-flag argument).
func reorderFlags(args []string) []string {
	var flags, files []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			files = append(files, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
		default:
			files = append(files, a)
		}
	}
	return append(append(flags, "--"), files...)
}
