// Package ppc64hash models lazy MMU mode on powerpc Book3S-64 with the hash
// MMU (arch "ppc64-hash"): the per-CPU ppc64_tlb_batch of hash-table entries
// (HPTEs) to invalidate, filled by hpte_need_flush() and drained by
// __flush_tlb_pending() through flush_hash_page() (one entry) or
// flush_hash_range() (several), on a pSeries LPAR (H_REMOVE / H_BULK_REMOVE
// hypercalls, the default) or on bare-metal PowerNV (tlbie, option
// "powernv"). Rules and sources: docs/arch/ppc64-hash.md.
package ppc64hash

import (
	"image/color"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// Name is the backend's contract name.
const Name = "ppc64-hash"

// BatchNR is PPC64_TLB_BATCH_NR (asm/book3s/64/tlbflush-hash.h): the batch
// flushes when it holds this many entries.
const BatchNR = 192

// BulkRemoveNR is how many HPTEs one H_BULK_REMOVE hypercall removes
// (pSeries_lpar_flush_hash_range fills 8 parameter words, 2 per entry).
const BulkRemoveNR = 4

// KernelBase is PAGE_OFFSET on Book3S-64: is_kernel_addr() is addr >= it.
const KernelBase = 0xc000000000000000

// seg1TShift is SID_SHIFT_1T: user addresses at or above 1 TB use 1 TB
// segments when the CPU has them (user_segment_size()).
const seg1TShift = 40

// Segment sizes of a batch.
const (
	seg256M uint8 = iota
	seg1T
)

// Params lists the backend's cost parameters with their defaults and sources.
var Params = []arch.Param{
	{Name: "update_ns", Default: 10, Unit: "ns", Source: "estimate: the PTE update itself (pte_update's ldarx/stdcx. loop, a few tens of cycles at ~3-4 GHz)"},
	{Name: "batch_ns", Default: 15, Unit: "ns/entry", Source: "estimate: hpte_need_flush's batching path per entry (VSID and VPN computation, two stores into the per-CPU batch)"},
	{Name: "hcall_ns", Default: 800, Unit: "ns/call", Source: "estimate: no public figure for H_REMOVE / H_BULK_REMOVE; a PowerVM or KVM hypercall round trip (sc 1, partition switch to the hypervisor and back) is of the order of a microsecond"},
	{Name: "hpte_ns", Default: 150, Unit: "ns/entry", Source: "estimate: one HPTE invalidation (locate the slot in the hash group, clear it, and its broadcast tlbie); no public figure, a broadcast tlbie is assumed to cost ~100-200 ns"},
	{Name: "tlbie_ns", Default: 100, Unit: "ns/tlbie", Source: "estimate (PowerNV): issuing one broadcast tlbie; no public figure"},
	{Name: "sync_ns", Default: 500, Unit: "ns/run", Source: "estimate (PowerNV): the eieio; tlbsync; ptesync that waits for a run of tlbies to complete on every CPU; no public figure, assumed several times a tlbie"},
	{Name: "hook_ns", Default: 2, Unit: "ns/call", Source: "estimate: arch_enter/leave_lazy_mmu_mode bookkeeping (preempt_disable/enable, a per-CPU load)"},
}

// Indexes of Params.
const (
	pUpdate = iota
	pBatch
	pHcall
	pHpte
	pTlbie
	pSync
	pHook
)

// Options are the backend's non-cost knobs (0 or 1).
var Options = []arch.Param{
	{Name: "powernv", Default: 0, Unit: "bool", Source: "1: bare-metal PowerNV (native_flush_hash_range: tlbie per entry, one eieio;tlbsync;ptesync per run); 0: pSeries LPAR hypercalls"},
	{Name: "bulk_remove", Default: 1, Unit: "bool", Source: "pSeries: firmware has FW_FEATURE_BULK_REMOVE (H_BULK_REMOVE, 4 HPTEs per call); 0: one H_REMOVE per HPTE"},
	{Name: "seg_1t", Default: 1, Unit: "bool", Source: "the CPU supports 1 TB segments (POWER5+): user addresses >= 1 TB and kernel addresses use 1 TB segments, user addresses below use 256 MB ones"},
}

func init() {
	arch.Register(&arch.Info{
		Name:  Name,
		Order: 1,
		Doc:   "powerpc Book3S-64 hash MMU: per-CPU batch of up to 192 HPTE invalidations, H_BULK_REMOVE (pSeries) or tlbie (PowerNV)",
		// arch_ops: hpte_flushes, hcalls (pSeries), tlb_flushes (PowerNV
		// tlbie). Orange (Okabe-Ito).
		Counters:   []arch.Counter{arch.HPTEFlushes, arch.HCalls, arch.TLBFlushes},
		Main:       arch.HCalls, // tlb_flushes under powernv=1 (MainCounter)
		Colour:     color.RGBA{230, 159, 0, 255},
		PageShifts: []uint8{12, 16}, // CONFIG_PPC_4K_PAGES, CONFIG_PPC_64K_PAGES
		Source:     "arch/powerpc/mm/book3s64/hash_tlb.c (hpte_need_flush, __flush_tlb_pending), arch/powerpc/include/asm/book3s/64/tlbflush-hash.h (ppc64_tlb_batch, arch_{enter,leave,flush}_lazy_mmu_mode), arch/powerpc/platforms/pseries/lpar.c (pSeries_lpar_flush_hash_range), arch/powerpc/mm/book3s64/hash_native.c (native_flush_hash_range), Linux 7.0",
		Params:     Params,
		Options:    Options,
		New:        func(v map[string]float64) arch.Backend { return New(v) },
	})
}

// cpu is one CPU's ppc64_tlb_batch plus its preemption state.
type cpu struct {
	arch.PreemptSection      // preempt_disable from enter: a switch-out of its owner is the violation
	active              bool // batch->active: set by enter, cleared by leave (pre-7.0 flag; 7.0 also needs Ctx.Lazy)
	n                   int  // batch->index
	mm                  uint32
	shift               uint8 // batch->psize, as a page shift
	ssize               uint8 // batch->ssize
}

// Backend is the ppc64-hash model. Create it with New.
type Backend struct {
	arch.Base
	arch.Model           // parameter values and the count each multiplied since Reset (Terms)
	powernv, bulk, seg1T bool
	cpus                 arch.PerCPU[cpu]
}

// New builds a backend from a parameter map (arch.Info.Values); missing
// parameters take their defaults.
func New(v map[string]float64) *Backend {
	return &Backend{
		Model:   arch.NewModel(Params, v),
		powernv: arch.Option(v, "powernv", Options),
		bulk:    arch.Option(v, "bulk_remove", Options),
		seg1T:   arch.Option(v, "seg_1t", Options),
	}
}

// Name returns "ppc64-hash".
func (b *Backend) Name() string { return Name }

// Rules returns no crash rules: no callback crashes this arch.
func (b *Backend) Rules() lazymmu.Rules { return lazymmu.Rules{} }

// MainCounter is hcalls on pSeries and tlb_flushes (tlbie) on PowerNV.
func (b *Backend) MainCounter() arch.Counter {
	if b.powernv {
		return arch.TLBFlushes
	}
	return arch.HCalls
}

// Enter is arch_enter_lazy_mmu_mode: preempt_disable() and mark the batch
// active.
func (b *Backend) Enter(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	s := b.cpus.Get(c.CPU)
	s.PreemptSection.Enter(c.Task)
	s.active = true
	return b.Charge(pHook, 1), 0
}

// Leave is arch_leave_lazy_mmu_mode: drain the batch, mark it inactive,
// preempt_enable().
func (b *Backend) Leave(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	s := b.cpus.Get(c.CPU)
	ns := b.Charge(pHook, 1) + b.drain(s, c.CPU, c.Now)
	s.active = false
	s.PreemptSection.Leave()
	return ns, 0
}

// Flush is arch_flush_lazy_mmu_mode: drain the batch if it holds anything.
func (b *Backend) Flush(c *arch.Ctx) float64 {
	return b.drain(b.cpus.Get(c.CPU), c.CPU, c.Now)
}

// needsFlush reports whether an update makes hpte_need_flush run: every
// update primitive except set_pte_at goes through pte_update(), which calls
// it when the old PTE had H_PAGE_HASHPTE, modeled as the old entry valid
// (an upper bound: a valid PTE that was never faulted into the hash table
// has no HPTE). set_pte_at (hash__set_pte_at) is a plain store.
func needsFlush(e *traces.Event) bool {
	return e.Op != traces.OpSet && e.Was()
}

// segSize is the segment size hpte_need_flush derives from the address.
func (b *Backend) segSize(mm uint32, addr uint64) uint8 {
	if !b.seg1T {
		return seg256M
	}
	if mm == 0 || addr >= KernelBase || addr >= 1<<seg1TShift {
		return seg1T // mmu_kernel_ssize, or user_segment_size() above 1 TB
	}
	return seg256M
}

// Update is one PTE update: hpte_need_flush for each of its pages when the
// old entry had an HPTE.
func (b *Backend) Update(c *arch.Ctx, e *traces.Event) float64 {
	ns := b.Charge(pUpdate, 1)
	if !needsFlush(e) {
		b.St.Immediate++
		return ns
	}
	nr := max(e.Nr, 1)
	shift := e.Shift
	if shift == 0 {
		shift = 12
	}
	s := b.cpus.Get(c.CPU)
	if !b.batching(c, s) {
		b.St.Immediate++
		for i := uint32(0); i < nr; i++ {
			ns += b.flushOne()
		}
		return ns
	}
	b.St.Batched++
	for i := uint32(0); i < nr; i++ {
		addr := e.Addr + uint64(i)<<shift
		ss := b.segSize(e.MM, addr)
		if s.n != 0 && (s.mm != e.MM || s.shift != shift || s.ssize != ss) {
			ns += b.drain(s, c.CPU, c.Now+ns)
		}
		if s.n == 0 {
			s.mm, s.shift, s.ssize = e.MM, shift, ss
		}
		s.n++
		ns += b.Charge(pBatch, 1)
		b.Pend.Add(c.CPU, e.MM, addr, 1, shift, c.Now+ns)
		if s.n >= BatchNR {
			ns += b.drain(s, c.CPU, c.Now+ns)
		}
	}
	return ns
}

// batching reports whether hpte_need_flush batches on this CPU now. 7.0
// tests is_lazy_mmu_mode_active() (the task's generic state, false in
// interrupt context); the enter-set flag is kept as well, so that a state the
// generic layer reports active without an enter on this CPU batches nothing.
// Before 7.0 (flat, typed) it tested the per-CPU batch->active set by enter
// and cleared by leave, with no interrupt check: an interrupt during a
// section batched its own updates into the interrupted task's batch.
func (b *Backend) batching(c *arch.Ctx, s *cpu) bool {
	if c.Before70() {
		return s.active
	}
	return c.Lazy && !c.InIRQ && s.active
}

// flushOne is flush_hash_page for one HPTE: one H_REMOVE on pSeries, one
// tlbie with its synchronisation on PowerNV (native_hpte_invalidate).
func (b *Backend) flushOne() float64 {
	b.Count(arch.HPTEFlushes, 1)
	if b.powernv {
		b.Count(arch.TLBFlushes, 1)
		return b.Charge(pHpte, 1) + b.Charge(pTlbie, 1) + b.Charge(pSync, 1)
	}
	b.Count(arch.HCalls, 1)
	return b.Charge(pHcall, 1) + b.Charge(pHpte, 1)
}

// flushRange is flush_hash_range for n > 1 HPTEs.
func (b *Backend) flushRange(n int) float64 {
	b.Count(arch.HPTEFlushes, uint64(n))
	if b.powernv {
		// native_flush_hash_range: a tlbie per entry, then one
		// eieio; tlbsync; ptesync for the run.
		b.Count(arch.TLBFlushes, uint64(n))
		return b.Charge(pHpte, float64(n)) + b.Charge(pTlbie, float64(n)) + b.Charge(pSync, 1)
	}
	calls := n // one H_REMOVE per HPTE without FW_FEATURE_BULK_REMOVE
	if b.bulk {
		calls = (n + BulkRemoveNR - 1) / BulkRemoveNR
	}
	b.Count(arch.HCalls, uint64(calls))
	return b.Charge(pHcall, float64(calls)) + b.Charge(pHpte, float64(n))
}

// drain is __flush_tlb_pending on CPU owner, whose state is s, at time now
// (nothing if the batch is empty).
func (b *Backend) drain(s *cpu, owner int, now float64) float64 {
	n := s.n
	if n == 0 {
		return 0
	}
	b.Pend.Drain(owner, now)
	b.RecordBatch(n)
	s.n = 0
	if n == 1 {
		return b.flushOne()
	}
	return b.flushRange(n)
}

// Switch is a context switch on c.CPU. Enter disabled preemption for the
// task that entered, so switching that task out before its leave cannot
// happen in the kernel: it is reported as PreemptedInSection and changes
// nothing (the batch stays with the CPU, as the kernel no longer flushes it
// in __switch_to). Switching another task out is legal.
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
	_ arch.Main   = (*Backend)(nil)
	_ arch.Linear = (*Backend)(nil)
)
