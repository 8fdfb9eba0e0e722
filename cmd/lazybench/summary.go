package main

import (
	"io"
	"runtime"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/matrix"
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
	traceList := fs.String("trace", "", "trace files or corpus:NAME, comma-separated (default: the whole embedded corpus)")
	archList := fs.String("arch", "", "arches, comma-separated (default: all)")
	costsPath := fs.String("costs", "", "TOML cost file overriding backend costs")
	unfitted := fs.Bool("unfitted", false, "replay arm64 with its default costs instead of the costs fitted to the published test_vmalloc figures")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "replays run at once")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("summary takes no arguments (use --trace)")
	}
	if *jobs < 1 {
		return usagef("--jobs must be at least 1")
	}
	arches, err := archArgs(*archList)
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
	c, err := report.Cost(report.CostOptions{Costs: costs, CostsPath: *costsPath, Unfitted: *unfitted, Workers: *jobs})
	if err != nil {
		return err
	}
	rp, err := report.Run(srcs, arches, replay.Config{Costs: c.Costs}, *jobs, nil)
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
