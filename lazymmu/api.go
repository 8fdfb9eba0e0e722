// Package lazymmu models the kernel's generic lazy MMU layer
// (include/linux/pgtable.h, lazy_mmu_mode_enable/disable/pause/resume) under
// each nesting strategy that was merged or proposed. It is a pure state machine:
// for each API call it says which arch callback the kernel would make (enter,
// leave, flush or none) and which checks fired. The replay engine makes the
// callback on an arch backend.
package lazymmu

// Strategy names one design of the generic layer.
type Strategy uint8

// The strategies of docs/kernel.md section 2. Names are a contract.
const (
	Upstream  Strategy = iota // Linux 7.0 and later (7.3.4 the same): per-task enable_count / pause_count
	Flat                      // up to 6.19: every enable enters, every disable leaves
	Typed                     // series v1/v2: enter returns DEFAULT or NESTED
	CountBool                 // series v3/v4: {u8 count; bool active}
	None                      // no lazy mode: every call ignored
	NoFlush                   // upstream without the flush on nested disable (negative control)
	Ideal                     // the fewest flushes with no hazard: the engine flushes only where an access needs it (no bound on time)
	NumStrategies
)

var strategyNames = [NumStrategies]string{"upstream", "flat", "typed", "countbool", "none", "noflush", "ideal"}

// String returns the strategy's contract name.
func (s Strategy) String() string {
	if s < NumStrategies {
		return strategyNames[s]
	}
	return "strategy?"
}

// ParseStrategy returns the strategy with the contract name, and whether it exists.
func ParseStrategy(name string) (Strategy, bool) { return parse[Strategy](strategyNames[:], name) }

// Strategies lists every strategy in contract order.
func Strategies() []Strategy { return upTo(NumStrategies) }

// Call is one of the generic API calls.
type Call uint8

// The API calls.
const (
	Enable Call = iota
	Disable
	Pause
	Resume
)

// Callback is the arch callback a call makes.
type Callback uint8

// The arch callbacks: arch_enter_lazy_mmu_mode, arch_leave_lazy_mmu_mode,
// arch_flush_lazy_mmu_mode.
const (
	CbNone Callback = iota
	CbEnter
	CbLeave
	CbFlush
)

var callbackNames = [...]string{"-", "enter", "leave", "flush"}

// String returns "enter", "leave", "flush" or "-".
func (c Callback) String() string {
	if int(c) < len(callbackNames) {
		return callbackNames[c]
	}
	return "?"
}

// Violation is a broken rule, counted per replay.
type Violation uint8

// The violation names of the contract.
const (
	EnableOverflow       Violation = iota // enable at enable_count 255 (upstream VM_WARN)
	DisableUnderflow                      // disable at enable_count 0
	PauseOverflow                         // pause at pause_count 255
	ResumeUnderflow                       // resume at pause_count 0
	EnableWhilePaused                     // countbool v4 check
	DisableWhileInactive                  // countbool v4 check
	PauseWhileInactive                    // countbool v4 check
	ResumeWhileActive                     // countbool v4 check
	DroppedDisable                        // a disable ignored while paused whose section began before the pause
	UnbalancedAtEnd                       // a task ends inside a section or a pause
	NestedEnter                           // the arch crashes on a second enter (Rules.NestedEnterCrashes)
	LeaveWhileInactive                    // the arch crashes on leave outside lazy mode (Rules.LeaveInactiveCrashes)
	PreemptedInSection                    // a context switch where the arch disabled preemption
	NumViolations
)

var violationNames = [NumViolations]string{
	"enable-overflow", "disable-underflow", "pause-overflow", "resume-underflow",
	"enable-while-paused", "disable-while-inactive", "pause-while-inactive",
	"resume-while-active", "dropped-disable", "unbalanced-at-end", "nested-enter",
	"leave-while-inactive", "preempted-in-section",
}

// String returns the violation's contract name.
func (v Violation) String() string {
	if v < NumViolations {
		return violationNames[v]
	}
	return "violation?"
}

// ViolationSet is a set of violations, one bit each.
type ViolationSet uint32

// Has reports whether v is in the set.
func (s ViolationSet) Has(v Violation) bool { return s&(1<<v) != 0 }

// With returns the set with v added.
func (s ViolationSet) With(v Violation) ViolationSet { return s | 1<<v }

// Rules is what an arch backend says about the legality of callbacks under the
// strategies that do not guard them (flat, typed, countbool): whether a second
// enter while its lazy mode is on, or a leave while it is off, crashes it (x86
// paravirt did BUG_ON before 7.0). Such calls are counted as NestedEnter /
// LeaveWhileInactive. IgnoresIRQ says that the arch's own hooks return at once
// in interrupt context, which matters only under flat and typed (before the
// generic layer bailed out itself): arm64 since commit b81c688426a9 (6.16).
type Rules struct {
	NestedEnterCrashes   bool
	LeaveInactiveCrashes bool
	IgnoresIRQ           bool
}

// Kernel names the mainline kernel whose rules a replay models. The generic
// layer's rules are the same in both (include/linux/pgtable.h
// lazy_mmu_mode_enable/disable/pause/resume; 7.3 only splits pause and resume
// into __task_lazy_mmu_mode_pause/resume for the arch's context switch); what
// changed is arch code, which the backends pick with arch.Ctx.Kernel73 (see
// docs/strategies.md, "What changed in 7.3").
type Kernel uint8

// The kernels. The zero value is the newest, the default.
const (
	Kernel73 Kernel = iota // Linux 7.3 (read in Debian's linux-source-7.3, 7.3.4)
	Kernel70               // Linux 7.0
	NumKernels
)

var kernelNames = [NumKernels]string{"7.3", "7.0"}

// DefaultKernel is the kernel a replay models unless told otherwise.
const DefaultKernel = Kernel73

// String returns the kernel's name on the command line ("7.3", "7.0").
func (k Kernel) String() string {
	if k < NumKernels {
		return kernelNames[k]
	}
	return "kernel?"
}

// ParseKernel returns the kernel named name, and whether it exists.
func ParseKernel(name string) (Kernel, bool) { return parse[Kernel](kernelNames[:], name) }

// Kernels lists every kernel, newest first.
func Kernels() []Kernel { return upTo(NumKernels) }

// parse returns the value whose name in names (indexed by value) is name,
// and whether there is one: ParseStrategy and ParseKernel.
func parse[T ~uint8](names []string, name string) (T, bool) {
	for i, n := range names {
		if n == name {
			return T(i), true
		}
	}
	return 0, false
}

// upTo lists every value below n, in order: Strategies and Kernels.
func upTo[T ~uint8](n T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(i)
	}
	return s
}
