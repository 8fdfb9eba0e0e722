package report

import (
	"html/template"

	"github.com/lazybench/lazybench/calibrate"
	"github.com/lazybench/lazybench/corpus"
)

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
	Arch, Strategy string
	Cells          []string // one per replay.Metrics, in its order
	VsIdeal        string   // the main counter's ratio to ideal's
	Violations     string
	Hazards        string
	Bad            bool // violations or hazards
}

type traceSection struct {
	Name     string
	Entry    corpus.Entry
	Params   string
	PageNote string // the backends whose kernels have no base page of the trace's size
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
	Columns   []string // the result tables' metric headings (replay.Metrics' titles)
	Strats    []string
	Overview  []overviewRow
	Overview2 []overviewRow
	Calib     calibSection
	Kpkeys    kpkeysSection
	Traces    []traceSection
	Speed     figure
	SpeedRows []speedRow
	Backends  []backendRow
	Manifest  []corpus.Entry
	Figures   []figure
	Elapsed   string
	Replays   int
	GoVersion string
	CPUs      int
	CostsNote string
	Kernel    string // whose rules: "7.3" or "7.0"
}

// backendRow describes one backend (from its arch.Info).
type backendRow struct {
	Title, Doc, Main, Counters, Pages, Source string
	Proposal                                  bool
}

type speedRow struct {
	Arch, Events, Seconds, Rate string
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
<p>Made by <code>{{.Command}}</code> in {{.Elapsed}} ({{.Replays}} replays of the embedded corpus, {{.GoVersion}}, {{.CPUs}} CPUs; {{.CostsNote}}; Linux {{.Kernel}} rules, see docs/strategies.md).
Every figure below is <b>modeled</b> (a cost model applied to the trace, not a measurement) unless it is marked <b>MEASURED</b>.
Times are modeled ns of arch work (<code>modeled_ns</code>); throughput is PTE updates per modeled second.</p>
<nav><a href="#overview">overview</a><a href="#calibration">calibration</a>{{range .Traces}}<a href="#t-{{.Name}}">{{.Name}}</a>{{end}}<a href="#speed">replay speed</a><a href="#backends">backends</a><a href="#corpus">corpus</a><a href="#figures">how figures were made</a></nav>

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

<h3 id="calibration-kpkeys">Beside it: arm64-kpkeys <span class="tag">unmerged series</span> against published kpkeys overheads</h3>
<p>Published: {{.Kpkeys.Source}}. Fork and munmap of a mapping with page-sized folios and p-page vmalloc+vfree are generated and replayed
on arm64 (the baseline, no kpkeys) and on arm64-kpkeys without batching (replayed as <code>{{.Kpkeys.Without}}</code>) and with it (<code>upstream</code>);
each benchmark's unmodeled work and <code>por_write_ns</code> are fitted so that the modeled overheads (T − T_baseline) / T_baseline match the
{{.Kpkeys.Points}} published cells; <code>isb_ns</code> sets the scale. Residuals: rms {{.Kpkeys.RMS}}, max {{.Kpkeys.Max}} percentage points;
fix_size_alloc cells left out one at a time (each predicted by a fit to all other cells): rms {{.Kpkeys.LOORMS}}, max {{.Kpkeys.LOOMax}}.
Not published, predicted: fix_size_alloc p:16 {{printf "%.2f" .Kpkeys.P16.ModeledWithout}}% without batching, {{printf "%.2f" .Kpkeys.P16.ModeledWith}}% with;
p:256 {{printf "%.2f" .Kpkeys.P256.ModeledWithout}}% and {{printf "%.2f" .Kpkeys.P256.ModeledWith}}%.
Fitted costs: <a href="{{.Kpkeys.CostFile}}">{{.Kpkeys.CostFile}}</a>, table: <a href="calibration-kpkeys.csv">calibration-kpkeys.csv</a>; see docs/calibration.md for how far it can be trusted.</p>
<div class="fig"><img src="{{.Kpkeys.Figure.File}}" alt="kpkeys calibration chart"></div>
<table><tr><th class="l">benchmark</th><th>pages</th><th>published without %</th><th>modeled without %</th><th>left out</th><th>published with %</th><th>modeled with %</th><th>left out</th></tr>
{{range .Kpkeys.Rows}}<tr><td class="l">{{.Benchmark}}</td><td>{{.Pages}}</td><td>{{if .HasWithout}}{{printf "%.2f" .PublishedWithout}}{{end}}</td><td>{{printf "%.2f" .ModeledWithout}}</td><td>{{if .HasWithout}}{{printf "%.2f" .LOOWithout}}{{end}}</td><td>{{if .HasWith}}{{printf "%.2f" .PublishedWith}}{{end}}</td><td>{{printf "%.2f" .ModeledWith}}</td><td>{{if .HasWith}}{{printf "%.2f" .LOOWith}}{{end}}</td></tr>
{{end}}</table>
<table><tr><th class="l">term</th><th>value</th><th>start</th><th class="l">unit</th><th class="l">status</th></tr>
{{range .Kpkeys.Terms}}<tr><td class="l">{{.Name}}{{if .Work}} (workload){{end}}</td><td>{{printf "%.4g" .Value}}</td><td>{{printf "%.4g" .Start}}</td><td class="l">{{.Unit}}</td><td class="w">{{.Status}}</td></tr>
{{end}}</table>
<p class="cap">Linearity check: {{.Kpkeys.Linearity}} pp. Took {{.Kpkeys.Seconds}}.</p>

{{range .Traces}}
<h2 id="t-{{.Name}}">Trace {{.Name}}</h2>
<p>{{.Entry.Description}} — {{.Entry.Kind}}, workload <code>{{.Entry.Workload}}</code>, {{.Entry.Events}} events{{if .Params}}, parameters <code>{{.Params}}</code>{{end}}.{{if .PageNote}} {{.PageNote}}{{end}}</p>
{{range .Figures}}<div class="fig"><img src="{{.File}}" alt="{{.Title}}"><div class="cap"><span class="tag">{{.Kind}}</span> {{.Note}}</div></div>
{{end}}
{{if .CDFs}}<details><summary>CDFs per arch ({{len .CDFs}} charts)</summary>
{{range .CDFs}}<div class="fig"><img src="{{.File}}" alt="{{.Title}}" loading="lazy"></div>{{end}}
</details>{{end}}
<table><tr><th class="l">arch</th><th class="l">strategy</th>{{range $.Columns}}<th>{{.}}</th>{{end}}<th>main vs ideal</th><th class="l">violations by kind</th><th class="l">hazards by kind</th></tr>
{{range .Rows}}<tr{{if .Bad}} class="bad"{{end}}><td class="l">{{.Arch}}</td><td class="l">{{.Strategy}}</td>{{range .Cells}}<td>{{.}}</td>{{end}}<td>{{.VsIdeal}}</td><td class="l">{{.Violations}}</td><td class="l">{{.Hazards}}</td></tr>
{{end}}</table>
{{end}}

<h2 id="speed">Replay speed of the harness (MEASURED)</h2>
<div class="fig"><img src="{{.Speed.File}}" alt="replay speed"><div class="cap"><span class="tag meas">MEASURED</span> {{.Speed.Note}}</div></div>
<table><tr><th class="l">arch</th><th>events</th><th>seconds</th><th>events/s</th></tr>
{{range .SpeedRows}}<tr><td class="l">{{.Arch}}</td><td>{{.Events}}</td><td>{{.Seconds}}</td><td>{{.Rate}}</td></tr>
{{end}}</table>

<h2 id="backends">Backends</h2>
<table><tr><th class="l">arch</th><th class="l">models</th><th class="l">main counter</th><th class="l">arch_ops counters</th><th class="l">base pages</th><th class="l">kernel source</th></tr>
{{range .Backends}}<tr{{if .Proposal}} class="bad"{{end}}><td class="l">{{.Title}}</td><td class="w">{{.Doc}}</td><td class="l">{{.Main}}</td><td class="l">{{.Counters}}</td><td class="l">{{.Pages}}</td><td class="w">{{.Source}}</td></tr>
{{end}}</table>
<p class="cap">From each backend's <code>arch.Info</code>; the rules and their sources are in docs/arch/NAME.md. A tinted row is an unmerged proposal.</p>

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
