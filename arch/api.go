// Package arch holds what every architecture backend shares: the Backend
// interface the replay engine drives, the counters of the contract, the set of
// deferred updates the hazard oracle reads, and cost-model parameters with their
// sources, overridable from a cost file, and Info, the one description of a
// backend that the rest of the program reads. Each backend lives in its own
// subpackage arch/NAME, registers its Info from init, and is linked into
// programs by one blank import in arch/all.
package arch

import (
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// Ctx is the context of one call into a backend.
type Ctx struct {
	CPU   int     // dense CPU index (the trace's cpu number)
	Task  int     // dense task index assigned by the engine (0, 1, 2, ...), for per-task state in slices
	PID   uint32  // the task's pid in the trace
	Now   float64 // modeled time of this CPU, ns
	Lazy  bool    // the generic layer says lazy mode is active for this task now (lazymmu Layer.Active)
	InIRQ bool    // the CPU is in interrupt context
	// Strategy is the generic layer's strategy. It also says which kernel's
	// arch code to model where that code changed with the generic layer
	// (see Before70); the zero value is Upstream (7.0).
	Strategy lazymmu.Strategy
	// Kernel is the mainline kernel whose arch code is modeled for the
	// strategies of the merged generic layer (see Kernel73); the zero
	// value is the newest (7.3).
	Kernel lazymmu.Kernel
}

// Before70 reports whether the strategy is one of the generic layers that
// predate the 7.0 nesting series' arch changes (flat: Linux up to 6.19;
// typed: series v1/v2), whose arch code kept its own lazy-mode flags
// (arm64 TIF_LAZY_MMU, Xen PV TIF_LAZY_MMU_UPDATES at context switch).
// countbool (v3/v4) already carried the 7.0 forms of those arch patches.
func (c *Ctx) Before70() bool {
	return c.Strategy == lazymmu.Flat || c.Strategy == lazymmu.Typed
}

// Kernel73 reports whether the arch code to model is Linux 7.3's: the
// kernel is 7.3 and the strategy is one of the merged generic layer's
// (upstream, and noflush, ideal and none, which run on it). flat and typed
// keep the code before 7.0 (Before70) and countbool (series v3/v4) the 7.0
// forms its arch patches had, whatever Kernel says.
func (c *Ctx) Kernel73() bool {
	return c.Kernel == lazymmu.Kernel73 && !c.Before70() && c.Strategy != lazymmu.CountBool
}

// Backend is one architecture's lazy MMU implementation and cost model. Every
// method returns the modeled time the call costs, in ns. Methods must not
// allocate per call (slices indexed by Ctx.CPU or Ctx.Task may grow when a new
// CPU or task first appears).
type Backend interface {
	Name() string
	// Rules says which callbacks crash this arch under unguarded strategies.
	Rules() lazymmu.Rules
	// Enter, Leave and Flush are arch_enter/leave/flush_lazy_mmu_mode.
	// Enter and Leave also return the violations the backend detects from
	// its own state: an arch that keeps its own lazy-mode flag (Xen PV's
	// per-CPU xen_lazy_mode) reports NestedEnter for an enter while that flag
	// is already on, and LeaveWhileInactive for a leave while it is off, and
	// then models what the kernel would do after the BUG_ON (nothing more:
	// the call's own work is still counted). This is how the 7.0-rc crash
	// shows up: a switch-in re-enters lazy mode for a task whose enable was
	// preempted before its enter (traces.FlagMid), and the enter that then
	// runs finds the mode already on. The engine counts these; it must not
	// derive NestedEnter / LeaveWhileInactive from Rules as well for the same
	// call (Rules stays as a description of the arch, for docs and reports).
	Enter(c *Ctx) (float64, lazymmu.ViolationSet)
	Leave(c *Ctx) (float64, lazymmu.ViolationSet)
	Flush(c *Ctx) float64
	// Update is one PTE update (e.Op.IsUpdate()).
	Update(c *Ctx, e *traces.Event) float64
	// Switch is a context switch on c.CPU from the task in c (whose Lazy says
	// whether the generic layer had it in lazy mode) to task next / nextPID,
	// whose lazy state is nextLazy. It returns the violations it detects
	// (PreemptedInSection on arches that disable preemption in a section).
	Switch(c *Ctx, next int, nextPID uint32, nextLazy bool) (float64, lazymmu.ViolationSet)
	// FlushAll makes every deferred update take effect (end of trace, and the
	// ideal strategy's on-demand flush). It counts like the arch's own flush.
	FlushAll(c *Ctx) float64
	// Stats returns the backend's counters; the pointer stays valid.
	Stats() *Stats
	// Pending returns the set of updates deferred now, for the hazard oracle.
	Pending() *Pending
	// Reset returns the backend to its initial state with zeroed stats, keeping
	// its costs and allocated capacity.
	Reset()
}

// OwnerFlusher is implemented by backends that can drain one Pending owner
// (a CPU's batch, or a task's pending flag) without draining the others.
// The ideal strategy uses it for its on-demand flush; without it, FlushAll.
type OwnerFlusher interface {
	FlushOwner(c *Ctx, owner int) float64
}

// PreemptOff is implemented by backends whose enter disables preemption
// (powerpc hash, sparc64, s390): a batch of theirs cannot cross a context
// switch, so the ideal strategy flushes before one.
type PreemptOff interface {
	PreemptOffInSection() bool
}

// Counter names one of the backend's own operation counters (arch_ops).
type Counter uint8

// The arch_ops counters of the contract, plus lazybench's own.
const (
	Barriers     Counter = iota // arm64 dsb(ishst)+isb pairs
	HPTEFlushes                 // powerpc hash-table invalidations (entries)
	HCalls                      // powerpc hypervisor calls (H_BULK_REMOVE / H_REMOVE)
	TLBFlushes                  // TLB flush operations (sparc64 single-page demaps, powerpc tlbie runs)
	CrossCalls                  // sparc64 cross-calls
	Hypercalls                  // Xen direct hypercalls (mmu_update)
	Multicalls                  // Xen HYPERVISOR_multicall batches
	IPTEs                       // s390 IPTE instructions
	PkeySwitches                // arm64-kpkeys POR_EL1 writes (kpkeys level switches; unmerged series)
	NumCounters
	// NoCounter is Info.Main of a backend without arch work (native x86).
	NoCounter = NumCounters
)

var counterNames = [NumCounters]string{"barriers", "hpte_flushes", "hcalls", "tlb_flushes", "crosscalls", "hypercalls", "multicalls", "iptes", "pkey_switches"}

// String returns the counter's contract name.
func (c Counter) String() string {
	if c < NumCounters {
		return counterNames[c]
	}
	return "counter?"
}

// MaxBatch is the largest batch size the histogram tells apart; larger batches
// are counted in the last bucket.
const MaxBatch = 1024

// Stats are a backend's counts over one replay.
type Stats struct {
	Ops [NumCounters]uint64 // arch_ops
	// Batched and Immediate count update events (one per trace event,
	// whatever its nr): Batched those whose arch work was deferred, Immediate
	// those whose arch work was done at once (or that need none).
	Batched   uint64
	Immediate uint64
	// Flushes counts drains of a non-empty batch, whatever caused them (a
	// flush or leave callback, a full batch, a conflicting entry, a context
	// switch, FlushAll); it equals the sum of Batches.
	Flushes uint64
	// Batches[n] counts drains of a batch of n entries (n >= 1); Batches[MaxBatch]
	// counts every larger one.
	Batches [MaxBatch + 1]uint64
}

// Param is one cost-model parameter of a backend.
type Param struct {
	Name    string  // key in the cost file, e.g. "barrier_ns"
	Default float64 // default value
	Unit    string  // "ns", "ns/entry", ...
	Source  string  // where the default comes from, or "estimate: why"
}

// Main is implemented by a backend whose main counter depends on its options
// (ppc64-hash: hcalls on pSeries, tlb_flushes on PowerNV); Info.Main is the
// main counter of every other backend.
type Main interface {
	MainCounter() Counter
}

// MainCounter returns the name of be's main counter, or "" if it has none:
// be's own (Main) if it says, else that of info (which may be nil).
func MainCounter(info *Info, be Backend) string {
	if m, ok := be.(Main); ok {
		return m.MainCounter().String()
	}
	if info == nil {
		return ""
	}
	return info.MainName()
}

// Linear is implemented by backends whose modeled time is a linear function
// of counts: the time of every call since the last Reset is the sum over i
// of Terms()[i] times the value of Info.Params[i]. The calibration fits a
// backend's parameters with it; docs/arch/<name>.md writes the formula out.
type Linear interface {
	// Terms appends to dst, for each cost parameter in Info.Params order,
	// the count that parameter multiplies, and returns the slice.
	Terms(dst []float64) []float64
}
