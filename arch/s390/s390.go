// Package s390 models the proposed s390 lazy MMU mode (arch "s390"):
// Alexander Gordeev, "[PATCH v5 2/4] s390/mm: Batch PTE updates in lazy MMU
// mode", 13 Jul 2026 (not merged). Outside a section, changing a valid PTE
// costs one IPTE (a machine-wide quiesce when global). Inside a section
// opened with lazy_mmu_mode_enable_with_ptes(), updates of the one page table
// it names are stored in a per-CPU cache of PTRS_PER_PTE (256) entries; at
// leave (or flush) the cache is written back with one multi-entry IPTE per
// contiguous run of changed entries whose old value was valid. Rules and
// sources: docs/arch/s390.md.
package s390

import (
	"image/color"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// Name is the backend's contract name.
const Name = "s390"

// PtrsPerPTE is PTRS_PER_PTE on s390: a page table maps 256 4K pages (1 MB).
const PtrsPerPTE = 256

const (
	pageShift  = 12
	tableShift = pageShift + 8 // 1 MB segment
)

// Params lists the backend's cost parameters with their defaults and sources.
var Params = []arch.Param{
	{Name: "update_ns", Default: 60, Unit: "ns", Source: "estimate: one PTE update with its share of the page-table walker's per-PTE work (lock, checks, pte_modify); chosen with ipte_ns so that a 512-page mprotect section models a ~14x gain, inside the v5 cover letter's reported range"},
	{Name: "cache_ns", Default: 5, Unit: "ns/entry", Source: "estimate: storing an update in the per-CPU cache and its write-back store at leave"},
	{Name: "ipte_ns", Default: 1000, Unit: "ns/IPTE", Source: "estimate: no public figure for IPTE; a global IPTE quiesces every CPU of the machine (CEC), assumed about a microsecond, like a cross-CPU serialisation on a large SMP"},
	{Name: "ipte_entry_ns", Default: 5, Unit: "ns/entry", Source: "estimate: each additional entry of a range IPTE (Additional Entries field): the quiesce is paid once, each entry adds a TLB purge"},
	{Name: "hook_ns", Default: 5, Unit: "ns/call", Source: "estimate: arch_enter/leave_lazy_mmu_mode bookkeeping (get_cpu_var, lowcore lazy_mmu_count, range setup, the scan of the cache at leave)"},
}

// Indexes of Params.
const (
	pUpdate = iota
	pCache
	pIPTE
	pIPTEEntry
	pHook
)

// Options are the backend's non-cost knobs (0 or 1).
var Options = []arch.Param{
	{Name: "retarget", Default: 1, Unit: "bool", Source: "1: an update of a valid PTE (was=1) in another page table writes the cache back and caches that table from then on, as if the walker had opened one section per 1 MB table as s390's own walkers do (traces recorded with 512-entry tables span two s390 tables); updates of empty PTEs elsewhere (mremap's destination) stay direct plain stores; 0: v5 exactly: updates outside the section's first table are never cached"},
	{Name: "single_attach", Default: 0, Unit: "bool", Source: "1: the mm is attached to the current CPU only, so outside the cache ptep_flush_lazy() marks the PTE invalid and defers the flush (no IPTE), while the write-back still issues (local) IPTEs; 0: the mm is attached elsewhere too and every direct change of a valid PTE is one global IPTE"},
}

func init() {
	arch.Register(&arch.Info{
		Name:  Name,
		Order: 5,
		Doc:   "the 2026 v5 proposal (not merged): per-CPU cache of one 256-entry page table, one range IPTE per run of changed valid entries at leave",
		// arch_ops: iptes. Every modeled IPTE is global (one machine-wide
		// quiesce) unless single_attach is set. Vermillion (Okabe-Ito).
		Counters:   []arch.Counter{arch.IPTEs},
		Main:       arch.IPTEs,
		Colour:     color.RGBA{213, 94, 0, 255},
		PageShifts: []uint8{12},
		Proposal:   true,
		Label:      "unmerged proposal",
		Source:     "\"[PATCH v5 2/4] s390/mm: Batch PTE updates in lazy MMU mode\", Alexander Gordeev, 13 Jul 2026 (arch/s390/mm/lazy_mmu.c); mainline arch/s390/mm/pgtable.c (ptep_flush_lazy) and arch/s390/include/asm/pgtable.h (__ptep_ipte_range)",
		Params:     Params,
		Options:    Options,
		New:        func(v map[string]float64) arch.Backend { return New(v) },
	})
}

// Cache slot states: untouched, or changed with the old (real) PTE invalid
// or valid. The real page table keeps the old value until the write-back,
// so the state is that of the first update of the slot.
const (
	slotPoison uint8 = iota
	slotOldInvalid
	slotOldValid
)

// cpu is one CPU's struct ipte_range plus its lowcore lazy_mmu_count.
type cpu struct {
	arch.PreemptSection      // Depth is lowcore lazy_mmu_count (enter ++, leave --); preemption is off while > 0
	armed               bool // the open section is range-aware and its table is not known yet
	hasRange            bool
	mm                  uint32
	table               uint64 // address >> 20
	n                   int    // changed slots
	lo, hi              int    // start_pte, end_pte (as indexes; valid when n > 0)
	slot                [PtrsPerPTE]uint8
}

// Backend is the s390 model. Create it with New.
type Backend struct {
	arch.Base
	arch.Model             // parameter values and the count each multiplied since Reset (Terms)
	retarget, singleAttach bool
	cpus                   arch.PerCPU[cpu]
}

// New builds a backend from a parameter map (arch.Info.Values); missing
// parameters and options take their defaults.
func New(v map[string]float64) *Backend {
	return &Backend{
		Model:        arch.NewModel(Params, v),
		retarget:     arch.Option(v, "retarget", Options),
		singleAttach: arch.Option(v, "single_attach", Options),
	}
}

// Name returns "s390".
func (b *Backend) Name() string { return Name }

// Rules returns no crash rules: no callback crashes this arch.
func (b *Backend) Rules() lazymmu.Rules { return lazymmu.Rules{} }

// Enter is arch_enter_lazy_mmu_mode_with_ptes (every section is modeled as
// range-aware; the trace does not say which enable was used): get_cpu_var
// (preemption off), lazy_mmu_count++, and the range is set to the table of
// the section's first update. A second enter while a range is cached (only
// under unguarded nesting) writes the cache back first.
func (b *Backend) Enter(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	s := b.cpus.Get(c.CPU)
	ns := b.Charge(pHook, 1) + b.writeBack(s, c.CPU, c.Now)
	s.hasRange = false
	s.armed = true
	s.PreemptSection.Enter(c.Task)
	return ns, 0
}

// Leave is arch_leave_lazy_mmu_mode: write the cache back with range IPTEs,
// forget the range, lazy_mmu_count--, put_cpu_var.
func (b *Backend) Leave(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	s := b.cpus.Get(c.CPU)
	ns := b.Charge(pHook, 1) + b.writeBack(s, c.CPU, c.Now)
	s.hasRange, s.armed = false, false
	s.PreemptSection.Leave()
	return ns, 0
}

// Flush is arch_flush_lazy_mmu_mode: write back and keep the same range.
func (b *Backend) Flush(c *arch.Ctx) float64 {
	return b.writeBack(b.cpus.Get(c.CPU), c.CPU, c.Now)
}

// directIPTE reports whether an update made outside the cache issues an
// IPTE: ptep_get_and_clear (ptep_xchg_lazy), ptep_modify_prot_start
// (ptep_flush_lazy; the trace's modify stands for the start/commit pair)
// and ptep_set_wrprotect (ptep_xchg_lazy, assuming the PTE was writable) of
// a valid PTE. set_pte and pte_clear are plain stores, and
// ptep_get_and_clear_full with full=1 stores _PAGE_INVALID directly.
func directIPTE(e *traces.Event) bool {
	if !e.Was() {
		return false
	}
	switch e.Op {
	case traces.OpGetClear:
		return !e.Full()
	case traces.OpModify, traces.OpWrprotect:
		return true
	}
	return false
}

// Update is one PTE update, page by page: cached when the section's range
// covers the page, else done at once.
func (b *Backend) Update(c *arch.Ctx, e *traces.Event) float64 {
	ns := b.Charge(pUpdate, 1)
	nr := max(e.Nr, 1)
	shift := e.Shift
	if shift == 0 {
		shift = pageShift
	}
	s := b.cpus.Get(c.CPU)
	cached := false
	for i := uint32(0); i < nr; i++ {
		addr := e.Addr + uint64(i)<<shift
		if shift == pageShift && s.Depth > 0 {
			table := addr >> tableShift
			// is_lazy_mmu_active() reads the per-CPU lowcore count, so an
			// interrupt's update of the cached table is cached too; a range
			// is only set or moved by the section's own walker.
			if !c.InIRQ && s.armed && !s.hasRange {
				s.hasRange, s.mm, s.table = true, e.MM, table
			} else if !c.InIRQ && b.retarget && e.Was() && s.hasRange && (s.mm != e.MM || s.table != table) {
				ns += b.writeBack(s, c.CPU, c.Now+ns)
				s.mm, s.table = e.MM, table
			}
			if s.hasRange && s.mm == e.MM && s.table == table {
				cached = true
				ns += b.Charge(pCache, 1)
				k := int(addr>>pageShift) & (PtrsPerPTE - 1)
				if s.slot[k] == slotPoison {
					st := slotOldInvalid
					if e.Was() {
						st = slotOldValid
					}
					s.slot[k] = st
					if s.n == 0 || k < s.lo {
						s.lo = k
					}
					if s.n == 0 || k+1 > s.hi {
						s.hi = k + 1
					}
					s.n++
					b.Pend.Add(c.CPU, e.MM, addr, 1, shift, c.Now+ns)
				}
				continue
			}
		}
		if directIPTE(e) && !b.singleAttach {
			b.Count(arch.IPTEs, 1)
			ns += b.Charge(pIPTE, 1)
		}
	}
	if cached {
		b.St.Batched++
	} else {
		b.St.Immediate++
	}
	return ns
}

// writeBack is leave_ipte_range's write-back of CPU owner's cache (state s)
// at time now: runs of changed slots, each split by the old PTE's validity
// (count_contiguous), one IPTE with nr_ptes-1 additional entries per valid
// piece.
func (b *Backend) writeBack(s *cpu, owner int, now float64) float64 {
	if s.n == 0 {
		return 0
	}
	ns := 0.0
	for k := s.lo; k < s.hi; {
		st := s.slot[k]
		if st == slotPoison {
			k++
			continue
		}
		j := k + 1
		for j < s.hi && s.slot[j] == st {
			j++
		}
		if st == slotOldValid {
			b.Count(arch.IPTEs, 1)
			ns += b.Charge(pIPTE, 1) + b.Charge(pIPTEEntry, float64(j-k-1))
		}
		for x := k; x < j; x++ {
			s.slot[x] = slotPoison
		}
		k = j
	}
	b.Pend.Drain(owner, now+ns)
	b.RecordBatch(s.n)
	s.n = 0
	return ns
}

// Switch is a context switch on c.CPU. Enter took get_cpu_var (preemption
// off) for the task that entered, so switching that task out before its
// leave is reported as PreemptedInSection and changes nothing (the cache
// stays with the CPU). Switching another task out is legal.
func (b *Backend) Switch(c *arch.Ctx, next int, nextPID uint32, nextLazy bool) (float64, lazymmu.ViolationSet) {
	return 0, b.cpus.Get(c.CPU).SwitchOut(c.Task)
}

// FlushOwner drains only CPU owner's batch (the ideal strategy's on-demand
// flush of the one batch an access needs); it counts like the arch's flush.
func (b *Backend) FlushOwner(c *arch.Ctx, owner int) float64 {
	return b.cpus.DrainOne(owner, c.Now, b.writeBack)
}

// PreemptOffInSection reports true: enter disables preemption, so no batch may cross a
// context switch (the ideal strategy flushes before one).
func (b *Backend) PreemptOffInSection() bool { return true }

// FlushAll writes back every CPU's cache.
func (b *Backend) FlushAll(c *arch.Ctx) float64 {
	return b.cpus.DrainAll(c.Now, b.writeBack)
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
