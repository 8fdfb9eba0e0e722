package main

import (
	"io"
	"runtime"
	"slices"
	"strings"

	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/report"
)

func init() {
	register(&command{
		name:    "compare",
		summary: "replay traces under every arch x strategy and tabulate each metric with ratios",
		run:     runCompare,
	})
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", stderr)
	maxDecompressedFlag(fs)
	traceList := fs.String("trace", "", "trace files or corpus:NAME, comma-separated (default: the whole embedded corpus)")
	archList := fs.String("arch", "", "arches, comma-separated (default: all)")
	stratList := fs.String("strategy", "", "strategies, comma-separated (default: all)")
	baseline := fs.String("baseline", "upstream", "strategy the ratios are taken against (besides ideal)")
	kernelName := kernelFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	wide := fs.Bool("wide", false, "print every strategy's value with its ratios to the baseline and ideal (a row per trace and arch; about 180 columns)")
	metricList := fs.String("metric", "", "metrics to print, comma-separated (default: all): "+strings.Join(report.MetricKeys(), ", "))
	costsPath := fs.String("costs", "", "TOML cost file overriding backend costs")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "replays run at once")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("compare takes no arguments (use --trace)")
	}
	if *jobs < 1 {
		return usagef("--jobs must be at least 1")
	}
	arches, err := archArgs(*archList)
	if err != nil {
		return err
	}
	var strats []lazymmu.Strategy
	for _, n := range splitList(*stratList) {
		s, err := parseStrategy(n)
		if err != nil {
			return err
		}
		strats = append(strats, s)
	}
	if len(strats) == 0 {
		strats = lazymmu.Strategies()
	}
	base, err := parseStrategy(*baseline)
	if err != nil {
		return err
	}
	kernel, err := parseKernel(*kernelName)
	if err != nil {
		return err
	}
	srcs, err := matrix.NamedSources(splitList(*traceList))
	if err != nil {
		return err
	}
	costs, err := loadCosts(*costsPath)
	if err != nil {
		return err
	}
	format, metrics := report.FormatNarrow, splitList(*metricList)
	for _, m := range metrics {
		if !slices.Contains(report.MetricKeys(), m) {
			return usagef("unknown metric %q (want one of %s)", m, strings.Join(report.MetricKeys(), ", "))
		}
	}
	switch {
	case *asJSON && *wide:
		return usagef("--json and --wide exclude each other")
	case *asJSON:
		format = report.FormatJSON
	case *wide:
		format = report.FormatWide
	}

	return report.Compare(stdout, srcs, report.CompareOptions{
		Arches: arches, Strategies: strats, Baseline: base, Config: replay.Config{Costs: costs, Kernel: kernel},
		Jobs: *jobs, Format: format, Metrics: metrics,
	})
}
