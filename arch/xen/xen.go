// Package xen models lazy MMU mode on x86 Xen PV guests (contract name
// "x86-xen"): PTE writes are mmu_update hypercalls, queued in lazy mode in
// the per-CPU multicall buffer (arch/x86/xen/multicalls.c) and issued when it
// fills or at flush and leave; atomic updates are trapped and emulated by Xen
// one by one. See docs/arch/x86-xen.md for every rule and its source.
//
// State is per CPU: the Xen lazy mode (xen_lazy_mode: none or MMU) and the
// multicall buffer (entries, argument bytes). Deferred updates are Pending
// entries owned by the CPU index.
//
// Violations. Enter and Leave report what the kernel's BUG_ONs in
// enter_lazy() / leave_lazy() would catch, from the backend's own per-CPU
// mode, not from the generic layer's state:
//   - Enter while the CPU is already in Xen lazy MMU mode: NestedEnter (the
//     mode stays on; with option nesting=1, 6.6-6.14's xen_lazy_nesting, it
//     is counted as a nesting level instead and is legal).
//   - Leave while the CPU is not in lazy MMU mode: LeaveWhileInactive (the
//     buffer is still flushed first, as xen_leave_lazy_mmu does).
//   - Switch: if a nesting level (option nesting=1) is still open when the
//     task is switched out, the leave unwinds one level only and
//     enter_lazy(XEN_LAZY_CPU) then BUG_ONs: NestedEnter.
//
// This catches the 7.0-rc crash without help from the engine (and, as in
// the kernel, only with 7.0's switch-in rule: before 7.0, Ctx.Before70, the
// switch-in re-enters only a task that was switched out in lazy mode): when a task's
// enable was preempted between its counter update and its enter
// (traces.FlagMid), the switch back in enters lazy mode because the task's
// generic state says it is active (nextLazy, commit "x86/xen: use
// lazy_mmu_state when context-switching"), and the delayed enter that the
// engine then makes finds the mode on: NestedEnter. Symmetrically a disable
// preempted before its leave: the switch-out leaves, the switch-in does not
// re-enter, and the delayed leave reports LeaveWhileInactive.
//
// Modeled time is linear in counts (arch.Linear):
//
//	ns = pte_write_ns*plain_or_queued_ptes + hypercall_ns*(hypercalls+multicalls)
//	   + mmu_update_entry_ns*entries_sent + multicall_ns*multicall_entries
//	   + trap_emulate_ns*trapped_ptes
package xen

import (
	"image/color"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// Name is the backend's contract name.
const Name = "x86-xen"

// The multicall buffer's limits (arch/x86/xen/multicalls.c).
const (
	MCBatch        = 32           // MC_BATCH: multicall entries
	MCArgs         = MCBatch * 16 // MC_ARGS: argument bytes
	MMUUpdateBytes = 16           // sizeof(struct mmu_update)
	// MaxPerHypercall is how many PTE updates one mmu_update entry carries:
	// xen_mc_extend_args refuses when argidx+16 >= 512, so the 32nd update
	// starts a new entry, and __xen_mc_entry flushes first for the same
	// reason.
	MaxPerHypercall = (MCArgs - 1) / MMUUpdateBytes
)

const (
	pPTEWrite = iota
	pHypercall
	pEntry
	pMulticall
	pTrap
)

var params = []arch.Param{
	pPTEWrite: {Name: "pte_write_ns", Default: 2, Unit: "ns/PTE",
		Source: "estimate: guest-side cost of filling one struct mmu_update in the multicall buffer, or of a plain store to an unpinned page table at exit; a few cycles; no published figure (docs/published.md)"},
	pHypercall: {Name: "hypercall_ns", Default: 500, Unit: "ns/call",
		Source: "estimate: a 64-bit PV hypercall is a syscall-style ring transition into Xen and back plus argument copy-in, a few hundred ns on current x86 with mitigations; no published figure for mmu_update (docs/published.md)"},
	pEntry: {Name: "mmu_update_entry_ns", Default: 60, Unit: "ns/PTE",
		Source: "estimate: Xen's per-entry work in do_mmu_update (translate, validate the new L1 entry, take/drop page references, write); no published figure"},
	pMulticall: {Name: "multicall_ns", Default: 40, Unit: "ns/entry",
		Source: "estimate: HYPERVISOR_multicall's per-entry dispatch on top of the hypercall; no published figure. PTE updates alone never make a buffer of two entries (consecutive mmu_updates extend one entry), so this only matters for buffers mixing ops"},
	pTrap: {Name: "trap_emulate_ns", Default: 1500, Unit: "ns/PTE",
		Source: "estimate: a write to a read-only (pinned) page table faults into Xen, which decodes and emulates it (ptwr emulation) and returns; taken as about three hypercalls; no published figure"},
}

var options = []arch.Param{
	{Name: "nesting", Default: 0, Unit: "0 or 1",
		Source: "1 models 6.6-6.14, where enter_lazy() of the mode already on counts a nesting level (xen_lazy_nesting, commit 49147beb0ccb) instead of BUG_ON; 0 models 6.15 on (revert in Ryan Roberts's 'Fix lazy mmu mode' series, Mar 2025) and 7.0; no effect under --kernel 7.3, which has no Xen lazy MMU mode to nest"},
}

func init() {
	arch.Register(&arch.Info{
		Name:  Name,
		Order: 3,
		Doc:   "Xen PV: mmu_update hypercalls batched in the per-CPU multicall buffer (31 updates per call), atomic updates trapped",
		// arch_ops: hypercalls (direct, including a singleton multicall
		// buffer), multicalls. Reddish purple (Okabe-Ito).
		Counters:   []arch.Counter{arch.Hypercalls, arch.Multicalls},
		Main:       arch.Hypercalls,
		Colour:     color.RGBA{204, 121, 167, 255},
		PageShifts: []uint8{12},
		Source:     "arch/x86/xen/mmu_pv.c (xen_batched_set_pte, xen_leave_lazy_mmu), arch/x86/xen/multicalls.c (xen_mc_extend_args, __xen_mc_entry), arch/x86/xen/enlighten_pv.c (xen_start/end_context_switch), arch/x86/include/asm/xen/hypervisor.h (enter_lazy, leave_lazy), Linux 7.0",
		Params:     params,
		Options:    options,
		New:        func(v map[string]float64) arch.Backend { return New(v) },
	})
}

// Multicall entry ops the buffer tells apart (only the op of the last entry
// matters: xen_mc_extend_args extends it only if it is the same op).
const (
	opMMUUpdate uint8 = iota + 1
	opOther
)

type cpuState struct {
	lazy    bool   // xen_lazy_mode == XEN_LAZY_MMU
	nesting uint32 // xen_lazy_nesting (option)
	mcidx   int    // multicall entries queued
	argidx  int    // argument bytes used
	lastOp  uint8  // op of the last entry
	ptes    int    // PTE updates queued (for the batch histogram)
}

// Backend is the Xen PV model.
type Backend struct {
	arch.Base
	cost    arch.Model // parameter values (Terms counts itself)
	nesting bool
	cpus    arch.PerCPU[cpuState]
	updates arch.PerCPU[bool] // per task: TIF_LAZY_MMU_UPDATES (before 7.0)

	queued, sent, mcEntries, traps float64 // Terms counts
}

// New returns a Xen PV backend with parameter values v.
func New(v map[string]float64) *Backend {
	return &Backend{cost: arch.NewModel(params, v), nesting: arch.Option(v, "nesting", options)}
}

// Name returns "x86-xen".
func (b *Backend) Name() string { return Name }

// Rules returns Xen's crash rules: enter_lazy() and leave_lazy() BUG_ON a
// mode that is already on / not on (arch/x86/include/asm/xen/hypervisor.h up
// to 7.0). With the nesting option a second enter is legal, and a leave is
// legal while a nesting level is open, which the generic layer's one-bit
// record of the arch mode cannot follow: both checks are then left to the
// backend, which still reports a leave with no level open.
func (b *Backend) Rules() lazymmu.Rules {
	return lazymmu.Rules{NestedEnterCrashes: !b.nesting, LeaveInactiveCrashes: !b.nesting}
}

// mcFlush is xen_mc_flush: nothing if empty, one direct hypercall for a
// single entry, one HYPERVISOR_multicall for more. The queued updates take
// effect.
func (b *Backend) mcFlush(cpu int, now float64) float64 {
	s := b.cpus.Get(cpu)
	if s.mcidx == 0 {
		return 0
	}
	ns := b.cost.Value(pHypercall) + float64(s.ptes)*b.cost.Value(pEntry)
	b.sent += float64(s.ptes)
	if s.mcidx == 1 {
		b.Count(arch.Hypercalls, 1)
	} else {
		b.Count(arch.Multicalls, 1)
		b.mcEntries += float64(s.mcidx)
		ns += float64(s.mcidx) * b.cost.Value(pMulticall)
	}
	b.RecordBatch(s.ptes)
	b.Pend.Drain(cpu, now+ns)
	s.mcidx, s.argidx, s.lastOp, s.ptes = 0, 0, 0, 0
	return ns
}

// newEntry is __xen_mc_entry(size): flush first if the buffer has no entry
// or argument space left, then start an entry of op.
func (b *Backend) newEntry(cpu int, now float64, op uint8, size int) float64 {
	s := b.cpus.Get(cpu)
	ns := 0.0
	argidx := (s.argidx + 7) &^ 7
	if s.mcidx == MCBatch || argidx+size >= MCArgs {
		ns = b.mcFlush(cpu, now)
		argidx = 0
	}
	s.mcidx++
	s.argidx = argidx + size
	s.lastOp = op
	return ns
}

// queueMMU is n calls of xen_extend_mmu_update: each extends the last
// entry if it is an mmu_update with room (xen_mc_extend_args), else starts
// a new one. It returns the cost of the flushes it forced.
func (b *Backend) queueMMU(cpu int, now float64, n uint64) float64 {
	ns := 0.0
	for n > 0 {
		s := b.cpus.Get(cpu)
		if s.mcidx == 1 && s.lastOp == opMMUUpdate && s.ptes == MaxPerHypercall &&
			n > MaxPerHypercall && b.Pend.Len(cpu) == 0 {
			// The buffer is one full mmu_update entry of this call's own
			// updates: each further 31 updates flush it and refill it.
			// Do all but the last cycle at once, so that a huge nr costs
			// O(1) (the loop would be correct, only slow).
			m := (n - 1) / MaxPerHypercall
			b.Count(arch.Hypercalls, m)
			b.sent += float64(m * MaxPerHypercall)
			b.St.Flushes += m
			b.St.Batches[MaxPerHypercall] += m
			ns += float64(m) * (b.cost.Value(pHypercall) + MaxPerHypercall*b.cost.Value(pEntry))
			n -= m * MaxPerHypercall
			continue
		}
		if s.mcidx > 0 && s.lastOp == opMMUUpdate && s.argidx+MMUUpdateBytes < MCArgs {
			// Extend by as many as fit: argidx+16 < 512 after each.
			room := uint64((MCArgs - 1 - s.argidx) / MMUUpdateBytes)
			k := min(room, n)
			s.argidx += int(k) * MMUUpdateBytes
			s.ptes += int(k)
			n -= k
			continue
		}
		ns += b.newEntry(cpu, now+ns, opMMUUpdate, MMUUpdateBytes)
		b.cpus.Get(cpu).ptes++
		n--
	}
	return ns
}

// queueOther queues one multicall entry of another op with size argument
// bytes (mmuext_op and friends); PTE updates never do this, tests do.
func (b *Backend) queueOther(cpu int, now float64, size int) float64 {
	return b.newEntry(cpu, now, opOther, size)
}

// lazyMode says whether PTE writes are batched: in 7.0
// xen_get_lazy_mode() == XEN_LAZY_MMU, the CPU's mode; in 7.3
// is_lazy_mmu_mode_active(), the task's generic state (xen_batched_set_pte,
// xen_ptep_modify_prot_commit in arch/x86/xen/mmu_pv.c). Never in interrupt
// context.
func (b *Backend) lazyMode(c *arch.Ctx) bool {
	if c.Kernel73() {
		return !c.InIRQ && c.Lazy
	}
	return !c.InIRQ && b.cpus.Get(c.CPU).lazy
}

// Enter is xen_enter_lazy_mmu -> enter_lazy(XEN_LAZY_MMU) in 7.0. In 7.3
// arch_enter_lazy_mmu_mode() is empty (arch/x86/include/asm/paravirt.h):
// Xen keeps no lazy MMU mode of its own, so nothing can be entered twice.
func (b *Backend) Enter(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	if c.Kernel73() {
		return 0, 0
	}
	s := b.cpus.Get(c.CPU)
	if s.lazy {
		if b.nesting {
			s.nesting++
			return 0, 0
		}
		return 0, lazymmu.ViolationSet(0).With(lazymmu.NestedEnter)
	}
	s.lazy = true
	return 0, 0
}

// Leave is xen_leave_lazy_mmu: xen_mc_flush(), then leave_lazy(XEN_LAZY_MMU)
// in 7.0. In 7.3 arch_leave_lazy_mmu_mode() is arch_flush_lazy_mmu_mode()
// (paravirt.h), xen_flush_lazy_mmu's xen_mc_flush() with no mode to check.
func (b *Backend) Leave(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	ns := b.mcFlush(c.CPU, c.Now)
	if c.Kernel73() {
		return ns, 0
	}
	s := b.cpus.Get(c.CPU)
	switch {
	case !s.lazy:
		return ns, lazymmu.ViolationSet(0).With(lazymmu.LeaveWhileInactive)
	case s.nesting > 0:
		s.nesting--
	default:
		s.lazy = false
	}
	return ns, 0
}

// Flush is xen_flush_lazy_mmu: in 7.0 flush the buffer if
// xen_get_lazy_mode() is XEN_LAZY_MMU (so not in interrupt context); in 7.3
// flush it always (arch/x86/xen/mmu_pv.c xen_flush_lazy_mmu: preempt_disable,
// xen_mc_flush, preempt_enable), an interrupt's flush included.
func (b *Backend) Flush(c *arch.Ctx) float64 {
	if !c.Kernel73() && !b.lazyMode(c) {
		return 0
	}
	return b.mcFlush(c.CPU, c.Now)
}

// Update is one PTE update of nr entries.
func (b *Backend) Update(c *arch.Ctx, e *traces.Event) float64 {
	nr := uint64(max(e.Nr, 1))
	fnr := float64(nr)
	switch e.Op {
	case traces.OpSet, traces.OpClear:
		// xen_set_pte (pte_clear is set_pte of 0): batched in lazy mode,
		// else one direct HYPERVISOR_mmu_update per PTE (__xen_set_pte).
		b.queued += fnr
		ns := fnr * b.cost.Value(pPTEWrite)
		if b.lazyMode(c) {
			b.St.Batched++
			ns += b.queueMMU(c.CPU, c.Now, nr)
			b.Pend.Add(c.CPU, e.MM, e.Addr, e.Nr, e.Shift, c.Now+ns)
			return ns
		}
		b.St.Immediate++
		b.Count(arch.Hypercalls, nr)
		b.sent += fnr
		return ns + fnr*(b.cost.Value(pHypercall)+b.cost.Value(pEntry))
	case traces.OpModify:
		// xen_ptep_modify_prot_commit: always through the buffer, then
		// xen_mc_issue(XEN_LAZY_MMU) flushes unless in lazy mode.
		b.queued += fnr
		ns := fnr*b.cost.Value(pPTEWrite) + b.queueMMU(c.CPU, c.Now, nr)
		if b.lazyMode(c) {
			b.St.Batched++
			b.Pend.Add(c.CPU, e.MM, e.Addr, e.Nr, e.Shift, c.Now+ns)
			return ns
		}
		b.St.Immediate++
		return ns + b.mcFlush(c.CPU, c.Now+ns)
	}
	b.St.Immediate++
	if e.Op == traces.OpGetClear && e.Full() {
		// ptep_get_and_clear_full(full): native_local_ptep_get_and_clear, a
		// plain load and store; xen_exit_mmap unpinned the mm before
		// teardown, so the page table is ordinary writable memory.
		b.queued += fnr
		return fnr * b.cost.Value(pPTEWrite)
	}
	// ptep_get_and_clear (xchg) and ptep_set_wrprotect (locked RMW) on a
	// pinned, read-only page table: Xen traps and emulates each at once,
	// whatever the lazy mode.
	b.traps += fnr
	return fnr * b.cost.Value(pTrap)
}

// Switch is xen_start_context_switch(prev) then xen_end_context_switch(next)
// (arch/x86/xen/enlighten_pv.c): switch-out leaves lazy MMU mode if the CPU
// is in it (arch_leave_lazy_mmu_mode, which flushes), then
// enter_lazy(XEN_LAZY_CPU); switch-in flushes, leaves the CPU mode, and
// enters lazy MMU mode again if the next task's generic state is active
// (7.0). Before 7.0 (Ctx.Before70) the switch-out marks the task with
// TIF_LAZY_MMU_UPDATES and the switch-in re-enters only if test_and_clear of
// that flag succeeds. 7.3 (Kernel73) is switch73.
func (b *Backend) Switch(c *arch.Ctx, next int, nextPID uint32, nextLazy bool) (float64, lazymmu.ViolationSet) {
	if c.Kernel73() {
		return b.switch73(c), 0
	}
	var v lazymmu.ViolationSet
	ns := 0.0
	if b.cpus.Get(c.CPU).lazy {
		var lv lazymmu.ViolationSet
		ns, lv = b.Leave(c)
		v |= lv
		if c.Before70() {
			*b.updates.Get(c.Task) = true
		}
	}
	if s := b.cpus.Get(c.CPU); s.lazy {
		// A nesting level survived the leave: enter_lazy(XEN_LAZY_CPU)
		// BUG_ONs. Continue as if the mode had been cleared.
		v = v.With(lazymmu.NestedEnter)
		s.lazy, s.nesting = false, 0
	}
	ns += b.mcFlush(c.CPU, c.Now+ns)
	reenter := nextLazy
	if c.Before70() {
		f := b.updates.Get(next)
		reenter, *f = *f, false
	}
	if reenter {
		cc := *c
		cc.Task, cc.PID, cc.Lazy, cc.Now = next, nextPID, true, c.Now+ns
		ens, ev := b.Enter(&cc)
		ns += ens
		v |= ev
	}
	return ns, v
}

// switch73 is 7.3's context switch (arch/x86/xen/enlighten_pv.c):
// xen_start_context_switch(prev) calls __task_lazy_mmu_mode_pause(prev),
// which leaves (flushes) if prev's lazy mode is active (c.Lazy), and enters
// the CPU lazy mode (xen_cpu_lazy_mode, not modeled);
// xen_end_context_switch(next) flushes, leaves the CPU mode and calls
// __task_lazy_mmu_mode_resume(next), whose enter does nothing. Whichever
// of the two flushes sends the buffer, the other finds it empty: the switch
// is one flush, and a task preempted between its counter update and its
// callback (traces.FlagMid) finds nothing to trip over when it runs again.
func (b *Backend) switch73(c *arch.Ctx) float64 { return b.mcFlush(c.CPU, c.Now) }

// FlushOwner sends only CPU owner's multicall buffer (the ideal strategy's
// on-demand flush of the one batch an access needs).
func (b *Backend) FlushOwner(c *arch.Ctx, owner int) float64 {
	if owner < 0 || owner >= len(b.cpus) {
		return 0
	}
	return b.mcFlush(owner, c.Now)
}

// FlushAll flushes every CPU's buffer (lazy modes unchanged).
func (b *Backend) FlushAll(c *arch.Ctx) float64 {
	ns := 0.0
	for i := range b.cpus {
		ns += b.mcFlush(i, c.Now+ns)
	}
	return ns
}

// Terms returns the counts each parameter multiplies, in Params order.
func (b *Backend) Terms(dst []float64) []float64 {
	calls := float64(b.St.Ops[arch.Hypercalls] + b.St.Ops[arch.Multicalls])
	return append(dst, b.queued, calls, b.sent, b.mcEntries, b.traps)
}

// Reset clears all state and counters, keeping costs.
func (b *Backend) Reset() {
	b.ResetBase()
	clear(b.cpus)
	clear(b.updates)
	b.queued, b.sent, b.mcEntries, b.traps = 0, 0, 0, 0
}
