// Package replay is lazybench's engine: it streams a trace through a lazymmu
// strategy and an arch backend, advances a modeled clock, runs the hazard
// oracle, and collects the metrics of one replay (Result).
package replay

import (
	"fmt"
	"math"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
)

// Result is the outcome of one replay. Its JSON encoding is the contract of
// docs/contracts.md ("JSON result of one replay"); fields beyond the contract's
// keys are lazybench extensions.
type Result struct {
	Trace      string            `json:"trace"`
	Arch       string            `json:"arch"`
	Strategy   string            `json:"strategy"`
	Kernel     string            `json:"kernel"` // whose rules: "7.3" or "7.0" (an extension)
	Events     uint64            `json:"events"`
	Updates    uint64            `json:"updates"`
	Batched    uint64            `json:"batched"`
	Immediate  uint64            `json:"immediate"`
	Callbacks  Callbacks         `json:"callbacks"`
	ArchOps    map[string]uint64 `json:"arch_ops"`
	ModeledNs  float64           `json:"modeled_ns"`
	SectionNs  Quantiles         `json:"section_ns"`
	DeferredNs Quantiles         `json:"deferred_ns"`
	Violations map[string]uint64 `json:"violations"`
	Hazards    map[string]uint64 `json:"hazards"`

	// Extensions.
	Sections uint64   `json:"sections"`          // outermost sections closed
	Flushes  uint64   `json:"flushes"`           // drains of a non-empty batch (all causes)
	Batches  []uint64 `json:"batches,omitempty"` // Batches[n] = drains of n entries; last = larger
	Main     string   `json:"main_counter"`      // the backend's main arch_ops counter
	// OracleFlushes counts the flushes the ideal strategy made before an
	// access or tlbflush that needed them (0 under other strategies).
	OracleFlushes uint64 `json:"oracle_flushes"`
	// ExplicitFlushes counts the trace's own flush events.
	ExplicitFlushes uint64 `json:"explicit_flushes"`
	// WorkNs is the sum of the trace's work events, ns (not in modeled_ns).
	WorkNs float64 `json:"work_ns"`
	// WallNs is the largest per-CPU modeled clock at the end (arch costs plus
	// work), ns: the modeled elapsed time of the busiest CPU.
	WallNs float64 `json:"wall_ns"`
	Tasks  int     `json:"tasks"` // distinct pids seen
	CPUs   int     `json:"cpus"`  // highest cpu number seen, plus one

	// Section and Deferred hold the distributions behind SectionNs and
	// DeferredNs, for charts; not encoded.
	Section  *Dist `json:"-"`
	Deferred *Dist `json:"-"`
}

// Callbacks counts the arch callbacks the generic layer made.
type Callbacks struct {
	Enter uint64 `json:"enter"`
	Leave uint64 `json:"leave"`
	Flush uint64 `json:"flush"`
}

// Quantiles summarises a distribution of modeled times, ns. Percentiles use one
// definition everywhere (R type 7, linear interpolation between order
// statistics), the same as the charts.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Hazard names of the contract.
const (
	HazardStaleAccess = "stale-access"
	HazardTLBFlush    = "tlbflush-before-flush"
)

// HazardNames lists the hazard names of the contract, in order.
var HazardNames = []string{HazardStaleAccess, HazardTLBFlush}

// result builds the Result of the replay just finished.
func (e *Engine) result() *Result {
	st := e.stats
	r := &Result{
		Trace:           e.cfg.Trace,
		Arch:            e.be.Name(),
		Strategy:        e.cfg.Strategy.String(),
		Kernel:          e.cfg.Kernel.String(),
		Events:          e.events,
		Updates:         e.updates,
		Batched:         st.Batched,
		Immediate:       st.Immediate,
		Callbacks:       e.callbacks,
		ArchOps:         make(map[string]uint64),
		ModeledNs:       e.modeled,
		SectionNs:       e.section.Quantiles(),
		DeferredNs:      e.deferred.Quantiles(),
		Violations:      make(map[string]uint64, lazymmu.NumViolations),
		Hazards:         make(map[string]uint64, len(HazardNames)),
		Sections:        e.sections,
		Main:            arch.MainCounter(e.info, e.be),
		OracleFlushes:   e.oracleFlushes,
		ExplicitFlushes: e.explicit,
		WorkNs:          e.work,
		Tasks:           len(e.tasks),
		CPUs:            len(e.cpus),
	}
	if e.info != nil {
		for _, c := range e.info.Counters {
			r.ArchOps[c.String()] = st.Ops[c]
		}
	}
	for c := arch.Counter(0); c < arch.NumCounters; c++ {
		if st.Ops[c] != 0 {
			r.ArchOps[c.String()] = st.Ops[c]
		}
	}
	if r.Main != "" {
		if _, ok := r.ArchOps[r.Main]; !ok {
			r.ArchOps[r.Main] = 0
		}
	}
	for v := lazymmu.Violation(0); v < lazymmu.NumViolations; v++ {
		r.Violations[v.String()] = e.violations[v]
	}
	for i, h := range HazardNames {
		r.Hazards[h] = e.hazards[i]
	}
	r.Flushes = st.Flushes
	last := 0
	for n := 1; n < len(st.Batches); n++ {
		if st.Batches[n] != 0 {
			last = n
		}
	}
	if last > 0 {
		r.Batches = append([]uint64(nil), st.Batches[:last+1]...)
	}
	for i := range e.cpus {
		if e.cpus[i].cx.Now > r.WallNs {
			r.WallNs = e.cpus[i].cx.Now
		}
	}
	if e.cfg.KeepDists {
		r.Section, r.Deferred = e.section.clone(), e.deferred.clone()
	}
	return r
}

// MainValue returns the value of the main counter (0 if none).
func (r *Result) MainValue() uint64 { return r.ArchOps[r.Main] }

// HazardTotal returns the number of hazards of every kind.
func (r *Result) HazardTotal() uint64 {
	var n uint64
	for _, v := range r.Hazards {
		n += v
	}
	return n
}

// ViolationTotal returns the number of violations of every kind.
func (r *Result) ViolationTotal() uint64 {
	var n uint64
	for _, v := range r.Violations {
		n += v
	}
	return n
}

// checkFinite returns an error if a modeled figure of r is not finite (a
// backend built with values beyond arch.MaxCost, which a cost file cannot
// set): +Inf or NaN must never reach text or JSON output. The error names
// the figure and the cost parameter that made it so.
func (e *Engine) checkFinite(r *Result) error {
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"modeled_ns", r.ModeledNs}, {"wall_ns", r.WallNs}, {"work_ns", r.WorkNs},
		{"section_ns p50", r.SectionNs.P50}, {"section_ns p90", r.SectionNs.P90},
		{"section_ns p99", r.SectionNs.P99}, {"section_ns max", r.SectionNs.Max},
		{"deferred_ns p50", r.DeferredNs.P50}, {"deferred_ns p90", r.DeferredNs.P90},
		{"deferred_ns p99", r.DeferredNs.P99}, {"deferred_ns max", r.DeferredNs.Max},
	} {
		if math.IsInf(f.v, 0) || math.IsNaN(f.v) {
			return fmt.Errorf("%s: %s under %s: %s is %v: %s", r.Trace, r.Arch, r.Strategy, f.name, f.v, e.culprit())
		}
	}
	return nil
}

// culprit names the cost parameter whose term of the modeled time is the
// largest (not finite, most often), with its value and count.
func (e *Engine) culprit() string {
	lin, ok := e.be.(arch.Linear)
	info, known := arch.Lookup(e.be.Name())
	if !ok || !known {
		return "a cost parameter is too large"
	}
	terms, values := lin.Terms(nil), info.Values(e.cfg.Costs)
	best, bestV := -1, -1.0
	for i, p := range info.Params {
		if i >= len(terms) {
			break
		}
		v := terms[i] * values[p.Name]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = math.Inf(1)
		}
		if best < 0 || v > bestV {
			best, bestV = i, v
		}
	}
	if best < 0 {
		return "a cost parameter is too large"
	}
	p := info.Params[best]
	return fmt.Sprintf("cost parameter %s.%s = %g %s, counted %g times, makes it so (values up to %g keep every sum finite, see docs/costs.md)",
		info.Name, p.Name, values[p.Name], p.Unit, terms[best], arch.MaxCost)
}
