package traces

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// TextHeader is the optional first non-comment line of a text trace.
const TextHeader = "lazymmu-trace v1"

const textMagicPrefix = "lazymmu-trace "

// opsByFirst lists the ops by the first byte of their text name, so looking up
// an op compares at most a few names.
var opsByFirst = func() (t [256][]Op) {
	for op := OpInvalid + 1; op < NumOps; op++ {
		c := Ops[op].Name[0]
		t[c] = append(t[c], op)
	}
	return t
}()

// lookupOp returns the op named b, or OpInvalid.
func lookupOp(b []byte) Op {
	if len(b) == 0 {
		return OpInvalid
	}
	for _, op := range opsByFirst[b[0]] {
		if Ops[op].Name == string(b) {
			return op
		}
	}
	return OpInvalid
}

// defaults holds Defaults(op) for every op, so a reader starts each event from a
// copy instead of walking the key table.
var defaults = func() (d [NumOps]Event) {
	for op := Op(0); op < NumOps; op++ {
		d[op] = Defaults(op)
	}
	return d
}()

// stringTable interns strings for a reader, bounded by MaxStrings and
// MaxStringLen. Index 0 is "".
type stringTable struct {
	strs  []string
	ids   map[string]uint32
	cache [64]uint32 // recently interned strings, by a cheap hash of their bytes
}

// cacheSlot is a cheap hash of b for stringTable.cache.
func cacheSlot(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	return (len(b)*7 + int(b[0]) + int(b[len(b)-1])*3 + int(b[len(b)/2])*5) & 63
}

func newStringTable() stringTable {
	return stringTable{strs: []string{""}, ids: map[string]uint32{"": 0}}
}

// intern returns the index of b, adding it if new; it allocates only for a new
// string. It returns a message if a limit is exceeded.
func (t *stringTable) intern(b []byte) (uint32, string) {
	slot := cacheSlot(b)
	if id := t.cache[slot]; t.strs[id] == string(b) {
		return id, ""
	}
	if id, ok := t.ids[string(b)]; ok {
		t.cache[slot] = id
		return id, ""
	}
	if len(b) > MaxStringLen {
		return 0, fmt.Sprintf("string of %d bytes too long (max %d)", len(b), MaxStringLen)
	}
	if len(t.strs) >= MaxStrings {
		return 0, fmt.Sprintf("too many distinct strings (max %d)", MaxStrings)
	}
	s := string(b)
	id := uint32(len(t.strs))
	t.strs = append(t.strs, s)
	t.ids[s] = id
	t.cache[slot] = id
	return id, ""
}

// TextReader reads the text format. It implements Reader and Liner; it
// allocates nothing per event except when it meets a string (site name or
// unknown keys) it has not seen before.
type TextReader struct {
	br      *bufio.Reader
	name    string
	line    int   // line number of the current event
	nline   int   // lines read so far
	index   int64 // index of the current event, -1 before the first
	ev      Event
	err     error
	meta    Meta
	st      stringTable
	pending []byte // first event line, read while scanning the preamble
	extra   []byte // scratch for unknown keys
	done    bool
}

// NewTextReader returns a reader of the text trace in r; name is used in error
// messages. It reads the preamble (header and "# @key: value" metadata lines)
// at once, so Meta is complete before the first call to Next.
func NewTextReader(r io.Reader, name string) *TextReader {
	tr := &TextReader{
		br:    bufio.NewReaderSize(r, MaxLineLen+1),
		name:  name,
		index: -1,
		st:    newStringTable(),
	}
	tr.preamble()
	return tr
}

// readLine returns the next line without its line ending, or ok=false at the
// end or on error (tr.err set). The slice is valid until the next read.
func (tr *TextReader) readLine() (line []byte, ok bool) {
	if tr.done {
		return nil, false
	}
	b, err := tr.br.ReadSlice('\n')
	switch err {
	case nil:
	case io.EOF:
		if len(b) == 0 {
			tr.done = true
			return nil, false
		}
	case bufio.ErrBufferFull:
		tr.nline++
		tr.fail(tr.nline, fmt.Sprintf("line too long (more than %d bytes)", MaxLineLen))
		return nil, false
	default:
		tr.done = true
		tr.err = &Error{File: tr.name, Line: tr.nline + 1, Index: -1, Msg: err.Error()}
		return nil, false
	}
	tr.nline++
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return b, true
}

func (tr *TextReader) fail(line int, msg string) {
	tr.done = true
	if tr.err == nil {
		tr.err = &Error{File: tr.name, Line: line, Index: tr.index, Msg: msg}
	}
}

// preamble reads the header and metadata lines up to the first event line,
// which it keeps in tr.pending.
func (tr *TextReader) preamble() {
	seenHeader := false
	for {
		b, ok := tr.readLine()
		if !ok {
			return
		}
		t := bytes.TrimLeft(b, " \t")
		if len(t) == 0 {
			continue
		}
		if t[0] == '#' {
			tr.metaLine(t)
			continue
		}
		if !seenHeader && bytes.HasPrefix(t, []byte(textMagicPrefix)) {
			seenHeader = true
			if h := string(bytes.TrimRight(t, " \t")); h != TextHeader {
				tr.fail(tr.nline, fmt.Sprintf("unsupported header %q (want %q)", h, TextHeader))
				return
			}
			continue
		}
		seenHeader = true
		tr.pending = b
		return
	}
}

// metaLine parses a comment line of the preamble; "# @key: value" lines set
// metadata, other comments are ignored, as are unknown metadata keys.
func (tr *TextReader) metaLine(t []byte) {
	t = bytes.TrimLeft(t[1:], " \t")
	if len(t) == 0 || t[0] != '@' {
		return
	}
	k, v, ok := bytes.Cut(t[1:], []byte{':'})
	if !ok {
		return
	}
	v = bytes.TrimSpace(v)
	if len(v) > MaxStringLen {
		tr.fail(tr.nline, fmt.Sprintf("metadata @%s: value of %d bytes too long (max %d)", k, len(v), MaxStringLen))
		return
	}
	m := &tr.meta
	switch string(k) {
	case "kernel":
		m.Kernel = string(v)
	case "machine":
		m.Machine = string(v)
	case "arch":
		m.Arch = string(v)
	case "workload":
		m.Workload = string(v)
	case "page_size":
		n, st := parseDec(v)
		if st != numOK || n > 1<<32-1 {
			tr.fail(tr.nline, fmt.Sprintf("metadata @page_size: bad number %q", v))
			return
		}
		m.PageSize = uint32(n)
	case "recorder":
		m.Recorder = string(v)
	case "date":
		m.Date = string(v)
	}
}

// Next reads the next event. It returns false at the end or on error.
func (tr *TextReader) Next() bool {
	for {
		var b []byte
		if tr.pending != nil {
			b, tr.pending = tr.pending, nil
		} else {
			var ok bool
			if b, ok = tr.readLine(); !ok {
				return false
			}
		}
		i := 0
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
		if i == len(b) || b[i] == '#' {
			continue
		}
		tr.index++
		tr.line = tr.nline
		b = b[i:]
		if bytes.IndexByte(b, '\r') >= 0 {
			// Only a line end may hold a CR: a writer could not keep it.
			tr.fail(tr.line, "carriage return inside a line")
			return false
		}
		if bytes.IndexByte(b, '\t') >= 0 {
			// The reader owns the buffer: make tabs spaces in place.
			for j, c := range b {
				if c == '\t' {
					b[j] = ' '
				}
			}
		}
		if msg := tr.parse(b); msg != "" {
			tr.fail(tr.line, msg)
			return false
		}
		return true
	}
}

// nextField returns the next space-separated field of b at or after *i. The
// line's tabs have been turned into spaces. Fields are short: a byte loop
// beats bytes.IndexByte here.
func nextField(b []byte, i *int) []byte {
	j := *i
	for j < len(b) && b[j] == ' ' {
		j++
	}
	k := j
	for k < len(b) && b[k] != ' ' {
		k++
	}
	*i = k
	return b[j:k]
}

func numMsg(what string, b []byte, st numStatus, kind string) string {
	if st == numRange {
		return fmt.Sprintf("%s %q out of range", what, b)
	}
	return fmt.Sprintf("bad %s %q: not a %s number", what, b, kind)
}

// parse parses one event line into tr.ev and returns an error message or "".
func (tr *TextReader) parse(b []byte) string {
	i := 0
	ft := nextField(b, &i)
	fc := nextField(b, &i)
	fp := nextField(b, &i)
	fo := nextField(b, &i)
	if len(fo) == 0 {
		n := 0
		for _, f := range [][]byte{ft, fc, fp} {
			if len(f) > 0 {
				n++
			}
		}
		return fmt.Sprintf("want \"<time_ns> <cpu> <pid> <op> [key=value ...]\", got %d fields", n)
	}
	t, st := parseDec(ft)
	if st != numOK {
		return numMsg("time_ns", ft, st, "decimal")
	}
	cpu, st := parseDec(fc)
	if st != numOK {
		return numMsg("cpu", fc, st, "decimal")
	}
	if cpu >= MaxCPUs {
		return fmt.Sprintf("cpu %d out of range (max %d)", cpu, MaxCPUs-1)
	}
	pid, st := parseDec(fp)
	if st != numOK {
		return numMsg("pid", fp, st, "decimal")
	}
	if pid > 1<<32-1 {
		return fmt.Sprintf("pid %d out of range (max %d)", pid, uint32(1<<32-1))
	}
	op := lookupOp(fo)
	if op == OpInvalid {
		return fmt.Sprintf("unknown op %q", fo)
	}
	ev := &tr.ev
	*ev = defaults[op]
	ev.Time, ev.CPU, ev.PID = t, uint32(cpu), uint32(pid)
	keys := Ops[op].Keys
	var seen uint32
	tr.extra = tr.extra[:0]
	for {
		for i < len(b) && b[i] == ' ' {
			i++
		}
		if i >= len(b) {
			break
		}
		start := i
		for i < len(b) && b[i] != '=' && b[i] != ' ' {
			i++
		}
		if i == start || i >= len(b) || b[i] != '=' {
			for i < len(b) && b[i] != ' ' {
				i++
			}
			return fmt.Sprintf("field %q is not key=value", b[start:i])
		}
		name := b[start:i]
		i++
		vs := i
		ki := int(keyAt[op][name[0]&31][len(name)&7]) - 1
		if ki == keyShared-1 {
			ki = -1
			for j := range keys {
				if keys[j].Name == string(name) {
					ki = j
				}
			}
		} else if ki >= 0 && keys[ki].Name != string(name) {
			ki = -1
		}
		if ki < 0 {
			for i < len(b) && b[i] != ' ' {
				i++
			}
			if len(tr.extra) > 0 {
				tr.extra = append(tr.extra, ' ')
			}
			tr.extra = append(tr.extra, b[start:i]...)
			continue
		}
		if seen&(1<<ki) != 0 {
			return fmt.Sprintf("%s: duplicate key %s", op, name)
		}
		seen |= 1 << ki
		k := &keys[ki]
		// Values are parsed while scanning them.
		var v uint64
		var st numStatus
		switch k.Field {
		case FieldSite:
			for i < len(b) && b[i] != ' ' {
				i++
			}
		case FieldAddr:
			v, i, st = scanHex(b, i)
		default:
			v, i, st = scanDec(b, i)
		}
		val := b[vs:i]
		if len(val) == 0 {
			return fmt.Sprintf("%s: empty value for %s", op, name)
		}
		if k.Field == FieldSite {
			id, msg := tr.st.intern(val)
			if msg != "" {
				return msg
			}
			ev.Site = id
			continue
		}
		if st != numOK {
			kind := "decimal"
			if k.Field == FieldAddr {
				kind = "hex"
			}
			return fmt.Sprintf("%s: %s", op, numMsg(k.Name, val, st, kind))
		}
		if max := fieldMax[k.Field&15]; v > max {
			return fmt.Sprintf("%s: %s=%d out of range (max %d)", op, k.Name, v, max)
		}
		ev.Set(k.Field, v)
	}
	for j := range keys {
		if keys[j].Required && seen&(1<<j) == 0 {
			return fmt.Sprintf("%s: missing required key %s", op, keys[j].Name)
		}
	}
	if len(tr.extra) > 0 {
		id, msg := tr.st.intern(tr.extra)
		if msg != "" {
			return msg
		}
		ev.Extra = id
	}
	return ""
}

// keyAt finds an op's key by its name's first byte and length: 1 + its index
// in Ops[op].Keys, 0 for none, or keyShared when two keys share the slot (the
// caller then searches). The caller compares the whole name.
var keyAt = func() (t [NumOps][32][8]int8) {
	for op := range Ops {
		for j, k := range Ops[op].Keys {
			slot := &t[op][k.Name[0]&31][len(k.Name)&7]
			if *slot != 0 {
				*slot = keyShared
				continue
			}
			*slot = int8(j + 1)
		}
	}
	return t
}()

const keyShared = 127

// fieldMax is the largest value of each numeric field.
var fieldMax = [16]uint64{
	FieldAddr: 1<<64 - 1, FieldArg: 1<<64 - 1,
	FieldValid: 1, FieldWas: 1, FieldFull: 1, FieldMid: 1,
	FieldNr: 1<<32 - 1, FieldMM: 1<<32 - 1,
	FieldShift: 63,
}

// Event returns the current event, valid until the next call to Next.
func (tr *TextReader) Event() *Event { return &tr.ev }

// Err returns the first error met, or nil at a clean end.
func (tr *TextReader) Err() error {
	if tr.err == nil {
		return nil
	}
	return tr.err
}

// Meta returns the metadata of the preamble.
func (tr *TextReader) Meta() Meta { return tr.meta }

// Strings returns the string table seen so far.
func (tr *TextReader) Strings() []string { return tr.st.strs }

// Line returns the line number of the current event.
func (tr *TextReader) Line() int { return tr.line }

// Liner is implemented by readers that know the text line of the current event.
type Liner interface {
	Line() int
}

// TextWriter writes the canonical text format: the header, the metadata as
// "# @key: value" lines, then one event per line with keys in table order,
// keys equal to their default omitted (required keys always printed),
// addresses in lower-case hex with 0x, unknown keys (Extra) verbatim at the end.
type TextWriter struct {
	w    io.Writer
	buf  []byte
	strs []string
	ok   []bool // strs[i] is printable as a key value
	ids  map[string]uint32
	err  error
}

// NewTextWriter writes the header and meta to w and returns a writer for events.
func NewTextWriter(w io.Writer, meta Meta) (*TextWriter, error) {
	tw := &TextWriter{w: w, strs: []string{""}, ok: []bool{false}, ids: map[string]uint32{"": 0}}
	if err := checkMeta(meta); err != nil {
		return nil, err
	}
	tw.buf = append(tw.buf, TextHeader+"\n"...)
	for i, v := range meta.Values() {
		if v != "" {
			tw.buf = append(tw.buf, "# @"...)
			tw.buf = append(tw.buf, MetaKeys[i]...)
			tw.buf = append(tw.buf, ": "...)
			tw.buf = append(tw.buf, v...)
			tw.buf = append(tw.buf, '\n')
		}
	}
	return tw, nil
}

// Values returns m's values in MetaKeys order, "" for absent.
func (m Meta) Values() []string {
	ps := ""
	if m.PageSize != 0 {
		ps = strconv.FormatUint(uint64(m.PageSize), 10)
	}
	return []string{m.Kernel, m.Machine, m.Arch, m.Workload, ps, m.Recorder, m.Date}
}

// checkMeta reports metadata that cannot be stored: values with line breaks or
// longer than MaxStringLen, or with surrounding spaces (which the text format
// cannot keep).
func checkMeta(m Meta) error {
	for i, v := range m.Values() {
		switch {
		case len(v) > MaxStringLen:
			return fmt.Errorf("traces: metadata %s: %d bytes, more than %d", MetaKeys[i], len(v), MaxStringLen)
		case strings.ContainsAny(v, "\n\r"):
			return fmt.Errorf("traces: metadata %s: contains a line break", MetaKeys[i])
		case strings.TrimSpace(v) != v:
			return fmt.Errorf("traces: metadata %s: leading or trailing space", MetaKeys[i])
		}
	}
	return nil
}

// AddString interns s and returns its index.
func (tw *TextWriter) AddString(s string) uint32 {
	if id, ok := tw.ids[s]; ok {
		return id
	}
	id := uint32(len(tw.strs))
	tw.strs = append(tw.strs, s)
	tw.ok = append(tw.ok, s != "" && len(s) <= MaxStringLen && !strings.ContainsAny(s, " \t\n\r"))
	tw.ids[s] = id
	return id
}

// Write appends one event line.
func (tw *TextWriter) Write(e *Event) error {
	if tw.err != nil {
		return tw.err
	}
	if !e.Op.Valid() {
		return fmt.Errorf("traces: write: invalid op %d", e.Op)
	}
	b := tw.buf
	b = strconv.AppendUint(b, e.Time, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(e.CPU), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(e.PID), 10)
	b = append(b, ' ')
	b = append(b, Ops[e.Op].Name...)
	for _, k := range Ops[e.Op].Keys {
		v := e.Get(k.Field)
		if v == k.Default && !k.Required {
			continue
		}
		b = append(b, ' ')
		b = append(b, k.Name...)
		b = append(b, '=')
		switch k.Field {
		case FieldSite:
			if v >= uint64(len(tw.strs)) {
				return fmt.Errorf("traces: write: %s: string index %d for %s beyond table of %d", e.Op, v, k.Name, len(tw.strs))
			}
			if !tw.ok[v] {
				return fmt.Errorf("traces: write: %s: %s=%q cannot be written (empty, spaces or longer than %d bytes)", e.Op, k.Name, tw.strs[v], MaxStringLen)
			}
			b = append(b, tw.strs[v]...)
		case FieldAddr:
			b = append(b, '0', 'x')
			b = strconv.AppendUint(b, v, 16)
		default:
			b = strconv.AppendUint(b, v, 10)
		}
	}
	if e.Extra != 0 {
		if e.Extra >= uint32(len(tw.strs)) || strings.ContainsAny(tw.strs[e.Extra], "\n\r") {
			return fmt.Errorf("traces: write: bad extra string index %d", e.Extra)
		}
		b = append(b, ' ')
		b = append(b, tw.strs[e.Extra]...)
	}
	b = append(b, '\n')
	tw.buf = b
	if len(b) >= 32<<10 {
		return tw.flush()
	}
	return nil
}

func (tw *TextWriter) flush() error {
	if tw.err != nil {
		return tw.err
	}
	if _, err := tw.w.Write(tw.buf); err != nil {
		tw.err = err
		return err
	}
	tw.buf = tw.buf[:0]
	return nil
}

// Close flushes buffered lines. It does not close the underlying writer.
func (tw *TextWriter) Close() error { return tw.flush() }
