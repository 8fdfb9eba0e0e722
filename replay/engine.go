package replay

import (
	"fmt"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// Config selects what one replay models.
type Config struct {
	// Trace is the name reported in Result.Trace.
	Trace string
	// Arch names a registered backend (import arch/all to register them);
	// Backend, if set, is used instead and Arch and Costs are ignored.
	Arch    string
	Backend arch.Backend
	// Info describes Backend (nil: the registered backend of its name, if
	// any; without one, a result lists only the counters that moved and the
	// main counter only if the backend implements arch.Main).
	Info *arch.Info
	// Costs overrides backend cost parameters (nil: the defaults).
	Costs arch.Costs
	// Strategy is the generic layer's nesting strategy.
	Strategy lazymmu.Strategy
	// Kernel is the mainline kernel whose rules are modeled (the zero
	// value is the newest, 7.3; see arch.Ctx.Kernel73).
	Kernel lazymmu.Kernel
	// Observer, if set, sees every event (see Observer).
	Observer Observer
	// KeepDists makes Result.Section and Result.Deferred hold copies of the
	// distributions (for charts). Off by default: the copy allocates.
	KeepDists bool
}

// lookahead bounds how far the engine reads ahead for the next event of a CPU
// when it checks whether an API call is followed by a mid=1 switch.
const lookahead = 256

// cpuState is one CPU. Its Ctx is the one the backend gets for calls on this
// CPU: CPU, Strategy and Kernel are set once, Task and PID when a task switches in,
// InIRQ with the interrupt depth, and Now is the CPU's modeled clock, so a
// call only sets Lazy (and a pointer into the cpus slice does not escape).
type cpuState struct {
	cx   arch.Ctx
	task int32 // dense task index, -1 before the CPU's first event
	irq  int32 // interrupt nesting depth
	lazy bool  // irq == 0 && tasks[task].active: Ctx.Lazy of an update (refresh)
}

type taskState struct {
	st       lazymmu.State
	active   bool // Layer.Active(&st, false), kept current after every Do
	pid      uint32
	clock    float64 // the task's modeled time when it last ran
	secStart float64 // CPU clock at its outermost enable
	depth    int32   // trace-level section depth (non-IRQ enables minus disables)
	held     lazymmu.Callback
}

// Engine replays traces through one strategy and one backend. It is reusable:
// each Run starts from a clean state and keeps the memory it grew, so a
// benchmark that replays many times allocates nothing per event and almost
// nothing per run. An Engine is not safe for concurrent use; give each
// goroutine its own.
type Engine struct {
	cfg   Config
	be    arch.Backend
	info  *arch.Info // nil for an unregistered Config.Backend
	layer lazymmu.Layer
	pend  *arch.Pending
	stats *arch.Stats
	obs   Observer
	ideal bool
	// Under ideal: drain one Pending owner (nil: FlushAll), and whether the
	// arch's enter disables preemption (flush before a switch).
	flushOwner arch.OwnerFlusher
	preemptOff bool

	cpus  []cpuState
	tasks []taskState
	pids  map[uint32]int32

	// The input: events are replayed from win (a block the reader hands
	// out, or own), win[wi] being the next one.
	r   traces.Reader
	blk BlockReader // r, when it hands out blocks
	win []traces.Event
	wi  int
	own []traces.Event // the engine's buffer: a reader without blocks, or a lookahead past a block's end
	// rest is the part of the reader's last block not yet in win or own:
	// a lookahead past a block's end copies only ownChunk events of the
	// next block into own, and win goes on with rest in place.
	rest []traces.Event
	eof  bool
	cur  traces.Event

	events        uint64
	updates       uint64
	sections      uint64
	oracleFlushes uint64
	explicit      uint64
	modeled       float64
	work          float64
	callbacks     Callbacks
	violations    [lazymmu.NumViolations]uint64
	hazards       [2]uint64
	section       Dist
	deferred      Dist

	step StepInfo
	end  EndInfo
}

// New builds an engine for cfg. An unknown arch is an error wrapping
// ErrUnknownArch; an unknown strategy one wrapping ErrUnknownStrategy, an
// unknown kernel one wrapping ErrUnknownKernel.
func New(cfg Config) (*Engine, error) {
	if cfg.Strategy >= lazymmu.NumStrategies {
		return nil, fmt.Errorf("%w: %d", ErrUnknownStrategy, cfg.Strategy)
	}
	if cfg.Kernel >= lazymmu.NumKernels {
		return nil, fmt.Errorf("%w: %d", ErrUnknownKernel, cfg.Kernel)
	}
	be := cfg.Backend
	if be == nil {
		if _, ok := arch.Lookup(cfg.Arch); !ok {
			return nil, fmt.Errorf("%w %q (have %v)", ErrUnknownArch, cfg.Arch, arch.Names())
		}
		var err error
		if be, err = arch.New(cfg.Arch, cfg.Costs); err != nil {
			return nil, err
		}
	}
	cfg.Arch = be.Name()
	info := cfg.Info
	if info == nil {
		info, _ = arch.Lookup(cfg.Arch)
	}
	ls := cfg.Strategy
	if ls == lazymmu.Ideal {
		// ideal runs the 7.0 generic layer and drops the flushes it does
		// not need (see docs/replay.md, "ideal").
		ls = lazymmu.Upstream
	}
	e := &Engine{
		cfg:   cfg,
		be:    be,
		info:  info,
		layer: newLayer(ls, be.Rules()),
		pend:  be.Pending(),
		stats: be.Stats(),
		obs:   cfg.Observer,
		ideal: cfg.Strategy == lazymmu.Ideal,
		pids:  make(map[uint32]int32),
	}
	e.flushOwner, _ = be.(arch.OwnerFlusher)
	if p, ok := be.(arch.PreemptOff); ok {
		e.preemptOff = p.PreemptOffInSection()
	}
	return e, nil
}

// Run replays r with cfg on a new engine.
func Run(r traces.Reader, cfg Config) (*Result, error) {
	e, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return e.Run(r)
}

// Backend returns the engine's backend.
func (e *Engine) Backend() arch.Backend { return e.be }

// SetTrace sets the name the next results report.
func (e *Engine) SetTrace(name string) { e.cfg.Trace = name }

// SetObserver replaces the observer (nil for none).
func (e *Engine) SetObserver(o Observer) { e.obs = o; e.cfg.Observer = o }

// reset returns the engine to its state before any event.
func (e *Engine) reset() {
	e.be.Reset()
	e.pend = e.be.Pending()
	e.stats = e.be.Stats()
	e.pend.Sink = deferredSink{&e.deferred} // one pointer: no allocation
	e.cpus = e.cpus[:0]                     // cpu() rebuilds each entry
	e.tasks = e.tasks[:0]
	clear(e.pids)
	e.r, e.blk, e.win, e.wi, e.eof, e.rest = nil, nil, nil, 0, false, nil
	e.own = e.own[:0]
	e.events, e.updates, e.sections, e.oracleFlushes, e.explicit = 0, 0, 0, 0, 0
	e.modeled, e.work = 0, 0
	e.callbacks = Callbacks{}
	e.violations = [lazymmu.NumViolations]uint64{}
	e.hazards = [2]uint64{}
	e.section.Reset()
	e.deferred.Reset()
	e.step, e.end = StepInfo{}, EndInfo{}
}

// BlockReader is a traces.Reader that can also hand out its events a block
// at a time (traces.BinaryReader): the engine then reads them in place. The
// slice is valid until the next call; nil means the end (or an error, see
// Err). Next and Event are not used once Block has been.
type BlockReader interface {
	Block() []traces.Event
}

// ownChunk is how many events the engine copies at a time from a reader
// that has no blocks.
const ownChunk = 256

// fill makes win the next events; false at the end of the input.
func (e *Engine) fill() bool {
	if e.eof && len(e.rest) == 0 {
		return false
	}
	if e.blk != nil {
		if len(e.rest) == 0 && !e.block() {
			return false
		}
		e.win, e.wi, e.rest = e.rest, 0, nil
		return true
	}
	e.own = e.own[:0]
	if !e.readOwn() {
		return false
	}
	e.win, e.wi = e.own, 0
	return true
}

// block makes rest the reader's next block; false at the end of the input.
func (e *Engine) block() bool {
	b := e.blk.Block()
	if len(b) == 0 {
		e.eof = true
		return false
	}
	e.rest = b
	return true
}

// readOwn appends up to ownChunk events to own: from rest (the block not
// replayed yet) or the next block, with blocks, or from the reader's Next
// without. It reports whether it got any.
func (e *Engine) readOwn() bool {
	if e.blk != nil {
		if len(e.rest) == 0 && (e.eof || !e.block()) {
			return false
		}
		n := min(len(e.rest), ownChunk)
		e.own = append(e.own, e.rest[:n]...)
		e.rest = e.rest[n:]
		return true
	}
	n := len(e.own)
	for len(e.own)-n < ownChunk {
		if !e.r.Next() {
			e.eof = true
			break
		}
		e.own = append(e.own, *e.r.Event())
	}
	return len(e.own) > n
}

// refused reports whether the engine cannot replay ev: its CPU is out of
// range, or it is an update of more than traces.MaxUpdateNr pages (one page
// table; the backends loop over an update's pages).
func refused(ev *traces.Event) bool {
	return ev.CPU >= traces.MaxCPUs || ev.Nr > traces.MaxUpdateNr && ev.Op.IsUpdate()
}

// refuse returns the error for ev, the event of index idx, that refused
// reports.
func (e *Engine) refuse(idx int64, ev *traces.Event) error {
	msg := fmt.Sprintf("%s: nr=%d: an update covers at most %d pages (one page table)", ev.Op, ev.Nr, traces.MaxUpdateNr)
	if ev.CPU >= traces.MaxCPUs {
		msg = fmt.Sprintf("cpu %d out of range (max %d)", ev.CPU, traces.MaxCPUs-1)
	}
	return &traces.Error{File: e.cfg.Trace, Index: idx, Msg: msg}
}

// nextMidSwitch reports whether the next event on cpu is a switch with mid=1,
// reading ahead at most lookahead events. The event being applied must not
// live in win (it is in e.cur): reading ahead past win's end replaces win.
func (e *Engine) nextMidSwitch(cpu uint32) bool {
	n := 0
	for {
		for ; n < lookahead && e.wi+n < len(e.win); n++ {
			if x := &e.win[e.wi+n]; x.CPU == cpu {
				return x.Op == traces.OpSwitch && x.Flags&traces.FlagMid != 0
			}
		}
		if n >= lookahead || e.eof {
			return false
		}
		// win ends first: keep its rest in own, and append what follows.
		e.own = append(e.own[:0], e.win[e.wi:]...)
		e.win, e.wi = e.own, 0
		more := e.readOwn()
		e.win = e.own
		if !more {
			return false
		}
	}
}

// task returns the dense index of pid, adding a task in State zero if new.
func (e *Engine) task(pid uint32) int32 {
	if t, ok := e.pids[pid]; ok {
		return t
	}
	t := int32(len(e.tasks))
	e.pids[pid] = t
	ts := taskState{pid: pid}
	ts.active = e.layer.Active(&ts.st, false)
	e.tasks = append(e.tasks, ts)
	return t
}

// Run replays r and returns its metrics. Errors are the reader's (a
// *traces.Error naming file and line) or an event the engine cannot place.
func (e *Engine) Run(r traces.Reader) (*Result, error) {
	e.reset()
	e.r = r
	e.blk, _ = r.(BlockReader)
	var idx int64
	for e.wi < len(e.win) || e.fill() {
		// The window is read through locals: only apply's lookahead
		// (nextMidSwitch) moves e.win and e.wi.
		win, i := e.win, e.wi
		for i < len(win) {
			ev := &win[i]
			i++
			if refused(ev) {
				e.r, e.blk, e.win, e.rest = nil, nil, nil, nil
				return nil, e.refuse(idx, ev)
			}
			c := e.cpu(ev.CPU)
			if c.task < 0 || ev.PID != c.cx.PID {
				e.taskChange(ev, c)
			}
			if ev.Op.IsUpdate() {
				// Nearly every event: applied here, not through apply.
				e.cost(c, e.be.Update(e.ctx(c, c.lazy), ev))
				e.updates++ // update events, as Stats.Batched + Stats.Immediate count them
			} else {
				if ev.Op.IsAPI() {
					// The lookahead for a mid=1 switch may
					// replace win: keep this event in e.cur.
					e.cur = *ev
					ev = &e.cur
				}
				e.wi = i
				e.apply(ev, c)
				win, i = e.win, e.wi
			}
			if e.obs != nil {
				e.observe(idx, ev, c)
			}
			idx++
		}
		e.wi = i
	}
	e.r, e.blk, e.win, e.rest = nil, nil, nil, nil
	e.events = uint64(idx)
	if err := r.Err(); err != nil {
		return nil, err
	}
	e.finish(idx)
	res := e.result()
	if err := e.checkFinite(res); err != nil {
		return nil, err
	}
	return res, nil
}

func (e *Engine) cpu(n uint32) *cpuState {
	for int(n) >= len(e.cpus) {
		e.cpus = append(e.cpus, cpuState{task: -1, cx: arch.Ctx{CPU: len(e.cpus), Task: -1, Strategy: e.layer.Strategy, Kernel: e.cfg.Kernel}})
	}
	return &e.cpus[n]
}

// switchIn makes task t current on c, bringing c's clock up to the task's.
func (e *Engine) switchIn(c *cpuState, t int32) {
	ts := &e.tasks[t]
	c.task, c.cx.Task, c.cx.PID = t, int(t), ts.pid
	c.lazy = c.irq == 0 && ts.active
	if ts.clock > c.cx.Now {
		c.cx.Now = ts.clock
	}
}

// ctx returns the Ctx of CPU c for a call with Ctx.Lazy = lazy.
func (e *Engine) ctx(c *cpuState, lazy bool) *arch.Ctx {
	c.cx.Lazy = lazy
	return &c.cx
}

func (e *Engine) addViolations(v lazymmu.ViolationSet) {
	if v == 0 {
		return
	}
	for i := lazymmu.Violation(0); i < lazymmu.NumViolations; i++ {
		if v.Has(i) {
			e.violations[i]++
		}
	}
	if e.obs != nil {
		e.step.Violations |= v
	}
}

// cost charges ns of arch work to CPU c.
func (e *Engine) cost(c *cpuState, ns float64) {
	c.cx.Now += ns
	e.modeled += ns
	if e.obs != nil {
		e.step.Cost += ns
	}
}

// callback makes the arch callback cb for task t current on CPU n and
// returns the violations the backend reported (not yet counted).
func (e *Engine) callback(n uint32, c *cpuState, t int32, cb lazymmu.Callback) lazymmu.ViolationSet {
	return e.callbackLazy(n, c, cb, c.irq == 0 && e.tasks[t].active)
}

// callbackLazy makes the arch callback cb on CPU n with Ctx.Lazy = lazy.
func (e *Engine) callbackLazy(n uint32, c *cpuState, cb lazymmu.Callback, lazy bool) lazymmu.ViolationSet {
	ctx := e.ctx(c, lazy)
	var ns float64
	var v lazymmu.ViolationSet
	switch cb {
	case lazymmu.CbEnter:
		ns, v = e.be.Enter(ctx)
		e.callbacks.Enter++
	case lazymmu.CbLeave:
		ns, v = e.be.Leave(ctx)
		e.callbacks.Leave++
	case lazymmu.CbFlush:
		ns = e.be.Flush(ctx)
		e.callbacks.Flush++
	default:
		return 0
	}
	e.cost(c, ns)
	if e.obs != nil && e.step.NCallbacks < MaxStepCallbacks {
		e.step.Callbacks[e.step.NCallbacks] = cb
		e.step.NCallbacks++
	}
	return v
}

// release runs the callback task t held back at a mid=1 switch.
func (e *Engine) release(n uint32, c *cpuState, t int32) {
	if cb := e.tasks[t].held; cb != lazymmu.CbNone {
		e.tasks[t].held = lazymmu.CbNone
		e.addViolations(e.callback(n, c, t, cb))
	}
}

var apiCall = [traces.NumOps]lazymmu.Call{
	traces.OpEnable:  lazymmu.Enable,
	traces.OpDisable: lazymmu.Disable,
	traces.OpPause:   lazymmu.Pause,
	traces.OpResume:  lazymmu.Resume,
}

// taskChange makes ev's task current on c: c's first event, or a task
// change without a switch event (recorded traces may miss sched_switch).
func (e *Engine) taskChange(ev *traces.Event, c *cpuState) {
	if c.task >= 0 {
		e.tasks[c.task].clock = c.cx.Now
	}
	e.switchIn(c, e.task(ev.PID))
	e.release(ev.CPU, c, c.task)
}

// apply applies an event other than an update on c, its CPU.
func (e *Engine) apply(ev *traces.Event, c *cpuState) {
	t := c.task
	switch op := ev.Op; {
	case op.IsAPI():
		e.api(ev, c, t)
	case op == traces.OpAccess || op == traces.OpTLBFlush:
		e.oracle(ev, c)
	case op == traces.OpFlush:
		e.explicit++
		if !e.ideal {
			e.addViolations(e.callback(ev.CPU, c, t, lazymmu.CbFlush))
		}
	case op == traces.OpIRQEnter:
		c.irq++
		c.cx.InIRQ = true
		c.lazy = false
	case op == traces.OpIRQExit:
		if c.irq > 0 {
			c.irq--
		}
		c.cx.InIRQ = c.irq > 0
		c.lazy = c.irq == 0 && e.tasks[c.task].active
	case op == traces.OpWork:
		c.cx.Now += float64(ev.Arg)
		e.work += float64(ev.Arg)
	case op == traces.OpSwitch:
		e.doSwitch(ev, c)
	}
}

// observe reports event idx, just applied on c, to the observer and starts
// the next step.
func (e *Engine) observe(idx int64, ev *traces.Event, c *cpuState) {
	s := &e.step
	s.CPU, s.Task, s.PID, s.InIRQ = int(ev.CPU), int(c.task), c.cx.PID, c.irq > 0
	if ev.Op == traces.OpIRQEnter {
		s.InIRQ = c.irq > 1
	}
	ts := &e.tasks[c.task]
	s.Active = c.irq == 0 && ts.active
	s.Enable, s.Pause, s.Depth = ts.st.Enable(), ts.st.Pause(), int(ts.depth)
	s.Clock = c.cx.Now
	s.Pending = e.pend.Total()
	e.obs.Step(idx, ev, s)
	e.step = StepInfo{}
}

func (e *Engine) api(ev *traces.Event, c *cpuState, t int32) {
	ts := &e.tasks[t]
	inIRQ := c.irq > 0
	call := apiCall[ev.Op]
	if !inIRQ && call == lazymmu.Enable {
		if ts.depth == 0 {
			ts.secStart = c.cx.Now
		}
		ts.depth++
	}
	cb, v := e.layer.Do(&ts.st, call, inIRQ)
	if a := e.layer.Active(&ts.st, false); a != ts.active {
		ts.active = a
		// Every CPU the task is current on (one, unless a recorded trace
		// shows a pid on two CPUs without a switch).
		for i := range e.cpus {
			if x := &e.cpus[i]; x.task == t {
				x.lazy = x.irq == 0 && a
			}
		}
	}
	if e.ideal && cb == lazymmu.CbFlush {
		// A nested disable's flush: ideal flushes only where an access
		// or the arch needs it.
		cb = lazymmu.CbNone
	}
	if cb != lazymmu.CbNone {
		if !e.ideal && e.nextMidSwitch(ev.CPU) {
			// Preempted between the counter update and the callback: the
			// callback runs when the task next runs (docs/kernel.md 3, Xen PV).
			ts.held = cb
			if e.obs != nil {
				e.step.Held = true
			}
		} else {
			// One call is one violation of a kind, whether the generic
			// layer (Rules) or the backend (its own flag) saw it.
			v |= e.callback(ev.CPU, c, t, cb)
		}
	}
	e.addViolations(v)
	if !inIRQ && call == lazymmu.Disable && ts.depth > 0 {
		ts.depth--
		if ts.depth == 0 {
			e.sections++
			e.section.Add(c.cx.Now - ts.secStart)
		}
	}
}

// oracle checks an access or tlbflush against the deferred updates (docs/kernel.md
// section 5). Under ideal it flushes instead, so no hazard remains.
func (e *Engine) oracle(ev *traces.Event, c *cpuState) {
	o := e.pend.OverlapOwner(ev.MM, ev.Addr, ev.Nr, 0)
	if o < 0 {
		return
	}
	if e.ideal {
		ctx := e.ctx(c, c.irq == 0 && e.tasks[c.task].active)
		if e.flushOwner == nil {
			e.cost(c, e.be.FlushAll(ctx))
		} else {
			// Drain only the owners whose deferred updates the access
			// needs; each drain ends that owner's batch as the arch does.
			for ; o >= 0; o = e.pend.OverlapOwner(ev.MM, ev.Addr, ev.Nr, 0) {
				n := e.pend.Total()
				e.cost(c, e.flushOwner.FlushOwner(ctx, o))
				if e.pend.Total() == n {
					e.cost(c, e.be.FlushAll(ctx)) // the owner's drain did not help: never loop
					break
				}
			}
		}
		e.oracleFlushes++
		if e.obs != nil {
			e.step.OracleFlush = true
		}
		return
	}
	h := HazardStale
	if ev.Op == traces.OpTLBFlush {
		h = HazardTLB
	}
	e.hazards[h>>1]++
	if e.obs != nil {
		e.step.Hazards |= h
	}
}

func (e *Engine) doSwitch(ev *traces.Event, c *cpuState) {
	out := c.task
	inIRQ := c.irq > 0
	next := e.task(uint32(ev.Arg))
	nextPID := e.tasks[next].pid
	outLazy, nextLazy := !inIRQ && e.tasks[out].active, !inIRQ && e.tasks[next].active
	if e.ideal && outLazy && e.preemptOff {
		// The arch's enter disabled preemption (docs/kernel.md 3: powerpc,
		// sparc64, s390): a kernel preempted here must first end the batch.
		// Other arches do at the switch what they do for every strategy
		// (arm64's __switch_to dsb, Xen's switch-out leave and switch-in
		// enter). Having ended its batch, ideal is not preempted inside a
		// section: the arch's preempted-in-section is not counted.
		e.addViolations(e.callbackLazy(ev.CPU, c, lazymmu.CbFlush, true))
	}
	ctx := e.ctx(c, outLazy)
	ns, v := e.be.Switch(ctx, int(next), nextPID, nextLazy)
	if e.ideal && e.preemptOff {
		v &^= lazymmu.ViolationSet(0).With(lazymmu.PreemptedInSection)
	}
	e.cost(c, ns)
	e.addViolations(v)
	e.tasks[out].clock = c.cx.Now
	e.switchIn(c, next)
	e.release(ev.CPU, c, next)
}

// finish closes the trace: every task still in a section or a pause is
// unbalanced, and every deferred update is made to take effect.
func (e *Engine) finish(n int64) {
	for i := range e.tasks {
		ts := &e.tasks[i]
		v := e.layer.End(&ts.st)
		for k := lazymmu.Violation(0); k < lazymmu.NumViolations; k++ {
			if v.Has(k) {
				e.violations[k]++
				e.end.Violations[k]++
			}
		}
	}
	best := -1
	for i := range e.cpus {
		if e.cpus[i].task >= 0 && (best < 0 || e.cpus[i].cx.Now > e.cpus[best].cx.Now) {
			best = i
		}
	}
	if best >= 0 {
		c := &e.cpus[best]
		e.end.Clock = c.cx.Now
		e.end.Flushed = e.pend.Total()
		ctx := e.ctx(c, false)
		ctx.InIRQ = false
		ns := e.be.FlushAll(ctx)
		e.modeled += ns
		e.end.Cost = ns
	}
	if e.obs != nil {
		e.obs.End(n, &e.end)
	}
}
