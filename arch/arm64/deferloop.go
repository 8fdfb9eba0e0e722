package arm64

import (
	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/traces"
)

// deferLoopState is deferLoop's input and output besides the events: the
// clocks and the PENDING flag (1 or 0) in and out, the costs in, the PTE
// stores and the entries kept out.
type deferLoopState struct {
	now, modeled float64
	pte          float64    // pte_write_ns
	check        [2]float64 // 0, defer_check_ns: by the barrier bit
	set          [2]float64 // 0, flag_atomic_ns: by the bit of the first barrier
	flag         uint64
	ptes         uint64
	kept         int
}

// Bits of runOp.
const (
	runUpdate  = 1 // an update (Op.IsUpdate)
	runBarrier = 2 // an op of needsBarrier (barrierOp)
)

// runOp classifies every uint8 op for deferLoop: one lookup answers both
// whether the run goes on and whether the op can need the barrier pair.
var runOp = func() (t [256]uint8) {
	for op := range traces.NumOps {
		if op.IsUpdate() {
			t[op] |= runUpdate
		}
		if barrierOp[op] != 0 {
			t[op] |= runBarrier
		}
	}
	return t
}()

// inRun reports whether e goes on a run of updates by who (its CPU and PID
// as one word, CPU low): an update by that task on that CPU.
func inRun(e *traces.Event, who uint64) bool {
	return runOp[e.Op]&runUpdate != 0 && uint64(e.CPU)|uint64(e.PID)<<32 == who
}

// deferLoopGo is UpdateRun's loop in lazy mode, and deferLoop where there
// is no assembly: for each event of evs from the first while it is an
// update by who (its CPU and PID as one word, CPU low), what Update does in
// lazy mode, with the costs and counts selected by the update's barrier bit
// and not by a branch. Each update's pending entry is written at the next
// free place of room (which has room for every event of evs) and kept by
// that bit. It returns how many events it did.
func deferLoopGo(evs []traces.Event, who uint64, room []arch.PendingEntry, s *deferLoopState) int {
	now, modeled, pte, flag := s.now, s.modeled, s.pte, s.flag
	ptes, kept := uint64(0), 0
	i := 0
	for ; i < len(evs); i++ {
		e := &evs[i]
		if !inRun(e, who) {
			break
		}
		n := max(e.Nr, 1)
		ptes += uint64(n)
		bar := barrierBit(e)
		first := bar &^ flag
		flag |= bar
		ns := writeNs(n, pte) + s.check[bar]
		ns += s.set[first]
		room[kept].Set(e.MM, e.Addr, e.Nr, e.Shift, now+ns)
		kept += int(bar)
		now += ns
		modeled += ns
	}
	s.now, s.modeled, s.flag, s.ptes, s.kept = now, modeled, flag, ptes, kept
	return i
}
