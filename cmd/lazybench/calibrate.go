package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/lazybench/lazybench/calibrate"
	"github.com/lazybench/lazybench/internal/atomicfile"
	"github.com/lazybench/lazybench/plots"
	"github.com/lazybench/lazybench/report"
)

func init() {
	register(&command{
		name:    "calibrate",
		summary: "fit the arm64 cost model to published test_vmalloc results (CSV to stdout)",
		run:     runCalibrate,
	})
}

// runCalibrate implements `lazybench calibrate --arch arm64 [--published
// FILE.csv] [--write-costs FILE.toml] [--plot FILE.svg]`.
func runCalibrate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("calibrate", stderr)
	archName := fs.String("arch", "arm64", "backend to fit (the published points are for arm64)")
	published := fs.String("published", "", "published points, CSV with header pages,change_pct (default: the embedded Apple M2 set)")
	writeCosts := fs.String("write-costs", "", "write the fitted parameters as a cost file for replay --costs")
	plotPath := fs.String("plot", "", "draw modeled against published to this .svg or .png")
	costsPath := fs.String("costs", "", "starting cost file (parameters the fit does not determine keep these values)")
	anchor := fs.String("anchor", "", "parameter held fixed to set the absolute scale (default: the barrier pair)")
	anchorValue := fs.Float64("anchor-ns", 0, "value of the anchor parameter (default: its estimate)")
	summary := fs.Bool("v", false, "also print the fitted terms and residuals to stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("calibrate takes no arguments")
	}
	if ext := strings.ToLower(filepath.Ext(*plotPath)); *plotPath != "" && ext != ".svg" && ext != ".png" {
		return usagef("calibrate: --plot %s: want a .svg or .png file", *plotPath)
	}
	if *archName != "arm64" {
		return usagef("calibrate: only --arch arm64 has published points to fit (got %q)", *archName)
	}
	pts, source := calibrate.DefaultPoints(), calibrate.M2Source
	if *published != "" {
		var err error
		if pts, err = calibrate.LoadPoints(*published); err != nil {
			return err
		}
		source = *published
	}
	opt := calibrate.Options{Arch: *archName, Anchor: *anchor, AnchorValue: *anchorValue}
	if *costsPath != "" {
		c, err := loadCosts(*costsPath)
		if err != nil {
			return err
		}
		opt.Costs = c
	}
	res, err := calibrate.Fit(pts, opt)
	if err != nil {
		return err
	}
	// The files first: if one cannot be written, nothing goes to stdout.
	if *writeCosts != "" {
		if err := atomicfile.Write(*writeCosts, func(w io.Writer) error { return res.WriteCosts(w, source) }); err != nil {
			return fmt.Errorf("calibrate: --write-costs %s: %w", *writeCosts, err)
		}
	}
	if *plotPath != "" {
		if err := plots.Save(report.CalibrationChart(res), 0, 0, *plotPath); err != nil {
			return fmt.Errorf("calibrate: --plot %s: %w", *plotPath, err)
		}
	}
	if *summary {
		writeCalibSummary(stderr, res)
	}
	return res.WriteCSV(stdout)
}

func writeCalibSummary(w io.Writer, res *calibrate.Result) {
	fmt.Fprintf(w, "fit: rms %.2f, max %.2f percentage points over %d points; %d replays; linearity check %.2g pp\n",
		res.RMS, res.MaxAbs, len(res.Points), res.Replays, res.Linearity)
	for _, t := range res.Terms {
		kind := res.Arch
		if t.Work {
			kind = "vmalloc"
		}
		fmt.Fprintf(w, "  %-8s %-18s %10.4g %-8s (start %g) %s\n", kind, t.Name, t.Value, t.Unit, t.Start, t.Status)
	}
}
