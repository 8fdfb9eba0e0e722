package arch

import (
	"fmt"

	"github.com/lazybench/lazybench/lazymmu"
)

// MaxParams is the most cost parameters a Model holds.
const MaxParams = 8

// Model holds a backend's cost-parameter values (in its Info.Params order)
// and the count each parameter has multiplied since the last ResetTerms. A
// backend that charges every modeled ns through Charge embeds it and gets
// Terms, and so implements Linear. The zero Model has no parameters.
type Model struct {
	p, t [MaxParams]float64
	n    int
}

// NewModel returns the model of params with values from v (arch.Info.Values:
// parameters by name); missing parameters take their defaults. It panics if
// there are more than MaxParams parameters (a backend's definition error).
func NewModel(params []Param, v map[string]float64) Model {
	if len(params) > MaxParams {
		panic(fmt.Sprintf("arch.NewModel: %d parameters, at most %d", len(params), MaxParams))
	}
	m := Model{n: len(params)}
	for i, p := range params {
		m.p[i] = p.Default
		if x, ok := v[p.Name]; ok {
			m.p[i] = x
		}
	}
	return m
}

// Value returns the value of parameter i.
func (m *Model) Value(i int) float64 { return m.p[i] }

// Charge counts n times parameter i and returns what that costs, in ns.
func (m *Model) Charge(i int, n float64) float64 {
	m.t[i] += n
	return n * m.p[i]
}

// Terms appends the count each parameter multiplied since ResetTerms, in
// Params order (Linear): the modeled time is their dot product with the
// parameter values.
func (m *Model) Terms(dst []float64) []float64 { return append(dst, m.t[:m.n]...) }

// ResetTerms zeroes the counts, keeping the values.
func (m *Model) ResetTerms() { m.t = [MaxParams]float64{} }

// Option returns the boolean option name from v (arch.Info.Values: nonzero
// is true), or its default in options if v does not set it (false if options
// has no such name).
func Option(v map[string]float64, name string, options []Param) bool {
	if x, ok := v[name]; ok {
		return x != 0
	}
	for _, o := range options {
		if o.Name == name {
			return o.Default != 0
		}
	}
	return false
}

// PerCPU is a backend's state indexed by CPU (or by task): a slice that grows
// with zero values when an index first appears. Reset it with clear.
type PerCPU[T any] []T

// Get returns element i (i >= 0), growing the slice to hold it.
func (p *PerCPU[T]) Get(i int) *T {
	if i < len(*p) {
		return &(*p)[i]
	}
	return p.grow(i)
}

// grow is Get's slow path, out of line so that Get inlines.
func (p *PerCPU[T]) grow(i int) *T {
	var zero T
	for i >= len(*p) {
		*p = append(*p, zero)
	}
	return &(*p)[i]
}

// DrainOne calls drain on element owner with its index and now, and returns
// what it returns (0 if there is no such element: that CPU never ran). It is
// the OwnerFlusher of a backend whose batches are per CPU.
func (p PerCPU[T]) DrainOne(owner int, now float64, drain func(s *T, owner int, now float64) float64) float64 {
	if owner < 0 || owner >= len(p) {
		return 0
	}
	return drain(&p[owner], owner, now)
}

// DrainAll calls drain on every element in index order, each at now plus
// the time the drains before it took, and returns the total: a backend's
// FlushAll of per-CPU batches.
func (p PerCPU[T]) DrainAll(now float64, drain func(s *T, owner int, now float64) float64) float64 {
	ns := 0.0
	for i := range p {
		ns += drain(&p[i], i, now+ns)
	}
	return ns
}

// PreemptSection is one CPU's preemption state on an arch whose lazy-mode
// enter disables preemption (PreemptOff): the preempt_disable depth taken by
// enters and not yet given back by leaves, and the task that took the first.
// Embed it in the per-CPU state; the zero value is preemptible.
type PreemptSection struct {
	Depth int // preempt_disable depth from enter (preemption is off while > 0)
	Owner int // task that took the outermost preempt_disable (Ctx.Task)
}

// Enter is preempt_disable by task's enter.
func (p *PreemptSection) Enter(task int) {
	if p.Depth == 0 {
		p.Owner = task
	}
	p.Depth++
}

// Leave is preempt_enable by a leave (nothing if preemption is on: a leave
// without its enter, only under unguarded strategies).
func (p *PreemptSection) Leave() {
	if p.Depth > 0 {
		p.Depth--
	}
}

// SwitchOut returns the violations of switching task out of this CPU:
// PreemptedInSection if task disabled preemption and has not left (that
// cannot happen in the kernel; the model changes nothing), none otherwise.
func (p *PreemptSection) SwitchOut(task int) lazymmu.ViolationSet {
	if p.Depth > 0 && p.Owner == task {
		return lazymmu.ViolationSet(0).With(lazymmu.PreemptedInSection)
	}
	return 0
}
