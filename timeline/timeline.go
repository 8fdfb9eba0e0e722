// Package timeline writes the timeline of one replay as Chrome trace-event
// JSON (the "JSON Object Format" that chrome://tracing and Perfetto's UI
// load): it is a replay.Observer that `lazybench replay --timeline FILE.json`
// attaches to the engine.
//
// Layout of the timeline:
//
//   - Process 1, "tasks": one thread per task, tid = the task's pid in the
//     trace. Its lazy MMU sections ("section", one slice per nesting level) and
//     pauses ("pause") are nested B/E slices, opened and closed by the task's
//     enable/disable and pause/resume events (the trace's own calls, whatever
//     the strategy does with them). Flushes ("flush": an arch flush callback,
//     an explicit flush, a leave that drained, the ideal oracle's flush),
//     hazards and violations are thread-scoped instant events.
//   - Process 2, "cpus": one thread per CPU, tid = the trace's cpu number.
//     Interrupt context is an "irq" slice there, and sections and pauses made
//     in interrupt context nest inside it. The counter "deferred cpuN" is the
//     number of deferred updates attributed to that CPU (see below).
//
// Timestamps are modeled time in microseconds (ns / 1000, printed with ns
// precision): a slice begins at the modeled clock before the event's arch
// work and ends after it. Each CPU has its own modeled clock, and a task that
// migrates could otherwise appear to go back in time, so each track's
// timestamps are made non-decreasing; the file lists events sorted by
// timestamp (ties keep replay order), so B/E pairs stay balanced and properly
// nested per thread.
//
// Deferred updates per CPU: the engine reports the total number of deferred
// updates after each event. The change is attributed to the CPU of the event
// (per-CPU batches fill and drain on the CPU that runs the code; arm64's
// per-task flag is published at every context switch, so it drains on the CPU
// it filled on). A drain larger than the CPU's count (the ideal strategy's
// FlushAll, the end of the trace) takes the rest from the other CPUs in CPU
// order, and a total of zero sets every CPU to zero, so the per-CPU counters
// always sum to the engine's total.
//
// The timeline is kept in memory (about 50 bytes per slice, instant or
// counter change) until Close writes it. Recording stops, with a "timeline
// truncated" instant where it did, once the JSON would pass MaxBytes (an
// upper estimate of each record's and track's size) or MaxRecords records.
package timeline

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

// MaxRecords bounds the timeline's records (slices' begin and end, instants,
// counter changes) kept in memory.
const MaxRecords = 8 << 20

// DefaultMaxBytes is a new Timeline's MaxBytes: 64 MiB of JSON, about a
// million records. Without it a 1.2 KB trace wrote 611 MB of JSON (at the
// 8 M records of MaxRecords) and took 1.3 GB of memory.
const DefaultMaxBytes = 64 << 20

// Upper bounds of what Close writes beyond a record's name and args, and
// for a track's two metadata records.
const (
	recordBytes = 128
	trackBytes  = 256
)

// Process ids of the two groups of tracks.
const (
	PIDTasks = 1 // threads are tasks: tid = the trace's pid
	PIDCPUs  = 2 // threads are CPUs: tid = the trace's cpu
)

type track struct {
	pid int
	tid uint64
}

// record is one timeline event. It holds no pointers (names and args are
// indexes into tables), so sorting millions of them is a plain memory move.
type record struct {
	ts    float64 // µs
	seq   uint32
	track int32
	name  int32 // index into Timeline.names
	args  int32 // index into Timeline.args, -1 for none
	num   int64 // counters: the value, written as {"updates":num}
	ph    byte  // 'B', 'E', 'i', 'C'
}

type frame struct {
	name string
}

// Timeline records a replay's timeline. Create it with New, attach it as the
// replay's Observer, then call Close to write the JSON.
type Timeline struct {
	// Strings returns the trace's string table (the reader's Strings) for
	// call-site names; nil leaves them out.
	Strings func() []string
	// Meta is written under "otherData" (trace, arch, strategy, ...).
	Meta map[string]string

	tracks     []track
	trackIndex map[track]int32
	last       []float64 // last timestamp per track
	stacks     [][]frame // open slices per track
	records    []record
	seq        uint32
	truncated  bool

	cpuDeferred []int
	cpuNames    []string // "deferred cpuN"
	total       int

	lastPID    uint32
	lastTaskTr int32
	lastTaskOK bool
	cpuTracks  []int32

	names     []string
	nameIndex map[string]int32
	quoted    []string // each name as Close writes it (strconv.Quote)
	args      []string

	// MaxBytes bounds the JSON Close writes (see the package comment).
	MaxBytes int64
	bytes    int64 // upper estimate of the JSON so far
}

func (t *Timeline) nameID(name string) int32 {
	if i, ok := t.nameIndex[name]; ok {
		return i
	}
	i := int32(len(t.names))
	t.names = append(t.names, name)
	t.quoted = append(t.quoted, strconv.Quote(name))
	t.nameIndex[name] = i
	return i
}

// New returns an empty timeline.
func New() *Timeline {
	return &Timeline{trackIndex: map[track]int32{}, Meta: map[string]string{}, nameIndex: map[string]int32{}, MaxBytes: DefaultMaxBytes}
}

// ForReplay returns an empty timeline of a replay under cfg: its Meta
// names cfg's trace, arch, strategy and kernel, and strs is the trace
// reader's Strings.
func ForReplay(cfg replay.Config, strs func() []string) *Timeline {
	t := New()
	t.Strings = strs
	t.Meta["trace"] = cfg.Trace
	t.Meta["arch"] = cfg.Arch
	t.Meta["strategy"] = cfg.Strategy.String()
	t.Meta["kernel"] = cfg.Kernel.String()
	return t
}

func (t *Timeline) track(pid int, tid uint64) int32 {
	k := track{pid, tid}
	if i, ok := t.trackIndex[k]; ok {
		return i
	}
	i := int32(len(t.tracks))
	t.tracks = append(t.tracks, k)
	t.trackIndex[k] = i
	t.last = append(t.last, 0)
	t.stacks = append(t.stacks, nil)
	t.bytes += trackBytes
	return i
}

// taskTrack and cpuTrack are track with a cache for the common case.
func (t *Timeline) taskTrack(pid uint32) int32 {
	if t.lastTaskOK && t.lastPID == pid {
		return t.lastTaskTr
	}
	t.lastPID, t.lastTaskTr, t.lastTaskOK = pid, t.track(PIDTasks, uint64(pid)), true
	return t.lastTaskTr
}

func (t *Timeline) cpuTrack(cpu uint32) int32 {
	if int(cpu) < len(t.cpuTracks) && t.cpuTracks[cpu] >= 0 {
		return t.cpuTracks[cpu]
	}
	tr := t.track(PIDCPUs, uint64(cpu))
	if cpu < 4096 {
		for int(cpu) >= len(t.cpuTracks) {
			t.cpuTracks = append(t.cpuTracks, -1)
		}
		t.cpuTracks[cpu] = tr
	}
	return tr
}

func (t *Timeline) add(tr int32, ph byte, ns float64, name, args string) {
	if t.truncated {
		return
	}
	ts := ns / 1000
	if ts < t.last[tr] {
		ts = t.last[tr]
	}
	t.last[tr] = ts
	id := t.nameID(name)
	if t.bytes += recordBytes + int64(len(t.quoted[id])+len(args)); len(t.records) >= MaxRecords || t.bytes > t.MaxBytes-recordBytes-64 {
		t.truncated = true
		name, ph, args = "timeline truncated", 'i', `{"max_records":`+strconv.Itoa(MaxRecords)+`,"max_bytes":`+strconv.FormatInt(t.MaxBytes, 10)+`}`
		id = t.nameID(name)
	}
	a := int32(-1)
	if args != "" {
		a = int32(len(t.args))
		t.args = append(t.args, args)
	}
	t.records = append(t.records, record{ts: ts, seq: t.seq, ph: ph, track: tr, name: id, args: a})
	t.seq++
}

func (t *Timeline) open(tr int32, ns float64, name, args string) {
	t.stacks[tr] = append(t.stacks[tr], frame{name})
	t.add(tr, 'B', ns, name, args)
}

// closeNearest closes the innermost open slice named name on tr, first closing
// any slice opened inside it. It reports false (and closes nothing) if no such
// slice is open.
func (t *Timeline) closeNearest(tr int32, ns float64, name string) bool {
	st := t.stacks[tr]
	k := len(st) - 1
	for k >= 0 && st[k].name != name {
		k--
	}
	if k < 0 {
		return false
	}
	for j := len(st) - 1; j >= k; j-- {
		t.add(tr, 'E', ns, st[j].name, "")
	}
	t.stacks[tr] = st[:k]
	return true
}

func (t *Timeline) site(e *traces.Event) string {
	if e.Site == 0 || t.Strings == nil {
		return ""
	}
	s := t.Strings()
	if int(e.Site) >= len(s) {
		return ""
	}
	return `{"site":` + strconv.Quote(s[e.Site]) + `}`
}

// Step implements replay.Observer.
func (t *Timeline) Step(i int64, e *traces.Event, s *replay.StepInfo) {
	if t.truncated {
		return // no more tracks either
	}
	start, end := s.Clock-s.Cost, s.Clock
	taskTr := t.taskTrack(s.PID)
	cpuTr := t.cpuTrack(e.CPU)
	tr := taskTr
	if s.InIRQ {
		tr = cpuTr
	}
	switch e.Op {
	case traces.OpEnable:
		t.open(tr, start, "section", t.site(e))
	case traces.OpDisable:
		if !t.closeNearest(tr, end, "section") {
			t.add(tr, 'i', end, "unmatched disable", "")
		}
	case traces.OpPause:
		t.open(tr, start, "pause", t.site(e))
	case traces.OpResume:
		if !t.closeNearest(tr, end, "pause") {
			t.add(tr, 'i', end, "unmatched resume", "")
		}
	case traces.OpIRQEnter:
		t.open(cpuTr, start, "irq", "")
	case traces.OpIRQExit:
		if !t.closeNearest(cpuTr, end, "irq") {
			t.add(cpuTr, 'i', end, "unmatched irq_exit", "")
		}
	case traces.OpFlush:
		t.add(tr, 'i', end, "flush (explicit)", "")
	}
	for k := 0; k < s.NCallbacks && k < len(s.Callbacks); k++ {
		switch s.Callbacks[k] {
		case lazymmu.CbFlush:
			t.add(tr, 'i', end, "arch flush", "")
		case lazymmu.CbLeave:
			t.add(tr, 'i', end, "arch leave", "")
		}
	}
	if s.OracleFlush {
		t.add(tr, 'i', start, "flush (ideal oracle)", "")
	}
	if s.Hazards.Has(replay.HazardStale) {
		t.add(tr, 'i', end, "hazard "+replay.HazardStaleAccess, `{"event":`+strconv.FormatInt(i, 10)+`}`)
	}
	if s.Hazards.Has(replay.HazardTLB) {
		t.add(tr, 'i', end, "hazard "+replay.HazardTLBFlush, `{"event":`+strconv.FormatInt(i, 10)+`}`)
	}
	if s.Violations != 0 {
		for v := lazymmu.Violation(0); v < lazymmu.NumViolations; v++ {
			if s.Violations.Has(v) {
				t.add(tr, 'i', end, "violation "+v.String(), `{"event":`+strconv.FormatInt(i, 10)+`}`)
			}
		}
	}
	t.setPending(int(e.CPU), s.Pending, end)
}

// setPending attributes the change of the total deferred count to cpu (see
// the package comment) and emits counter changes.
func (t *Timeline) setPending(cpu, total int, ns float64) {
	if total == t.total {
		return
	}
	for cpu >= len(t.cpuDeferred) {
		t.cpuNames = append(t.cpuNames, "deferred cpu"+strconv.Itoa(len(t.cpuDeferred)))
		t.cpuDeferred = append(t.cpuDeferred, 0)
	}
	set := func(c, v int) {
		if t.cpuDeferred[c] == v {
			return
		}
		t.cpuDeferred[c] = v
		t.addCounter(t.cpuTrack(uint32(c)), ns, t.cpuNames[c], v)
	}
	switch d := total - t.total; {
	case total == 0:
		for c := range t.cpuDeferred {
			set(c, 0)
		}
	case d > 0:
		set(cpu, t.cpuDeferred[cpu]+d)
	default:
		need := -d
		take := func(c int) {
			n := min(t.cpuDeferred[c], need)
			need -= n
			set(c, t.cpuDeferred[c]-n)
		}
		take(cpu)
		for c := 0; c < len(t.cpuDeferred) && need > 0; c++ {
			take(c)
		}
	}
	t.total = total
}

func (t *Timeline) addCounter(tr int32, ns float64, name string, v int) {
	t.add(tr, 'C', ns, name, "")
	if !t.truncated {
		t.records[len(t.records)-1].num = int64(v)
	}
}

// End implements replay.Observer: it closes every open slice at the end clock
// and marks the final flush.
func (t *Timeline) End(n int64, s *replay.EndInfo) {
	for tr := range t.stacks {
		for len(t.stacks[tr]) > 0 {
			st := t.stacks[tr]
			t.add(int32(tr), 'E', s.Clock, st[len(st)-1].name, "")
			t.stacks[tr] = st[:len(st)-1]
		}
	}
	if s.Flushed > 0 && len(t.tracks) > 0 {
		tr := t.track(PIDCPUs, 0)
		t.add(tr, 'i', s.Clock, "final flush", `{"updates":`+strconv.Itoa(s.Flushed)+`}`)
	}
	t.setPending(0, 0, s.Clock)
}

// Truncated reports whether recording stopped at MaxRecords or MaxBytes.
func (t *Timeline) Truncated() bool { return t.truncated }

// Close writes the timeline as Chrome trace-event JSON to w.
func (t *Timeline) Close(w io.Writer) error {
	recs := t.records
	sort.Slice(recs, func(a, b int) bool { // by time, ties in replay order
		if recs[a].ts != recs[b].ts {
			return recs[a].ts < recs[b].ts
		}
		return recs[a].seq < recs[b].seq
	})
	ew := &errWriter{w: w}
	ew.str(`{"displayTimeUnit":"ns","otherData":{"clock":"modeled time, us"`)
	keys := make([]string, 0, len(t.Meta))
	for k := range t.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ew.str("," + strconv.Quote(k) + ":" + strconv.Quote(t.Meta[k]))
	}
	ew.str("},\n\"traceEvents\":[\n")
	first := true
	sep := func() {
		if !first {
			ew.str(",\n")
		}
		first = false
	}
	// Metadata: process and thread names, sorted.
	for _, p := range []struct {
		pid  int
		name string
	}{{PIDTasks, "tasks"}, {PIDCPUs, "cpus"}} {
		sep()
		ew.str(fmt.Sprintf(`{"ph":"M","pid":%d,"tid":0,"name":"process_name","args":{"name":%q}}`, p.pid, p.name))
	}
	trs := append([]track(nil), t.tracks...)
	sort.Slice(trs, func(a, b int) bool {
		if trs[a].pid != trs[b].pid {
			return trs[a].pid < trs[b].pid
		}
		return trs[a].tid < trs[b].tid
	})
	for _, tr := range trs {
		name := "task " + strconv.FormatUint(tr.tid, 10)
		if tr.pid == PIDCPUs {
			name = "cpu " + strconv.FormatUint(tr.tid, 10)
		}
		sep()
		ew.str(fmt.Sprintf(`{"ph":"M","pid":%d,"tid":%d,"name":"thread_name","args":{"name":%q}}`, tr.pid, tr.tid, name))
		sep()
		ew.str(fmt.Sprintf(`{"ph":"M","pid":%d,"tid":%d,"name":"thread_sort_index","args":{"sort_index":%d}}`, tr.pid, tr.tid, tr.tid))
	}
	buf := make([]byte, 0, 256)
	for _, r := range recs {
		tr := t.tracks[r.track]
		buf = buf[:0]
		buf = append(buf, `{"ph":"`...)
		buf = append(buf, r.ph)
		buf = append(buf, `","pid":`...)
		buf = strconv.AppendInt(buf, int64(tr.pid), 10)
		buf = append(buf, `,"tid":`...)
		buf = strconv.AppendUint(buf, tr.tid, 10)
		buf = append(buf, `,"ts":`...)
		buf = appendTS(buf, r.ts)
		buf = append(buf, `,"name":`...)
		buf = append(buf, t.quoted[r.name]...)
		if r.ph == 'i' {
			buf = append(buf, `,"s":"t"`...)
		}
		if r.ph == 'B' || r.ph == 'E' {
			buf = append(buf, `,"cat":"lazymmu"`...)
		}
		switch {
		case r.ph == 'C':
			buf = append(buf, `,"args":{"updates":`...)
			buf = strconv.AppendInt(buf, r.num, 10)
			buf = append(buf, '}')
		case r.args >= 0:
			buf = append(buf, `,"args":`...)
			buf = append(buf, t.args[r.args]...)
		}
		buf = append(buf, '}')
		sep()
		ew.bytes(buf)
	}
	ew.str("\n]}\n")
	return ew.err
}

// appendTS prints a timestamp in µs with ns precision and no exponent.
func appendTS(b []byte, us float64) []byte {
	if math.IsNaN(us) || math.IsInf(us, 0) {
		us = 0
	}
	return strconv.AppendFloat(b, math.Round(us*1000)/1000, 'f', -1, 64)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) str(s string) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

func (e *errWriter) bytes(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}
