package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"gonum.org/v1/plot"

	"github.com/lazybench/lazybench/calibrate"
	"github.com/lazybench/lazybench/plots"
)

// calibReport writes the calibration section: the fit the replays used
// (costing.Calib) or, with --unfitted, a fit made only to be shown.
func calibReport(dir string, page *reportPage, costing *Costing, opt Options, took time.Duration) error {
	t0 := time.Now()
	res, toml := costing.Calib, costing.FittedTOML
	if res == nil {
		var err error
		res, err = calibrate.Fit(calibrate.DefaultPoints(), calibrate.Options{Arch: "arm64", Costs: opt.Costs, Loops: opt.CalibLoops, Workers: opt.Jobs})
		if err != nil {
			return fmt.Errorf("report: calibration: %w", err)
		}
		var b bytes.Buffer
		if err := res.WriteCosts(&b, calibrate.M2Source); err != nil {
			return err
		}
		toml = b.Bytes()
		took = time.Since(t0)
	}
	f, err := saveChart(dir, "calibration", CalibrationChart(res), true, figure{Kind: "modeled vs published",
		Command: "lazybench calibrate --arch arm64 --plot calibration.svg --write-costs arm64-fitted.toml",
		Note:    "vmalloc workload generated per page count, replayed under upstream and none on arm64; published: " + calibrate.M2Source})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "arm64-fitted.toml"), toml, 0o644); err != nil {
		return err
	}
	var csv bytes.Buffer
	if err := res.WriteCSV(&csv); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "calibration.csv"), csv.Bytes(), 0o644); err != nil {
		return err
	}
	page.Calib = calibSection{Figure: f, Rows: res.Rows, Terms: res.Terms,
		RMS: fmt.Sprintf("%.2f", res.RMS), Max: fmt.Sprintf("%.2f", res.MaxAbs),
		Source: calibrate.M2Source, Linearity: fmt.Sprintf("%.3f", res.Linearity),
		CostFile: "arm64-fitted.toml", Seconds: took.Round(time.Millisecond).String(), Used: costing.Calib != nil}
	return nil
}

// CalibrationChart draws a fit's modeled curve against its published points.
func CalibrationChart(res *calibrate.Result) *plot.Plot {
	var pts []plots.CalibPoint
	for _, r := range res.Rows {
		pts = append(pts, plots.CalibPoint{Pages: r.Pages, Modeled: r.Modeled, Published: r.Published, HasPublished: r.HasPublished})
	}
	return plots.Calibration(fmt.Sprintf("%s vmalloc+vfree: modeled vs published change with batching (rms %.2f pp)", res.Arch, res.RMS), pts)
}

// kpkeysSection is the report's arm64-kpkeys calibration.
type kpkeysSection struct {
	Figure          figure
	Rows            []calibrate.KpkeysRow
	Terms           []calibrate.Term
	RMS, Max        string
	LOORMS, LOOMax  string
	Source          string
	Linearity       string
	CostFile        string
	Seconds         string
	P16, P256       calibrate.KpkeysRow // predicted sizes nobody published
	Without, Points string
}

// kpkeysReport fits arm64-kpkeys to the published kpkeys overheads (an
// unmerged series) and fills the section beside arm64's calibration.
func kpkeysReport(dir string, page *reportPage, opt Options) error {
	t0 := time.Now()
	res, err := calibrate.FitKpkeys(calibrate.DefaultKpkeysPoints(), calibrate.KpkeysOptions{Costs: opt.Costs, Loops: opt.CalibLoops,
		MapPages: opt.KpkeysMapPages, Kernel: opt.Kernel, Workers: opt.Jobs})
	if err != nil {
		return fmt.Errorf("report: kpkeys calibration: %w", err)
	}
	f, err := saveChart(dir, "calibration-kpkeys", KpkeysChart(res), true, figure{Kind: "modeled vs published",
		Command: "lazybench calibrate --arch arm64-kpkeys --plot calibration-kpkeys.svg --write-costs arm64-kpkeys-fitted.toml",
		Note:    "fork and munmap of a mapping and p-page vmalloc+vfree generated, replayed on arm64 (baseline) and arm64-kpkeys without and with batching; published: " + calibrate.KpkeysSource})
	if err != nil {
		return err
	}
	var toml, csv bytes.Buffer
	if err := res.WriteCosts(&toml, calibrate.KpkeysSource); err != nil {
		return err
	}
	if err := res.WriteCSV(&csv); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"arm64-kpkeys-fitted.toml": toml.Bytes(), "calibration-kpkeys.csv": csv.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	p16, _ := res.Row(calibrate.BenchAlloc, 16)
	p256, _ := res.Row(calibrate.BenchAlloc, 256)
	pp := func(v float64) string { return fmt.Sprintf("%.2f", v) }
	page.Kpkeys = kpkeysSection{Figure: f, Rows: res.Rows, Terms: res.Terms, RMS: pp(res.RMS), Max: pp(res.MaxAbs),
		LOORMS: pp(res.LOORMS), LOOMax: pp(res.LOOMax), Source: calibrate.KpkeysSource, Linearity: fmt.Sprintf("%.3f", res.Linearity),
		CostFile: "arm64-kpkeys-fitted.toml", Seconds: time.Since(t0).Round(time.Millisecond).String(),
		P16: p16, P256: p256, Without: res.Without, Points: fmt.Sprint(res.Points)}
	return nil
}

// KpkeysChart draws the kpkeys fit's modeled overheads against the
// published ones, with residuals.
func KpkeysChart(res *calibrate.KpkeysResult) *plot.Plot {
	var pts []plots.KpkeysPoint
	for _, r := range res.Rows {
		label := r.Benchmark
		if r.Benchmark == calibrate.BenchAlloc {
			label = fmt.Sprintf("p:%d", r.Pages)
		}
		if r.HasWithout {
			pts = append(pts, plots.KpkeysPoint{Label: label, Published: r.PublishedWithout, Modeled: r.ModeledWithout})
		}
		if r.HasWith {
			pts = append(pts, plots.KpkeysPoint{Label: label, With: true, Published: r.PublishedWith, Modeled: r.ModeledWith})
		}
	}
	return plots.KpkeysCalibration(fmt.Sprintf("%s (unmerged series): rms %.2f pp", calibrate.KpkeysArch, res.RMS), pts)
}
