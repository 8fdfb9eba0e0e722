// Package arm64 models arm64's lazy MMU mode: deferral of the
// dsb(ishst); isb barrier pair that must follow a write of a valid kernel
// page-table entry (arch/arm64/include/asm/pgtable.h, lazy support since
// 6.16, commit 5fdd05efa1cd; 7.0 form after commit "arm64: mm: replace
// TIF_LAZY_MMU with is_lazy_mmu_mode_active()").
//
// State is per task: the TIF_LAZY_MMU_PENDING flag, and the task's deferred
// writes (Pending owner = Ctx.Task). Whether the task is in lazy mode is, in
// 7.0, Ctx.Lazy (the generic is_lazy_mmu_mode_active()); under the strategies
// that predate it (Ctx.Before70: flat, typed) it is the arch's own
// TIF_LAZY_MMU flag, set by enter and cleared by leave (6.16-6.19), which
// this backend keeps per task. Never in interrupt context.
//
// Modeled time is linear in counts (arch.Linear):
//
//	ns = pte_write_ns*ptes + barrier_pair_ns*barriers
//	   + defer_check_ns*deferred_writes + flag_atomic_ns*flag_atomics
//
// flag_atomics are the first deferred write of a section (set PENDING),
// every flush and leave (test_and_clear_thread_flag is an unconditional
// atomic RMW since 2022's 'locking/atomic: Make test_and_*_bit() ordered on
// failure'), and before 7.0 every enter and leave (TIF_LAZY_MMU).
//
// See docs/arch/arm64.md for every rule and its source.
package arm64

import (
	"image/color"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// Name is the backend's contract name.
const Name = "arm64"

// Parameter indexes, in Info.Params order.
const (
	pPTEWrite = iota
	pBarrierPair
	pDeferCheck
	pFlagAtomic
)

var params = []arch.Param{
	pPTEWrite: {Name: "pte_write_ns", Default: 2, Unit: "ns/PTE",
		Source: "estimate: one 8-byte store (WRITE_ONCE) to a page table line already in cache, a few cycles at 3.5 GHz (Apple M2); no published figure (docs/published.md); fit by lazybench calibrate"},
	pBarrierPair: {Name: "barrier_pair_ns", Default: 40, Unit: "ns",
		Source: "estimate: dsb(ishst)+isb drains the store buffer and flushes the pipeline, tens of ns on M2; chosen so the pair is about a third of the per-page vmalloc+vfree cost, where the published test_vmalloc curve saturates (-33%, docs/published.md); no primary figure; fit by lazybench calibrate"},
	pDeferCheck: {Name: "defer_check_ns", Default: 1, Unit: "ns/write",
		Source: "estimate: queue_pte_barriers() in lazy mode reads the thread flags and tests TIF_LAZY_MMU_PENDING (a load and a branch) per deferred write; fit by lazybench calibrate"},
	pFlagAtomic: {Name: "flag_atomic_ns", Default: 10, Unit: "ns/op",
		Source: "estimate: one atomic RMW on thread_info.flags (set_thread_flag, test_and_clear_thread_flag: LSE atomics, ~10 ns uncontended); the fixed cost of deferral behind the published +4% at 1 page (docs/published.md); fit by lazybench calibrate"},
}

// Params returns a copy of arm64's cost parameters, in Info.Params order
// (arm64-kpkeys adds its own after them).
func Params() []arch.Param { return append([]arch.Param(nil), params...) }

func init() {
	arch.Register(&arch.Info{
		Name:  Name,
		Order: 0,
		Doc:   "deferred dsb(ishst)+isb after valid kernel PTE writes, per-task pending flag (6.16+)",
		// arch_ops: barriers (dsb+isb pairs). Blue (Okabe-Ito).
		Counters:   []arch.Counter{arch.Barriers},
		Main:       arch.Barriers,
		Colour:     color.RGBA{0, 114, 178, 255},
		PageShifts: []uint8{12, 14, 16}, // CONFIG_ARM64_{4K,16K,64K}_PAGES
		Source:     "arch/arm64/include/asm/pgtable.h (__set_pte_complete, queue_pte_barriers, arch_{enter,leave,flush}_lazy_mmu_mode), arch/arm64/kernel/process.c (__switch_to), Linux 7.0; commit 5fdd05efa1cd (6.16)",
		Params:     params,
		New:        func(v map[string]float64) arch.Backend { return New(v) },
	})
}

// Backend is the arm64 model.
type Backend struct {
	arch.Base
	cost    arch.Model // parameter values (Terms counts itself)
	pending []bool     // per task: TIF_LAZY_MMU_PENDING
	lazy    []bool     // per task: TIF_LAZY_MMU (6.16-6.19 only)

	// The counts each parameter multiplies (Terms).
	// Integers: cheaper to count, and exactly the float sums they replace.
	// Deferred writes are St.Batched.
	ptes, atomics uint64
}

// New returns an arm64 backend with parameter values v (every param and
// option of Info by name; missing ones take their defaults).
func New(v map[string]float64) *Backend {
	return &Backend{cost: arch.NewModel(params, v)}
}

// Name returns "arm64".
func (b *Backend) Name() string { return Name }

// Rules returns arm64's rules. arm64 tolerates nesting (the flag is not a
// count) and a leave outside lazy mode (a flush of nothing); since commit
// b81c688426a9 (6.16) its hooks return at once in interrupt context, which
// the flat and typed layers model with IgnoresIRQ.
func (b *Backend) Rules() lazymmu.Rules { return lazymmu.Rules{IgnoresIRQ: true} }

func (b *Backend) flag(task int) *bool {
	for task >= len(b.pending) {
		b.pending = append(b.pending, false)
		b.lazy = append(b.lazy, false)
	}
	return &b.pending[task]
}

func (b *Backend) tifLazy(task int) *bool {
	b.flag(task)
	return &b.lazy[task]
}

// InLazy reports whether the task of c is in lazy mode as the arch code sees
// it: 7.0's is_lazy_mmu_mode_active() (Ctx.Lazy, false in interrupt
// context), or before 7.0 the task's TIF_LAZY_MMU outside interrupt context.
// A write now would be deferred.
func (b *Backend) InLazy(c *arch.Ctx) bool {
	if c.InIRQ {
		return false
	}
	if c.Before70() {
		return *b.tifLazy(c.Task)
	}
	return c.Lazy
}

// PendingFlag reports whether task's TIF_LAZY_MMU_PENDING is set: its next
// flush or leave will emit the barrier pair.
func (b *Backend) PendingFlag(task int) bool {
	return task >= 0 && task < len(b.pending) && b.pending[task]
}

func (b *Backend) atomic() float64 {
	b.atomics++
	return b.cost.Value(pFlagAtomic)
}

// barrier issues one dsb(ishst); isb pair.
func (b *Backend) barrier() float64 {
	b.Count(arch.Barriers, 1)
	return b.cost.Value(pBarrierPair)
}

// flush is arch_flush_lazy_mmu_mode: if test_and_clear_thread_flag(
// TIF_LAZY_MMU_PENDING), emit the barrier pair; the pair makes every
// deferred write of the task take effect.
func (b *Backend) flush(c *arch.Ctx) float64 {
	ns := b.atomic() // test_and_clear_thread_flag is an atomic RMW, set or not
	f := b.flag(c.Task)
	if *f {
		*f = false
		ns += b.barrier()
		b.Drain(c.Task, c.Now+ns)
	}
	return ns
}

// Enter is arch_enter_lazy_mmu_mode: empty in 7.0; before it (6.16-6.19)
// set_thread_flag(TIF_LAZY_MMU), nothing in interrupt context.
func (b *Backend) Enter(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	if !c.Before70() || c.InIRQ {
		return 0, 0
	}
	*b.tifLazy(c.Task) = true
	return b.atomic(), 0
}

// Leave is arch_leave_lazy_mmu_mode: a flush; before 7.0 then
// clear_thread_flag(TIF_LAZY_MMU), and nothing at all in interrupt context.
func (b *Backend) Leave(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	if !c.Before70() {
		return b.flush(c), 0
	}
	if c.InIRQ {
		return 0, 0
	}
	ns := b.flush(c)
	*b.tifLazy(c.Task) = false
	return ns + b.atomic(), 0
}

// Flush is arch_flush_lazy_mmu_mode (before 7.0: nothing in interrupt
// context).
func (b *Backend) Flush(c *arch.Ctx) float64 {
	if c.Before70() && c.InIRQ {
		return 0
	}
	return b.flush(c)
}

// needsBarrier reports whether the update writes a valid kernel entry
// through a path that ends in __set_pte_complete / queue_pte_barriers:
// set_pte(s), pte_clear (a set of an empty, so invalid, entry) and
// ptep_modify_prot_commit (set_pte_at). ptep_get_and_clear (xchg) and
// ptep_set_wrprotect (cmpxchg loop) issue no barrier pair.
func needsBarrier(e *traces.Event) bool {
	switch e.Op {
	case traces.OpSet, traces.OpClear, traces.OpModify:
		return e.MM == 0 && e.Flags&traces.FlagValid != 0
	}
	return false
}

// Update is one PTE update. A set of nr pages is one set_ptes call: nr
// stores and one queue_pte_barriers at the end (__set_ptes_anysz).
func (b *Backend) Update(c *arch.Ctx, e *traces.Event) float64 {
	ns := b.write(e)
	if !needsBarrier(e) {
		// A user entry, an invalid one, an xchg or a cmpxchg: no
		// queue_pte_barriers.
		b.St.Immediate++
		return ns
	}
	if !b.InLazy(c) {
		b.St.Immediate++
		return ns + b.barrier()
	}
	// queue_pte_barriers in lazy mode: read the flags; set PENDING with an
	// atomic only if it is not set yet.
	b.St.Batched++
	ns += b.cost.Value(pDeferCheck)
	if f := b.flag(c.Task); !*f {
		*f = true
		ns += b.atomic()
	}
	b.Pend.Add(c.Task, e.MM, e.Addr, e.Nr, e.Shift, c.Now+ns)
	return ns
}

// write counts the nr (at least 1) PTE stores of e and returns their cost.
func (b *Backend) write(e *traces.Event) float64 {
	n := max(e.Nr, 1)
	b.ptes += uint64(n)
	return writeNs(n, b.cost.Value(pPTEWrite))
}

// writeNs is the cost of n PTE stores at pte ns each, rounded (the
// conversion) so that no build fuses it into the caller's next add (a fused
// multiply-add, as arm64 and ppc64 builds make, would round once, not twice).
func writeNs(n uint32, pte float64) float64 { return float64(float64(n) * pte) }

// Switch models __switch_to's dsb(ish), which makes the outgoing task's
// pending page-table writes visible to the table walker (its comment, since
// commit 5fdd05efa1cd). The dsb is issued on every switch whatever lazy
// mode does, so it costs nothing here and is not counted as a barrier pair;
// the TIF_LAZY_MMU_PENDING flag stays set and follows the task, so its next
// flush still pays one pair, as in the kernel.
func (b *Backend) Switch(c *arch.Ctx, next int, nextPID uint32, nextLazy bool) (float64, lazymmu.ViolationSet) {
	b.Drain(c.Task, c.Now)
	return 0, 0
}

// FlushOwner makes only task owner's deferred writes take effect: one
// barrier pair if its pending flag is set (the ideal strategy's on-demand
// flush of the one task an access needs).
func (b *Backend) FlushOwner(c *arch.Ctx, owner int) float64 {
	if owner < 0 || owner >= len(b.pending) || !b.pending[owner] {
		return 0
	}
	cc := *c
	cc.Task = owner
	return b.flush(&cc)
}

// FlushAll makes every task's deferred writes take effect: one barrier pair
// for each task whose pending flag is set.
func (b *Backend) FlushAll(c *arch.Ctx) float64 {
	ns := 0.0
	for t := range b.pending {
		if b.pending[t] {
			cc := *c
			cc.Task = t
			cc.Now = c.Now + ns
			ns += b.flush(&cc)
		}
	}
	// Entries of tasks whose flag was cleared can only have been drained
	// already; anything left is drained now (defensive, counts nothing).
	b.Pend.DrainAll(c.Now + ns)
	return ns
}

// Terms returns the counts each parameter multiplies, in Params order.
func (b *Backend) Terms(dst []float64) []float64 {
	return append(dst, float64(b.ptes), float64(b.St.Ops[arch.Barriers]), float64(b.St.Batched), float64(b.atomics))
}

// Reset clears all state and counters, keeping costs.
func (b *Backend) Reset() {
	b.ResetBase()
	clear(b.pending)
	clear(b.lazy)
	b.ptes, b.atomics = 0, 0
}
