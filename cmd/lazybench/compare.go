package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/replay"
)

func init() {
	register(&command{
		name:    "compare",
		summary: "replay traces under every arch x strategy and tabulate each metric with ratios",
		run:     runCompare,
	})
}

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

// compareTitle is the heading of m's table: its key and doc, and for the
// main counter each backend's.
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

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", stderr)
	maxDecompressedFlag(fs)
	traceList := fs.String("trace", "", "trace files or corpus:NAME, comma-separated (default: the whole embedded corpus)")
	archList := fs.String("arch", "", "arches, comma-separated (default: all)")
	stratList := fs.String("strategy", "", "strategies, comma-separated (default: all)")
	baseline := fs.String("baseline", "upstream", "strategy the ratios are taken against (besides ideal)")
	kernelName := kernelFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	costsPath := fs.String("costs", "", "TOML cost file overriding backend costs")
	jobs := fs.Int("jobs", runtime.GOMAXPROCS(0), "replays run at once")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("compare takes no arguments (use --trace)")
	}
	if *jobs < 1 {
		return usagef("--jobs must be at least 1")
	}
	arches, err := archArgs(*archList)
	if err != nil {
		return err
	}
	var strats []lazymmu.Strategy
	for _, n := range splitList(*stratList) {
		s, err := parseStrategy(n)
		if err != nil {
			return err
		}
		strats = append(strats, s)
	}
	if len(strats) == 0 {
		strats = lazymmu.Strategies()
	}
	base, err := parseStrategy(*baseline)
	if err != nil {
		return err
	}
	kernel, err := parseKernel(*kernelName)
	if err != nil {
		return err
	}
	srcs, err := traceArgs(*traceList)
	if err != nil {
		return err
	}
	costs, err := loadCosts(*costsPath)
	if err != nil {
		return err
	}

	// The strategies to run: those shown, plus the two references.
	run := append([]lazymmu.Strategy(nil), strats...)
	for _, s := range []lazymmu.Strategy{base, lazymmu.Ideal} {
		if !containsStrategy(run, s) {
			run = append(run, s)
		}
	}
	work := matrix.Jobs(len(srcs), arches, run)
	results, err := matrix.Run(srcs, work, replay.Config{Costs: costs, Kernel: kernel}, *jobs, nil)
	if err != nil {
		return err
	}
	type key struct {
		trace int
		arch  string
		s     lazymmu.Strategy
	}
	byKey := make(map[key]*replay.Result, len(work))
	for i, j := range work {
		byKey[key{j.Trace, j.Arch, j.Strategy}] = results[i]
	}
	refs := func(j matrix.Job) (b, i *replay.Result) {
		return byKey[key{j.Trace, j.Arch, base}], byKey[key{j.Trace, j.Arch, lazymmu.Ideal}]
	}

	if *asJSON {
		out := compareOutput{Baseline: base.String(), Kernel: kernel.String()}
		for i, j := range work {
			if !containsStrategy(strats, j.Strategy) {
				continue
			}
			b, id := refs(j)
			row := compareRow{Result: results[i], VsBaseline: map[string]*float64{}, VsIdeal: map[string]*float64{}}
			for _, m := range compareMetrics() {
				if r, ok := m.RatioTo(results[i], b); ok {
					row.VsBaseline[m.Key] = &r
				} else {
					row.VsBaseline[m.Key] = nil
				}
				if r, ok := m.RatioTo(results[i], id); ok {
					row.VsIdeal[m.Key] = &r
				} else {
					row.VsIdeal[m.Key] = nil
				}
			}
			out.Results = append(out.Results, row)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}

	fmt.Fprintf(stdout, "# lazybench compare: %d traces x %d arches x %d strategies, Linux %s rules; all figures modeled.\n", len(srcs), len(arches), len(strats), kernel)
	fmt.Fprintf(stdout, "# Each cell: value (value / %s, value / ideal) on the same trace and arch; inf where the reference is 0.\n", base)
	for _, m := range compareMetrics() {
		fmt.Fprintf(stdout, "\n## %s\n", compareTitle(m))
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprint(tw, "trace\tarch\t")
		if m.Main {
			fmt.Fprint(tw, "counter\t")
		}
		for _, s := range strats {
			fmt.Fprintf(tw, "%s\t", s)
		}
		fmt.Fprintln(tw)
		for t, src := range srcs {
			for _, a := range arches {
				fmt.Fprintf(tw, "%s	%s	", src.Name, arch.Title(a))
				if m.Main {
					main := byKey[key{t, a, base}].Main
					if main == "" {
						main = "-"
					}
					fmt.Fprintf(tw, "%s\t", main)
				}
				for _, s := range strats {
					j := matrix.Job{Trace: t, Arch: a, Strategy: s}
					r := byKey[key{t, a, s}]
					b, id := refs(j)
					v := m.Value(r)
					fmt.Fprintf(tw, "%s (%s, %s)\t", m.Format(v), formatRatio(m.RatioTo(r, b)), formatRatio(m.RatioTo(r, id)))
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

func containsStrategy(l []lazymmu.Strategy, s lazymmu.Strategy) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func formatRatio(r float64, ok bool) string {
	if !ok {
		return "inf"
	}
	return fmt.Sprintf("%.2f", r)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// traceArgs returns the sources of a --trace list, the whole embedded
// corpus if it is empty.
func traceArgs(list string) ([]matrix.Source, error) {
	names := splitList(list)
	if len(names) == 0 {
		if corpusNames == nil {
			return nil, usagef("no --trace given and no embedded corpus in this build")
		}
		for _, n := range corpusNames() {
			names = append(names, corpusPrefix+n)
		}
	}
	var srcs []matrix.Source
	for _, n := range names {
		src, err := newTraceSource(n)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, src)
	}
	return srcs, nil
}
