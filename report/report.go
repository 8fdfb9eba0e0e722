// Package report builds lazybench's HTML report: it replays the embedded
// corpus under every arch and strategy, draws the charts, fits the arm64
// calibration, measures the replay speed and writes index.html.
package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/internal/archinfo"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/plots"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

// Options are the knobs of one report. The command sets them from flags;
// tests shrink them.
type Options struct {
	Dir        string              // output directory, replaced atomically
	Force      bool                // replace Dir even if it is not a report
	Traces     []string            // corpus names; nil = all
	Jobs       int                 // replays run at once
	Costs      arch.Costs          // applied to every backend; nil: defaults
	CostsPath  string              // where Costs came from, for the page
	SpeedSizes []int               // events of the replay-speed traces
	SpeedReps  int                 // runs per speed point (median taken)
	CalibLoops func(pages int) int // nil: calibrate's default loop counts
	// KpkeysMapPages is the fork and munmap mapping of the arm64-kpkeys
	// calibration, in pages (0: calibrate.GiBPages, the published 1 GB).
	KpkeysMapPages int
	Progress       io.Writer      // nil: no progress bar
	Warn           io.Writer      // page-size warnings (nil: none)
	AllPNG         bool           // also write a PNG of every chart
	Unfitted       bool           // replay arm64 without the fitted costs
	Kernel         lazymmu.Kernel // whose rules (zero: the newest)
}

// kernelArg is the --kernel flag that reproduces the report's kernel, empty
// for the default.
func (o *Options) kernelArg() string {
	if o.Kernel == lazymmu.DefaultKernel {
		return ""
	}
	return " --kernel " + o.Kernel.String()
}

// DefaultSpeedSizes are the trace sizes (events, approximately) of the
// replay-speed chart.
var DefaultSpeedSizes = []int{10_000, 30_000, 100_000, 300_000, 1_000_000}

// Write builds the whole report in a temporary directory next to opt.Dir
// and puts it in opt.Dir's place in one step (install), so that a failed,
// killed or panicking run leaves the previous report as it was. opt.Dir must
// pass CheckDir(opt.Dir, opt.Force).
func Write(opt Options) error {
	// Refuse before spending minutes on the report.
	if err := CheckDir(opt.Dir, opt.Force); err != nil {
		return err
	}
	tmp, err := makeTemp(opt.Dir)
	if err != nil {
		return err
	}
	done := false
	defer func() { // also when the build panics
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	if err := buildReport(tmp, opt); err != nil {
		return err
	}
	if err := install(tmp, opt.Dir); err != nil {
		return err
	}
	done = true
	return nil
}

func buildReport(dir string, opt Options) error {
	t0 := time.Now()
	bar := &progressBar{w: opt.Progress}
	entries, err := selectEntries(opt.Traces)
	if err != nil {
		return err
	}
	arches := arch.Names()
	page := &reportPage{
		Command:   reportCommand(opt),
		GoVersion: runtime.Version(),
		CPUs:      runtime.NumCPU(),
		Modeled:   Modeled,
	}

	// 1. Costs: arm64 fitted to the published points unless --unfitted.
	bar.start("calibrating arm64", 1)
	tc := time.Now()
	costing, err := Cost(CostOptions{Costs: opt.Costs, CostsPath: opt.CostsPath, Unfitted: opt.Unfitted, CalibLoops: opt.CalibLoops, Workers: opt.Jobs})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	bar.add(1)
	page.CostsNote = costing.Note

	// 2. Replay the corpus matrix.
	srcs := make([]matrix.Source, len(entries))
	for i := range entries {
		name := entries[i].Name
		srcs[i] = matrix.Source{Name: name, Open: func() (traces.Reader, io.Closer, error) { return corpus.Open(name) }}
	}
	bar.start("replaying corpus", len(srcs)*len(arches)*len(lazymmu.Strategies()))
	rp, err := Run(srcs, arches, replay.Config{Costs: costing.Costs, Kernel: opt.Kernel, KeepDists: true}, opt.Jobs, func() { bar.add(1) })
	if err != nil {
		return err
	}
	page.Replays = len(srcs) * len(arches) * len(lazymmu.Strategies())
	page.Strategies, page.NumArches = len(lazymmu.Strategies()), len(arches)
	page.Findings = findingGroups(Findings(rp))
	page.Warnings = mismatchLines(rp)
	if opt.Warn != nil {
		WarnPageSizes(opt.Warn, rp)
	}
	page.ByArch = byArchTables(rp)
	page.Promises = promiseRows(rp)
	page.Xen = xenRows(rp)
	page.S390 = s390Rows(rp)
	page.S390Title = archinfo.Title("s390")

	// 3. The overview charts and a page per trace.
	if err := overviewCharts(dir, page, rp, opt); err != nil {
		return err
	}
	if page.XenFigure, err = xenChart(dir, rp); err != nil {
		return err
	}
	if page.XenFigure != nil {
		page.Figures = append(page.Figures, *page.XenFigure)
	}
	bar.start("drawing trace pages", len(rp.Traces))
	links := make([]traceLink, len(rp.Traces))
	err = matrix.ParallelDo(len(rp.Traces), opt.Jobs, func(_, ti int) error {
		l, err := writeTracePage(dir, entries[ti], rp.Traces[ti], rp.Arches, opt)
		links[ti] = l
		bar.add(1)
		return err
	})
	if err != nil {
		return err
	}
	page.Traces = links
	for _, l := range links {
		page.TraceFigures += l.figures
	}

	// 4. Calibration, and arm64 without the fit one click away.
	if err := calibReport(dir, page, costing, opt, time.Since(tc)); err != nil {
		return err
	}
	if costing.Calib != nil {
		if err := unfittedPage(dir, page, srcs, rp, opt); err != nil {
			return err
		}
	}
	if _, ok := arch.Lookup("arm64-kpkeys"); ok {
		bar.start("calibrating arm64-kpkeys", 1)
		if err := kpkeysReport(dir, page, opt); err != nil {
			return err
		}
		bar.add(1)
		page.Figures = append(page.Figures, page.Kpkeys.Figure)
	}

	// 5. Replay speed (measured).
	bar.start("measuring replay speed", len(opt.SpeedSizes)*len(arches))
	if err := speedReport(dir, page, arches, opt, bar); err != nil {
		return err
	}
	page.Figures = append(page.Figures, page.Calib.Figure, page.Speed)
	page.Manifest = manifestRows(entries)
	page.Backends = backendsTable(arches)
	page.Elapsed = time.Since(t0).Round(time.Millisecond).String()
	return writeHTML(filepath.Join(dir, "index.html"), reportTemplate, page)
}

// selectEntries returns the corpus entries named (all for nil).
func selectEntries(names []string) ([]corpus.Entry, error) {
	entries, err := corpus.Manifest()
	if err != nil {
		return nil, err
	}
	if names != nil {
		entries = nil
		for _, name := range names {
			e, err := corpus.Lookup(name)
			if err != nil {
				return nil, err
			}
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("report: the embedded corpus is empty")
	}
	return entries, nil
}

// reportCommand is the command line that makes this report.
func reportCommand(opt Options) string {
	c := "lazybench report -o " + opt.Dir
	if opt.CostsPath != "" {
		c += " --costs " + opt.CostsPath
	}
	if opt.Unfitted {
		c += " --unfitted"
	}
	return c + opt.kernelArg()
}

// writeHTML executes t on data into path.
func writeHTML(path string, t *template.Template, data any) error {
	var html bytes.Buffer
	if err := t.Execute(&html, data); err != nil {
		return err
	}
	return os.WriteFile(path, html.Bytes(), 0o644)
}

// saveChart writes p as SVG (and PNG if png) under dir and returns the figure.
func saveChart(dir, base string, p *plot.Plot, png bool, f figure) (figure, error) {
	f.File = base + ".svg"
	if f.Title == "" {
		f.Title = p.Title.Text
	}
	if err := plots.Save(p, 0, 0, filepath.Join(dir, f.File)); err != nil {
		return f, err
	}
	if png {
		f.PNG = base + ".png"
		if err := plots.Save(p, 0, 0, filepath.Join(dir, f.PNG)); err != nil {
			return f, err
		}
	}
	return f, nil
}

func countsText(m map[string]uint64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", k, fmtInt(m[k])))
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

func formatParams(p map[string]int64) string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b []string
	for _, k := range keys {
		b = append(b, fmt.Sprintf("%s=%d", k, p[k]))
	}
	return strings.Join(b, ", ")
}
