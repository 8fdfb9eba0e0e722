// Package arm64kpkeys models arm64 with Kevin Brodsky's pkeys-based page
// table hardening, kpkeys_hardened_pgtables (an unmerged series: RFC v5,
// 15 Aug 2025, lore 20250815085512.2182322-1-kevin.brodsky@arm.com; v6,
// 27 Feb 2026, lore 20260227175518.3728055-1-kevin.brodsky@arm.com). Page
// tables are mapped with a privileged pkey, so every helper that writes
// one raises the kpkeys level around the write (a POR_EL1 write and an
// ISB) and restores it (another write and ISB): v5 patch 15/18, "arm64: mm:
// Guard page table writes with kpkeys". Patch 18/18, "arm64: mm: Batch
// kpkeys level switches", makes the lazy MMU mode raise the level once at
// arch_enter_lazy_mmu_mode and restore it at arch_leave_lazy_mmu_mode, and
// no helper switches while the mode is active; the ISB of the restore is
// skipped when the leave's barrier pair will issue one
// (TIF_LAZY_MMU_PENDING).
//
// Everything else is arm64's (package arch/arm64, which this backend
// wraps): the barrier batching, the per-task pending flag, the rules.
//
// Modeled time is linear in counts (arch.Linear): arm64's formula plus
//
//	por_write_ns*pkey_switches + isb_ns*isbs
//
// See docs/arch/arm64-kpkeys.md for every rule and its source.
package arm64kpkeys

import (
	"image/color"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/arch/arm64"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// Name is the backend's name.
const Name = "arm64-kpkeys"

// Label is how the backend is labelled wherever it appears: the series is
// not merged.
const Label = "unmerged series"

// The kpkeys parameters, after arm64's in Info.Params order.
const (
	pPORWrite = iota
	pISB
)

var kparams = []arch.Param{
	pPORWrite: {Name: "por_write_ns", Default: 3, Unit: "ns/write",
		Source: "estimate: one write of POR_EL1 (msr; the measured mock wrote CONTEXTIDR_EL1 instead) and the read of the old value, a few cycles; no published figure; fit by lazybench calibrate --arch arm64-kpkeys"},
	pISB: {Name: "isb_ns", Default: 10, Unit: "ns/isb",
		Source: "estimate: one ISB (a pipeline flush, some tens of cycles on Neoverse V1 at 2.6 GHz); no published figure; the scale of lazybench calibrate --arch arm64-kpkeys (its anchor)"},
}

var options = []arch.Param{
	{Name: "batch", Default: 1, Unit: "0 or 1",
		Source: "1: the series with v5 patch 18/18 'arm64: mm: Batch kpkeys level switches' (switch at arch_enter/leave_lazy_mmu_mode); 0: without it (every page-table write switches, lazy MMU mode or not), the 'without batching' kernel of the published table"},
}

func init() {
	arch.Register(&arch.Info{
		Name:  Name,
		Order: 6,
		Doc:   "arm64 with kpkeys_hardened_pgtables (" + Label + ", RFC v5): POR_EL1 write + ISB around every page-table write, once per lazy MMU section with batching",
		// arch_ops: arm64's barriers and the POR_EL1 writes. A darker
		// blue than arm64's.
		Counters:   []arch.Counter{arch.Barriers, arch.PkeySwitches},
		Main:       arch.PkeySwitches,
		Colour:     color.RGBA{0, 60, 110, 255},
		PageShifts: []uint8{12, 14, 16}, // arm64's
		Proposal:   true,
		Label:      Label,
		Source:     "\"[RFC PATCH v5 15/18] arm64: mm: Guard page table writes with kpkeys\" and \"[RFC PATCH v5 18/18] arm64: mm: Batch kpkeys level switches\", Kevin Brodsky, 15 Aug 2025 (lore 20250815085512.2182322-16/-19-kevin.brodsky@arm.com): arch/arm64/include/asm/pgtable.h (guard(kpkeys_hardened_pgtables), kpkeys_lazy_mmu_enter/exit); v6 28/30 (27 Feb 2026) for the 7.0 lazy MMU API; arm64's rules otherwise",
		Params:     append(arm64.Params(), kparams...),
		Options:    options,
		New:        func(v map[string]float64) arch.Backend { return New(v) },
	})
}

// Backend is the arm64-kpkeys model. It holds arm64's backend in a field,
// not embedded, so that each of its methods says what kpkeys adds.
type Backend struct {
	arm   *arm64.Backend
	cost  arch.Model // the kpkeys parameters
	batch bool
	// The counts of the kpkeys parameters (Terms): POR_EL1 writes are
	// Stats.Ops[PkeySwitches].
	isbs uint64
}

// New returns an arm64-kpkeys backend with parameter values v (arm64's and
// the kpkeys ones by name; missing ones take their defaults).
func New(v map[string]float64) *Backend {
	return &Backend{arm: arm64.New(v), cost: arch.NewModel(kparams, v), batch: arch.Option(v, "batch", options)}
}

// Name returns "arm64-kpkeys".
func (b *Backend) Name() string { return Name }

// Rules are arm64's.
func (b *Backend) Rules() lazymmu.Rules { return b.arm.Rules() }

// switches counts n POR_EL1 writes, each followed by an ISB if isb, and
// returns their cost.
func (b *Backend) switches(n uint64, isb bool) float64 {
	b.arm.Count(arch.PkeySwitches, n)
	ns := float64(n) * b.cost.Value(pPORWrite)
	if isb {
		b.isbs += n
		ns += float64(n) * b.cost.Value(pISB)
	}
	return ns
}

// batching reports whether the section's level switch stands in for the
// helpers' own: with batching, in lazy mode as arm64 sees it (7.0+:
// is_lazy_mmu_mode_active(); before, TIF_LAZY_MMU), never in interrupt
// context (POR_EL1 is reset on exception entry, patch 18/18).
func (b *Backend) batching(c *arch.Ctx) bool { return b.batch && b.arm.InLazy(c) }

// Enter is arm64's arch_enter_lazy_mmu_mode, then kpkeys_lazy_mmu_enter():
// raise the level (POR_EL1 write, ISB) and keep the old value. arm64's hooks
// return at once in interrupt context (and the generic layer calls none
// there since 7.0).
func (b *Backend) Enter(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	ns, v := b.arm.Enter(c)
	if b.batch && !c.InIRQ {
		ns += b.switches(1, true)
	}
	return ns, v
}

// Leave is kpkeys_lazy_mmu_exit() (restore the saved level: a POR_EL1
// write, and an ISB unless TIF_LAZY_MMU_PENDING says the barrier pair the
// flush emits next has one), then arm64's leave.
func (b *Backend) Leave(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	ns := 0.0
	if b.batch && !c.InIRQ {
		ns = b.switches(1, !b.arm.PendingFlag(c.Task))
	}
	cc := *c
	cc.Now += ns
	lns, v := b.arm.Leave(&cc)
	return ns + lns, v
}

// Flush is arm64's: a nested section's end does not touch the level.
func (b *Backend) Flush(c *arch.Ctx) float64 { return b.arm.Flush(c) }

// Update is one PTE update of nr entries. Every page-table write helper
// (__set_pte_nosync, so each PTE of a set_ptes; __ptep_get_and_clear_anysz;
// ___ptep_set_wrprotect) runs under guard(kpkeys_hardened_pgtables): raise
// and restore, two POR_EL1 writes and two ISBs per PTE, unless the section
// raised the level already. Then arm64's update.
func (b *Backend) Update(c *arch.Ctx, e *traces.Event) float64 {
	ns := 0.0
	if !b.batching(c) {
		ns = b.switches(2*uint64(max(e.Nr, 1)), true)
	}
	cc := *c
	cc.Now += ns
	return ns + b.arm.Update(&cc, e)
}

// Switch is arm64's: POR_EL1 is saved and restored with the task on every
// context switch (thread.por_el1), whatever lazy mode does, so it costs
// nothing more here.
func (b *Backend) Switch(c *arch.Ctx, next int, nextPID uint32, nextLazy bool) (float64, lazymmu.ViolationSet) {
	return b.arm.Switch(c, next, nextPID, nextLazy)
}

// FlushOwner is arm64's.
func (b *Backend) FlushOwner(c *arch.Ctx, owner int) float64 { return b.arm.FlushOwner(c, owner) }

// FlushAll is arm64's.
func (b *Backend) FlushAll(c *arch.Ctx) float64 { return b.arm.FlushAll(c) }

// Stats returns the counters (arm64's, with pkey_switches).
func (b *Backend) Stats() *arch.Stats { return b.arm.Stats() }

// Pending returns arm64's deferred writes.
func (b *Backend) Pending() *arch.Pending { return b.arm.Pending() }

// Terms returns the counts each parameter multiplies, in Params order:
// arm64's, then POR_EL1 writes and ISBs.
func (b *Backend) Terms(dst []float64) []float64 {
	dst = b.arm.Terms(dst)
	return append(dst, float64(b.arm.Stats().Ops[arch.PkeySwitches]), float64(b.isbs))
}

// Reset clears all state and counters, keeping costs.
func (b *Backend) Reset() {
	b.arm.Reset()
	b.isbs = 0
}
