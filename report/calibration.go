package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lazybench/lazybench/calibrate"
	"github.com/lazybench/lazybench/plots"
	"gonum.org/v1/plot"
)

func calibReport(dir string, page *reportPage, opt Options) error {
	t0 := time.Now()
	res, err := calibrate.Fit(calibrate.DefaultPoints(), calibrate.Options{Arch: "arm64", Costs: opt.Costs, Loops: opt.CalibLoops, Workers: opt.Jobs})
	if err != nil {
		return fmt.Errorf("report: calibration: %w", err)
	}
	f, err := saveChart(dir, "calibration", CalibrationChart(res), true, figure{Kind: "modeled vs published",
		Command: "lazybench calibrate --arch arm64 --plot calibration.svg --write-costs arm64-fitted.toml",
		Note:    "vmalloc workload generated per page count, replayed under upstream and none on arm64; published: " + calibrate.M2Source})
	if err != nil {
		return err
	}
	var toml bytes.Buffer
	if err := res.WriteCosts(&toml, calibrate.M2Source); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "arm64-fitted.toml"), toml.Bytes(), 0o644); err != nil {
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
		CostFile: "arm64-fitted.toml", Seconds: time.Since(t0).Round(time.Millisecond).String()}
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
