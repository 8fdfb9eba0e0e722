package replay

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// Better says which way a metric improves.
type Better int8

// Which way a metric improves.
const (
	Lower   Better = iota // less arch work, time, or fewer broken promises
	Higher                // more throughput
	Neither               // a count that describes the trace or the batching, not its cost
)

// String returns "lower", "higher" or "neither".
func (b Better) String() string {
	return [...]string{"lower", "higher", "neither"}[b]
}

// Kind says what a metric's value is, for formatting.
type Kind int8

// Kinds of metric values.
const (
	Count Kind = iota // a whole count of events or operations
	NS                // a modeled time, ns
	Rate              // a modeled rate, per second
)

// Metric is one figure of a replay, read from its Result. Metrics is the one
// description every consumer reads: compare's ratios and tables, the
// report's result tables, the text table of lazybench replay and the
// benchmarks' units. Adding a metric is a row here (and a count in the
// engine and Result if it needs one).
type Metric struct {
	Key    string // name in compare's ratio maps and in tables, e.g. "modeled_ns"
	Title  string // column heading, e.g. "modeled ns"
	Doc    string // one line: what it counts
	Better Better
	Kind   Kind
	// Main says the value is the result's main arch_ops counter, which
	// Result.Main names; its benchmark unit is that name+"/op".
	Main bool
	// Unit is the benchmark's unit (not for Main): reported as Unit+"/op",
	// or as is for a rate (a Unit with a "/").
	Unit string
	// Ratio says compare takes the metric's ratio to the baseline strategy
	// and to ideal (vs_baseline, vs_ideal).
	Ratio bool
	// Value reads the metric from a result (NaN where it is undefined).
	Value func(*Result) float64
}

// BenchUnit returns the unit the benchmarks report m of r in: Unit+"/op",
// a rate's Unit as is, the main counter's name+"/op", or "" for a result
// without a main counter.
func (m *Metric) BenchUnit(r *Result) string {
	switch {
	case m.Main && r.Main == "":
		return ""
	case m.Main:
		return r.Main + "/op"
	case strings.Contains(m.Unit, "/"):
		return m.Unit
	}
	return m.Unit + "/op"
}

// Metrics lists every metric, in the order tables show them.
var Metrics = []Metric{
	{Key: "modeled_ns", Title: "modeled ns", Doc: "modeled ns of arch work, all CPUs", Better: Lower, Kind: NS, Unit: "modeled-ns", Ratio: true,
		Value: func(r *Result) float64 { return r.ModeledNs }},
	{Key: "updates_per_s", Title: "modeled updates/s", Doc: "updates per modeled second of arch work", Better: Higher, Kind: Rate, Unit: "updates/modeled-s",
		Value: (*Result).UpdatesPerSecond},
	{Key: "main", Title: "main counter", Doc: "the arch's main arch_ops counter", Better: Lower, Kind: Count, Main: true, Ratio: true,
		Value: func(r *Result) float64 { return float64(r.MainValue()) }},
	{Key: "flushes", Title: "flushes", Doc: "drains of a non-empty batch", Better: Lower, Kind: Count, Unit: "flushes", Ratio: true,
		Value: func(r *Result) float64 { return float64(r.Flushes) }},
	{Key: "updates", Title: "updates", Doc: "PTE update events", Better: Neither, Kind: Count, Unit: "updates",
		Value: func(r *Result) float64 { return float64(r.Updates) }},
	{Key: "batched", Title: "batched", Doc: "update events whose arch work was deferred", Better: Neither, Kind: Count, Unit: "batched",
		Value: func(r *Result) float64 { return float64(r.Batched) }},
	{Key: "sections", Title: "sections", Doc: "outermost sections closed", Better: Neither, Kind: Count, Unit: "sections",
		Value: func(r *Result) float64 { return float64(r.Sections) }},
	{Key: "hazards", Title: "hazards", Doc: "stale-access + tlbflush-before-flush", Better: Lower, Kind: Count, Unit: "hazards", Ratio: true,
		Value: func(r *Result) float64 { return float64(r.HazardTotal()) }},
	{Key: "violations", Title: "violations", Doc: "violations of every kind", Better: Lower, Kind: Count, Unit: "violations", Ratio: true,
		Value: func(r *Result) float64 { return float64(r.ViolationTotal()) }},
	{Key: "section_p50", Title: "modeled section p50, ns", Doc: "median of the modeled ns from an outermost enable to its disable", Better: Lower, Kind: NS, Unit: "section-p50-ns",
		Value: func(r *Result) float64 { return r.SectionNs.P50 }},
	{Key: "section_p99", Title: "modeled section p99, ns", Doc: "p99 of the modeled ns from an outermost enable to its disable", Better: Lower, Kind: NS, Unit: "section-p99-ns", Ratio: true,
		Value: func(r *Result) float64 { return r.SectionNs.P99 }},
	{Key: "deferred_p50", Title: "modeled deferred p50, ns", Doc: "median of the modeled ns an update stays deferred", Better: Lower, Kind: NS, Unit: "deferred-p50-ns",
		Value: func(r *Result) float64 { return r.DeferredNs.P50 }},
	{Key: "deferred_p99", Title: "modeled deferred p99, ns", Doc: "p99 of the modeled ns an update stays deferred", Better: Lower, Kind: NS, Unit: "deferred-p99-ns", Ratio: true,
		Value: func(r *Result) float64 { return r.DeferredNs.P99 }},
}

// UpdatesPerSecond returns r's modeled throughput: updates per second of
// modeled arch work, NaN when the replay modeled no time.
func (r *Result) UpdatesPerSecond() float64 {
	if r.ModeledNs <= 0 {
		return math.NaN()
	}
	return float64(r.Updates) / (r.ModeledNs * 1e-9)
}

// Format formats v for text: a count or a time without decimals, a rate
// as FormatRate, NaN (undefined) as "-".
func (m *Metric) Format(v float64) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case m.Kind == Rate:
		return FormatRate(v)
	}
	return fmt.Sprintf("%.0f", v)
}

// FormatRate formats a rate with two decimals and a k, M or G suffix
// ("57.14M"), NaN as "-".
func FormatRate(v float64) string {
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

// RatioTo returns m's value for r divided by its value for ref: 1 when
// both are 0, and false (with +Inf) when only ref's is 0 (compare prints
// "inf" and encodes null there, charts draw no bar). A nil result has no
// ratio (NaN, false).
func (m *Metric) RatioTo(r, ref *Result) (float64, bool) {
	if r == nil || ref == nil {
		return math.NaN(), false
	}
	v, b := m.Value(r), m.Value(ref)
	if b == 0 {
		if v == 0 {
			return 1, true
		}
		return math.Inf(1), false
	}
	return v / b, true
}

// MetricByKey returns the metric named key, or nil.
func MetricByKey(key string) *Metric {
	for i := range Metrics {
		if Metrics[i].Key == key {
			return &Metrics[i]
		}
	}
	return nil
}

// WriteMetricTable writes Metrics as a Markdown table (docs/bench.md holds
// it; a test keeps it in step).
func WriteMetricTable(w io.Writer) error {
	if _, err := fmt.Fprint(w, "| key | benchmark unit | better | compare's ratios | meaning |\n|---|---|---|---|---|\n"); err != nil {
		return err
	}
	for _, m := range Metrics {
		unit := "`<main>/op`"
		if !m.Main {
			unit = "`" + m.BenchUnit(&Result{}) + "`"
		}
		ratio := ""
		if m.Ratio {
			ratio = "yes"
		}
		if _, err := fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s |\n", m.Key, unit, m.Better, ratio, m.Doc); err != nil {
			return err
		}
	}
	return nil
}
