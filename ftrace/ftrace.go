// Package ftrace imports recorded kernel traces: the text that tracefs's
// `trace` or `trace_pipe` file prints in its default format,
//
//	TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: (SITE) key=value ...
//
// into lazybench trace events, following the import contract of
// docs/contracts.md (event names, fields read). It streams: memory does not grow
// with the length of the input, only with the number of distinct processes,
// page-table pages and skipped event names (see docs/ftrace-import.md for every
// rule, including what is derived when a field was not recorded).
package ftrace

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/lazybench/lazybench/traces"
)

// Options control one import.
type Options struct {
	// Name is the input's name in error messages ("FILE:LINE: ...").
	Name string
	// AllowLost accepts a trace with lost events (ring buffer overruns): the
	// markers are counted in the Summary instead of failing the import.
	AllowLost bool
	// Clamp accepts a CPU whose timestamps go backwards (a trace_pipe quirk)
	// by clamping the event's time to the CPU's previous one; without it that
	// is an error.
	Clamp bool
	// Arch is the recorded arch, which decides the meaning of the PTE bits:
	// "x86_64" (also when empty) or "arm64" (Arches).
	Arch string
	// TrimIRQs accepts interrupts cut by the start or the end of tracing: an
	// irq exit on a CPU with no interrupt open is dropped (it began before
	// tracing_on), and every interrupt still open at the end of the input
	// gets an irq_exit at its CPU's last time (it ended after tracing_off).
	// Both are counted in Summary.TrimmedIRQs. Without it the trace keeps
	// them and does not validate.
	TrimIRQs bool
	// Sites maps a probe's event name (pte_set3) to the function it was
	// defined on, for input that prints a probe's site as an address
	// (trace-cmd report): ReadProbeSites reads it from a probes file.
	Sites map[string]string
}

// Arches lists the arches whose PTE bits the importer decodes.
var Arches = []string{"x86_64", "arm64"}

// pteBits are one arch's page-table entry bits as the importer reads them.
type pteBits struct {
	present uint64 // valid to the hardware walker
	// isUser reports whether a present entry maps a user page.
	isUser func(v uint64) bool
	// isLeafPMD reports whether a present level-2 entry maps a block
	// (2 MiB) instead of pointing to a table.
	isLeafPMD func(v uint64) bool
	// userEnd is the first address of the kernel's half.
	userEnd uint64
}

// archBits are the bit meanings per arch:
//
//   - x86_64: _PAGE_PRESENT bit 0, _PAGE_USER bit 2, _PAGE_PSE bit 7
//     (arch/x86/include/asm/pgtable_types.h); user addresses below 2^47.
//   - arm64: PTE_VALID bit 0; a user entry has PTE_USER (AP[1], bit 6) or
//     can be executed at EL0 (PTE_UXN, bit 54, clear: execute-only user
//     mappings have no PTE_USER); kernel entries have PTE_UXN set and
//     PTE_USER clear (PTE_PXN, bit 53, is set on every user entry and on
//     kernel data; it does not decide). A level-2 block has bits[1:0] = 01
//     (PMD_TYPE_SECT). arch/arm64/include/asm/pgtable-hwdef.h and
//     pgtable-prot.h, 7.3. TTBR1 (kernel) addresses have the top bit set.
var archBits = map[string]*pteBits{
	"x86_64": {
		present:   1 << 0,
		isUser:    func(v uint64) bool { return v&(1<<2) != 0 },
		isLeafPMD: func(v uint64) bool { return v&(1<<7) != 0 },
		userEnd:   0x0000_8000_0000_0000,
	},
	"arm64": {
		present:   1 << 0,
		isUser:    func(v uint64) bool { return v&(1<<6) != 0 || v&(1<<54) == 0 },
		isLeafPMD: func(v uint64) bool { return v&3 == 1 },
		userEnd:   0x8000_0000_0000_0000,
	},
}

// bitsFor returns the PTE bits of arch ("" is x86_64).
func bitsFor(arch string) (*pteBits, error) {
	if arch == "" {
		arch = "x86_64"
	}
	b, ok := archBits[arch]
	if !ok {
		return nil, fmt.Errorf("unknown arch %q (want one of %v)", arch, Arches)
	}
	return b, nil
}

// Summary says what an import read, wrote and skipped.
type Summary struct {
	Lines   int64            // lines read
	Events  int64            // events written
	Skipped map[string]int64 // lines of other events skipped, by event name
	Counted map[string]int64 // recognised events kept only as a count (pte_start)
	// LostEvents is the number of events ftrace reported lost; LostMarkers the
	// number of lost-event markers and overrun notes (only non-zero with
	// AllowLost: otherwise the first one is an error).
	LostEvents  int64
	LostMarkers int64
	Derived     int64 // updates whose address was derived from ptep (addr_derived=1)
	AssumedMM   int64 // updates whose address space could not be decoded (assumed the task's)
	Clamped     int64 // events whose time was clamped (Options.Clamp)
	MMs         int   // distinct user address spaces (mm ids 1..MMs)
	// Depths is the number of enable/disable events whose recorded depth=
	// (the count after the update) was checked against the importer's own
	// per-task nesting count; DepthSynced the tasks whose first lazy event
	// set the count (a task already in a section when tracing started).
	Depths      int64
	DepthSynced int64
	// TrimmedIRQs counts irq exits dropped and added (Options.TrimIRQs).
	TrimmedIRQs int64
}

// maxSkippedNames bounds the distinct names kept in Summary.Skipped; further
// names are counted under otherName.
const (
	maxSkippedNames = 1024
	otherName       = "(other)"
	noEventName     = "(no event name)"
)

// WriteReport prints the summary's skipped, counted and lost lines to w, one
// per line, sorted by name.
func (s *Summary) WriteReport(w io.Writer, name string) {
	report := func(what string, m map[string]int64) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s: %s %d lines of %s\n", name, what, m[k], traces.Printable(k)) // names come from the input
		}
	}
	report("skipped", s.Skipped)
	report("counted", s.Counted)
	if s.LostMarkers > 0 {
		fmt.Fprintf(w, "%s: %d lost-event markers or overrun notes, %d events reported lost (accepted with --allow-lost)\n", name, s.LostMarkers, s.LostEvents)
	}
	if s.Derived > 0 {
		fmt.Fprintf(w, "%s: %d updates without addr=: address derived from ptep (synthetic per-table base, addr_derived=1)\n", name, s.Derived)
	}
	if s.AssumedMM > 0 {
		fmt.Fprintf(w, "%s: %d updates whose address space could not be decoded: assumed the task's\n", name, s.AssumedMM)
	}
	if s.Clamped > 0 {
		fmt.Fprintf(w, "%s: %d events with a time before their CPU's previous one: clamped\n", name, s.Clamped)
	}
	if s.TrimmedIRQs > 0 {
		fmt.Fprintf(w, "%s: %d interrupt exits dropped or added where tracing started or stopped inside an interrupt\n", name, s.TrimmedIRQs)
	}
	if s.Depths > 0 {
		fmt.Fprintf(w, "%s: %d depth= values equal to the nesting count (%d tasks synced at their first lazy event)\n", name, s.Depths, s.DepthSynced)
	}
	fmt.Fprintf(w, "%s: %d lines, %d events, %d user address spaces\n", name, s.Lines, s.Events, s.MMs)
}

// kind is what a recognised event becomes.
type kind uint8

const (
	kNone      kind = iota
	kAPI            // lazy_enter/leave/flush/pause/resume
	kSet            // pte_set
	kClear          // pte_clear
	kGetClear       // pte_getclear
	kGetFull        // pte_getclear_full
	kCommit         // pte_commit
	kWrprotect      // pte_wrprotect
	kStart          // pte_start, barrier_flush, barrier_now, barrier_ret: counted only
	kSwitch         // sched_switch
	kIRQEnter       // irq_handler_entry, softirq_entry
	kIRQExit        // irq_handler_exit, softirq_exit
	kMark           // tracing_mark_write
)

type spec struct {
	kind kind
	op   traces.Op
}

// events is the contract's event table, by name with trailing digits and
// underscores removed.
var events = map[string]spec{
	"lazy_enter":         {kAPI, traces.OpEnable},
	"lazy_leave":         {kAPI, traces.OpDisable},
	"lazy_flush":         {kAPI, traces.OpFlush},
	"lazy_pause":         {kAPI, traces.OpPause},
	"lazy_resume":        {kAPI, traces.OpResume},
	"pte_set":            {kSet, traces.OpSet},
	"pte_clear":          {kClear, traces.OpClear},
	"pte_getclear":       {kGetClear, traces.OpGetClear},
	"pte_getclear_full":  {kGetFull, traces.OpGetClear},
	"pte_commit":         {kCommit, traces.OpModify},
	"pte_wrprotect":      {kWrprotect, traces.OpWrprotect},
	"pte_start":          {kStart, traces.OpInvalid},
	"barrier_flush":      {kStart, traces.OpInvalid},
	"barrier_now":        {kStart, traces.OpInvalid},
	"barrier_ret":        {kStart, traces.OpInvalid},
	"sched_switch":       {kSwitch, traces.OpSwitch},
	"irq_handler_entry":  {kIRQEnter, traces.OpIRQEnter},
	"irq_handler_exit":   {kIRQExit, traces.OpIRQExit},
	"softirq_entry":      {kIRQEnter, traces.OpIRQEnter},
	"softirq_exit":       {kIRQExit, traces.OpIRQExit},
	"tracing_mark_write": {kMark, traces.OpMark},
}

// Recognised reports whether an ftrace event name (e.g. "pte_set3") is one the
// importer reads, and returns its normalised name ("pte_set"). The recorder
// can use it to check the probe names it writes.
func Recognised(event string) (string, bool) {
	n := string(normalize([]byte(event)))
	_, ok := events[n]
	return n, ok
}

// normalize removes trailing digits and underscores.
func normalize(name []byte) []byte {
	i := len(name)
	for i > 0 && (name[i-1] == '_' || name[i-1] >= '0' && name[i-1] <= '9') {
		i--
	}
	return name[:i]
}

// Synthetic bases for addresses derived from ptep (docs/ftrace-import.md),
// the same for every arch: below 2^47 for user tables, in the top half for
// kernel ones.
const (
	synthUser    = 0x0000_1000_0000_0000
	synthUserEnd = 0x0000_8000_0000_0000
	synthKernel  = 0xffff_d000_0000_0000
)

// importer is the state of one import.
type importer struct {
	opt  Options
	bits *pteBits
	w    traces.Writer
	sum  *Summary
	line int64

	lastTime [traces.MaxCPUs]uint64
	irqDepth [traces.MaxCPUs]int32  // open interrupts per CPU (Options.TrimIRQs)
	lastPID  [traces.MaxCPUs]uint32 // pid of the CPU's last event
	lastLine [traces.MaxCPUs]int64  // line of the CPU's previous event, 0 = none

	mmByTask map[uint32]uint32 // pid or tgid -> mm id
	mmByPtr  map[uint64]uint32 // recorded mm pointer -> mm id
	tables   map[uint64]uint64 // page-table page (ptep &^ 0xfff, by level) -> table id
	sites    map[string]uint32 // site name -> writer string index
	derived  uint32            // string index of "addr_derived=1"
	depthStr map[uint64]uint32 // depth -> string index of "depth=N"
	depth    map[uint32]int64  // pid -> nesting count (tasks seen with depth=)
	nextMM   uint32
	ev       traces.Event
}

// Import reads ftrace text from r and writes the recognised events to w, in
// file order. It does not close w. It returns the summary and the first
// problem: a malformed line or a lost-event marker (*traces.Error naming the
// line), or an error of r or w.
func Import(r io.Reader, w traces.Writer, opt Options) (*Summary, error) {
	bits, err := bitsFor(opt.Arch)
	if err != nil {
		return nil, err
	}
	im := &importer{
		opt:      opt,
		bits:     bits,
		depthStr: map[uint64]uint32{},
		depth:    map[uint32]int64{},
		w:        w,
		sum:      &Summary{Skipped: map[string]int64{}, Counted: map[string]int64{}},
		mmByTask: map[uint32]uint32{},
		mmByPtr:  map[uint64]uint32{},
		tables:   map[uint64]uint64{},
		sites:    map[string]uint32{},
		nextMM:   1,
	}
	err = im.run(r)
	if err == nil && opt.TrimIRQs {
		err = im.closeIRQs()
	}
	im.sum.MMs = int(im.nextMM - 1)
	return im.sum, err
}

// closeIRQs writes an irq_exit, at the CPU's last time, for every interrupt
// still open at the end of the input (Options.TrimIRQs).
func (im *importer) closeIRQs() error {
	for c := range im.irqDepth {
		for ; im.irqDepth[c] > 0; im.irqDepth[c]-- {
			ev := traces.Defaults(traces.OpIRQExit)
			ev.CPU, ev.PID, ev.Time = uint32(c), im.lastPID[c], im.lastTime[c]
			if err := im.w.Write(&ev); err != nil {
				return fmt.Errorf("%s: %v", im.name(), err)
			}
			im.sum.Events++
			im.sum.TrimmedIRQs++
		}
	}
	return nil
}

func (im *importer) errorf(format string, args ...any) error {
	return &traces.Error{File: im.opt.Name, Line: int(im.line), Index: -1, Msg: fmt.Sprintf(format, args...)}
}

func (im *importer) run(r io.Reader) error {
	br := bufio.NewReaderSize(r, traces.MaxLineLen)
	for {
		b, err := br.ReadSlice('\n')
		if len(b) > 0 || err == nil {
			im.line++
			im.sum.Lines++
			if err == bufio.ErrBufferFull {
				return im.errorf("line longer than %d bytes", traces.MaxLineLen)
			}
			b = bytes.TrimSuffix(b, []byte{'\n'})
			b = bytes.TrimSuffix(b, []byte{'\r'})
			if perr := im.parseLine(b); perr != nil {
				return perr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", im.name(), err)
		}
	}
}

func (im *importer) name() string {
	if im.opt.Name == "" {
		return "<ftrace>"
	}
	return im.opt.Name
}

var (
	lostPrefix     = []byte("CPU:")
	lostMid        = []byte(" [LOST ")
	lostSuffix     = []byte(" EVENTS]")
	entriesPrefix  = []byte("# entries-in-buffer/entries-written:")
	bufferStarted  = []byte("##### CPU ")
	bufferStarted2 = []byte(" buffer started ####")
)

func (im *importer) lost(n int64, what string) error {
	if !im.opt.AllowLost {
		return im.errorf("%s: the trace is incomplete (ring buffer overrun); record with a larger buffer_size_kb or pass --allow-lost", what)
	}
	im.sum.LostMarkers++
	im.sum.LostEvents += n
	return nil
}

// parseLine handles one line without its line break.
func (im *importer) parseLine(b []byte) error {
	t := bytes.TrimLeft(b, " \t")
	if len(t) == 0 {
		return nil
	}
	if t[0] == '#' {
		return im.comment(t)
	}
	if traceCmdHeader(t) {
		return nil
	}
	if ok, err := im.droppedMarker(t); ok {
		return err
	}
	if bytes.HasPrefix(t, lostPrefix) && bytes.HasSuffix(t, lostSuffix) {
		if i := bytes.Index(t, lostMid); i > 0 {
			// In "CPU:1 [LOST EVENTS]" the middle and the suffix overlap:
			// there is no count.
			if i+len(lostMid) > len(t)-len(lostSuffix) {
				return im.errorf("malformed lost-events marker %q", t)
			}
			cpu, ok1 := atou(t[len(lostPrefix):i])
			n, ok2 := atou(t[i+len(lostMid) : len(t)-len(lostSuffix)])
			if !ok1 || !ok2 {
				return im.errorf("malformed lost-events marker %q", t)
			}
			return im.lost(int64(min(n, math.MaxInt64)), fmt.Sprintf("cpu %d lost %d events", cpu, n))
		}
	}
	h, msg := parseHead(b)
	if msg != "" {
		return im.errorf("%s", msg)
	}
	return im.event(&h)
}

// comment handles a '#' line: the header, and the overrun notes of the
// `trace` file.
func (im *importer) comment(t []byte) error {
	switch {
	case bytes.HasPrefix(t, entriesPrefix):
		// "# entries-in-buffer/entries-written: 1234/5678   #P:2"
		f := bytes.Fields(t[len(entriesPrefix):])
		if len(f) == 0 {
			return im.errorf("malformed entries-in-buffer header %q", t)
		}
		in, written, ok := bytes.Cut(f[0], []byte{'/'})
		a, ok1 := atou(in)
		c, ok2 := atou(written)
		if !ok || !ok1 || !ok2 {
			return im.errorf("malformed entries-in-buffer header %q", t)
		}
		if a < c {
			return im.lost(int64(min(c-a, math.MaxInt64)), fmt.Sprintf("entries-in-buffer %d < entries-written %d (%d events overwritten)", a, c, c-a))
		}
	case len(t) >= len(bufferStarted)+len(bufferStarted2) &&
		bytes.HasPrefix(t, bufferStarted) && bytes.HasSuffix(t, bufferStarted2):
		cpu := t[len(bufferStarted) : len(t)-len(bufferStarted2)]
		return im.lost(0, fmt.Sprintf("CPU %s buffer started late (its older events were overwritten)", cpu))
	}
	return nil
}

// atou parses a non-empty decimal number.
func atou(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// head is the parsed common part of an event line.
type head struct {
	pid     uint32
	tgid    uint32
	hasTGID bool
	cpu     uint32
	time    uint64 // ns
	body    []byte // "EVENT: ..."
}

const headMsg = "not an ftrace event line (want TASK-PID [CPU] FLAGS TIMESTAMP: EVENT: ...)"

// parseHead parses "TASK-PID [(TGID)] [CPU] [FLAGS] TIMESTAMP: body". The task
// name may contain spaces, dashes and brackets: every " [digits] " is tried as
// the CPU field, from the left, until the rest parses.
func parseHead(b []byte) (head, string) {
	msg := headMsg
	for i := 1; i < len(b); i++ {
		if b[i] != '[' || b[i-1] != ' ' {
			continue
		}
		j := i + 1
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == i+1 || j >= len(b) || b[j] != ']' || j+1 >= len(b) || b[j+1] != ' ' {
			continue
		}
		h, m := parseAround(b[:i-1], b[i+1:j], b[j+2:])
		if m == "" {
			return h, ""
		}
		if m != headMsg {
			msg = m // a more precise reason from a plausible candidate
		}
	}
	return head{}, msg
}

func parseAround(task, cpu, rest []byte) (head, string) {
	var h head
	c, ok := atou(cpu)
	if !ok {
		return h, headMsg
	}
	// [FLAGS] TIMESTAMP:
	rest = bytes.TrimLeft(rest, " ")
	tok, after := cutSpace(rest)
	if len(tok) < 2 || tok[len(tok)-1] != ':' || !isTimestamp(tok[:len(tok)-1]) {
		// tok is FLAGS
		tok, after = cutSpace(bytes.TrimLeft(after, " "))
		if len(tok) < 2 || tok[len(tok)-1] != ':' {
			return h, headMsg
		}
	}
	ts := tok[:len(tok)-1]
	if !isTimestamp(ts) {
		return h, headMsg
	}
	body := bytes.TrimLeft(after, " ")
	if len(body) == 0 {
		return h, headMsg
	}
	// TASK-PID, optionally followed by "(TGID)".
	task = bytes.TrimRight(task, " ")
	if len(task) > 0 && task[len(task)-1] == ')' {
		open := bytes.LastIndexByte(task, '(')
		if open < 0 {
			return h, headMsg
		}
		tg := bytes.TrimSpace(task[open+1 : len(task)-1])
		if v, ok := atou(tg); ok {
			if v > math.MaxUint32 {
				return h, fmt.Sprintf("tgid %s out of range", tg)
			}
			h.tgid, h.hasTGID = uint32(v), true
		} else if len(bytes.Trim(tg, "-")) != 0 {
			return h, headMsg
		}
		task = bytes.TrimRight(task[:open], " ")
	}
	dash := bytes.LastIndexByte(task, '-')
	if dash < 0 {
		return h, headMsg
	}
	p, ok := atou(task[dash+1:])
	if !ok {
		return h, headMsg
	}
	if p > math.MaxUint32 {
		return h, fmt.Sprintf("pid %s out of range", task[dash+1:])
	}
	if c >= traces.MaxCPUs {
		return h, fmt.Sprintf("cpu %d out of range (max %d)", c, traces.MaxCPUs-1)
	}
	ns, ok := timestampNS(ts)
	if !ok {
		return h, fmt.Sprintf("timestamp %s out of range", ts)
	}
	h.pid, h.cpu, h.time, h.body = uint32(p), uint32(c), ns, body
	return h, ""
}

func cutSpace(b []byte) (tok, rest []byte) {
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		return b[:i], b[i+1:]
	}
	return b, nil
}

// isTimestamp accepts SECONDS.FRACTION with 1 to 9 fraction digits.
func isTimestamp(b []byte) bool {
	dot := bytes.IndexByte(b, '.')
	if dot <= 0 || len(b)-dot-1 < 1 || len(b)-dot-1 > 9 {
		return false
	}
	for k, c := range b {
		if k != dot && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// timestampNS converts SECONDS.FRACTION to nanoseconds exactly.
func timestampNS(b []byte) (uint64, bool) {
	dot := bytes.IndexByte(b, '.')
	sec, ok := atou(b[:dot])
	if !ok || sec > math.MaxUint64/1_000_000_000 {
		return 0, false
	}
	frac := b[dot+1:]
	f, _ := atou(frac)
	for k := len(frac); k < 9; k++ {
		f *= 10
	}
	// Up to the last nanosecond 2^64-1 (18446744073.709551615 s); the
	// bound was a second short.
	if f > math.MaxUint64-sec*1_000_000_000 {
		return 0, false
	}
	return sec*1_000_000_000 + f, true
}

// fields are the key=value fields the importer reads.
type fields struct {
	ptep, val, old, addr, nr, mm, level, nextPID, depth, prevDepth uint64
	has                                                            uint16
}

const (
	hPtep = 1 << iota
	hVal
	hOld
	hAddr
	hNr
	hMM
	hLevel
	hNextPID
	hDepth
	hPrevDepth
)

var fieldKeys = []struct {
	name string
	bit  uint16
}{
	{"ptep", hPtep}, {"val", hVal}, {"old", hOld}, {"addr", hAddr}, {"nr", hNr},
	{"mm", hMM}, {"level", hLevel}, {"next_pid", hNextPID}, {"depth", hDepth},
	{"prev_depth", hPrevDepth},
}

func (f *fields) ptr(bit uint16) *uint64 {
	switch bit {
	case hPtep:
		return &f.ptep
	case hVal:
		return &f.val
	case hOld:
		return &f.old
	case hAddr:
		return &f.addr
	case hNr:
		return &f.nr
	case hMM:
		return &f.mm
	case hLevel:
		return &f.level
	case hDepth:
		return &f.depth
	case hPrevDepth:
		return &f.prevDepth
	}
	return &f.nextPID
}

// parseNum parses 0x-prefixed hex or decimal (kprobe fetch args print x64 as
// 0x..., u64 as decimal).
func parseNum(b []byte) (uint64, bool) {
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b = b[2:]
		if len(b) > 16 {
			return 0, false
		}
		var v uint64
		for _, c := range b {
			switch {
			case c >= '0' && c <= '9':
				v = v<<4 | uint64(c-'0')
			case c >= 'a' && c <= 'f':
				v = v<<4 | uint64(c-'a'+10)
			case c >= 'A' && c <= 'F':
				v = v<<4 | uint64(c-'A'+10)
			default:
				return 0, false
			}
		}
		return v, true
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	return v, err == nil
}

// parseFields reads the known keys from space-separated key=value tokens;
// tokens without '=' (parts of a task name with spaces) and unknown keys are
// ignored. A later key wins.
func parseFields(b []byte, f *fields) string {
	for len(b) > 0 {
		var tok []byte
		tok, b = cutSpace(b)
		k, v, ok := bytes.Cut(tok, []byte{'='})
		if !ok {
			continue
		}
		for _, fk := range fieldKeys {
			if string(k) == fk.name {
				n, ok := parseNum(v)
				if !ok {
					return fmt.Sprintf("bad %s= value %q", fk.name, v)
				}
				*f.ptr(fk.bit) = n
				f.has |= fk.bit
				break
			}
		}
	}
	return ""
}

// event handles one parsed event line.
func (im *importer) event(h *head) error {
	name, rest := cutSpace(h.body)
	if len(name) < 2 || name[len(name)-1] != ':' {
		im.skip(noEventName)
		return nil
	}
	name, rest = printAsMark(name[:len(name)-1], rest)
	sp, ok := events[string(normalize(name))]
	if !ok {
		im.skip(string(name))
		return nil
	}
	if sp.kind == kStart {
		im.sum.Counted[string(normalize(name))]++
		return nil
	}
	ev := &im.ev
	*ev = traces.Defaults(sp.op)
	ev.CPU, ev.PID = h.cpu, h.pid
	if err := im.setTime(ev, h); err != nil {
		return err
	}
	if sp.kind == kMark {
		return im.mark(ev, name, rest)
	}
	// (SITE) for probes.
	rest = bytes.TrimLeft(rest, " ")
	if len(rest) > 0 && rest[0] == '(' {
		end := bytes.IndexByte(rest, ')')
		if end < 0 {
			return im.errorf("%s: unterminated (SITE)", name)
		}
		site := rest[1:end]
		if k := bytes.IndexAny(site, "+ "); k >= 0 {
			site = site[:k]
		}
		site = im.siteFromAddr(name, site)
		if len(site) > 0 && sp.kind != kSwitch && sp.kind != kIRQEnter && sp.kind != kIRQExit {
			ev.Site = im.site(site)
		}
		rest = rest[end+1:]
	}
	var f fields
	if msg := parseFields(rest, &f); msg != "" {
		return im.errorf("%s: %s", name, msg)
	}
	switch sp.kind {
	case kAPI:
		if err := im.checkDepth(ev, name, h, &f); err != nil {
			return err
		}
	case kIRQEnter:
		im.irqDepth[ev.CPU]++
	case kIRQExit:
		if im.irqDepth[ev.CPU] == 0 && im.opt.TrimIRQs {
			im.sum.TrimmedIRQs++
			return nil
		}
		if im.irqDepth[ev.CPU] > 0 {
			im.irqDepth[ev.CPU]--
		}
	case kSwitch:
		if f.has&hNextPID == 0 {
			f.nextPID, ok = switchPluginNext(rest)
			if !ok {
				return im.errorf("%s: missing next_pid= (or trace-cmd's \"==> NEXT:PID\")", name)
			}
		}
		if f.nextPID > math.MaxUint32 {
			return im.errorf("%s: next_pid=%d out of range", name, f.nextPID)
		}
		ev.Arg = f.nextPID
	default:
		if err := im.update(ev, sp.kind, name, h, &f); err != nil {
			return err
		}
	}
	if err := im.w.Write(ev); err != nil {
		return im.errorf("%s: %v", name, err)
	}
	im.sum.Events++
	return nil
}

// checkDepth follows each task's nesting count (+1 per enable, -1 per
// disable, from the first event with depth= on: a task may have been inside
// a section when tracing started) and, where an enable or disable carries
// depth= (the task's lazy_mmu_state.enable_count after the update, fetched
// by the probe), checks it against that count and keeps it as "depth=N".
// Disables through an out-of-line lazy_mmu_mode_disable copy carry no depth=
// (the probe sits on the call) but still move the count.
func (im *importer) checkDepth(ev *traces.Event, name []byte, h *head, f *fields) error {
	if ev.Op != traces.OpEnable && ev.Op != traces.OpDisable {
		if f.has&(hDepth|hPrevDepth) != 0 {
			return im.errorf("%s: depth= on an event that is not an enable or a disable", name)
		}
		return nil
	}
	if f.has&hPrevDepth != 0 && f.has&hDepth == 0 {
		// x86-64's "addb $1,off(%reg)" is probed before it runs: the count
		// before the update (record/discover_x86_7x.go).
		switch {
		case f.prevDepth > 255:
			return im.errorf("%s: prev_depth=%d out of range (a u8 count)", name, f.prevDepth)
		case ev.Op == traces.OpDisable && f.prevDepth == 0:
			return im.errorf("%s: prev_depth=0 on a disable (the count would go below 0)", name)
		case ev.Op == traces.OpEnable:
			f.depth = f.prevDepth + 1
		default:
			f.depth = f.prevDepth - 1
		}
		f.has |= hDepth
	}
	cur, synced := im.depth[h.pid]
	want := cur + 1
	if ev.Op == traces.OpDisable {
		want = cur - 1
	}
	if f.has&hDepth == 0 {
		if synced {
			im.depth[h.pid] = want
		}
		return nil
	}
	if f.depth > 255 {
		return im.errorf("%s: depth=%d out of range (a u8 count)", name, f.depth)
	}
	d := int64(f.depth)
	switch {
	case !synced:
		im.sum.DepthSynced++
	case want != d:
		return im.errorf("%s: depth=%d, but task %d's nesting count after this event is %d (a missed enable or disable probe?)", name, d, h.pid, want)
	default:
		im.sum.Depths++
	}
	im.depth[h.pid] = d
	id, ok := im.depthStr[f.depth]
	if !ok {
		id = im.w.AddString("depth=" + strconv.FormatUint(f.depth, 10))
		im.depthStr[f.depth] = id
	}
	ev.Extra = id
	return nil
}

func (im *importer) skip(name string) {
	if _, ok := im.sum.Skipped[name]; !ok && len(im.sum.Skipped) >= maxSkippedNames {
		name = otherName
	}
	im.sum.Skipped[name]++
}

func (im *importer) site(s []byte) uint32 {
	if id, ok := im.sites[string(s)]; ok {
		return id
	}
	if len(s) > traces.MaxStringLen {
		s = s[:traces.MaxStringLen]
	}
	id := im.w.AddString(string(s))
	im.sites[string(s)] = id
	return id
}

// setTime keeps every CPU's time non-decreasing: an error, or a clamp.
func (im *importer) setTime(ev *traces.Event, h *head) error {
	ev.Time = h.time
	c := h.cpu
	if im.lastLine[c] != 0 && h.time < im.lastTime[c] {
		if !im.opt.Clamp {
			return im.errorf("cpu %d: time %s goes back before %s of line %d (trace_pipe reordering?); pass --clamp to clamp it",
				c, fmtNS(h.time), fmtNS(im.lastTime[c]), im.lastLine[c])
		}
		ev.Time = im.lastTime[c]
		im.sum.Clamped++
	}
	im.lastTime[c], im.lastLine[c], im.lastPID[c] = ev.Time, im.line, h.pid
	return nil
}

func fmtNS(ns uint64) string {
	return fmt.Sprintf("%d.%09d", ns/1_000_000_000, ns%1_000_000_000)
}

// mark makes a phase marker of tracing_mark_write's text, whitespace runs
// replaced by '_' (marker names have no spaces), cut to MaxStringLen bytes.
func (im *importer) mark(ev *traces.Event, name, text []byte) error {
	f := bytes.Fields(text)
	if len(f) == 0 {
		return im.errorf("%s: empty marker", name)
	}
	s := string(bytes.Join(f, []byte{'_'}))
	if len(s) > traces.MaxStringLen {
		s = s[:traces.MaxStringLen]
	}
	ev.Site = im.w.AddString(s)
	if err := im.w.Write(ev); err != nil {
		return im.errorf("%s: %v", name, err)
	}
	im.sum.Events++
	return nil
}

// update fills a PTE update from its fields (docs/ftrace-import.md).
func (im *importer) update(ev *traces.Event, k kind, name []byte, h *head, f *fields) error {
	if k == kSet && f.has&hVal == 0 {
		return im.errorf("%s: missing val=", name)
	}
	if f.has&(hPtep|hAddr) == 0 {
		return im.errorf("%s: missing ptep= (and no addr=)", name)
	}
	if f.has&hPtep != 0 && f.ptep&7 != 0 {
		return im.errorf("%s: ptep=%#x is not 8-byte aligned", name, f.ptep)
	}
	if f.has&hNr != 0 {
		if f.nr == 0 || f.nr > 1<<20 {
			return im.errorf("%s: nr=%d out of range (1..1048576)", name, f.nr)
		}
		ev.Nr = uint32(f.nr)
	}
	level := uint64(1)
	if f.has&hLevel != 0 {
		if f.level < 1 || f.level > 2 {
			return im.errorf("%s: level=%d not supported (1 = PTE, 2 = PMD)", name, f.level)
		}
		level = f.level
	}
	// valid / was from the present bits.
	b := im.bits
	switch k {
	case kSet, kCommit:
		if f.has&hVal != 0 {
			setFlag(ev, traces.FlagValid, f.val&b.present != 0)
		}
	}
	if f.has&hOld != 0 {
		setFlag(ev, traces.FlagWas, f.old&b.present != 0)
	}
	if k == kGetFull {
		ev.Flags |= traces.FlagFull
	}
	// Page size: 2 MiB for a PMD-level entry that maps a block.
	if level == 2 && f.has&hVal != 0 && b.isLeafPMD(f.val) {
		ev.Shift = 21
	}
	// Address space.
	user, known := true, false
	switch {
	case f.has&hVal != 0 && f.val&b.present != 0:
		user, known = b.isUser(f.val), true
	case f.has&hOld != 0 && f.old&b.present != 0:
		user, known = b.isUser(f.old), true
	case f.has&hAddr != 0:
		user, known = f.addr < b.userEnd, true
	}
	if !known {
		im.sum.AssumedMM++
	}
	if user {
		ev.MM = im.mmID(h, f)
	} else {
		ev.MM = 0
	}
	// Address.
	if f.has&hAddr != 0 {
		ev.Addr = f.addr
	} else {
		ev.Addr = im.deriveAddr(f.ptep, level, user)
		if im.derived == 0 {
			im.derived = im.w.AddString("addr_derived=1")
		}
		ev.Extra = im.derived
		im.sum.Derived++
	}
	return nil
}

func setFlag(ev *traces.Event, bit uint8, on bool) {
	if on {
		ev.Flags |= bit
	} else {
		ev.Flags &^= bit
	}
}

// mmID is the small id of the event's user address space: from a recorded
// mm= pointer if there is one, else per process (tgid when recorded, else pid),
// numbered from 1 in order of first appearance.
func (im *importer) mmID(h *head, f *fields) uint32 {
	if f.has&hMM != 0 {
		if id, ok := im.mmByPtr[f.mm]; ok {
			return id
		}
		id := im.nextMM
		im.nextMM++
		im.mmByPtr[f.mm] = id
		return id
	}
	key := h.pid
	if h.hasTGID && h.tgid != 0 {
		key = h.tgid
	}
	if id, ok := im.mmByTask[key]; ok {
		return id
	}
	id := im.nextMM
	im.nextMM++
	im.mmByTask[key] = id
	return id
}

// deriveAddr gives an update without addr= a synthetic address: each distinct
// page-table page gets its own aligned region (2 MiB for a PTE table, 1 GiB
// for a PMD table), numbered in order of first appearance, and the entry's
// index in the table ((ptep & 0xfff) / 8) places it inside, so consecutive
// entries of one table stay consecutive pages. The real upper bits are not
// known.
func (im *importer) deriveAddr(ptep, level uint64, user bool) uint64 {
	table := ptep&^0xfff | level // a table page is one level only; keep levels apart
	id, ok := im.tables[table]
	if !ok {
		id = uint64(len(im.tables))
		im.tables[table] = id
	}
	idx := (ptep & 0xfff) >> 3
	span := uint(21) // 512 entries x 4 KiB
	if level == 2 {
		span = 30 // 512 entries x 2 MiB
	}
	base := uint64(synthUser)
	limit := uint64(synthUserEnd - synthUser)
	if !user {
		base, limit = synthKernel, math.MaxUint64-synthKernel+1
	}
	off := id << span % limit
	return base + off + idx<<(span-9)
}

// DefaultMeta fills what an ftrace import knows about its trace into the
// fields of m left empty: the recording arch (x86_64 unless m says), the
// base page size, and the recorder, which names the input and says how
// missing addresses were derived.
func DefaultMeta(m traces.Meta, input string) traces.Meta {
	if m.Arch == "" {
		m.Arch = "x86_64"
	}
	if m.PageSize == 0 {
		m.PageSize = 4096
	}
	if m.Recorder == "" {
		m.Recorder = "lazybench import ftrace " + input + " (updates without addr= have a synthetic address derived from ptep, marked addr_derived=1)"
		if len(m.Recorder) > traces.MaxStringLen {
			m.Recorder = m.Recorder[:traces.MaxStringLen]
		}
	}
	return m
}

// archMarker is what lazybench's recorder writes to trace_marker before its
// workload, with the guest's arch: "lazybench arch=arm64 ...".
var archMarker = []byte("lazybench arch=")

// headerBytes bounds how much of a file ArchFromHeader reads.
const headerBytes = 1 << 20

// ArchFromHeader returns the arch named by the first "lazybench arch=ARCH"
// marker in the first MiB of the ftrace text file path, or "" if there is
// none (or the file cannot be read; Import reports that).
func ArchFromHeader(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, headerBytes))
	i := bytes.Index(b, archMarker)
	if i < 0 {
		return ""
	}
	rest := b[i+len(archMarker):]
	end := bytes.IndexAny(rest, " \t\r\n")
	if end < 0 {
		end = len(rest)
	}
	a := string(rest[:end])
	if a == "aarch64" {
		a = "arm64"
	}
	if _, ok := archBits[a]; !ok {
		return ""
	}
	return a
}

// ImportFile imports the ftrace text file in (or standard input for "-", read
// from stdin) into the trace file out, atomically: out is replaced only if the
// whole import succeeds. The format is chosen from out's name when f is
// traces.FormatUnknown. meta is completed with DefaultMeta. opt.Name defaults
// to in. The arch is opt.Arch, else meta.Arch, else the file's "lazybench
// arch=" marker (ArchFromHeader), else x86_64; meta.Arch is set to it.
func ImportFile(in string, stdin io.Reader, out string, f traces.Format, meta traces.Meta, opt Options) (*Summary, error) {
	var r io.Reader = stdin
	if in != "-" {
		fh, err := os.Open(in)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		r = fh
	}
	if opt.Name == "" {
		opt.Name = in
	}
	if opt.Arch == "" {
		opt.Arch = meta.Arch
	}
	if opt.Arch == "" && in != "-" {
		opt.Arch = ArchFromHeader(in)
	}
	if opt.Arch == "" {
		opt.Arch = "x86_64"
	}
	if _, err := bitsFor(opt.Arch); err != nil {
		return nil, err
	}
	meta.Arch = opt.Arch
	var sum *Summary
	err := traces.WriteFile(out, f, DefaultMeta(meta, filepath.Base(in)), func(w traces.Writer) error {
		var err error
		sum, err = Import(r, w, opt)
		return err
	})
	return sum, err
}
