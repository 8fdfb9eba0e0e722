// Package archtest drives an arch backend from a small script of calls and
// checks its counters, deferred updates and costs, so that every backend's
// table tests read like the kernel rules they check. It stands in for the
// replay engine: it keeps a modeled clock per CPU (advanced by the cost of
// every call), the task running on each CPU, each task's generic lazy state
// (Ctx.Lazy) and interrupt context, and records every deferral time a drain
// reports.
//
// A script has one command per line; '#' starts a comment:
//
//	on cpu=C [task=T]     make CPU C current (and bind task T to it, no callback)
//	strategy NAME         set Ctx.Strategy (default upstream) for the calls that follow
//	kernel 7.3|7.0        set Ctx.Kernel (default 7.3) for the calls that follow
//	wait NS               advance the current CPU's clock by NS
//	lazy 0|1              set the current task's generic lazy state (Ctx.Lazy)
//	enter                 lazy 1, then Enter (as upstream's 0->1 enable does)
//	leave                 lazy 0, then Leave (as the last disable does)
//	flush                 Flush (lazy state unchanged, as a nested disable)
//	flushall              FlushAll
//	enable | disable | pause | resume
//	                      a generic API call through lazymmu.Layer (the current
//	                      strategy and the backend's Rules), making the callback
//	                      it returns; the task's lazy state follows Layer.Active
//	irq_enter | irq_exit  interrupt context on the current CPU
//	switch next=T         Switch to task T (nextLazy = T's lazy state)
//	set addr=.. [key=..]  an update: any update op of the trace format with its keys
//	repeat N <command>    run command N times; an update's addr advances by nr pages each time
//	expect key=value ...  check state: a counter name (barriers, hypercalls, ...),
//	                      batched, immediate, flushes, pending (total),
//	                      pending.O (owner O), batch.N (histogram), drained
//	                      (entries drained so far), deferred (sum of their
//	                      deferral times, ns), cost (sum of all costs, ns),
//	                      a violation name (times reported), now (clock, ns)
package archtest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// Driver calls a backend the way the replay engine would.
type Driver struct {
	B          arch.Backend
	CPU        int
	Strategy   lazymmu.Strategy // Ctx.Strategy of every call
	Kernel     lazymmu.Kernel   // Ctx.Kernel of every call
	now        []float64        // per CPU
	irq        []bool           // per CPU
	running    []int            // task on each CPU
	lazy       []bool           // per task
	pids       []uint32         // per task
	states     []lazymmu.State  // per task: the generic layer state
	Cost       float64          // sum of every call's cost
	Drained    int              // entries drained
	Deferred   float64          // sum of their deferral times
	DeferTimes []float64        // every deferral time, in drain order
	Violations [lazymmu.NumViolations]int
}

// New returns a driver for b, reset, on CPU 0 running task 0. It installs
// itself as the Sink of b's Pending.
func New(b arch.Backend) *Driver {
	b.Reset()
	d := &Driver{B: b}
	b.Pending().Sink = drainSink{d}
	d.On(0, 0)
	return d
}

// drainSink records a Driver's drained entries.
type drainSink struct{ d *Driver }

func (s drainSink) Drained(now float64, entries []arch.PendingEntry) {
	for i := range entries {
		ns := entries[i].Deferral(now)
		s.d.Drained++
		s.d.Deferred += ns
		s.d.DeferTimes = append(s.d.DeferTimes, ns)
	}
}

func grow[T any](s []T, n int, zero T) []T {
	for len(s) <= n {
		s = append(s, zero)
	}
	return s
}

// On makes cpu current and, if task >= 0, binds task to it.
func (d *Driver) On(cpu, task int) {
	d.CPU = cpu
	d.now = grow(d.now, cpu, 0)
	d.irq = grow(d.irq, cpu, false)
	d.running = grow(d.running, cpu, -1)
	if task >= 0 {
		d.running[cpu] = task
		d.task(task)
	} else if d.running[cpu] < 0 {
		d.running[cpu] = cpu
		d.task(cpu)
	}
}

func (d *Driver) task(t int) {
	d.lazy = grow(d.lazy, t, false)
	d.states = grow(d.states, t, lazymmu.State{})
	for len(d.pids) <= t {
		d.pids = append(d.pids, uint32(100+len(d.pids)))
	}
}

// Ctx returns the context of a call on the current CPU now.
func (d *Driver) Ctx() *arch.Ctx {
	t := d.running[d.CPU]
	return &arch.Ctx{CPU: d.CPU, Task: t, PID: d.pids[t], Now: d.now[d.CPU], Lazy: d.lazy[t], InIRQ: d.irq[d.CPU], Strategy: d.Strategy, Kernel: d.Kernel}
}

// Now returns the current CPU's clock.
func (d *Driver) Now() float64 { return d.now[d.CPU] }

// Wait advances the current CPU's clock.
func (d *Driver) Wait(ns float64) { d.now[d.CPU] += ns }

// SetLazy sets the current task's generic lazy state.
func (d *Driver) SetLazy(on bool) { d.lazy[d.running[d.CPU]] = on }

// IRQ sets interrupt context on the current CPU.
func (d *Driver) IRQ(on bool) { d.irq[d.CPU] = on }

func (d *Driver) charge(ns float64, v lazymmu.ViolationSet) {
	d.Cost += ns
	d.now[d.CPU] += ns
	for i := lazymmu.Violation(0); i < lazymmu.NumViolations; i++ {
		if v.Has(i) {
			d.Violations[i]++
		}
	}
}

// Enter sets the task lazy and calls Enter.
func (d *Driver) Enter() { d.SetLazy(true); d.charge(d.B.Enter(d.Ctx())) }

// Leave clears the task's lazy state and calls Leave.
func (d *Driver) Leave() { d.SetLazy(false); d.charge(d.B.Leave(d.Ctx())) }

// Flush calls Flush.
func (d *Driver) Flush() { d.charge(d.B.Flush(d.Ctx()), 0) }

// FlushAll calls FlushAll.
func (d *Driver) FlushAll() { d.charge(d.B.FlushAll(d.Ctx()), 0) }

// Update calls Update with e.
func (d *Driver) Update(e *traces.Event) {
	e.CPU = uint32(d.CPU)
	e.Time = uint64(d.now[d.CPU])
	d.charge(d.B.Update(d.Ctx(), e), 0)
}

// Switch switches the current CPU to task next.
func (d *Driver) Switch(next int) {
	d.task(next)
	ns, v := d.B.Switch(d.Ctx(), next, d.pids[next], d.lazy[next])
	d.charge(ns, v)
	d.running[d.CPU] = next
}

// API makes a generic API call for the current task through lazymmu.Layer
// and then the arch callback it returns; violations from the layer and from
// the backend are ORed, as the engine does (one call counts once).
func (d *Driver) API(call lazymmu.Call) lazymmu.Callback {
	t := d.running[d.CPU]
	l := lazymmu.Layer{Strategy: d.Strategy, Rules: d.B.Rules()}
	cb, v := l.Do(&d.states[t], call, d.irq[d.CPU])
	d.lazy[t] = l.Active(&d.states[t], false)
	var ns float64
	var bv lazymmu.ViolationSet
	switch cb {
	case lazymmu.CbEnter:
		ns, bv = d.B.Enter(d.Ctx())
	case lazymmu.CbLeave:
		ns, bv = d.B.Leave(d.Ctx())
	case lazymmu.CbFlush:
		ns = d.B.Flush(d.Ctx())
	}
	d.charge(ns, v|bv)
	return cb
}

// Run executes a script (see the package doc) and reports every failed
// expectation or malformed line through t, naming the script line.
func Run(t testing.TB, b arch.Backend, script string) *Driver {
	t.Helper()
	d := New(b)
	for i, line := range strings.Split(script, "\n") {
		if err := d.Exec(line); err != nil {
			t.Errorf("script line %d %q: %v", i+1, strings.TrimSpace(line), err)
		}
	}
	return d
}

// Exec runs one script line.
func (d *Driver) Exec(line string) error {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil
	}
	switch f[0] {
	case "repeat":
		if len(f) < 3 {
			return fmt.Errorf("repeat N command")
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 0 {
			return fmt.Errorf("bad count %q", f[1])
		}
		op := traces.ParseOp(f[2])
		if op.IsUpdate() {
			e, err := parseEvent(op, f[3:])
			if err != nil {
				return err
			}
			step := uint64(max(e.Nr, 1)) << e.Shift
			for k := 0; k < n; k++ {
				ev := e
				ev.Addr = e.Addr + uint64(k)*step
				d.Update(&ev)
			}
			return nil
		}
		rest := strings.Join(f[2:], " ")
		for k := 0; k < n; k++ {
			if err := d.Exec(rest); err != nil {
				return err
			}
		}
		return nil
	case "on":
		kv, err := keyvals(f[1:])
		if err != nil {
			return err
		}
		cpu, ok := kv["cpu"]
		if !ok {
			return fmt.Errorf("on needs cpu=")
		}
		task := -1
		if s, ok := kv["task"]; ok {
			task = int(s)
		}
		d.On(int(cpu), task)
	case "strategy":
		st, ok := lazymmu.Strategy(0), false
		if len(f) == 2 {
			st, ok = lazymmu.ParseStrategy(f[1])
		}
		if !ok {
			return fmt.Errorf("strategy NAME (upstream, flat, ...)")
		}
		d.Strategy = st
	case "kernel":
		k, ok := lazymmu.Kernel(0), false
		if len(f) == 2 {
			k, ok = lazymmu.ParseKernel(f[1])
		}
		if !ok {
			return fmt.Errorf("kernel 7.3|7.0")
		}
		d.Kernel = k
	case "wait":
		if len(f) != 2 {
			return fmt.Errorf("wait NS")
		}
		ns, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			return err
		}
		d.Wait(ns)
	case "lazy":
		if len(f) != 2 || (f[1] != "0" && f[1] != "1") {
			return fmt.Errorf("lazy 0|1")
		}
		d.SetLazy(f[1] == "1")
	case "enter":
		d.Enter()
	case "leave":
		d.Leave()
	case "flush":
		d.Flush()
	case "flushall":
		d.FlushAll()
	case "enable":
		d.API(lazymmu.Enable)
	case "disable":
		d.API(lazymmu.Disable)
	case "pause":
		d.API(lazymmu.Pause)
	case "resume":
		d.API(lazymmu.Resume)
	case "irq_enter":
		d.IRQ(true)
	case "irq_exit":
		d.IRQ(false)
	case "switch":
		kv, err := keyvals(f[1:])
		if err != nil {
			return err
		}
		next, ok := kv["next"]
		if !ok {
			return fmt.Errorf("switch needs next=")
		}
		d.Switch(int(next))
	case "expect":
		return d.expect(f[1:])
	default:
		op := traces.ParseOp(f[0])
		if !op.IsUpdate() {
			return fmt.Errorf("unknown command %q", f[0])
		}
		e, err := parseEvent(op, f[1:])
		if err != nil {
			return err
		}
		d.Update(&e)
	}
	return nil
}

func keyvals(f []string) (map[string]float64, error) {
	kv := map[string]float64{}
	for _, s := range f {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("want key=value, got %q", s)
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", k, err)
		}
		kv[k] = x
	}
	return kv, nil
}

// parseEvent builds an update event of op from key=value fields of the
// trace text format (addr in hex).
func parseEvent(op traces.Op, f []string) (traces.Event, error) {
	e := traces.Defaults(op)
	for _, s := range f {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return e, fmt.Errorf("want key=value, got %q", s)
		}
		var key *traces.Key
		for i := range traces.Ops[op].Keys {
			if traces.Ops[op].Keys[i].Name == k {
				key = &traces.Ops[op].Keys[i]
			}
		}
		if key == nil || key.Field == traces.FieldSite {
			return e, fmt.Errorf("%s has no key %q", op, k)
		}
		base := 10
		if key.Field == traces.FieldAddr {
			base = 16
			v = strings.TrimPrefix(v, "0x")
		}
		x, err := strconv.ParseUint(v, base, 64)
		if err != nil {
			return e, fmt.Errorf("%s=%s: %v", k, v, err)
		}
		e.Set(key.Field, x)
	}
	return e, nil
}

// Value returns the named quantity of the expect command.
func (d *Driver) Value(name string) (float64, bool) {
	st := d.B.Stats()
	for c := arch.Counter(0); c < arch.NumCounters; c++ {
		if c.String() == name {
			return float64(st.Ops[c]), true
		}
	}
	for v := lazymmu.Violation(0); v < lazymmu.NumViolations; v++ {
		if v.String() == name {
			return float64(d.Violations[v]), true
		}
	}
	switch name {
	case "batched":
		return float64(st.Batched), true
	case "immediate":
		return float64(st.Immediate), true
	case "flushes":
		return float64(st.Flushes), true
	case "pending":
		return float64(d.B.Pending().Total()), true
	case "drained":
		return float64(d.Drained), true
	case "deferred":
		return d.Deferred, true
	case "cost":
		return d.Cost, true
	case "now":
		return d.Now(), true
	}
	if o, ok := strings.CutPrefix(name, "pending."); ok {
		n, err := strconv.Atoi(o)
		if err == nil {
			return float64(d.B.Pending().Len(n)), true
		}
	}
	if o, ok := strings.CutPrefix(name, "batch."); ok {
		n, err := strconv.Atoi(o)
		if err == nil && n >= 0 && n <= arch.MaxBatch {
			return float64(st.Batches[n]), true
		}
	}
	return 0, false
}

func (d *Driver) expect(f []string) error {
	var errs []string
	for _, s := range f {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("want key=value, got %q", s)
		}
		want, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
		got, ok := d.Value(k)
		if !ok {
			return fmt.Errorf("unknown quantity %q", k)
		}
		if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			errs = append(errs, fmt.Sprintf("%s = %v, want %v", k, got, want))
		}
	}
	if errs != nil {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// CheckInvariants checks what must hold for any backend after any script:
// Flushes equals the sum of the batch histogram; FlushAll leaves nothing
// pending; Reset zeroes the counters. It resets b.
func CheckInvariants(t testing.TB, d *Driver) {
	t.Helper()
	b := d.B
	d.FlushAll()
	if n := b.Pending().Total(); n != 0 {
		t.Errorf("%s: %d entries pending after FlushAll", b.Name(), n)
	}
	st := b.Stats()
	var sum uint64
	for _, n := range st.Batches {
		sum += n
	}
	if sum != st.Flushes {
		t.Errorf("%s: Flushes = %d, sum of Batches = %d", b.Name(), st.Flushes, sum)
	}
	b.Reset()
	if *b.Stats() != (arch.Stats{}) {
		t.Errorf("%s: Reset left counters %+v", b.Name(), *b.Stats())
	}
	if b.Pending().Total() != 0 {
		t.Errorf("%s: Reset left %d pending", b.Name(), b.Pending().Total())
	}
}
