package main

import (
	"io"
	"slices"
	"strings"

	"github.com/lazybench/lazybench/lazymmu"
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
	mf := addMatrixFlags(fs)
	stratList := fs.String("strategy", "", "strategies, comma-separated (default: all)")
	baseline := fs.String("baseline", "upstream", "strategy the ratios are taken against (besides ideal)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	wide := fs.Bool("wide", false, "print every strategy's value with its ratios to the baseline and ideal (a row per trace and arch; about 180 columns)")
	metricList := fs.String("metric", "", "metrics to print, comma-separated (default: all): "+strings.Join(report.MetricKeys(), ", "))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := mf.load("compare", fs)
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

	return report.Compare(stdout, m.srcs, report.CompareOptions{
		Arches: m.arches, Strategies: strats, Baseline: base, Config: replay.Config{Costs: m.costs, Kernel: m.kernel},
		Jobs: m.jobs, Format: format, Metrics: metrics,
	})
}
