package replay

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
	_ "github.com/lazybench/lazybench/arch/all"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// FuzzEngine replays any text trace that parses under every strategy, on the
// fake backend and on every registered arch: the engine must not panic
// (whatever the order of calls, interrupts, switches and pids), every update
// is counted once as batched or immediate, every deferred update is drained
// exactly once by the end, and ideal leaves no hazard. With an observer the
// engine also fills in each step: the result must be the same.
func FuzzEngine(f *testing.F) {
	for _, s := range traceTable {
		f.Add(s)
	}
	f.Add(mixed)
	f.Add("0 0 1 disable\n0 0 1 resume\n0 0 1 irq_exit\n0 4095 7 switch next=7 mid=1\n0 4095 7 enable\n")
	f.Fuzz(func(t *testing.T, text string) {
		var evs []traces.Event
		tr := traces.NewTextReader(strings.NewReader(text), "fuzz")
		for tr.Next() && len(evs) < 4096 {
			evs = append(evs, *tr.Event())
		}
		if tr.Err() != nil {
			return
		}
		backends := []func() arch.Backend{func() arch.Backend { return &fake{} }}
		for _, n := range arch.Names() {
			backends = append(backends, func() arch.Backend { b, _ := arch.New(n, nil); return b })
		}
		for _, mk := range backends {
			for _, s := range lazymmu.Strategies() {
				be := mk()
				e, err := New(Config{Backend: be, Strategy: s, KeepDists: true})
				if err != nil {
					t.Fatal(err)
				}
				r, err := e.Run(&sliceReader{ev: evs})
				if err != nil {
					t.Fatalf("%s/%s: %v", be.Name(), s, err)
				}
				if r.Events != uint64(len(evs)) || r.Batched+r.Immediate != r.Updates {
					t.Errorf("%s/%s: events %d of %d, batched %d + immediate %d != updates %d",
						be.Name(), s, r.Events, len(evs), r.Batched, r.Immediate, r.Updates)
				}
				if be.Pending().Total() != 0 {
					t.Errorf("%s/%s: %d updates still deferred after the end", be.Name(), s, be.Pending().Total())
				}
				if be.Name() == "fake" && r.Deferred.Count() != r.Batched {
					t.Errorf("%s/%s: %d batched, %d drained", be.Name(), s, r.Batched, r.Deferred.Count())
				}
				if s == lazymmu.Ideal && r.HazardTotal() != 0 {
					t.Errorf("%s/ideal: hazards %v", be.Name(), r.Hazards)
				}
				j, _ := json.Marshal(r) // before the engine runs again
				e.SetObserver(nopObserver{})
				ro, err := e.Run(&sliceReader{ev: evs})
				if err != nil {
					t.Fatalf("%s/%s with an observer: %v", be.Name(), s, err)
				}
				jo, _ := json.Marshal(ro)
				if !bytes.Equal(j, jo) {
					t.Errorf("%s/%s: result differs with an observer:\n%s\n%s", be.Name(), s, j, jo)
				}
			}
		}
	})
}
