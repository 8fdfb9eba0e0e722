package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/lazybench/lazybench/arch"
	_ "github.com/lazybench/lazybench/arch/all"
	"github.com/lazybench/lazybench/internal/atomicfile"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/timeline"
	"github.com/lazybench/lazybench/traces"
)

func init() {
	register(&command{
		name:    "replay",
		summary: "replay one trace under one arch and strategy and print its metrics",
		run:     runReplay,
	})
}

// corpusPrefix names a trace of the embedded corpus on the command line.
const corpusPrefix = "corpus:"

// corpusOpen, if set (by the corpus glue in corpus.go once corpus
// exists), opens a trace of the embedded corpus by name; corpusNames lists
// them all.
var (
	corpusOpen  func(name string) (traces.Reader, io.Closer, error)
	corpusNames func() []string
)

// newTraceSource returns the source of a trace named on the command line: a
// file, or corpusPrefix and a corpus name.
func newTraceSource(name string) (matrix.Source, error) {
	if rest, ok := strings.CutPrefix(name, corpusPrefix); ok {
		if corpusOpen == nil {
			return matrix.Source{}, fmt.Errorf("%s: no embedded corpus in this build", name)
		}
		return matrix.Source{Name: name, Open: func() (traces.Reader, io.Closer, error) { return corpusOpen(rest) }}, nil
	}
	if _, err := os.Stat(name); err != nil {
		return matrix.Source{}, err
	}
	return matrix.Source{Name: name, Open: func() (traces.Reader, io.Closer, error) { return traces.Open(name) }}, nil
}

// loadCosts reads a cost file ("" for none).
func loadCosts(path string) (arch.Costs, error) {
	if path == "" {
		return nil, nil
	}
	return arch.LoadCosts(path)
}

func parseStrategy(name string) (lazymmu.Strategy, error) {
	s, ok := lazymmu.ParseStrategy(name)
	if !ok {
		return 0, usagef("unknown strategy %q (want one of %s)", name, strings.Join(strategyNames(), ", "))
	}
	return s, nil
}

func strategyNames() []string {
	var n []string
	for _, s := range lazymmu.Strategies() {
		n = append(n, s.String())
	}
	return n
}

func checkArch(name string) error {
	if _, ok := arch.Lookup(name); !ok {
		return usagef("unknown arch %q (want one of %s)", name, strings.Join(arch.Names(), ", "))
	}
	return nil
}

func runReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("replay", stderr)
	maxDecompressedFlag(fs)
	tracePath := fs.String("trace", "", "trace file (.lmt, .lmt.zst, .lmt.txt) or corpus:NAME")
	archName := fs.String("arch", "arm64", "architecture backend: "+archList())
	stratName := fs.String("strategy", "upstream", "nesting strategy: "+strings.Join(strategyNames(), ", "))
	kernelName := kernelFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	steps := fs.Bool("steps", false, "print one line per input event (and one per violation)")
	costsPath := fs.String("costs", "", "TOML cost file overriding backend costs")
	timelinePath := fs.String("timeline", "", "also write a Chrome trace-event JSON timeline (Perfetto) to FILE.json")
	timelineMax := int64(timeline.DefaultMaxBytes)
	fs.Func("timeline-max", fmt.Sprintf("most bytes of --timeline JSON, e.g. 1G (K, M, G: powers of 1024; default %dM): recording stops there", timeline.DefaultMaxBytes>>20), func(s string) (err error) {
		timelineMax, err = parseSize(s)
		return err
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("replay takes no arguments (use --trace)")
	}
	if *tracePath == "" {
		return usagef("replay needs --trace FILE")
	}
	if *asJSON && *steps {
		return usagef("--json and --steps exclude each other")
	}
	if err := checkArch(*archName); err != nil {
		return err
	}
	strat, err := parseStrategy(*stratName)
	if err != nil {
		return err
	}
	kernel, err := parseKernel(*kernelName)
	if err != nil {
		return err
	}
	costs, err := loadCosts(*costsPath)
	if err != nil {
		return err
	}
	src, err := newTraceSource(*tracePath)
	if err != nil {
		return err
	}
	cfg := replay.Config{Arch: *archName, Costs: costs, Strategy: strat, Kernel: kernel, Trace: src.Name}
	// Decode ahead on every core; --steps decodes in order, so that its
	// lines before an error in a streamed trace are those of validate.
	workers := 0
	if *steps {
		workers = 1
	}
	r, c, err := src.OpenAhead(workers)
	if err != nil {
		return err
	}
	defer c.Close()
	var sw *replay.StepWriter
	if *steps {
		sw = replay.NewStepWriter(stdout, r.Strings)
		cfg.Observer = sw
	}
	var tl *timeline.Timeline
	if *timelinePath != "" {
		tl = timeline.New()
		tl.MaxBytes = timelineMax
		tl.Strings = r.Strings
		tl.Meta["trace"] = src.Name
		tl.Meta["arch"] = cfg.Arch
		tl.Meta["strategy"] = cfg.Strategy.String()
		tl.Meta["kernel"] = cfg.Kernel.String()
		if sw != nil {
			cfg.Observer = replay.Tee(sw, tl)
		} else {
			cfg.Observer = tl
		}
	}
	e, err := replay.New(cfg)
	if err != nil {
		return err
	}
	res, err := e.Run(r)
	if sw != nil {
		if ferr := sw.Flush(); err == nil {
			err = ferr
		}
	}
	if err != nil {
		return err
	}
	if tl != nil {
		if err := atomicfile.Write(*timelinePath, tl.Close); err != nil {
			return err
		}
		if tl.Truncated() {
			fmt.Fprintf(stderr, "lazybench: %s: timeline truncated at %d bytes (raise the bound with --timeline-max)\n", *timelinePath, timelineMax)
		}
	}
	switch {
	case *steps:
		return nil
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return writeResultTable(stdout, res)
}

// writeResultTable prints one replay as a two-column table: every metric
// (replay.Metrics, with its doc), then the details behind them.
func writeResultTable(w io.Writer, r *replay.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rows := [][2]string{{"trace", r.Trace}, {"arch", arch.Title(r.Arch)}, {"strategy", r.Strategy}, {"kernel", r.Kernel}, {"events", fmt.Sprint(r.Events)}}
	rows = append(rows, metricRows(r)...)
	for _, row := range append(rows, detailRows(r)...) {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

// metricRows returns a row per metric of r: its value and doc.
func metricRows(r *replay.Result) [][2]string {
	var rows [][2]string
	for i := range replay.Metrics {
		m := &replay.Metrics[i]
		v := m.Format(m.Value(r))
		if m.Main {
			v += " " + cmp.Or(r.Main, "(none)")
		}
		rows = append(rows, [2]string{m.Key, v + " (" + m.Doc + ")"})
	}
	return rows
}

// detailRows returns the rows behind r's metrics: immediate updates,
// callbacks, each arch_ops counter, the busiest CPU's clock, the section
// and deferral quantiles, and each kind of violation and hazard that
// happened.
func detailRows(r *replay.Result) [][2]string {
	rows := [][2]string{
		{"immediate", fmt.Sprintf("%d (update events done at once)", r.Immediate)},
		{"oracle_flushes", fmt.Sprintf("%d (ideal's flushes before an access that needed one)", r.OracleFlushes)},
		{"callbacks", fmt.Sprintf("enter %d, leave %d, flush %d", r.Callbacks.Enter, r.Callbacks.Leave, r.Callbacks.Flush)},
	}
	if len(r.ArchOps) == 0 {
		rows = append(rows, [2]string{"arch_ops", "none"})
	}
	for _, k := range sortedKeys(r.ArchOps) {
		mark := ""
		if k == r.Main {
			mark = " (main)"
		}
		rows = append(rows, [2]string{"arch_ops." + k, fmt.Sprintf("%d%s", r.ArchOps[k], mark)})
	}
	rows = append(rows, [2]string{"wall_ns", fmt.Sprintf("%.0f (modeled, busiest CPU, with work events)", r.WallNs)})
	for _, q := range []struct {
		k string
		d replay.Quantiles
	}{{"section_ns", r.SectionNs}, {"deferred_ns", r.DeferredNs}} {
		rows = append(rows, [2]string{q.k, fmt.Sprintf("p50 %.0f  p90 %.0f  p99 %.0f  max %.0f (modeled)", q.d.P50, q.d.P90, q.d.P99, q.d.Max)})
	}
	return append(append(rows, nonZero("violations.", r.Violations)...), nonZero("hazards.", r.Hazards)...)
}

// nonZero returns a row per non-zero count of m, named prefix+kind.
func nonZero(prefix string, m map[string]uint64) [][2]string {
	var rows [][2]string
	for _, n := range sortedKeys(m) {
		if m[n] != 0 {
			rows = append(rows, [2]string{prefix + n, fmt.Sprint(m[n])})
		}
	}
	return rows
}

// archList lists the backends' titles (a proposal's with its label), in
// order, for help text.
func archList() string {
	var t []string
	for _, n := range arch.Names() {
		t = append(t, arch.Title(n))
	}
	return strings.Join(t, ", ")
}
