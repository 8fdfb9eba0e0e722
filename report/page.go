package report

import (
	"html/template"

	"github.com/lazybench/lazybench/calibrate"
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

type calibSection struct {
	Figure    figure
	Rows      []calibrate.Row
	Terms     []calibrate.Term
	RMS, Max  string
	Source    string
	Linearity string
	CostFile  string
	Seconds   string
	Used      bool // the replays used the fitted costs
}

type speedRow struct {
	Arch, Events, Seconds, Rate string
}

// reportPage is index.html's data.
type reportPage struct {
	Command, Modeled, CostsNote string
	Strategies, NumArches       int // how many of each were replayed, for the title
	Findings                    []findingGroup
	Warnings                    []string
	ByArch                      []table
	Overview                    []figure
	XenFigure                   *figure // updates per batched hypercall, recorded against generated
	Promises, Xen, S390         table
	S390Title                   string
	Traces                      []traceLink
	TraceFigures                int
	Calib                       calibSection
	Kpkeys                      kpkeysSection
	Unfitted                    string // the page of arm64 under its unfitted costs ("" if none)
	Speed                       figure
	SpeedRows                   []speedRow
	Manifest, Backends          table
	Figures                     []figure
	Elapsed                     string
	Replays                     int
	GoVersion                   string
	CPUs                        int
}

// pageStyle opens every page of the report: the document head and its
// style. Tables scroll inside their own box, so no page scrolls sideways.
const pageStyle = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:sans-serif;margin:1em auto;max-width:1240px;padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.5em;margin:.2em 0}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em;font-size:1.25em}h3{margin:.8em 0 .2em;font-size:1.05em}
.lead{font-size:.95em;margin:.3em 0}
.tw{overflow-x:auto;max-width:100%;margin:.4em 0}
table{border-collapse:collapse;font-size:.85em}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right;vertical-align:top;white-space:nowrap}
th{background:#f3f3f3;text-align:left}td.l{text-align:left}
td.w{min-width:12em;max-width:32em;white-space:normal}
td.na{color:#999;text-align:center}
td.bad{background:#fff1f0}
img{max-width:100%;height:auto;border:1px solid #eee;margin:.3em 0}
.fig{margin:1em 0}.cap{font-size:.85em;color:#555}
code{background:#f5f5f5;padding:0 .2em;overflow-wrap:anywhere}
.tag{font-size:.75em;padding:0 .4em;border-radius:3px;background:#e8f0fe}
.meas{background:#fde8d8}
.warn{background:#fff8e1;border-left:4px solid #f0b400;padding:.3em .6em;font-size:.9em}
#findings ul{margin:.2em 0 .6em;padding-left:1.2em}#findings li{margin:.15em 0;font-size:.95em}
nav{font-size:.9em}nav a{margin-right:.7em}
</style>
`

// tableTemplate renders a table in its own scrolling box.
const tableTemplate = `{{define "table"}}{{if .Rows}}<div class="tw" id="{{.ID}}">{{if .Title}}<h3>{{.Title}}</h3>{{end}}{{if .Note}}<p class="cap">{{.Note}}</p>{{end}}
<table><tr>{{range .Head}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td{{if .Class}} class="{{.Class}}"{{end}}>{{if .Link}}<a href="{{.Link}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}</td>{{end}}</tr>
{{end}}</table></div>{{end}}{{end}}`

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"sub": func(a, b float64) float64 { return a - b },
}).Parse(pageStyle + `<title>lazybench report</title></head><body>
<h1>lazybench report: {{.Strategies}} lazy MMU nesting strategies on {{.NumArches}} arch backends</h1>
<p class="lead" id="modeled"><b>Modeled, not measured.</b> {{.Modeled}}</p>
<p class="lead">{{.CostsNote}}{{if .Unfitted}} <a href="{{.Unfitted}}">arm64 with its unfitted costs</a>.{{end}}</p>
<section id="findings">
<h2>Findings</h2>
{{range .Findings}}<h3>{{.Title}} <a href="#q-{{.Key}}" class="cap">(tables)</a></h3>
<ul>{{range .Items}}<li>{{.}}</li>{{end}}</ul>
{{end}}
</section>
{{range .Warnings}}<p class="warn">Page size: {{.}}</p>{{end}}
<nav><a href="#q-nesting">by arch</a><a href="#q-promises">promises</a><a href="#q-xen">Xen PV</a><a href="#q-s390">s390</a><a href="#traces">traces</a><a href="#calibration">calibration</a><a href="#speed">replay speed</a><a href="#backends">backends</a><a href="#corpus">corpus</a><a href="#figures">how figures were made</a></nav>
<p class="cap">Made by <code>{{.Command}}</code> in {{.Elapsed}} ({{.Replays}} replays of the embedded corpus, {{.GoVersion}}, {{.CPUs}} CPUs).</p>

<h2 id="q-nesting">Nesting, batching and ideal, by arch</h2>
<span id="q-batching"></span><span id="q-ideal"></span>
{{range .Overview}}<div class="fig"><img src="{{.File}}" alt="{{.Title}}"><div class="cap"><span class="tag">{{.Kind}}</span> {{.Note}}</div></div>
{{end}}
{{range .ByArch}}{{template "table" .}}
{{end}}

<h2 id="q-promises">Broken promises</h2>
{{if .Promises.Rows}}{{template "table" .Promises}}{{else}}<p>No strategy broke a promise on any arch and trace.</p>{{end}}

<h2 id="q-xen">Xen PV: updates per hypercall</h2>
{{with .XenFigure}}<div class="fig"><img src="{{.File}}" alt="{{.Title}}"><div class="cap"><span class="tag">{{.Kind}}</span> {{.Note}}</div></div>{{end}}
{{template "table" .Xen}}

<h2 id="q-s390">{{.S390Title}}</h2>
{{if .S390.Rows}}{{template "table" .S390}}{{else}}<p>No trace of the workloads the proposal published figures for.</p>{{end}}

<h2 id="traces">Traces: one page each</h2>
<p>Each page holds the trace's full table (every arch and strategy) and its charts ({{.TraceFigures}} in all). &dagger;: the trace's base page size is not one of that arch's kernel.</p>
<div class="tw"><table><tr><th>trace</th><th>kind</th><th>events</th><th>page size</th><th>arches without that page size</th><th>description</th></tr>
{{range .Traces}}<tr><td class="l"><a href="{{.File}}">{{.Name}}</a></td><td class="l">{{.Kind}}</td><td>{{.Events}}</td><td>{{.PageSize}}</td><td class="l">{{.Mismatch}}</td><td class="l w">{{.Desc}}</td></tr>
{{end}}</table></div>

<h2 id="calibration">Calibration: arm64 against published test_vmalloc results</h2>
<p>Published: {{.Calib.Source}}. The vmalloc workload (p-page vmalloc + vfree in a loop) is generated for each p and replayed on arm64 under
<code>upstream</code> and <code>none</code>; the cost parameters and the workload's work terms are fitted so that the modeled change
(T_upstream &minus; T_none) / T_none matches the published points in least squares. Residuals: rms {{.Calib.RMS}}, max {{.Calib.Max}} percentage points.
{{if .Calib.Used}}<b>The replays above use these fitted arm64 costs.</b>{{else}}<b>The replays above do not use the fitted costs.</b>{{end}}
Fitted costs: <a href="{{.Calib.CostFile}}">{{.Calib.CostFile}}</a> (usable with <code>--costs</code>), table: <a href="calibration.csv">calibration.csv</a>.</p>
<div class="fig"><img src="{{.Calib.Figure.File}}" alt="calibration chart"></div>
<div class="tw"><table><tr><th>pages</th><th>published %</th><th>modeled %</th><th>modeled &minus; published</th></tr>
{{range .Calib.Rows}}<tr><td>{{.Pages}}</td><td>{{if .HasPublished}}{{printf "%.2f" .Published}}{{end}}</td><td>{{printf "%.2f" .Modeled}}</td><td>{{if .HasPublished}}{{printf "%+.2f" (sub .Modeled .Published)}}{{end}}</td></tr>
{{end}}</table></div>
<div class="tw"><table><tr><th>term</th><th>value</th><th>start</th><th>unit</th><th>status</th></tr>
{{range .Calib.Terms}}<tr><td class="l">{{.Name}}{{if .Work}} (workload){{end}}</td><td>{{printf "%.4g" .Value}}</td><td>{{printf "%.4g" .Start}}</td><td class="l">{{.Unit}}</td><td class="l w">{{.Status}}</td></tr>
{{end}}</table></div>
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
<div class="tw"><table><tr><th class="l">benchmark</th><th>pages</th><th>published without %</th><th>modeled without %</th><th>left out</th><th>published with %</th><th>modeled with %</th><th>left out</th></tr>
{{range .Kpkeys.Rows}}<tr><td class="l">{{.Benchmark}}</td><td>{{.Pages}}</td><td>{{if .HasWithout}}{{printf "%.2f" .PublishedWithout}}{{end}}</td><td>{{printf "%.2f" .ModeledWithout}}</td><td>{{if .HasWithout}}{{printf "%.2f" .LOOWithout}}{{end}}</td><td>{{if .HasWith}}{{printf "%.2f" .PublishedWith}}{{end}}</td><td>{{printf "%.2f" .ModeledWith}}</td><td>{{if .HasWith}}{{printf "%.2f" .LOOWith}}{{end}}</td></tr>
{{end}}</table></div>
<div class="tw"><table><tr><th class="l">term</th><th>value</th><th>start</th><th class="l">unit</th><th class="l">status</th></tr>
{{range .Kpkeys.Terms}}<tr><td class="l">{{.Name}}{{if .Work}} (workload){{end}}</td><td>{{printf "%.4g" .Value}}</td><td>{{printf "%.4g" .Start}}</td><td class="l">{{.Unit}}</td><td class="l w">{{.Status}}</td></tr>
{{end}}</table></div>
<p class="cap">Linearity check: {{.Kpkeys.Linearity}} pp. Took {{.Kpkeys.Seconds}}.</p>

<h2 id="speed">Replay speed of the harness (MEASURED)</h2>
<div class="fig"><img src="{{.Speed.File}}" alt="replay speed"><div class="cap"><span class="tag meas">MEASURED</span> {{.Speed.Note}}</div></div>
<div class="tw"><table><tr><th>arch</th><th>events</th><th>seconds</th><th>M events/s</th></tr>
{{range .SpeedRows}}<tr><td class="l">{{.Arch}}</td><td>{{.Events}}</td><td>{{.Seconds}}</td><td>{{.Rate}}</td></tr>
{{end}}</table></div>

<h2 id="backends">Backends</h2>
{{template "table" .Backends}}

<h2 id="corpus">Corpus manifest</h2>
{{template "table" .Manifest}}

<h2 id="figures">How each figure was made</h2>
<div class="tw"><table><tr><th>file</th><th>kind</th><th>command</th><th>notes</th></tr>
{{range .Figures}}<tr><td class="l"><a href="{{.File}}">{{.File}}</a>{{if .PNG}} (<a href="{{.PNG}}">png</a>){{end}}</td><td class="l">{{.Kind}}</td><td class="l w"><code>{{.Command}}</code></td><td class="l w">{{.Note}}</td></tr>
{{end}}</table></div>
<p class="cap">Each trace page lists how its charts were made. Percentiles everywhere are R type 7 (replay.Dist). Box plots: box P25&ndash;P75, line P50, whiskers P1&ndash;P99, dot max.
Charts are drawn with gonum.org/v1/plot; this page needs no network.</p>
</body></html>
` + tableTemplate))
