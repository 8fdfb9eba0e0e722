// Package report builds lazybench's HTML report: it replays the embedded
// corpus under every arch and strategy, draws the charts, fits the arm64
// calibration, measures the replay speed and writes index.html.
package report

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/plot"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/corpus"
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
	Kernel     lazymmu.Kernel      // whose rules (zero: the newest, 7.3)
	SpeedSizes []int               // events of the replay-speed traces
	SpeedReps  int                 // runs per speed point (median taken)
	CalibLoops func(pages int) int // nil: calibrate's default loop counts
	// KpkeysMapPages is the fork and munmap mapping of the arm64-kpkeys
	// calibration, in pages (0: calibrate.GiBPages, the published 1 GB).
	KpkeysMapPages int
	Progress       io.Writer // nil: no progress bar
	AllPNG         bool      // also write a PNG of every chart
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
	entries, err := corpus.Manifest()
	if err != nil {
		return err
	}
	if opt.Traces != nil {
		var sel []corpus.Entry
		for _, name := range opt.Traces {
			e, err := corpus.Lookup(name)
			if err != nil {
				return err
			}
			sel = append(sel, e)
		}
		entries = sel
	}
	if len(entries) == 0 {
		return fmt.Errorf("report: the embedded corpus is empty")
	}
	arches := arch.Names()
	strats := lazymmu.Strategies()
	page := &reportPage{
		Command:   "lazybench report -o " + opt.Dir + opt.kernelArg(),
		Arches:    archTitles(arches),
		Columns:   metricTitles(),
		Backends:  backendRows(arches),
		GoVersion: runtime.Version(),
		CPUs:      runtime.NumCPU(),
		Manifest:  entries,
		CostsNote: "default costs of every backend (see docs/costs.md)",
		Kernel:    opt.Kernel.String(),
	}
	if opt.CostsPath != "" {
		page.CostsNote = "costs from " + opt.CostsPath
	}
	for _, s := range strats {
		page.Strats = append(page.Strats, s.String())
	}

	// 1. Replay the corpus matrix.
	srcs := make([]matrix.Source, len(entries))
	for i := range entries {
		name := entries[i].Name
		srcs[i] = matrix.Source{Name: name, Open: func() (traces.Reader, io.Closer, error) { return corpus.Open(name) }}
	}
	work := matrix.Jobs(len(entries), arches, strats)
	bar.start("replaying corpus", len(work))
	results, err := matrix.Run(srcs, work, replay.Config{Costs: opt.Costs, Kernel: opt.Kernel, KeepDists: true}, opt.Jobs, func() { bar.add(1) })
	if err != nil {
		return err
	}
	page.Replays = len(work)

	// 2. Charts and tables per trace.
	byTrace := make([][]*replay.Result, len(entries))
	for i, j := range work {
		byTrace[j.Trace] = append(byTrace[j.Trace], results[i])
	}
	bar.start("drawing charts", len(entries))
	var figs []figure
	secs := make([]traceSection, len(entries))
	var mu sync.Mutex
	drawErr := matrix.ParallelDo(len(entries), opt.Jobs, func(_, ti int) error {
		sec, err := traceReport(dir, entries[ti], byTrace[ti], arches, opt)
		if err != nil {
			return err
		}
		mu.Lock()
		secs[ti] = sec
		mu.Unlock()
		bar.add(1)
		return nil
	})
	if drawErr != nil {
		return drawErr
	}
	page.Traces = secs
	for ti, sec := range secs {
		figs = append(figs, sec.Figures...)
		figs = append(figs, sec.CDFs...)
		row := overviewRow{Trace: entries[ti].Name}
		for _, a := range arches {
			row.Cells = append(row.Cells, overviewCell(byTrace[ti], a))
		}
		page.Overview = append(page.Overview, row)
		row2 := overviewRow{Trace: entries[ti].Name}
		for _, a := range arches {
			row2.Cells = append(row2.Cells, timeCell(byTrace[ti], a))
		}
		page.Overview2 = append(page.Overview2, row2)
	}

	// 3. Calibration.
	bar.start("calibrating arm64", 1)
	if err := calibReport(dir, page, opt); err != nil {
		return err
	}
	bar.add(1)
	figs = append(figs, page.Calib.Figure)
	bar.start("calibrating arm64-kpkeys", 1)
	if err := kpkeysReport(dir, page, opt); err != nil {
		return err
	}
	bar.add(1)
	figs = append(figs, page.Kpkeys.Figure)

	// 4. Replay speed (measured).
	bar.start("measuring replay speed", len(opt.SpeedSizes)*len(arches))
	if err := speedReport(dir, page, arches, opt, bar); err != nil {
		return err
	}
	figs = append(figs, page.Speed)

	page.Figures = figs
	page.Elapsed = time.Since(t0).Round(time.Millisecond).String()
	var html bytes.Buffer
	if err := reportTemplate.Execute(&html, page); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "index.html"), html.Bytes(), 0o644)
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

func traceReport(dir string, e corpus.Entry, rs []*replay.Result, arches []string, opt Options) (traceSection, error) {
	sec := traceSection{Name: e.Name, Entry: e, Params: formatParams(e.Params)}
	ps, err := pageSize(e.Name)
	if err != nil {
		return sec, err
	}
	sec.PageNote = pageNote(ps, arches)
	costs := opt.kernelArg()
	if opt.CostsPath != "" {
		costs += " --costs " + opt.CostsPath
	}
	cmp := "lazybench compare --trace corpus:" + e.Name + costs
	ideal := map[string]*replay.Result{}
	for _, r := range rs {
		if r.Strategy == "ideal" {
			ideal[r.Arch] = r
		}
	}
	for _, r := range rs {
		sec.Rows = append(sec.Rows, resultRow{
			Arch: arch.Title(r.Arch), Strategy: r.Strategy,
			Cells:      metricCells(r),
			VsIdeal:    ratioText(plots.MainRatio(r, ideal[r.Arch])),
			Violations: countsText(r.Violations),
			Hazards:    countsText(r.Hazards),
			Bad:        r.ViolationTotal()+r.HazardTotal() > 0,
		})
	}
	base := "trace-" + e.Name
	add := func(name string, p *plot.Plot, png bool, f figure) error {
		f.Kind = "modeled"
		if f.Command == "" {
			f.Command = cmp
		}
		fig, err := saveChart(dir, base+"-"+name, p, png || opt.AllPNG, f)
		if err != nil {
			return err
		}
		sec.Figures = append(sec.Figures, fig)
		return nil
	}
	if err := add("throughput", plots.Throughput(e.Name, rs), true, figure{Note: "PTE updates / (modeled_ns / 1e9), every arch x strategy"}); err != nil {
		return sec, err
	}
	if err := add("main-vs-ideal", plots.MainCounterRatio(e.Name, rs), false, figure{Note: "arch_ops[main_counter] / the same under ideal; missing bars: ideal count 0 (see the table)"}); err != nil {
		return sec, err
	}
	if err := add("section-box", plots.Boxes(e.Name, rs, plots.SectionLatency), false, figure{Note: "section_ns: outermost enable to its disable; type-7 percentiles of replay.Dist"}); err != nil {
		return sec, err
	}
	if err := add("deferral-box", plots.Boxes(e.Name, rs, plots.DeferralTime), false, figure{Note: "deferred_ns: from an update's deferral to the drain that made it take effect; type-7 percentiles"}); err != nil {
		return sec, err
	}
	if err := add("batches", plots.BatchHistogram(e.Name, "upstream", rs), false, figure{Note: "Result.Batches under upstream, folded into power-of-two bins"}); err != nil {
		return sec, err
	}
	for _, a := range arches {
		for _, w := range []plots.Which{plots.SectionLatency, plots.DeferralTime} {
			if !hasSamples(rs, a, w) {
				continue
			}
			name := fmt.Sprintf("cdf-%s-%s", strings.ReplaceAll(w.String(), " ", "-"), a)
			p := plots.CDF(e.Name, a, rs, w)
			f, err := saveChart(dir, base+"-"+name, p, opt.AllPNG, figure{Kind: "modeled",
				Command: fmt.Sprintf("lazybench compare --trace corpus:%s --arch %s%s", e.Name, a, costs),
				Note:    "type-7 quantiles at 400 evenly spaced probabilities; strategies with identical distributions draw over each other (the table tells them apart)"})
			if err != nil {
				return sec, err
			}
			sec.CDFs = append(sec.CDFs, f)
		}
	}
	return sec, nil
}

func hasSamples(rs []*replay.Result, a string, w plots.Which) bool {
	for _, r := range rs {
		if r.Arch != a {
			continue
		}
		d := r.Section
		if w == plots.DeferralTime {
			d = r.Deferred
		}
		if d != nil && d.Count() > 0 {
			return true
		}
	}
	return false
}

// overviewCell summarises one trace on one arch: the main counter under
// upstream and its ratio to ideal.
func overviewCell(rs []*replay.Result, a string) string {
	var up, id *replay.Result
	for _, r := range rs {
		if r.Arch == a && r.Strategy == "upstream" {
			up = r
		}
		if r.Arch == a && r.Strategy == "ideal" {
			id = r
		}
	}
	if up == nil {
		return "-"
	}
	if up.Main == "" {
		return "no counter"
	}
	return fmt.Sprintf("%d %s (%s)", up.MainValue(), up.Main, ratioText(plots.MainRatio(up, id)))
}

// timeCell summarises one trace on one arch: modeled ns under upstream, as a
// ratio to none (what batching saves) and to ideal (what is left to gain).
func timeCell(rs []*replay.Result, a string) string {
	get := func(s string) *replay.Result {
		for _, r := range rs {
			if r.Arch == a && r.Strategy == s {
				return r
			}
		}
		return nil
	}
	up, none, ideal := get("upstream"), get("none"), get("ideal")
	if up == nil {
		return "-"
	}
	m := replay.MetricByKey("modeled_ns")
	ratio := func(b *replay.Result) string {
		v, ok := m.RatioTo(up, b)
		if !ok {
			return "n/a"
		}
		return ratioText(v)
	}
	return fmt.Sprintf("%s ns (%s none, %s ideal)", plots.FormatNum(math.Round(up.ModeledNs)), ratio(none), ratio(ideal))
}

func ratioText(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", v)
}

func countsText(m map[string]uint64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, " ")
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
	return strings.Join(b, ",")
}

// archTitles returns the backends' titles (arch.Title: a proposal's carries
// its label), for headers.
func archTitles(names []string) []string {
	t := make([]string, len(names))
	for i, n := range names {
		t[i] = arch.Title(n)
	}
	return t
}

// metricTitles returns the headings of the result tables' metric columns.
func metricTitles() []string {
	t := make([]string, len(replay.Metrics))
	for i, m := range replay.Metrics {
		t[i] = m.Title
	}
	return t
}

// metricCells formats every metric of r (replay.Metrics) for the result
// tables: counts and times (whole ns) compactly, rates with a k/M/G suffix, the main
// counter with its name.
func metricCells(r *replay.Result) []string {
	c := make([]string, len(replay.Metrics))
	for i, m := range replay.Metrics {
		v := m.Value(r)
		switch {
		case m.Kind == replay.Rate:
			c[i] = m.Format(v)
		case m.Kind == replay.NS:
			c[i] = plots.FormatNum(math.Round(v))
		case m.Main && r.Main == "":
			c[i] = "-"
		case m.Main:
			c[i] = plots.FormatNum(v) + " " + r.Main
		default:
			c[i] = plots.FormatNum(v)
		}
	}
	return c
}

// backendRows describes the backends named names from their arch.Info.
func backendRows(names []string) []backendRow {
	var rows []backendRow
	for _, n := range names {
		info, ok := arch.Lookup(n)
		if !ok {
			continue
		}
		var counters, pages []string
		for _, c := range info.Counters {
			counters = append(counters, c.String())
		}
		for _, s := range info.PageShifts {
			pages = append(pages, fmt.Sprintf("%dK", 1<<s>>10))
		}
		rows = append(rows, backendRow{Title: info.Title(), Doc: info.Doc, Main: cmp.Or(info.MainName(), "-"),
			Counters: cmp.Or(strings.Join(counters, ", "), "-"), Pages: strings.Join(pages, ", "),
			Source: info.Source, Proposal: info.Proposal})
	}
	return rows
}

// pageSize returns the base page size the corpus trace name's header gives
// (0: not given).
func pageSize(name string) (uint32, error) {
	r, c, err := corpus.Open(name)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return r.Meta().PageSize, nil
}

// pageNote names the backends (of names) whose kernels have no base page of
// ps bytes (arch.Info.PageShifts), whose figures replay the trace's pages
// as given; "" if there are none or ps is not known.
func pageNote(ps uint32, names []string) string {
	var odd []string
	for _, n := range names {
		info, ok := arch.Lookup(n)
		if ok && ps != 0 && !slices.ContainsFunc(info.PageShifts, func(s uint8) bool { return 1<<s == ps }) {
			odd = append(odd, n)
		}
	}
	if len(odd) == 0 {
		return ""
	}
	return fmt.Sprintf("Its %dK pages are not a base page size of %s (see the backends table): those figures replay its pages as they are.", ps>>10, strings.Join(odd, ", "))
}
