package all

import (
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/traces"
)

// section drives b through one section of n updates of every kind on two
// CPUs and two tasks, with an interrupt, a context switch and a FlushAll:
// every method the replay loop calls.
func section(b arch.Backend, n int, evs []traces.Event, c *arch.Ctx) {
	c.Lazy = true
	b.Enter(c)
	for i := 0; i < n; i++ {
		e := &evs[i%len(evs)]
		e.Addr = 0x7f0000000000 + uint64(i)<<12
		b.Update(c, e)
		if i == n/2 {
			c.InIRQ = true
			b.Update(c, e)
			c.InIRQ = false
			b.Flush(c)
		}
		c.Now += 10
	}
	b.Switch(c, 1, 2, false)
	c.Task, c.Lazy = 1, false
	b.Update(c, &evs[0])
	b.Switch(c, 0, 1, true)
	c.Task, c.Lazy = 0, false
	b.Leave(c)
	c.CPU = 1 - c.CPU
	b.FlushAll(c)
}

func events() []traces.Event {
	var evs []traces.Event
	for _, op := range []traces.Op{traces.OpSet, traces.OpClear, traces.OpGetClear, traces.OpModify, traces.OpWrprotect} {
		for _, mm := range []uint32{0, 1} {
			e := traces.Defaults(op)
			e.MM = mm
			evs = append(evs, e)
		}
	}
	return evs
}

// The replay loop allocates nothing per event: once every CPU and task has
// been seen, a backend's calls allocate nothing.
func TestNoAllocsPerCall(t *testing.T) {
	for _, name := range arch.Names() {
		t.Run(name, func(t *testing.T) {
			b, err := arch.New(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			evs := events()
			c := &arch.Ctx{PID: 1}
			for i := 0; i < 3; i++ { // warm up: grow per-CPU and per-task state, Pending lists
				section(b, 600, evs, c)
			}
			if a := testing.AllocsPerRun(20, func() { section(b, 600, evs, c) }); a != 0 {
				t.Errorf("%s: %v allocations per section, want 0", name, a)
			}
		})
	}
}

// BenchmarkSection measures each backend's cost per update call in a
// 512-update section (go test -bench Section ./arch/all).
func BenchmarkSection(b *testing.B) {
	for _, name := range arch.Names() {
		b.Run("arch="+name, func(b *testing.B) {
			be, err := arch.New(name, nil)
			if err != nil {
				b.Fatal(err)
			}
			evs := events()
			c := &arch.Ctx{PID: 1}
			section(be, 512, evs, c)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				section(be, 512, evs, c)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/512, "ns/update")
		})
	}
}
