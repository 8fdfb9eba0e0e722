package bench

import (
	"fmt"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

// idealMetrics are the figures ideal must not exceed. "ops" is drains plus
// updates done at once (each a flush of its own).
var idealMetrics = []struct {
	name string
	get  func(*replay.Result) float64
	none bool // also compared with none (which never drains)
}{
	{"main", replay.MetricByKey("main").Value, true},
	{"flushes", replay.MetricByKey("flushes").Value, false},
	{"modeled_ns", replay.MetricByKey("modeled_ns").Value, false},
	{"ops", func(r *replay.Result) float64 { return float64(r.Flushes + r.Immediate) }, true},
}

// idealExceptions are the (trace, arch, strategy, metric) where ideal is
// above a hazard-free strategy, with the measured figures (ideal, other);
// docs/replay.md ("ideal", limits) says why for each. The test fails if a
// figure changes, if a new exception appears, or if one goes away.
var idealExceptions = map[string][2]float64{
	// flat's inner leave (debug-pagealloc's nested section; the irq trace's
	// interrupt-context enable/leave under Xen and s390, whose rules do not
	// ignore interrupts) turns batching off for the rest of the outer
	// section: fewer drains, more updates done at once ("ops" stays below).
	"debug-pagealloc/ppc64-hash/flat/flushes": {25, 17},
	"debug-pagealloc/sparc64/flat/flushes":    {25, 17},
	"irq/s390/flat/flushes":                   {59, 54},
	"irq/x86-xen/flat/flushes":                {48, 20},
	// s390 caches full-teardown get_and_clear in a section and writes it
	// back with range IPTEs; outside lazy mode it is a plain store of
	// _PAGE_INVALID (no IPTE). Every strategy that batches pays the 22.
	"exit/s390/none/main": {22, 0},
	// s390: a mid=1 switch holds upstream's enter until the task runs again,
	// which re-arms the one-table cache for the rest of the section; ideal
	// is never preempted inside a call, so the other task's section disarms
	// the cache and the resumed sets are plain stores (immediate, no IPTE):
	// more operations, fewer IPTEs, drains and ns.
	"preempt/s390/upstream/ops":  {219, 160},
	"preempt/s390/flat/ops":      {219, 160},
	"preempt/s390/typed/ops":     {219, 160},
	"preempt/s390/countbool/ops": {219, 160},
	"preempt/s390/noflush/ops":   {219, 160},
}

// On every corpus trace and arch, ideal leaves no hazard, and its main
// counter, drains (flushes), modeled time and operations (drains plus
// updates done at once) are at most those of every strategy that leaves no
// hazard either, apart from idealExceptions. none is compared on the main
// counter and the operations only: it never batches, so it never drains and
// pays no batching overhead. (upstream is not hazard-free on every trace:
// pagemap-scan issues a TLB flush inside its section, before the pending
// updates are flushed, KERNEL.md 4.)
func TestIdealLowerBoundCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("replays the whole corpus under every arch and strategy")
	}
	seen := map[string]bool{}
	for _, tr := range benchTraces(t) {
		for _, a := range arch.Names() {
			res := map[lazymmu.Strategy]*replay.Result{}
			for _, s := range lazymmu.Strategies() {
				r, err := traces.NewBytesReader(tr.data, tr.name)
				if err != nil {
					t.Fatal(err)
				}
				if res[s], err = replay.Run(r, replay.Config{Trace: tr.name, Arch: a, Strategy: s}); err != nil {
					t.Fatal(err)
				}
			}
			ideal := res[lazymmu.Ideal]
			if ideal.HazardTotal() != 0 {
				t.Errorf("%s/%s: ideal hazards %v", tr.name, a, ideal.Hazards)
			}
			for _, s := range lazymmu.Strategies() {
				r := res[s]
				if s == lazymmu.Ideal || r.HazardTotal() != 0 {
					continue
				}
				for _, m := range idealMetrics {
					if s == lazymmu.None && !m.none {
						continue
					}
					iv, ov := m.get(ideal), m.get(r)
					key := fmt.Sprintf("%s/%s/%s/%s", tr.name, a, s, m.name)
					ex, isEx := idealExceptions[key]
					switch {
					case isEx:
						seen[key] = true
						if ex != [2]float64{iv, ov} {
							t.Errorf("%s: ideal %g, %s %g; the exception table says %g, %g", key, iv, s, ov, ex[0], ex[1])
						}
					case iv > ov+1e-6:
						t.Errorf("%s: ideal %g > %s %g", key, iv, s, ov)
					}
				}
			}
		}
	}
	for k := range idealExceptions {
		if !seen[k] {
			t.Errorf("exception %s no longer happens: remove it from the table", k)
		}
	}
}
