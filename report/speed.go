package report

import (
	"bytes"
	"fmt"
	"runtime"
	"time"

	"github.com/montanaflynn/stats"

	"github.com/lazybench/lazybench/internal/archinfo"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/plots"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
	"github.com/lazybench/lazybench/workload"
)

// speedReport measures the replay engine's own speed (wall clock) on vmalloc
// traces of several sizes, decoded from the binary format each time, on each
// arch under upstream: the median of opt.SpeedReps runs.
func speedReport(dir string, page *reportPage, arches []string, opt Options, bar *progressBar) error {
	var pts []plots.SpeedPoint
	for _, size := range opt.SpeedSizes {
		const pages = 64
		// A vmalloc call of 64 pages is about 2*64+6 events.
		loops := max(1, size/(2*pages+6))
		var buf bytes.Buffer
		w, err := traces.NewWriter(&buf, traces.FormatBinary, traces.Meta{Workload: "vmalloc"})
		if err != nil {
			return err
		}
		if _, err := workload.Vmalloc(workload.VmallocParams{Pages: pages, Loops: loops}, w); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
		data := buf.Bytes()
		for _, a := range arches {
			e, err := replay.New(replay.Config{Arch: a, Costs: opt.Costs, Strategy: lazymmu.Upstream, Kernel: opt.Kernel})
			if err != nil {
				return err
			}
			var times []float64
			var events uint64
			for rep := 0; rep < max(1, opt.SpeedReps); rep++ {
				r, err := traces.NewBytesReader(data, "speed")
				if err != nil {
					return err
				}
				t0 := time.Now()
				res, err := e.Run(r)
				if err != nil {
					return err
				}
				times = append(times, time.Since(t0).Seconds())
				events = res.Events
			}
			sec, _ := stats.Median(times)
			pt := plots.SpeedPoint{Arch: a, Events: events, Seconds: sec}
			pts = append(pts, pt)
			page.SpeedRows = append(page.SpeedRows, speedRow{Arch: archinfo.Title(a), Events: fmtInt(events),
				Seconds: fmtSig(sec), Rate: fmtSig(pt.EventsPerSecond() / 1e6)})
			bar.add(1)
		}
	}
	f, err := saveChart(dir, "replay-speed", plots.ReplaySpeed(
		fmt.Sprintf("Replay engine speed (MEASURED, wall clock, %s, %d CPUs)", runtime.Version(), runtime.NumCPU()), pts), true,
		figure{Kind: "MEASURED",
			Command: "lazybench report (speed section); go test -bench . ./bench/ for benchstat-grade numbers",
			Note:    fmt.Sprintf("vmalloc pages=64 traces decoded from the binary format and replayed under upstream; median of %d runs; one engine per arch, reused", max(1, opt.SpeedReps))})
	if err != nil {
		return err
	}
	page.Speed = f
	return nil
}
