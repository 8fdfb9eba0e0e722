package replay

import (
	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// fake is a small Xen-PV-like backend for the engine's tests: a per-CPU batch
// of at most fakeBatch updates, entered and left by the callbacks, with its
// own per-CPU lazy flag (so a second enter is nested-enter). Costs: a batched
// update 1 ns, an immediate one or a drain 10 ns, everything else free.
type fake struct {
	st   arch.Stats
	pend arch.Pending
	on   []bool
}

const fakeBatch = 4

func (f *fake) Name() string         { return "fake" }
func (f *fake) Rules() lazymmu.Rules { return lazymmu.Rules{} }
func (f *fake) Stats() *arch.Stats   { return &f.st }
func (f *fake) Pending() *arch.Pending {
	return &f.pend
}

// fakeInfo describes fake; Config.Info hands it to the engine (fake is not
// registered, so that arch.Names lists the real backends only).
var fakeInfo = &arch.Info{
	Name:     "fake",
	Counters: []arch.Counter{arch.Hypercalls, arch.Multicalls},
	Main:     arch.Hypercalls,
}

func (f *fake) cpu(c *arch.Ctx) *bool {
	for c.CPU >= len(f.on) {
		f.on = append(f.on, false)
	}
	return &f.on[c.CPU]
}

func (f *fake) drain(owner int, now float64) float64 {
	n := f.pend.Drain(owner, now)
	if n == 0 {
		return 0
	}
	f.st.Flushes++
	f.st.Batches[min(n, arch.MaxBatch)]++
	if n == 1 {
		f.st.Ops[arch.Hypercalls]++
	} else {
		f.st.Ops[arch.Multicalls]++
	}
	return 10
}

func (f *fake) Enter(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	on := f.cpu(c)
	var v lazymmu.ViolationSet
	if *on {
		v = v.With(lazymmu.NestedEnter)
	}
	*on = true
	return 0, v
}

func (f *fake) Leave(c *arch.Ctx) (float64, lazymmu.ViolationSet) {
	on := f.cpu(c)
	var v lazymmu.ViolationSet
	if !*on {
		v = v.With(lazymmu.LeaveWhileInactive)
	}
	*on = false
	return f.drain(c.CPU, c.Now), v
}

func (f *fake) Flush(c *arch.Ctx) float64 { return f.drain(c.CPU, c.Now) }

func (f *fake) Update(c *arch.Ctx, e *traces.Event) float64 {
	f.cpu(c)
	if c.Lazy && !c.InIRQ {
		f.pend.Add(c.CPU, e.MM, e.Addr, e.Nr, e.Shift, c.Now)
		f.st.Batched++
		if f.pend.Len(c.CPU) == fakeBatch {
			return 1 + f.drain(c.CPU, c.Now+1)
		}
		return 1
	}
	f.st.Immediate++
	f.st.Ops[arch.Hypercalls]++
	return 10
}

func (f *fake) Switch(c *arch.Ctx, next int, nextPID uint32, nextLazy bool) (float64, lazymmu.ViolationSet) {
	on := f.cpu(c)
	var ns float64
	if *on {
		ns = f.drain(c.CPU, c.Now)
		*on = false
	}
	if nextLazy {
		*on = true
	}
	return ns, 0
}

func (f *fake) FlushAll(c *arch.Ctx) float64 {
	var ns float64
	for o := range f.on {
		ns += f.drain(o, c.Now)
	}
	return ns
}

func (f *fake) Reset() {
	f.st = arch.Stats{}
	f.pend.Reset()
	f.on = f.on[:0]
}
