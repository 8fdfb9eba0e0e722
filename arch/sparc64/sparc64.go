// Package sparc64 models lazy MMU mode on sparc64 (arch "sparc64"): the
// per-CPU tlb_batch of user virtual addresses whose old PTE was valid, filled
// by tlb_batch_add_one() from set_pte_at() and drained by flush_tlb_pending():
// a TSB flush of the list, then one global_flush_tlb_page() for a single
// entry or one smp_flush_tlb_pending() cross-call for several. Rules and
// sources: docs/arch/sparc64.md.
package sparc64

import (
	"image/color"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// Name is the backend's contract name.
const Name = "sparc64"

// BatchNR is TLB_BATCH_NR (arch/sparc/include/asm/tlbflush_64.h).
const BatchNR = 192

// Params lists the backend's cost parameters with their defaults and sources.
var Params = []arch.Param{
	{Name: "update_ns", Default: 10, Unit: "ns", Source: "estimate: the PTE store in __set_pte_at and the maybe_tlb_batch_add test"},
	{Name: "batch_ns", Default: 10, Unit: "ns/entry", Source: "estimate: tlb_batch_add_one's batching path (a few loads and stores into the per-CPU batch)"},
	{Name: "tsb_ns", Default: 20, Unit: "ns/entry", Source: "estimate: flushing one address from the TSB (flush_tsb_user_page / flush_tsb_user: hash into the TSB, compare the tag, invalidate); no public figure"},
	{Name: "demap_ns", Default: 50, Unit: "ns/page", Source: "estimate: one demap-page operation on one CPU (stxa to the demap address plus membar, or the sun4v mmu_demap hypercall fast trap); no public figure"},
	{Name: "xcall_ns", Default: 3000, Unit: "ns/call", Source: "estimate: a synchronous cross-call to the mm's other CPUs and the wait for their completion (cpu_mondo delivery via the sun4v hypervisor); no public figure, assumed of the order of an x86 TLB shootdown IPI (a few microseconds)"},
	{Name: "hook_ns", Default: 2, Unit: "ns/call", Source: "estimate: arch_enter/leave_lazy_mmu_mode bookkeeping (preempt_disable/enable)"},
}

// Indexes of Params.
const (
	pUpdate = iota
	pBatch
	pTSB
	pDemap
	pXcall
	pHook
)

// Options are the backend's non-cost knobs (0 or 1).
var Options = []arch.Param{
	{Name: "single_user", Default: 0, Unit: "bool", Source: "1: the mm has one user and is current, so smp_flush_tlb_page/pending skip the cross-call (the mm_users == 1 shortcut of older kernels); 0: every flush cross-calls the mm's CPUs"},
	{Name: "fullmm_skip", Default: 0, Unit: "bool", Source: "1: full=1 updates are neither batched nor flushed (docs/kernel.md's reading of tlb_batch_add's `if (!fullmm)`); 0 (the kernel): sparc64 has no ptep_get_and_clear_full, the generic one drops `full`, so teardown updates are batched like any other"},
}

func init() {
	arch.Register(&arch.Info{
		Name:  Name,
		Order: 2,
		Doc:   "per-CPU batch of up to 192 user vaddrs; TSB flush plus one demap or one cross-call per drain",
		// arch_ops: tlb_flushes (local flushes), crosscalls. Green
		// (Okabe-Ito). Main: the cross-CPU interrupt is the expensive part
		// of a flush, and the one batching divides by up to 192.
		Counters:   []arch.Counter{arch.TLBFlushes, arch.CrossCalls},
		Main:       arch.CrossCalls,
		Colour:     color.RGBA{0, 158, 115, 255},
		PageShifts: []uint8{13}, // PAGE_SHIFT 13 (8K) only
		Source:     "arch/sparc/mm/tlb.c (tlb_batch_add_one, flush_tlb_pending, arch_{enter,leave}_lazy_mmu_mode), arch/sparc/kernel/smp_64.c (smp_flush_tlb_pending), arch/sparc/mm/tsb.c (flush_tsb_user), Linux 7.0",
		Params:     Params,
		Options:    Options,
		New:        func(v map[string]float64) arch.Backend { return New(v) },
	})
}

// cpu is one CPU's tlb_batch plus its preemption state.
type cpu struct {
	arch.PreemptSection      // preempt_disable from enter: a switch-out of its owner is the violation
	active              bool // tb->active before 7.0 (set by enter, cleared by leave)
	n                   int  // tb->tlb_nr
	mm                  uint32
	shift               uint8 // tb->hugepage_shift
}

// Backend is the sparc64 model. Create it with New.
type Backend struct {
	arch.Base
	arch.Model             // parameter values and the count each multiplied since Reset (Terms)
	singleUser, fullmmSkip bool
	cpus                   arch.PerCPU[cpu]
}

// New builds a backend from a parameter map (arch.Info.Values); missing
// parameters and options take their defaults.
func New(v map[string]float64) *Backend {
	return &Backend{
		Model:      arch.NewModel(Params, v),
		singleUser: arch.Option(v, "single_user", Options),
		fullmmSkip: arch.Option(v, "fullmm_skip", Options),
	}
}

// Name returns "sparc64".
func (b *Backend) Name() string { return Name }

// Rules returns no crash rules: no callback crashes this arch.
func (b *Backend) Rules() lazymmu.Rules { return lazymmu.Rules{} }

// Enter is arch_enter_lazy_mmu_mode: preempt_disable().
func (b *Backend) Enter(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	s := b.cpus.Get(c.CPU)
	s.PreemptSection.Enter(c.Task)
	s.active = true
	return b.Charge(pHook, 1), 0
}

// Leave is arch_leave_lazy_mmu_mode: flush, then preempt_enable().
func (b *Backend) Leave(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	s := b.cpus.Get(c.CPU)
	ns := b.Charge(pHook, 1) + b.drain(s, c.CPU, c.Now)
	s.active = false
	s.PreemptSection.Leave()
	return ns, 0
}

// Flush is arch_flush_lazy_mmu_mode: flush_tlb_pending() if the batch holds
// anything.
func (b *Backend) Flush(c *arch.Ctx) float64 {
	return b.drain(b.cpus.Get(c.CPU), c.CPU, c.Now)
}

// Update is one PTE update. Every primitive goes through set_pte_at /
// __set_pte_at, whose maybe_tlb_batch_add() calls tlb_batch_add() for a user
// mm whose old PTE was valid (pte_accessible); init_mm is left to
// flush_tlb_kernel_range().
func (b *Backend) Update(c *arch.Ctx, e *traces.Event) float64 {
	ns := b.Charge(pUpdate, 1)
	if e.MM == 0 || !e.Was() || (b.fullmmSkip && e.Full()) {
		b.St.Immediate++
		return ns
	}
	nr := max(e.Nr, 1)
	shift := e.Shift
	if shift == 0 {
		shift = 12
	}
	s := b.cpus.Get(c.CPU)
	// 7.0: is_lazy_mmu_mode_active() (false in interrupt context); before
	// 7.0 (flat, typed): the per-CPU tb->active set by enter, cleared by
	// leave, with no interrupt check.
	lazy := s.active && (c.Before70() || (c.Lazy && !c.InIRQ))
	batched := false
	for i := uint32(0); i < nr; i++ {
		addr := e.Addr + uint64(i)<<shift
		// tlb_batch_add_one: another mm flushes first, even outside lazy
		// mode (an interrupt's update of another mm drains the
		// interrupted task's batch).
		if s.n != 0 && s.mm != e.MM {
			ns += b.drain(s, c.CPU, c.Now+ns)
		}
		if !lazy {
			// flush_tsb_user_page + global_flush_tlb_page.
			ns += b.Charge(pTSB, 1) + b.flushPage()
			continue
		}
		batched = true
		if s.n == 0 {
			s.mm, s.shift = e.MM, shift
		}
		if s.shift != shift {
			ns += b.drain(s, c.CPU, c.Now+ns)
			s.mm, s.shift = e.MM, shift
		}
		s.n++
		ns += b.Charge(pBatch, 1)
		b.Pend.Add(c.CPU, e.MM, addr, 1, shift, c.Now+ns)
		if s.n >= BatchNR {
			ns += b.drain(s, c.CPU, c.Now+ns)
		}
	}
	if batched {
		b.St.Batched++
	} else {
		b.St.Immediate++
	}
	return ns
}

// crossCall counts and costs one cross-call unless the mm is single-user.
func (b *Backend) crossCall(pages int) float64 {
	if b.singleUser {
		return 0
	}
	b.Count(arch.CrossCalls, 1)
	return b.Charge(pXcall, 1) + b.Charge(pDemap, float64(pages)) // the caller waits for the remote demaps
}

// flushPage is global_flush_tlb_page (smp_flush_tlb_page on SMP): a
// cross-call to the mm's other CPUs and a local demap of one page.
func (b *Backend) flushPage() float64 {
	b.Count(arch.TLBFlushes, 1)
	return b.crossCall(1) + b.Charge(pDemap, 1)
}

// drain is flush_tlb_pending on CPU owner (state s) at time now.
func (b *Backend) drain(s *cpu, owner int, now float64) float64 {
	n := s.n
	if n == 0 {
		return 0
	}
	b.Pend.Drain(owner, now)
	b.RecordBatch(n)
	s.n = 0
	ns := b.Charge(pTSB, float64(n)) // flush_tsb_user(tb)
	if n == 1 {
		return ns + b.flushPage()
	}
	// smp_flush_tlb_pending: one cross-call with the whole list, and
	// __flush_tlb_pending locally.
	b.Count(arch.TLBFlushes, 1)
	return ns + b.crossCall(n) + b.Charge(pDemap, float64(n))
}

// Switch is a context switch on c.CPU. Enter disabled preemption for the
// task that entered, so switching that task out before its leave is
// reported as PreemptedInSection and changes nothing (the batch stays with
// the CPU). Switching another task out is legal.
func (b *Backend) Switch(c *arch.Ctx, next int, nextPID uint32, nextLazy bool) (float64, lazymmu.ViolationSet) {
	return 0, b.cpus.Get(c.CPU).SwitchOut(c.Task)
}

// FlushOwner drains only CPU owner's batch (the ideal strategy's on-demand
// flush of the one batch an access needs); it counts like the arch's flush.
func (b *Backend) FlushOwner(c *arch.Ctx, owner int) float64 {
	return b.cpus.DrainOne(owner, c.Now, b.drain)
}

// PreemptOffInSection reports true: enter disables preemption, so no batch may cross a
// context switch (the ideal strategy flushes before one).
func (b *Backend) PreemptOffInSection() bool { return true }

// FlushAll drains every CPU's batch.
func (b *Backend) FlushAll(c *arch.Ctx) float64 {
	return b.cpus.DrainAll(c.Now, b.drain)
}

// Reset returns the backend to its initial state, keeping costs and capacity.
func (b *Backend) Reset() {
	b.ResetBase()
	b.ResetTerms()
	clear(b.cpus)
}

var (
	_ arch.Linear = (*Backend)(nil)
)
