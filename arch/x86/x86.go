// Package x86 models native x86-64, where lazy MMU mode changes nothing: the
// hooks exist only with CONFIG_PARAVIRT_XXL and are no-ops on bare metal
// (pv_ops.mmu.lazy_mode = paravirt_nop in arch/x86/kernel/paravirt.c; only
// Xen PV installs real ones), and every PTE update is a plain or atomic
// store that takes effect at once. It is the baseline against which x86-xen
// shows what batching buys.
//
// Modeled time is linear in counts (arch.Linear):
//
//	ns = pte_write_ns*plain_ptes + pte_atomic_ns*atomic_ptes
package x86

import (
	"image/color"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// Name is the backend's contract name.
const Name = "x86"

const (
	pPTEWrite = iota
	pPTEAtomic
)

var params = []arch.Param{
	pPTEWrite: {Name: "pte_write_ns", Default: 1, Unit: "ns/PTE",
		Source: "estimate: native_set_pte is one 8-byte store (WRITE_ONCE) to a cached page-table line, a few cycles; no published figure (docs/published.md)"},
	pPTEAtomic: {Name: "pte_atomic_ns", Default: 8, Unit: "ns/PTE",
		Source: "estimate: ptep_get_and_clear is an xchg and ptep_set_wrprotect a lock btr on the entry, a locked RMW of roughly 20 cycles uncontended; ptep_get_and_clear_full at exit is a plain load and store (native_local_ptep_get_and_clear) and costs pte_write_ns"},
}

func init() {
	arch.Register(&arch.Info{
		Name:  Name,
		Order: 4,
		Doc:   "native x86-64: lazy MMU hooks are no-ops, every update takes effect at once",
		// No arch_ops: the hooks do nothing. Sky blue (Okabe-Ito).
		Counters:   []arch.Counter{},
		Main:       arch.NoCounter,
		Colour:     color.RGBA{86, 180, 233, 255},
		PageShifts: []uint8{12},
		Source:     "arch/x86/kernel/paravirt.c (pv_ops.mmu.lazy_mode: paravirt_nop), arch/x86/Kconfig (ARCH_HAS_LAZY_MMU_MODE if PARAVIRT_XXL), arch/x86/include/asm/pgtable.h (native_set_pte), Linux 7.0",
		Params:     params,
		New:        func(v map[string]float64) arch.Backend { return New(v) },
	})
}

// Backend is the native x86 model.
type Backend struct {
	arch.Base
	arch.Model // parameter values and the plain and atomic PTE counts (Terms)
}

// New returns a native x86 backend with parameter values v.
func New(v map[string]float64) *Backend {
	return &Backend{Model: arch.NewModel(params, v)}
}

// Name returns "x86".
func (b *Backend) Name() string { return Name }

// Rules returns no crash rules: the native hooks are paravirt_nop; nothing can crash.
func (b *Backend) Rules() lazymmu.Rules { return lazymmu.Rules{} }

// Enter is a no-op.
func (b *Backend) Enter(*arch.Ctx) (float64, lazymmu.ViolationSet) { return 0, 0 }

// Leave is a no-op.
func (b *Backend) Leave(*arch.Ctx) (float64, lazymmu.ViolationSet) { return 0, 0 }

// Flush is a no-op.
func (b *Backend) Flush(*arch.Ctx) float64 { return 0 }

// Update takes effect at once: a plain store for set, clear, modify and a
// full (exit) get_and_clear; a locked RMW for get_and_clear and wrprotect.
func (b *Backend) Update(c *arch.Ctx, e *traces.Event) float64 {
	nr := float64(max(e.Nr, 1))
	b.St.Immediate++
	switch {
	case e.Op == traces.OpWrprotect, e.Op == traces.OpGetClear && !e.Full():
		return b.Charge(pPTEAtomic, nr)
	}
	return b.Charge(pPTEWrite, nr)
}

// Switch does nothing lazy-mode related.
func (b *Backend) Switch(*arch.Ctx, int, uint32, bool) (float64, lazymmu.ViolationSet) {
	return 0, 0
}

// FlushAll has nothing to flush.
func (b *Backend) FlushAll(*arch.Ctx) float64 { return 0 }

// Reset clears counters.
func (b *Backend) Reset() {
	b.ResetBase()
	b.ResetTerms()
}
