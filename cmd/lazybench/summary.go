package main

import (
	"io"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/report"
)

func init() {
	register(&command{
		name:    "summary",
		summary: "replay traces under every arch and strategy and print the findings as text for a mail (80 columns)",
		run:     runSummary,
	})
}

func runSummary(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("summary", stderr)
	mf := addMatrixFlags(fs)
	unfitted := fs.Bool("unfitted", false, "replay arm64 with its default costs instead of the costs fitted to the published test_vmalloc figures")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	m, err := mf.load("summary", fs)
	if err != nil {
		return err
	}
	c, err := report.Cost(report.CostOptions{Costs: m.costs, CostsPath: *mf.costs, Unfitted: *unfitted, Workers: m.jobs})
	if err != nil {
		return err
	}
	rp, err := report.Run(m.srcs, m.arches, replay.Config{Costs: c.Costs, Kernel: m.kernel}, m.jobs, nil)
	if err != nil {
		return err
	}
	report.WarnPageSizes(stderr, rp)
	return report.WriteSummary(stdout, rp, c.Note, report.Findings(rp), report.SummaryWidth)
}

// archArgs returns the arches of an --arch list, all registered ones if
// it is empty.
func archArgs(list string) ([]string, error) {
	arches := splitList(list)
	if len(arches) == 0 {
		return arch.Names(), nil
	}
	for _, a := range arches {
		if err := checkArch(a); err != nil {
			return nil, err
		}
	}
	return arches, nil
}
