package replay

import (
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// Observer watches a replay one event at a time: `lazybench replay --steps`
// prints from it and the timeline writer (--timeline) records from it. Set it
// in Config.Observer; a nil Observer costs one pointer test per event.
//
// The pointers passed to Step and End belong to the engine and are reused: an
// Observer must copy what it keeps. Step is called once per input event, in
// trace order, after the engine has applied the event.
type Observer interface {
	// Step reports input event i (0-based) and what applying it did.
	Step(i int64, e *traces.Event, s *StepInfo)
	// End reports the end of the trace: n is the number of events, and s what
	// closing the trace did (unbalanced tasks, the final flush).
	End(n int64, s *EndInfo)
}

// Tee returns an observer that passes every call to a, then to b.
func Tee(a, b Observer) Observer { return tee{a, b} }

type tee struct{ a, b Observer }

func (t tee) Step(i int64, e *traces.Event, s *StepInfo) {
	t.a.Step(i, e, s)
	t.b.Step(i, e, s)
}

func (t tee) End(n int64, s *EndInfo) {
	t.a.End(n, s)
	t.b.End(n, s)
}

// MaxStepCallbacks bounds the arch callbacks one event can cause: an API call's
// own callback, one held back by a mid=1 context switch and released when the
// task runs again, and under ideal a flush before a switch (arches whose
// enter disables preemption); 4 leaves room.
const MaxStepCallbacks = 4

// HazardSet is a set of hazards, one bit each (HazardStale, HazardTLB).
type HazardSet uint8

// The hazards of docs/kernel.md section 5.
const (
	HazardStale HazardSet = 1 << iota // an access hit a deferred update: stale-access
	HazardTLB                         // a tlbflush covered a deferred update: tlbflush-before-flush
)

// Has reports whether h is in the set.
func (s HazardSet) Has(h HazardSet) bool { return s&h != 0 }

// StepInfo is what the engine did for one event.
type StepInfo struct {
	CPU   int    // the event's CPU
	Task  int    // dense index of the task current on that CPU (the event's pid)
	PID   uint32 // that task's pid
	InIRQ bool   // the CPU was in interrupt context when the event applied

	// The generic layer's view of the task after the event (for a switch: of
	// the task switched to).
	Active bool
	Enable int
	Pause  int
	// Depth is the trace-level section depth of the task: non-IRQ enables
	// minus disables, the nesting sections are measured by.
	Depth int

	// Callbacks are the arch callbacks this event made, in order; NCallbacks
	// how many. Held reports that this API call's callback was held back
	// because the next event on the CPU is a mid=1 switch: it runs when the
	// task next runs (and is then listed on that event).
	Callbacks  [MaxStepCallbacks]lazymmu.Callback
	NCallbacks int
	Held       bool

	Violations  lazymmu.ViolationSet // violations this event caused (layer and backend)
	Hazards     HazardSet            // hazards this event found (never under ideal)
	OracleFlush bool                 // ideal: the engine flushed before this access / tlbflush

	Cost    float64 // modeled ns of arch work this event caused
	Clock   float64 // the CPU's modeled clock after the event, ns
	Pending int     // deferred updates (all owners) after the event
}

// EndInfo is what closing the trace did.
type EndInfo struct {
	// Violations counts, per violation, the tasks that ended unbalanced (and
	// any violation the final flush reported).
	Violations [lazymmu.NumViolations]uint64
	// Flushed is how many deferred updates the final FlushAll made take
	// effect; Cost its modeled ns.
	Flushed int
	Cost    float64
	// Clock is the largest CPU clock, ns: when the final flush happens.
	Clock float64
}
