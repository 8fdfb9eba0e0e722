package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/lazybench/lazybench/calibrate"
	"github.com/lazybench/lazybench/internal/atomicfile"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/plots"
	"github.com/lazybench/lazybench/report"
	"gonum.org/v1/plot"
)

func init() {
	register(&command{
		name:    "calibrate",
		summary: "fit arm64 (or arm64-kpkeys) costs to published results (CSV to stdout)",
		run:     runCalibrate,
	})
}

// calibFlags are the flags of `lazybench calibrate`.
type calibFlags struct {
	published, writeCosts, plotPath, costsPath, anchor, without string
	anchorValue                                                 float64
	summary                                                     bool
	kernel                                                      string
}

// runCalibrate implements `lazybench calibrate --arch arm64|arm64-kpkeys
// [--published FILE.csv] [--write-costs FILE.toml] [--plot FILE.svg]`.
func runCalibrate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("calibrate", stderr)
	archName := fs.String("arch", "arm64", "backend to fit: arm64 (Apple M2 test_vmalloc) or arm64-kpkeys (Graviton3 kpkeys overheads; an unmerged series)")
	var cf calibFlags
	fs.StringVar(&cf.published, "published", "", "published points, CSV (arm64: header pages,change_pct; arm64-kpkeys: benchmark,pages,without_pct,with_pct; default: the embedded set)")
	fs.StringVar(&cf.without, "without", calibrate.WithoutUnbatched, "arm64-kpkeys: how the kernel without batching is replayed: unbatched (option batch=0 under upstream, the measured kernel) or none (the none strategy)")
	fs.StringVar(&cf.kernel, "kernel", lazymmu.DefaultKernel.String(), "arm64-kpkeys: kernel whose rules are replayed: "+strings.Join(kernelNames(), ", "))
	fs.StringVar(&cf.writeCosts, "write-costs", "", "write the fitted parameters as a cost file for replay --costs")
	fs.StringVar(&cf.plotPath, "plot", "", "draw modeled against published to this .svg or .png")
	fs.StringVar(&cf.costsPath, "costs", "", "starting cost file (parameters the fit does not determine keep these values)")
	fs.StringVar(&cf.anchor, "anchor", "", "parameter held fixed to set the absolute scale (default: arm64 the barrier pair, arm64-kpkeys isb_ns)")
	fs.Float64Var(&cf.anchorValue, "anchor-ns", 0, "value of the anchor parameter (default: its estimate)")
	fs.BoolVar(&cf.summary, "v", false, "also print the fitted terms and residuals to stderr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("calibrate takes no arguments")
	}
	if ext := strings.ToLower(filepath.Ext(cf.plotPath)); cf.plotPath != "" && ext != ".svg" && ext != ".png" {
		return usagef("calibrate: --plot %s: want a .svg or .png file", cf.plotPath)
	}
	switch *archName {
	case "arm64":
		return calibrateArm64(cf, stdout, stderr)
	case calibrate.KpkeysArch:
		return calibrateKpkeys(cf, stdout, stderr)
	}
	return usagef("calibrate: only --arch arm64 and --arch %s have published points to fit (got %q)", calibrate.KpkeysArch, *archName)
}

// calibrateArm64 fits arm64 to the Apple M2 test_vmalloc points.
func calibrateArm64(cf calibFlags, stdout, stderr io.Writer) error {
	pts, source, err := calibrate.PublishedPoints(cf.published)
	if err != nil {
		return err
	}
	opt := calibrate.Options{Arch: "arm64", Anchor: cf.anchor, AnchorValue: cf.anchorValue}
	if opt.Costs, err = loadCosts(cf.costsPath); err != nil {
		return err
	}
	res, err := calibrate.Fit(pts, opt)
	if err != nil {
		return err
	}
	// The files first: if one cannot be written, nothing goes to stdout.
	if err := writeCalibFiles(cf, func(w io.Writer) error { return res.WriteCosts(w, source) }, report.CalibrationChart(res)); err != nil {
		return err
	}
	if cf.summary {
		res.WriteSummary(stderr)
	}
	return res.WriteCSV(stdout)
}

// calibrateKpkeys fits arm64-kpkeys to the published kpkeys overheads.
func calibrateKpkeys(cf calibFlags, stdout, stderr io.Writer) error {
	pts, source, err := calibrate.PublishedKpkeysPoints(cf.published)
	if err != nil {
		return err
	}
	if cf.without != calibrate.WithoutUnbatched && cf.without != calibrate.WithoutNone {
		return usagef("calibrate: --without %q: want %s or %s", cf.without, calibrate.WithoutUnbatched, calibrate.WithoutNone)
	}
	kernel, err := parseKernel(cf.kernel)
	if err != nil {
		return err
	}
	opt := calibrate.KpkeysOptions{Anchor: cf.anchor, AnchorValue: cf.anchorValue, Without: cf.without, Kernel: kernel}
	if opt.Costs, err = loadCosts(cf.costsPath); err != nil {
		return err
	}
	res, err := calibrate.FitKpkeys(pts, opt)
	if err != nil {
		return err
	}
	if err := writeCalibFiles(cf, func(w io.Writer) error { return res.WriteCosts(w, source) }, report.KpkeysChart(res)); err != nil {
		return err
	}
	if cf.summary {
		res.WriteSummary(stderr)
	}
	return res.WriteCSV(stdout)
}

// writeCalibFiles writes --write-costs and --plot, if asked.
func writeCalibFiles(cf calibFlags, costs func(io.Writer) error, chart *plot.Plot) error {
	if cf.writeCosts != "" {
		if err := atomicfile.Write(cf.writeCosts, costs); err != nil {
			return fmt.Errorf("calibrate: --write-costs %s: %w", cf.writeCosts, err)
		}
	}
	if cf.plotPath != "" {
		if err := plots.Save(chart, 0, 0, cf.plotPath); err != nil {
			return fmt.Errorf("calibrate: --plot %s: %w", cf.plotPath, err)
		}
	}
	return nil
}
