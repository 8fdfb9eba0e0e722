package bench

import (
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

// On every corpus trace and arch, ideal leaves no hazard, and makes no more
// arch flush operations (batch drains plus updates done at once) than any
// strategy that leaves no hazard either. (upstream is not hazard-free on
// every trace: pagemap-scan issues a TLB flush inside its section, before
// the pending updates are flushed, KERNEL.md 4.)
func TestIdealLowerBoundCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("replays the whole corpus under every arch and strategy")
	}
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
			for s, r := range res {
				if r.HazardTotal() == 0 && ideal.Flushes+ideal.Immediate > r.Flushes+r.Immediate {
					t.Errorf("%s/%s: ideal flushes %d + immediate %d > %s's %d + %d", tr.name, a,
						ideal.Flushes, ideal.Immediate, s, r.Flushes, r.Immediate)
				}
			}
		}
	}
}
