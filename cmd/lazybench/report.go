package main

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/plot"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/calibrate"
	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/plots"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
	"github.com/lazybench/lazybench/workload"
)

func init() {
	register(&command{
		name:    "report",
		summary: "replay the embedded corpus on every arch and strategy; write charts and index.html",
		run:     runReport,
	})
}

// reportOptions are the knobs of one report. The command sets them from flags;
// tests shrink them.
type reportOptions struct {
	dir        string
	traces     []string // corpus names; nil = all
	jobs       int
	costs      arch.Costs
	costsPath  string
	speedSizes []int // events of the replay-speed traces
	speedReps  int
	calibLoops func(pages int) int
	progress   io.Writer // nil: no progress bar
	allPNG     bool      // also write a PNG of every chart
}

// defaultSpeedSizes are the trace sizes (events, approximately) of the
// replay-speed chart.
var defaultSpeedSizes = []int{10_000, 30_000, 100_000, 300_000, 1_000_000}

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", stderr)
	out := fs.String("o", "out/report", "output directory (replaced atomically)")
	only := fs.String("traces", "", "comma-separated corpus traces to include (default: all)")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "replays run at once")
	costsPath := fs.String("costs", "", "cost file applied to every backend")
	allPNG := fs.Bool("png", false, "also write a PNG of every chart (by default only the main ones)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("report takes no arguments (use -o DIR)")
	}
	opt := reportOptions{dir: *out, jobs: max(*jobs, 1), speedSizes: defaultSpeedSizes, speedReps: 3, costsPath: *costsPath, allPNG: *allPNG}
	if *only != "" {
		opt.traces = splitList(*only)
	}
	var err error
	if opt.costs, err = loadCosts(*costsPath); err != nil {
		return err
	}
	if f, ok := stderr.(*os.File); ok && isTerminal(f) {
		opt.progress = stderr
	}
	if err := writeReport(opt); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report written to %s\n", filepath.Join(opt.dir, "index.html"))
	return nil
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// progressBar draws "label [#####.....] n/total" on a terminal.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	n     int
	total int
}

func (p *progressBar) start(label string, total int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.label, p.n, p.total = label, 0, total
	p.mu.Unlock()
	p.add(0)
}

func (p *progressBar) add(k int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += k
	const width = 30
	fill := 0
	if p.total > 0 {
		fill = p.n * width / p.total
	}
	fmt.Fprintf(p.w, "\r%-24s [%s%s] %d/%d", p.label, strings.Repeat("#", fill), strings.Repeat(".", width-fill), p.n, p.total)
	if p.n >= p.total {
		fmt.Fprintln(p.w)
	}
}

// writeReport builds the whole report in a temporary directory next to
// opt.dir and renames it into place, so that a failed run leaves the previous
// report as it was.
func writeReport(opt reportOptions) (err error) {
	// Refuse a non-directory before spending minutes on the report.
	if st, statErr := os.Stat(opt.dir); statErr == nil && !st.IsDir() {
		return fmt.Errorf("report: %s exists and is not a directory", opt.dir)
	}
	parent := filepath.Dir(filepath.Clean(opt.dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(opt.dir)+".tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err = buildReport(tmp, opt); err != nil {
		return err
	}
	// Swap: move the old report aside, move the new one in, drop the old.
	old := ""
	if st, statErr := os.Stat(opt.dir); statErr == nil {
		if !st.IsDir() {
			return fmt.Errorf("report: %s exists and is not a directory", opt.dir)
		}
		old = tmp + ".old"
		if err = os.Rename(opt.dir, old); err != nil {
			return err
		}
	}
	if err = os.Rename(tmp, opt.dir); err != nil {
		if old != "" {
			os.Rename(old, opt.dir)
		}
		return err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// figure is one chart of the report and how it was made.
type figure struct {
	File    string // SVG, relative to the report directory
	PNG     string // optional PNG version
	Title   string
	Kind    string // "modeled" or "MEASURED"
	Command string // how to reproduce the numbers behind it
	Note    string
}

type resultRow struct {
	Arch, Strategy             string
	ModeledNs, UpdatesPerSec   string
	Main, MainValue, VsIdeal   string
	Flushes, Batched, Sections string
	SecP50, SecP99, DefP50     string
	DefP99, Violations         string
	Hazards                    string
	Bad                        bool // violations or hazards
}

type traceSection struct {
	Name     string
	Entry    corpus.Entry
	Params   string
	Rows     []resultRow
	Figures  []figure
	CDFs     []figure
	Failures []string
}

type calibSection struct {
	Figure    figure
	Rows      []calibrate.Row
	Terms     []calibrate.Term
	RMS, Max  string
	Source    string
	Linearity string
	CostFile  string
	Seconds   string
}

type overviewRow struct {
	Trace string
	Cells []string
}

type reportPage struct {
	Command   string
	Arches    []string
	Strats    []string
	Overview  []overviewRow
	Overview2 []overviewRow
	Calib     calibSection
	Traces    []traceSection
	Speed     figure
	SpeedRows []speedRow
	Manifest  []corpus.Entry
	Figures   []figure
	Elapsed   string
	Replays   int
	GoVersion string
	CPUs      int
	CostsNote string
}

type speedRow struct {
	Arch, Events, Seconds, Rate string
}

func buildReport(dir string, opt reportOptions) error {
	t0 := time.Now()
	bar := &progressBar{w: opt.progress}
	entries, err := corpus.Manifest()
	if err != nil {
		return err
	}
	if opt.traces != nil {
		var sel []corpus.Entry
		for _, name := range opt.traces {
			e, err := corpus.Lookup(name)
			if err != nil {
				return usagef("%v", err)
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
		Command:   "lazybench report -o " + opt.dir,
		Arches:    arches,
		GoVersion: runtime.Version(),
		CPUs:      runtime.NumCPU(),
		Manifest:  entries,
		CostsNote: "default costs of every backend (see docs/costs.md)",
	}
	if opt.costsPath != "" {
		page.CostsNote = "costs from " + opt.costsPath
	}
	for _, s := range strats {
		page.Strats = append(page.Strats, s.String())
	}

	// 1. Replay the corpus matrix.
	srcs := make([]traceSource, len(entries))
	for i := range entries {
		name := entries[i].Name
		srcs[i] = traceSource{name: name, open: func() (traces.Reader, io.Closer, error) { return corpus.Open(name) }}
	}
	work := jobMatrix(len(entries), arches, strats)
	bar.start("replaying corpus", len(work))
	results, err := runJobs(srcs, work, replay.Config{Costs: opt.costs, KeepDists: true}, opt.jobs, func() { bar.add(1) })
	if err != nil {
		return err
	}
	page.Replays = len(work)

	// 2. Charts and tables per trace.
	byTrace := make([][]*replay.Result, len(entries))
	for i, j := range work {
		byTrace[j.trace] = append(byTrace[j.trace], results[i])
	}
	bar.start("drawing charts", len(entries))
	var figs []figure
	secs := make([]traceSection, len(entries))
	var mu sync.Mutex
	drawErr := parallelDo(len(entries), opt.jobs, func(_, ti int) error {
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

	// 4. Replay speed (measured).
	bar.start("measuring replay speed", len(opt.speedSizes)*len(arches))
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

func traceReport(dir string, e corpus.Entry, rs []*replay.Result, arches []string, opt reportOptions) (traceSection, error) {
	sec := traceSection{Name: e.Name, Entry: e, Params: formatParams(e.Params)}
	costs := ""
	if opt.costsPath != "" {
		costs = " --costs " + opt.costsPath
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
			Arch: r.Arch, Strategy: r.Strategy,
			ModeledNs:     plots.FormatNum(math.Round(r.ModeledNs)),
			UpdatesPerSec: fmtRate(plots.UpdatesPerSecond(r)),
			Main:          r.Main, MainValue: fmt.Sprint(r.MainValue()),
			VsIdeal:    fmtRatio(plots.MainRatio(r, ideal[r.Arch])),
			Flushes:    fmt.Sprint(r.Flushes),
			Batched:    fmt.Sprintf("%d / %d", r.Batched, r.Updates),
			Sections:   fmt.Sprint(r.Sections),
			SecP50:     plots.FormatNum(r.SectionNs.P50),
			SecP99:     plots.FormatNum(r.SectionNs.P99),
			DefP50:     plots.FormatNum(r.DeferredNs.P50),
			DefP99:     plots.FormatNum(r.DeferredNs.P99),
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
		fig, err := saveChart(dir, base+"-"+name, p, png || opt.allPNG, f)
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
			f, err := saveChart(dir, base+"-"+name, p, opt.allPNG, figure{Kind: "modeled",
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
	return fmt.Sprintf("%d %s (%s)", up.MainValue(), up.Main, fmtRatio(plots.MainRatio(up, id)))
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
	ratio := func(b *replay.Result) string {
		if b == nil || b.ModeledNs == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2fx", up.ModeledNs/b.ModeledNs)
	}
	return fmt.Sprintf("%s ns (%s none, %s ideal)", plots.FormatNum(math.Round(up.ModeledNs)), ratio(none), ratio(ideal))
}

func fmtRatio(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", v)
}

func fmtRate(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.2fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func countsText(m map[string]uint64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
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

func calibReport(dir string, page *reportPage, opt reportOptions) error {
	t0 := time.Now()
	res, err := calibrate.Fit(calibrate.DefaultPoints(), calibrate.Options{Arch: "arm64", Costs: opt.costs, Loops: opt.calibLoops, Workers: opt.jobs})
	if err != nil {
		return fmt.Errorf("report: calibration: %w", err)
	}
	f, err := saveChart(dir, "calibration", calibrationChart(res), true, figure{Kind: "modeled vs published",
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

// speedReport measures the replay engine's own speed (wall clock) on vmalloc
// traces of several sizes, decoded from the binary format each time, on each
// arch under upstream: the median of opt.speedReps runs.
func speedReport(dir string, page *reportPage, arches []string, opt reportOptions, bar *progressBar) error {
	var pts []plots.SpeedPoint
	for _, size := range opt.speedSizes {
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
			e, err := replay.New(replay.Config{Arch: a, Costs: opt.costs, Strategy: lazymmu.Upstream})
			if err != nil {
				return err
			}
			var times []float64
			var events uint64
			for rep := 0; rep < max(1, opt.speedReps); rep++ {
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
			sort.Float64s(times)
			sec := replay.Type7(times, 0.5)
			pt := plots.SpeedPoint{Arch: a, Events: events, Seconds: sec}
			pts = append(pts, pt)
			page.SpeedRows = append(page.SpeedRows, speedRow{Arch: a, Events: fmt.Sprint(events),
				Seconds: fmt.Sprintf("%.4f", sec), Rate: fmtRate(pt.EventsPerSecond())})
			bar.add(1)
		}
	}
	f, err := saveChart(dir, "replay-speed", plots.ReplaySpeed(
		fmt.Sprintf("Replay engine speed (MEASURED, wall clock, %s, %d CPUs)", runtime.Version(), runtime.NumCPU()), pts), true,
		figure{Kind: "MEASURED",
			Command: "lazybench report (speed section); go test -bench . ./bench/ for benchstat-grade numbers",
			Note:    fmt.Sprintf("vmalloc pages=64 traces decoded from the binary format and replayed under upstream; median of %d runs; one engine per arch, reused", max(1, opt.speedReps))})
	if err != nil {
		return err
	}
	page.Speed = f
	return nil
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"sub": func(a, b float64) float64 { return a - b },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>lazybench report</title>
<style>
body{font-family:sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right;white-space:nowrap}
td.w{white-space:normal;text-align:left;min-width:20em}
th{background:#f3f3f3}td.l,th.l{text-align:left}
tr.bad td{background:#fff1f0}
img{max-width:100%;border:1px solid #eee;margin:.3em 0}
.fig{margin:1em 0}.cap{font-size:.85em;color:#555}
code{background:#f5f5f5;padding:0 .2em}
.tag{font-size:.75em;padding:0 .4em;border-radius:3px;background:#e8f0fe}
.meas{background:#fde8d8}
details{margin:.5em 0}nav a{margin-right:.6em}
</style></head><body>
<h1>lazybench report</h1>
<p>Made by <code>{{.Command}}</code> in {{.Elapsed}} ({{.Replays}} replays of the embedded corpus, {{.GoVersion}}, {{.CPUs}} CPUs; {{.CostsNote}}).
Every figure below is <b>modeled</b> (a cost model applied to the trace, not a measurement) unless it is marked <b>MEASURED</b>.
Times are modeled ns of arch work (<code>modeled_ns</code>); throughput is PTE updates per modeled second.</p>
<nav><a href="#overview">overview</a><a href="#calibration">calibration</a>{{range .Traces}}<a href="#t-{{.Name}}">{{.Name}}</a>{{end}}<a href="#speed">replay speed</a><a href="#corpus">corpus</a><a href="#figures">how figures were made</a></nav>

<h2 id="overview">Overview: each arch's main counter under upstream, modeled (ratio to ideal)</h2>
<table><tr><th class="l">trace</th>{{range .Arches}}<th>{{.}}</th>{{end}}</tr>
{{range .Overview}}<tr><td class="l"><a href="#t-{{.Trace}}">{{.Trace}}</a></td>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>

<h3>Modeled arch time under upstream (ratio to none: what batching saves; to ideal: what is left)</h3>
<table><tr><th class="l">trace</th>{{range .Arches}}<th>{{.}}</th>{{end}}</tr>
{{range .Overview2}}<tr><td class="l"><a href="#t-{{.Trace}}">{{.Trace}}</a></td>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>

<h2 id="calibration">Calibration: arm64 against published test_vmalloc results</h2>
<p>Published: {{.Calib.Source}}. The vmalloc workload (p-page vmalloc + vfree in a loop) is generated for each p and replayed on arm64 under
<code>upstream</code> and <code>none</code>; the cost parameters and the workload's work terms are fitted so that the modeled change
(T_upstream − T_none) / T_none matches the published points in least squares. Residuals: rms {{.Calib.RMS}}, max {{.Calib.Max}} percentage points.
The scale is set by the anchor parameter (see the table); fitted costs: <a href="{{.Calib.CostFile}}">{{.Calib.CostFile}}</a> (usable with <code>--costs</code>), table: <a href="calibration.csv">calibration.csv</a>.</p>
<div class="fig"><img src="{{.Calib.Figure.File}}" alt="calibration chart"></div>
<table><tr><th>pages</th><th>published %</th><th>modeled %</th><th>modeled − published</th></tr>
{{range .Calib.Rows}}<tr><td>{{.Pages}}</td><td>{{if .HasPublished}}{{printf "%.2f" .Published}}{{end}}</td><td>{{printf "%.2f" .Modeled}}</td><td>{{if .HasPublished}}{{printf "%+.2f" (sub .Modeled .Published)}}{{end}}</td></tr>
{{end}}</table>
<table><tr><th class="l">term</th><th>value</th><th>start</th><th class="l">unit</th><th class="l">status</th></tr>
{{range .Calib.Terms}}<tr><td class="l">{{.Name}}{{if .Work}} (workload){{end}}</td><td>{{printf "%.4g" .Value}}</td><td>{{printf "%.4g" .Start}}</td><td class="l">{{.Unit}}</td><td class="w">{{.Status}}</td></tr>
{{end}}</table>
<p class="cap">Linearity check: the direct replay with the fitted values differs from the linear model the fit used by at most {{.Calib.Linearity}} pp (work terms are rounded to whole ns). Took {{.Calib.Seconds}}.</p>

{{range .Traces}}
<h2 id="t-{{.Name}}">Trace {{.Name}}</h2>
<p>{{.Entry.Description}} — {{.Entry.Kind}}, workload <code>{{.Entry.Workload}}</code>, {{.Entry.Events}} events{{if .Params}}, parameters <code>{{.Params}}</code>{{end}}.</p>
{{range .Figures}}<div class="fig"><img src="{{.File}}" alt="{{.Title}}"><div class="cap"><span class="tag">{{.Kind}}</span> {{.Note}}</div></div>
{{end}}
{{if .CDFs}}<details><summary>CDFs per arch ({{len .CDFs}} charts)</summary>
{{range .CDFs}}<div class="fig"><img src="{{.File}}" alt="{{.Title}}" loading="lazy"></div>{{end}}
</details>{{end}}
<table><tr><th class="l">arch</th><th class="l">strategy</th><th>modeled ns</th><th>modeled updates/s</th><th class="l">main counter</th><th>count</th><th>vs ideal</th><th>flushes</th><th>batched / updates</th><th>sections</th><th>modeled section p50, ns</th><th>modeled section p99, ns</th><th>modeled deferred p50, ns</th><th>modeled deferred p99, ns</th><th class="l">violations</th><th class="l">hazards</th></tr>
{{range .Rows}}<tr{{if .Bad}} class="bad"{{end}}><td class="l">{{.Arch}}</td><td class="l">{{.Strategy}}</td><td>{{.ModeledNs}}</td><td>{{.UpdatesPerSec}}</td><td class="l">{{.Main}}</td><td>{{.MainValue}}</td><td>{{.VsIdeal}}</td><td>{{.Flushes}}</td><td>{{.Batched}}</td><td>{{.Sections}}</td><td>{{.SecP50}}</td><td>{{.SecP99}}</td><td>{{.DefP50}}</td><td>{{.DefP99}}</td><td class="l">{{.Violations}}</td><td class="l">{{.Hazards}}</td></tr>
{{end}}</table>
{{end}}

<h2 id="speed">Replay speed of the harness (MEASURED)</h2>
<div class="fig"><img src="{{.Speed.File}}" alt="replay speed"><div class="cap"><span class="tag meas">MEASURED</span> {{.Speed.Note}}</div></div>
<table><tr><th class="l">arch</th><th>events</th><th>seconds</th><th>events/s</th></tr>
{{range .SpeedRows}}<tr><td class="l">{{.Arch}}</td><td>{{.Events}}</td><td>{{.Seconds}}</td><td>{{.Rate}}</td></tr>
{{end}}</table>

<h2 id="corpus">Corpus manifest</h2>
<table><tr><th class="l">name</th><th class="l">kind</th><th class="l">workload</th><th>events</th><th>bytes</th><th class="l">description</th><th class="l">sha256</th></tr>
{{range .Manifest}}<tr><td class="l">{{.Name}}</td><td class="l">{{.Kind}}</td><td class="l">{{.Workload}}</td><td>{{.Events}}</td><td>{{.Bytes}}</td><td class="w">{{.Description}}{{if .Kernel}} (kernel {{.Kernel}}{{if .QEMU}}, {{.QEMU}}{{end}}){{end}}</td><td class="l"><code>{{printf "%.12s" .SHA256}}</code></td></tr>
{{end}}</table>

<h2 id="figures">How each figure was made</h2>
<table><tr><th class="l">file</th><th class="l">kind</th><th class="l">command</th><th class="l">notes</th></tr>
{{range .Figures}}<tr><td class="l"><a href="{{.File}}">{{.File}}</a>{{if .PNG}} (<a href="{{.PNG}}">png</a>){{end}}</td><td class="l">{{.Kind}}</td><td class="w"><code>{{.Command}}</code></td><td class="w">{{.Note}}</td></tr>
{{end}}</table>
<p class="cap">Percentiles everywhere are R type 7 (replay.Dist). Box plots: box P25–P75, line P50, whiskers P1–P99, dot max.
Charts are drawn with gonum.org/v1/plot; this page needs no network.</p>
</body></html>
`))
