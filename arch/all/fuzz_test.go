package all

import (
	"math"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// FuzzBackends drives every backend with an arbitrary sequence of calls
// (one byte each) and checks what must hold whatever the sequence: no
// panic, every cost finite and >= 0, Flushes equal to the sum of the batch
// histogram, Batched+Immediate equal to the number of updates, nothing
// pending after FlushAll, and, for arch.Linear backends, the terms
// reproducing the summed cost.
func FuzzBackends(f *testing.F) {
	f.Add([]byte{0, 3, 3, 3, 1})
	f.Add([]byte{0, 0, 3, 1, 1, 3})
	f.Add([]byte{0, 0x33, 0x83, 9, 0x13, 9, 2, 0x18, 0x28, 1, 11})
	f.Add([]byte{10, 0, 0xf3, 0xf6, 0x38, 10, 0x17, 1, 0x48})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		for _, name := range arch.Names() {
			fuzzOne(t, name, data)
		}
	})
}

func fuzzOne(t *testing.T, name string, data []byte) {
	b, err := arch.New(name, nil)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := arch.Lookup(name)
	running := [2]int{0, 1}
	lazy := [4]bool{}
	irq := [2]bool{}
	clock := [2]float64{}
	cpu := 0
	total := 0.0
	updates := uint64(0)
	// The length picks the strategy, so the pre-7.0 arch code (Before70)
	// is fuzzed too.
	strategy := lazymmu.Strategy(len(data) % int(lazymmu.NumStrategies))
	ctx := func() *arch.Ctx {
		task := running[cpu]
		return &arch.Ctx{CPU: cpu, Task: task, PID: uint32(task + 1), Now: clock[cpu], Lazy: lazy[task] && !irq[cpu], InIRQ: irq[cpu], Strategy: strategy}
	}
	charge := func(ns float64) {
		if math.IsNaN(ns) || math.IsInf(ns, 0) || ns < 0 {
			t.Fatalf("%s: cost %v", name, ns)
		}
		total += ns
		clock[cpu] += ns
	}
	ops := []traces.Op{traces.OpSet, traces.OpClear, traces.OpGetClear, traces.OpModify, traces.OpWrprotect}
	for i, x := range data {
		hi := int(x >> 4)
		switch x & 15 {
		case 0:
			lazy[running[cpu]] = true
			ns, _ := b.Enter(ctx())
			charge(ns)
		case 1:
			lazy[running[cpu]] = false
			ns, _ := b.Leave(ctx())
			charge(ns)
		case 2:
			charge(b.Flush(ctx()))
		case 3, 4, 5, 6, 7:
			e := traces.Defaults(ops[x&15-3])
			e.MM = uint32(hi & 1)
			e.Nr = uint32(hi>>1) + 1
			e.Addr = uint64(i%7) << 12
			if hi&8 != 0 {
				e.Flags ^= traces.FlagValid
			}
			if e.Op == traces.OpGetClear && hi&4 != 0 {
				e.Flags |= traces.FlagFull
			}
			updates++
			charge(b.Update(ctx(), &e))
		case 8:
			next := hi % 4
			if next == running[1-cpu] || next == running[cpu] {
				break
			}
			ns, _ := b.Switch(ctx(), next, uint32(next+1), lazy[next])
			charge(ns)
			running[cpu] = next
		case 9:
			irq[cpu] = !irq[cpu]
		case 10:
			cpu = 1 - cpu
		case 11:
			charge(b.FlushAll(ctx()))
		default:
			clock[cpu] += float64(hi)
		}
	}
	charge(b.FlushAll(ctx()))
	if n := b.Pending().Total(); n != 0 {
		t.Fatalf("%s: %d pending after FlushAll", name, n)
	}
	st := b.Stats()
	var sum uint64
	for _, n := range st.Batches {
		sum += n
	}
	if sum != st.Flushes {
		t.Fatalf("%s: Flushes %d, sum of Batches %d", name, st.Flushes, sum)
	}
	if st.Batched+st.Immediate != updates {
		t.Fatalf("%s: batched %d + immediate %d != %d updates", name, st.Batched, st.Immediate, updates)
	}
	if lin, ok := b.(arch.Linear); ok {
		v := info.Values(nil)
		s := 0.0
		for k, x := range lin.Terms(nil) {
			s += x * v[info.Params[k].Name]
		}
		if math.Abs(s-total) > 1e-6*math.Max(1, total) {
			t.Fatalf("%s: linear terms %v ns, calls %v ns", name, s, total)
		}
	}
}
