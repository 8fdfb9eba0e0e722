package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/report"
)

func init() {
	register(&command{
		name:    "report",
		summary: "replay the embedded corpus on every arch and strategy; write charts and index.html",
		run:     runReport,
	})
}

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", stderr)
	maxDecompressedFlag(fs)
	out := fs.String("o", "out/report", "output directory (replaced atomically)")
	only := fs.String("traces", "", "comma-separated corpus traces to include (default: all)")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "replays run at once")
	costsPath := fs.String("costs", "", "cost file applied to every backend")
	force := fs.Bool("force", false, "replace -o DIR even if it is a non-empty directory that is not a lazybench report")
	allPNG := fs.Bool("png", false, "also write a PNG of every chart (by default only the main ones)")
	kernelName := kernelFlag(fs)
	unfitted := fs.Bool("unfitted", false, "replay arm64 with its default costs instead of the costs fitted to the published test_vmalloc figures")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("report takes no arguments (use -o DIR)")
	}
	kernel, err := parseKernel(*kernelName)
	if err != nil {
		return err
	}
	opt := report.Options{Dir: *out, Jobs: max(*jobs, 1), SpeedSizes: report.DefaultSpeedSizes, SpeedReps: 3, CostsPath: *costsPath, Kernel: kernel, AllPNG: *allPNG, Force: *force, Unfitted: *unfitted, Warn: stderr}
	if *only != "" {
		opt.Traces = splitList(*only)
	}
	if opt.Costs, err = loadCosts(*costsPath); err != nil {
		return err
	}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		opt.Progress = stderr
	}
	if err := report.CheckDir(opt.Dir, opt.Force); err != nil {
		return err
	}
	for _, name := range opt.Traces {
		if _, err := corpus.Lookup(name); err != nil {
			return usagef("%v", err)
		}
	}
	if err := report.Write(opt); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report written to %s\n", filepath.Join(opt.Dir, "index.html"))
	return nil
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
