package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/internal/archinfo"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/replay"
)

// compareMetrics are the metrics compare tabulates and takes ratios of
// (replay.Metric.Ratio), in the metric table's order.
func compareMetrics() []*replay.Metric {
	var l []*replay.Metric
	for i := range replay.Metrics {
		if replay.Metrics[i].Ratio {
			l = append(l, &replay.Metrics[i])
		}
	}
	return l
}

// compareTitle is the heading of m's wide table: its key and doc, and for
// the main counter each backend's.
func compareTitle(m *replay.Metric) string {
	t := m.Key + ": " + m.Doc
	if m.Main {
		t += " (" + mainCounters() + ")"
	}
	return t
}

// mainCounters lists each backend's main counter under its default options,
// in order: "arm64 barriers, ppc64-hash hcalls, ...".
func mainCounters() string {
	var l []string
	for _, n := range arch.Names() {
		if info, _ := arch.Lookup(n); info.Main != arch.NoCounter {
			l = append(l, n+" "+info.MainName())
		}
	}
	return strings.Join(l, ", ")
}

// MetricKeys lists the keys of compare's metrics, in order.
func MetricKeys() []string {
	var k []string
	for _, m := range compareMetrics() {
		k = append(k, m.Key)
	}
	return k
}

// compareRow is one replay in `compare --json`: the Result plus the ratio of
// each metric to the baseline strategy's and to ideal's on the same trace and
// arch (null where the reference is 0 and the value is not).
type compareRow struct {
	*replay.Result
	VsBaseline map[string]*float64 `json:"vs_baseline"`
	VsIdeal    map[string]*float64 `json:"vs_ideal"`
}

// compareOutput is the JSON document `compare --json` prints.
type compareOutput struct {
	Baseline string       `json:"baseline"`
	Kernel   string       `json:"kernel"`
	Results  []compareRow `json:"results"`
}

// The layouts of Compare.
const (
	FormatNarrow = "narrow" // a table per metric: arches as columns, at most about 100 columns
	FormatWide   = "wide"   // a table per metric: every strategy's value and both ratios
	FormatJSON   = "json"   // one JSON object (compareOutput)
)

// CompareOptions say what `lazybench compare` replays and prints.
type CompareOptions struct {
	Arches     []string
	Strategies []lazymmu.Strategy // shown, in order
	Baseline   lazymmu.Strategy   // ratios are taken against it (and ideal)
	Config     replay.Config      // costs
	Jobs       int
	Format     string   // FormatNarrow (default), FormatWide or FormatJSON
	Metrics    []string // metric keys to print in the text layouts (nil: all)
}

// compareRun holds a compare matrix's results by trace, arch and strategy.
type compareRun struct {
	o      CompareOptions
	srcs   []matrix.Source
	pages  []uint32 // base page size per trace
	work   []matrix.Job
	res    []*replay.Result
	byKey  map[compareKey]*replay.Result
	shown  []*replay.Metric
	labels []string // trace names as printed
}

type compareKey struct {
	trace int
	arch  string
	s     lazymmu.Strategy
}

func (c *compareRun) get(t int, a string, s lazymmu.Strategy) *replay.Result {
	return c.byKey[compareKey{t, a, s}]
}

// Compare replays every source under o's arches and strategies (and the
// baseline and ideal, for the ratios) and writes the tables or JSON.
func Compare(w io.Writer, srcs []matrix.Source, o CompareOptions) error {
	// The strategies to run: those shown, plus the two references.
	run := append([]lazymmu.Strategy(nil), o.Strategies...)
	for _, s := range []lazymmu.Strategy{o.Baseline, lazymmu.Ideal} {
		if !slices.Contains(run, s) {
			run = append(run, s)
		}
	}
	c := &compareRun{o: o, srcs: srcs, work: matrix.Jobs(len(srcs), o.Arches, run), byKey: map[compareKey]*replay.Result{}}
	var err error
	if c.res, err = matrix.Run(srcs, c.work, o.Config, o.Jobs, nil); err != nil {
		return err
	}
	for i, j := range c.work {
		c.byKey[compareKey{j.Trace, j.Arch, j.Strategy}] = c.res[i]
	}
	if o.Format == FormatJSON {
		return c.writeJSON(w)
	}
	if c.shown, err = selectMetrics(o.Metrics); err != nil {
		return err
	}
	if o.Format == FormatWide {
		return c.writeWide(w)
	}
	for _, src := range srcs {
		r, cl, err := src.Open()
		if err != nil {
			return err
		}
		c.pages = append(c.pages, r.Meta().PageSize)
		cl.Close()
		c.labels = append(c.labels, shortName(src.Name))
	}
	return c.writeNarrow(w)
}

// selectMetrics returns the metrics named by keys (all for none).
func selectMetrics(keys []string) ([]*replay.Metric, error) {
	if len(keys) == 0 {
		return compareMetrics(), nil
	}
	var out []*replay.Metric
	for _, k := range keys {
		found := false
		for _, m := range compareMetrics() {
			if m.Key == k {
				out, found = append(out, m), true
			}
		}
		if !found {
			return nil, fmt.Errorf("unknown metric %q (want one of %s)", k, strings.Join(MetricKeys(), ", "))
		}
	}
	return out, nil
}

func (c *compareRun) writeJSON(w io.Writer) error {
	out := compareOutput{Baseline: c.o.Baseline.String(), Kernel: c.o.Config.Kernel.String()}
	for i, j := range c.work {
		if !slices.Contains(c.o.Strategies, j.Strategy) {
			continue
		}
		b, id := c.get(j.Trace, j.Arch, c.o.Baseline), c.get(j.Trace, j.Arch, lazymmu.Ideal)
		row := compareRow{Result: c.res[i], VsBaseline: map[string]*float64{}, VsIdeal: map[string]*float64{}}
		for _, m := range compareMetrics() {
			if r, ok := m.RatioTo(c.res[i], b); ok {
				row.VsBaseline[m.Key] = &r
			} else {
				row.VsBaseline[m.Key] = nil
			}
			if r, ok := m.RatioTo(c.res[i], id); ok {
				row.VsIdeal[m.Key] = &r
			} else {
				row.VsIdeal[m.Key] = nil
			}
		}
		out.Results = append(out.Results, row)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeWide writes a table per metric with a row per trace and arch and a
// column per strategy: value (value / baseline, value / ideal).
func (c *compareRun) writeWide(w io.Writer) error {
	base, strats := c.o.Baseline, c.o.Strategies
	fmt.Fprintf(w, "# lazybench compare: %d traces x %d arches x %d strategies, Linux %s rules; all figures modeled.\n", len(c.srcs), len(c.o.Arches), len(strats), c.o.Config.Kernel)
	fmt.Fprintf(w, "# Each cell: value (value / %s, value / ideal) on the same trace and arch; inf where the reference is 0.\n", base)
	for _, m := range c.shown {
		fmt.Fprintf(w, "\n## %s\n", compareTitle(m))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "trace\tarch\t")
		if m.Main {
			fmt.Fprint(tw, "counter\t")
		}
		for _, s := range strats {
			fmt.Fprintf(tw, "%s\t", s)
		}
		fmt.Fprintln(tw)
		for t, src := range c.srcs {
			for _, a := range c.o.Arches {
				fmt.Fprintf(tw, "%s\t%s\t", src.Name, arch.Title(a))
				if m.Main {
					main := c.get(t, a, base).Main
					if main == "" {
						main = "-"
					}
					fmt.Fprintf(tw, "%s\t", main)
				}
				for _, s := range strats {
					r, b, id := c.get(t, a, s), c.get(t, a, base), c.get(t, a, lazymmu.Ideal)
					fmt.Fprintf(tw, "%s (%s, %s)\t", m.Format(m.Value(r)), formatRatio(m.RatioTo(r, b)), formatRatio(m.RatioTo(r, id)))
				}
				fmt.Fprintln(tw)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func formatRatio(r float64, ok bool) string {
	if !ok {
		return "inf"
	}
	return fmt.Sprintf("%.2f", r)
}

// writeNarrow writes a table per metric with a row per trace and strategy
// and a column per arch: the baseline's value, and every other strategy's
// value / the baseline's.
func (c *compareRun) writeNarrow(w io.Writer) error {
	base := c.o.Baseline
	fmt.Fprintf(w, "# lazybench compare: %d traces x %d arches x %d strategies, Linux %s rules;\n# every figure is modeled.\n", len(c.srcs), len(c.o.Arches), len(c.o.Strategies), c.o.Config.Kernel)
	fmt.Fprintf(w, "# Rows %s: the value; other rows: value / %s's (n/a: %s's is 0, the value not).\n", base, base, base)
	fmt.Fprintf(w, "# ! marks a trace whose page size the arch's kernel does not have. --wide prints\n# every value with its ratios to %s and to ideal; --metric picks tables.\n", base)
	for _, a := range c.o.Arches {
		if l := archinfo.Label(a); l != "" {
			fmt.Fprintf(w, "# %s*: %s.\n", a, l)
		}
	}
	for _, m := range c.shown {
		title := m.Key + ": " + m.Doc
		if m.Main {
			title += ", named under each arch (n/a: none)"
		}
		fmt.Fprintf(w, "\n## %s\n", title)
		if err := c.narrowTable(w, m); err != nil {
			return err
		}
	}
	return nil
}

// NarrowWidth is the most columns the narrow layout's lines take: a table
// whose arches do not fit is split into several, each with a share of them.
const NarrowWidth = 100

// narrowTable writes m's table with as many arches side by side as fit in
// NarrowWidth columns (at least one), in as many parts as that takes.
func (c *compareRun) narrowTable(w io.Writer, m *replay.Metric) error {
	var parts []string
	for per := len(c.o.Arches); per >= 1; per-- {
		parts = parts[:0]
		fits := true
		for i := 0; i < len(c.o.Arches); i += per {
			var b bytes.Buffer
			if err := c.narrowPart(&b, m, c.o.Arches[i:min(i+per, len(c.o.Arches))]); err != nil {
				return err
			}
			for _, l := range strings.Split(b.String(), "\n") {
				fits = fits && utf8.RuneCountInString(l) <= NarrowWidth
			}
			parts = append(parts, b.String())
		}
		if fits || per == 1 {
			break
		}
	}
	_, err := io.WriteString(w, strings.Join(parts, "\n"))
	return err
}

// narrowPart writes m's table for the arches given.
func (c *compareRun) narrowPart(w io.Writer, m *replay.Metric, arches []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "trace\tstrategy\t")
	for _, a := range arches {
		if archinfo.Label(a) != "" {
			a += "*"
		}
		fmt.Fprintf(tw, "%s\t", a)
	}
	fmt.Fprintln(tw)
	if m.Main {
		fmt.Fprint(tw, "\t\t")
		for _, a := range arches {
			fmt.Fprintf(tw, "%s\t", c.mainName(a))
		}
		fmt.Fprintln(tw)
	}
	for t := range c.srcs {
		c.narrowTrace(tw, m, t, arches)
	}
	return tw.Flush()
}

// narrowTrace writes one trace's rows of a narrow table: the baseline first,
// then the other strategies shown.
func (c *compareRun) narrowTrace(tw io.Writer, m *replay.Metric, t int, arches []string) {
	rows := []lazymmu.Strategy{c.o.Baseline}
	for _, s := range c.o.Strategies {
		if s != c.o.Baseline {
			rows = append(rows, s)
		}
	}
	for i, s := range rows {
		label := ""
		if i == 0 {
			label = c.labels[t]
		}
		fmt.Fprintf(tw, "%s\t%s\t", label, s)
		for _, a := range arches {
			fmt.Fprintf(tw, "%s\t", c.narrowCell(m, t, a, s, i == 0))
		}
		fmt.Fprintln(tw)
	}
}

func (c *compareRun) narrowCell(m *replay.Metric, t int, a string, s lazymmu.Strategy, isBase bool) string {
	r, b := c.get(t, a, s), c.get(t, a, c.o.Baseline)
	mark := ""
	if !archinfo.Fits(a, c.pages[t]) {
		mark = "!"
	}
	switch {
	case m.Main && r.Main == "":
		return "n/a" + mark
	case isBase && m.Kind == replay.NS:
		return fmtNs(m.Value(r)) + mark
	case isBase:
		return fmtInt(int64(m.Value(r))) + mark
	}
	return fmtRatio(m.Value(r), m.Value(b)) + mark
}

// mainName names arch a's main counter in the run ("-" if none).
func (c *compareRun) mainName(a string) string {
	for t := range c.srcs {
		if r := c.get(t, a, c.o.Baseline); r != nil && r.Main != "" {
			return r.Main
		}
	}
	return "-"
}
