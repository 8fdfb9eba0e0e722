package workload

import (
	"iter"
	"math/rand/v2"

	"github.com/lazybench/lazybench/traces"
)

// Address-space layout of generated traces (arm64, 48-bit VA, 4K pages; the
// same numbers serve the other arches, which only look at mm and validity).
const (
	userBase     = 0x00007f0000000000 // start of user mmap area
	vmallocBase  = 0xffff800080000000 // arm64 VMALLOC_START (= MODULES_END)
	linearBase   = 0xffff000000000000 // arm64 PAGE_OFFSET: the linear map
	kfenceBase   = linearBase + 0x40000000
	kasanOffset  = 0xdfff800000000000 // arm64 KASAN_SHADOW_OFFSET, generic KASAN, 48-bit VA
	kasanScale   = 3                  // one shadow byte per 8 bytes
	newRemapBase = 0x40000000         // mremap: new range this far above the old one
)

// Durations (ns) that advance a CPU's clock after each kind of event. They only
// shape the trace's timestamps; the replay's cost model prices the events.
const (
	apiNs     = 2
	accessNs  = 1
	tlbNs     = 40
	switchNs  = 600
	irqNs     = 150
	reschedNs = 300 // cond_resched() / lock break between sections
)

// stepKind says what the scheduler does with a step.
type stepKind uint8

const (
	kEvent stepKind = iota // write ev
	kYield                 // a scheduling point: switch to another task if any
	kIRQ                   // an interrupt arrives here
)

// step is one item of a task's program.
type step struct {
	ev          traces.Event // Time, CPU and PID are filled in by the scheduler
	dur         uint64       // ns the CPU spends after the event
	kind        stepKind
	mid         bool // kYield: preempted inside the last API call (mid=1)
	migrate     bool // kYield: the task continues on the next CPU
	preemptible bool // the scheduler may preempt the task before this step
}

// program is one task: its pid and the code that emits its steps.
type program struct {
	pid uint32
	cpu int
	run func(b *builder)
}

// config is a resolved parameter set with the derived page-table geometry.
type config struct {
	w     *Workload
	v     Values
	seed  uint64
	shift uint8
	ptes  uint64 // PTEs per page table
	cpus  int
	tasks int
	pteNs uint64
}

func newConfig(w *Workload, v Values) *config {
	c := &config{w: w, v: v}
	c.seed = uint64(v["seed"])
	c.shift = uint8(v["page-shift"])
	c.ptes = uint64(v["ptes"])
	if c.ptes == 0 {
		c.ptes = uint64(1) << (c.shift - 3) // one page of 8-byte entries
	}
	c.cpus = int(v["cpus"])
	c.tasks = int(v["tasks"])
	c.pteNs = uint64(v["pte-ns"])
	return c
}

func (c *config) get(name string) int64 { return c.v[name] }

func (c *config) page() uint64 { return uint64(1) << c.shift }

// span is the bytes one page table maps.
func (c *config) span() uint64 { return c.ptes << c.shift }

// tableEnd returns the end of the page table that maps addr.
func (c *config) tableEnd(addr uint64) uint64 { return (addr/c.span() + 1) * c.span() }

// rng returns the PCG stream number stream of the seed.
func (c *config) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(c.seed, 0x9e3779b97f4a7c15^stream))
}

// present reports whether page i of a region keyed key is mapped, with a
// probability of nonePm per mille of being none. It is a pure function of the
// seed, so every walker of one region sees the same layout.
func (c *config) present(key, i uint64, nonePm int64) bool {
	if nonePm <= 0 {
		return true
	}
	return int64(mix64(c.seed^key*0x100000001b3^i)%1000) >= nonePm
}

// chance reports a draw of pm per mille from key and i, like present.
func (c *config) chance(key, i uint64, pm int64) bool {
	return pm > 0 && int64(mix64(c.seed^key*0xff51afd7ed558ccd^i*0x9e3779b97f4a7c15)%1000) < pm
}

func mix64(x uint64) uint64 { // splitmix64 finaliser
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// userRegion returns a page-aligned user address for task t, region r, not
// aligned to a page table (a seeded offset of whole pages into one table).
func (c *config) userRegion(t, r int) uint64 {
	rng := c.rng(uint64(t)<<8 | uint64(r) | 1<<40)
	base := userBase + uint64(t)<<36 + uint64(r)<<32
	return base + uint64(rng.Uint64N(c.ptes))<<c.shift
}

// stopped is panicked through a task's code when the scheduler stops it early.
type stopped struct{}

// builder is what workload code uses to emit one task's steps.
type builder struct {
	c      *config
	rng    *rand.Rand
	site   func(string) uint32
	yield  func(step) bool
	locked int    // > 0 while a spinlock is held: no preemption
	mm     uint32 // the task's user mm
	task   int
}

func (b *builder) emit(s step) {
	s.preemptible = b.locked == 0
	if !b.yield(s) {
		panic(stopped{})
	}
}

// api emits enable, disable, pause or resume (or flush).
func (b *builder) api(op traces.Op, site string) {
	e := defaults(op)
	e.Site = b.site(site)
	b.emit(step{ev: e, dur: apiNs})
}

func (b *builder) enable(site string)  { b.api(traces.OpEnable, site) }
func (b *builder) disable(site string) { b.api(traces.OpDisable, site) }
func (b *builder) pause(site string)   { b.api(traces.OpPause, site) }
func (b *builder) resume(site string)  { b.api(traces.OpResume, site) }

// upd emits one PTE update of nr pages at addr in mm.
func (b *builder) upd(op traces.Op, addr uint64, nr uint32, mm uint32, valid, was, full bool, site string) {
	e := defaults(op)
	e.Addr, e.Nr, e.MM, e.Shift = addr, nr, mm, b.c.shift
	e.Flags = 0
	if valid {
		e.Flags |= traces.FlagValid
	}
	if was {
		e.Flags |= traces.FlagWas
	}
	if full {
		e.Flags |= traces.FlagFull
	}
	e.Site = b.site(site)
	b.emit(step{ev: e, dur: b.c.pteNs * uint64(nr)})
}

func (b *builder) access(addr uint64, nr uint32, mm uint32, site string) {
	e := defaults(traces.OpAccess)
	e.Addr, e.Nr, e.MM, e.Site = addr, nr, mm, b.site(site)
	b.emit(step{ev: e, dur: accessNs})
}

func (b *builder) tlbflush(addr uint64, nr uint32, mm uint32, site string) {
	e := defaults(traces.OpTLBFlush)
	e.Addr, e.Nr, e.MM, e.Site = addr, nr, mm, b.site(site)
	b.emit(step{ev: e, dur: tlbNs})
}

func (b *builder) work(ns uint64, site string) {
	if ns == 0 {
		return
	}
	e := defaults(traces.OpWork)
	e.Arg, e.Site = ns, b.site(site)
	b.emit(step{ev: e, dur: ns})
}

// yieldPoint lets the scheduler switch to another task here; mid marks a
// preemption inside the last API call, migrate moves the task to the next CPU.
func (b *builder) yieldPoint(mid, migrate bool) {
	b.emit(step{kind: kYield, mid: mid, migrate: migrate})
}

// irq makes an interrupt arrive here.
func (b *builder) irq() { b.emit(step{kind: kIRQ}) }

func (b *builder) lock()   { b.locked++ }
func (b *builder) unlock() { b.locked-- }

// task is the scheduler's view of one program.
type task struct {
	pid     uint32
	next    func() (step, bool)
	stop    func()
	pending step
	has     bool
}

func (t *task) peek() (step, bool) {
	if !t.has {
		t.pending, t.has = t.next()
	}
	return t.pending, t.has
}

type cpuState struct {
	clock    uint64
	cur      *task
	queue    []*task
	last     uint32 // pid that ran last (for a switch out of idle)
	sliceEnd uint64
	irqs     uint64 // interrupts so far (alternates KFENCE alloc and free)
}

// sched runs programs on CPUs, always advancing the CPU with the earliest
// clock, so the output is sorted by time across CPUs.
type sched struct {
	c       *config
	s       Sink
	cpus    []cpuState
	rng     *rand.Rand
	sliceNs uint64 // random preemption quantum at preemptible steps; 0 = none
	irqPm   int64  // random interrupt per mille per event; 0 = none
	n       int64
	err     error
	sites   map[string]uint32
	ev      traces.Event
}

func (sc *sched) site(s string) uint32 {
	if s == "" {
		return 0
	}
	if id, ok := sc.sites[s]; ok {
		return id
	}
	id := sc.s.AddString(s)
	sc.sites[s] = id
	return id
}

// runPrograms schedules progs (task i starts on CPU progs[i].cpu) and writes
// the events to s.
func runPrograms(c *config, progs []program, s Sink) (n int64, err error) {
	sc := &sched{c: c, s: s, cpus: make([]cpuState, c.cpus), rng: c.rng(1 << 50), sites: map[string]uint32{}}
	if p := c.w.Param("slice-us"); p != nil {
		sc.sliceNs = uint64(c.get("slice-us")) * 1000
	}
	if p := c.w.Param("irq-pm"); p != nil {
		sc.irqPm = c.get("irq-pm")
	}
	if len(progs) == 1 && len(sc.cpus) == 1 && sc.sliceNs == 0 && sc.irqPm == 0 {
		return sc.direct(progs[0])
	}
	var tasks []*task
	defer func() {
		for _, t := range tasks {
			t.stop()
		}
	}()
	for i, p := range progs {
		b := &builder{c: c, rng: c.rng(uint64(i) + 1), site: sc.site, mm: uint32(1 + 2*i), task: i}
		run := p.run
		seq := iter.Seq[step](func(yield func(step) bool) {
			defer func() {
				if r := recover(); r != nil {
					if _, ok := r.(stopped); !ok {
						panic(r)
					}
				}
			}()
			b.yield = yield
			run(b)
		})
		next, stop := iter.Pull(seq)
		t := &task{pid: p.pid, next: next, stop: stop}
		tasks = append(tasks, t)
		cp := &sc.cpus[p.cpu%len(sc.cpus)]
		if cp.cur == nil {
			cp.cur = t
			cp.sliceEnd = sc.sliceNs
		} else {
			cp.queue = append(cp.queue, t)
		}
	}
	for sc.err == nil {
		i := -1
		for j := range sc.cpus {
			if sc.cpus[j].cur != nil && (i < 0 || sc.cpus[j].clock < sc.cpus[i].clock) {
				i = j
			}
		}
		if i < 0 {
			break
		}
		cp := &sc.cpus[i]
		t := cp.cur
		st, ok := t.peek()
		if !ok {
			cp.last, cp.cur = t.pid, nil
			if len(cp.queue) > 0 {
				sc.switchTo(i, t.pid, sc.pop(i), false)
			}
			continue
		}
		if st.preemptible && sc.sliceNs > 0 && cp.clock >= cp.sliceEnd && len(cp.queue) > 0 {
			sc.switchOut(i, false, false)
			continue
		}
		if sc.irqPm > 0 && st.kind == kEvent && sc.rng.Int64N(1000) < sc.irqPm {
			sc.interrupt(i)
		}
		t.has = false
		switch st.kind {
		case kEvent:
			sc.write(i, t.pid, st.ev, st.dur)
		case kIRQ:
			sc.interrupt(i)
		case kYield:
			if len(cp.queue) > 0 || (st.migrate && len(sc.cpus) > 1) {
				sc.switchOut(i, st.mid, st.migrate)
			}
		}
	}
	return sc.n, sc.err
}

func (sc *sched) write(cpu int, pid uint32, e traces.Event, dur uint64) {
	if sc.err != nil {
		return
	}
	cp := &sc.cpus[cpu]
	e.Time, e.CPU, e.PID = cp.clock, uint32(cpu), pid
	sc.ev = e // a field, so the pointer given to the sink does not escape per event
	if err := sc.s.Write(&sc.ev); err != nil {
		sc.err = err
		return
	}
	sc.n++
	cp.clock += dur
}

func (sc *sched) pop(cpu int) *task {
	cp := &sc.cpus[cpu]
	t := cp.queue[0]
	cp.queue = cp.queue[1:]
	return t
}

// switchTo emits a switch on cpu from pid prev to t and makes t current.
func (sc *sched) switchTo(cpu int, prev uint32, t *task, mid bool) {
	e := defaults(traces.OpSwitch)
	e.Arg = uint64(t.pid)
	if mid {
		e.Flags |= traces.FlagMid
	}
	sc.write(cpu, prev, e, switchNs)
	cp := &sc.cpus[cpu]
	cp.cur = t
	cp.sliceEnd = cp.clock + sc.sliceNs
}

// switchOut preempts cpu's current task: the next queued task (or idle, pid
// 0) runs, and the preempted task is queued on this CPU or, with migrate, on
// the next one.
func (sc *sched) switchOut(cpu int, mid, migrate bool) {
	cp := &sc.cpus[cpu]
	out := cp.cur
	if len(cp.queue) > 0 {
		sc.switchTo(cpu, out.pid, sc.pop(cpu), mid)
	} else {
		e := defaults(traces.OpSwitch)
		if mid {
			e.Flags |= traces.FlagMid
		}
		sc.write(cpu, out.pid, e, switchNs) // next=0: idle
		cp.cur, cp.last = nil, 0
	}
	to := cpu
	if migrate {
		to = (cpu + 1) % len(sc.cpus)
	}
	tp := &sc.cpus[to]
	if tp.cur == nil {
		tp.clock = max(tp.clock, cp.clock)
		sc.switchTo(to, tp.last, out, false)
	} else {
		tp.queue = append(tp.queue, out)
	}
}

// interrupt emits one softirq on cpu: a KFENCE allocation or free in interrupt
// context, which toggles one kernel linear-map page through set_memory_valid
// (update_range_prot's enable/disable, ignored in interrupt context since
// 7.0; see arm64 commit b81c688426a9).
func (sc *sched) interrupt(cpu int) {
	cp := &sc.cpus[cpu]
	pid := uint32(0)
	if cp.cur != nil {
		pid = cp.cur.pid
	}
	alloc := cp.irqs%2 == 0
	addr := kfenceBase + (uint64(cpu)*64+cp.irqs/2%32)*2*sc.c.page()
	cp.irqs++
	ev := func(op traces.Op, site string) traces.Event {
		e := defaults(op)
		e.Site = sc.site(site)
		return e
	}
	sc.write(cpu, pid, ev(traces.OpIRQEnter, "softirq"), irqNs)
	sc.write(cpu, pid, ev(traces.OpEnable, "update_range_prot"), apiNs)
	u := ev(traces.OpSet, "kfence_protect_page")
	u.Addr, u.Nr, u.MM, u.Shift = addr, 1, 0, sc.c.shift
	u.Flags = traces.FlagWas
	if alloc {
		u.Flags = traces.FlagValid
	}
	sc.write(cpu, pid, u, sc.c.pteNs)
	sc.write(cpu, pid, ev(traces.OpDisable, "update_range_prot"), apiNs)
	if alloc {
		a := ev(traces.OpAccess, "kfence_guarded_alloc")
		a.Addr, a.Nr, a.MM = addr, 1, 0
		sc.write(cpu, pid, a, accessNs)
	}
	sc.write(cpu, pid, ev(traces.OpIRQExit, "softirq"), irqNs)
}

// direct runs a single task on a single CPU without coroutines: with nothing
// else to run, scheduling points are no-ops, and each step is executed as the
// task emits it.
func (sc *sched) direct(p program) (int64, error) {
	sc.cpus[0].cur = &task{pid: p.pid}
	b := &builder{c: sc.c, rng: sc.c.rng(1), site: sc.site, mm: 1, task: 0}
	b.yield = func(st step) bool {
		switch st.kind {
		case kEvent:
			sc.write(0, p.pid, st.ev, st.dur)
		case kIRQ:
			sc.interrupt(0)
		}
		return sc.err == nil
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(stopped); !ok {
					panic(r)
				}
			}
		}()
		p.run(b)
	}()
	return sc.n, sc.err
}

// defaultEvents holds traces.Defaults(op) for every op.
var defaultEvents = func() (d [traces.NumOps]traces.Event) {
	for op := range traces.NumOps {
		d[op] = traces.Defaults(op)
	}
	return d
}()

func defaults(op traces.Op) traces.Event { return defaultEvents[op] }
