package traces

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"strconv"
)

// blockLen is how many events the binary reader decodes at a time.
const blockLen = 128

// blockLen must be a power of two (Event masks its index).
var _ = [1]int{}[blockLen&(blockLen-1)]

// binaryBufLen is the read buffer of a streaming binary reader.
const binaryBufLen = 256 << 10

// BinaryReader reads the binary format, from a stream (NewBinaryReader) or
// from memory without copying (NewBytesReader). It implements Reader and
// allocates nothing per event: it decodes records into a block of events and
// hands them out one at a time. At the end it checks the event count and the
// CRC-32C of the header; a mismatch is an error.
//
// The reader only decodes: it rejects what cannot be represented (unknown op,
// bits an op has no key for, values out of range, string indexes beyond the
// table) but does not check the order of events; see Validate.
type BinaryReader struct {
	name   string
	src    io.Reader // nil when reading from memory
	raw    io.Reader // src before the length limit, to detect trailing data
	buf    []byte    // window of the content after the fixed header
	p      int       // read position in buf
	crcPos int       // buf[:crcPos] is already in crc
	srcEOF bool      // buf holds everything up to the end of the trace
	got    uint64    // content bytes read from src so far
	length uint64    // content length from the header
	count  uint64    // event count from the header
	crcHdr uint32    // CRC from the header
	crc    uint32
	index  int64 // events decoded so far
	blk    [blockLen]Event
	bi, bn int
	err    error // stops Next once the block is drained
	meta   Meta
	strs   []string
	st     codecState
	done   bool
	pad    [recordWindow]byte // zero-padded copy of the last record
	errAt  int                // bytes of a bad record read before the error

	// Version 3 chunks.
	chunks    bool   // the records are in chunks
	chunkLeft uint64 // events of the current chunk not decoded yet
	chunkEnd  uint64 // content offset of the current chunk's end
	chunkAt   int64  // index of the current chunk's first event
	chunkPos  uint64 // content offset of the current chunk's first record
	par       *parallel

	// generalOnly makes decodeRun take every record with decodeGeneral:
	// tests check that decodeFast decodes alike.
	generalOnly bool
}

func (r *BinaryReader) errorf(index int64, format string, args ...any) *Error {
	return &Error{File: r.name, Index: index, Msg: fmt.Sprintf(format, args...)}
}

// NewBinaryReader returns a reader of the binary trace in r. It reads the
// header, metadata and string table at once and returns an error if they are
// bad; errors in records, the count and the checksum show up through Err.
func NewBinaryReader(r io.Reader, name string) (*BinaryReader, error) {
	br := &BinaryReader{name: name, index: 0}
	var h [binaryHeaderLen]byte
	n, err := io.ReadFull(r, h[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, br.errorf(-1, "read: %v", err)
	}
	if err := br.header(h[:n]); err != nil {
		return nil, err
	}
	br.raw = r
	br.src = io.LimitReader(r, int64(min(br.length, 1<<62)))
	br.buf = make([]byte, 0, binaryBufLen)
	if err := br.preamble(); err != nil {
		return nil, err
	}
	return br, nil
}

// NewBytesReader returns a reader of the trace in data, which may be binary,
// zstd-compressed or text (detected by content). A binary trace is decoded in
// place, without copying; data must not change while the reader is used. For
// zstd input the reader implements io.Closer: Close releases the decoder; a
// binary reader has Close too, which ends SetWorkers' helpers.
func NewBytesReader(data []byte, name string) (Reader, error) {
	if Detect(data) != FormatBinary {
		return NewReader(bytes.NewReader(data), name)
	}
	br, err := NewBinaryBytesReader(data, name)
	if err != nil {
		return nil, err
	}
	return br, nil
}

// NewBinaryBytesReader is NewBytesReader for data known to be binary; it
// returns the concrete type, so a caller's loop over Next and Event makes no
// interface calls.
func NewBinaryBytesReader(data []byte, name string) (*BinaryReader, error) {
	br := &BinaryReader{name: name}
	if err := br.header(data[:min(len(data), binaryHeaderLen)]); err != nil {
		return nil, err
	}
	rest := data[binaryHeaderLen:]
	if uint64(len(rest)) < br.length {
		return nil, br.errorf(-1, "truncated: header declares %d bytes after the header, found %d", br.length, len(rest))
	}
	if uint64(len(rest)) > br.length {
		return nil, br.errorf(-1, "%d bytes of trailing data after the trace", uint64(len(rest))-br.length)
	}
	br.buf = rest
	br.srcEOF = true
	br.got = br.length
	if err := br.preamble(); err != nil {
		return nil, err
	}
	return br, nil
}

// header parses the fixed header.
func (r *BinaryReader) header(h []byte) error {
	if len(h) < len(BinaryMagic) || string(h[:len(BinaryMagic)]) != BinaryMagic {
		return r.errorf(-1, "not a binary trace (bad magic)")
	}
	if len(h) < binaryHeaderLen {
		return r.errorf(-1, "truncated header (%d of %d bytes)", len(h), binaryHeaderLen)
	}
	v := binary.LittleEndian.Uint16(h[8:])
	if v == 0 || v > BinaryVersion {
		return r.errorf(-1, "unsupported format version %d (this lazybench reads 1 to %d)", v, BinaryVersion)
	}
	r.st.setVersion(int(v))
	r.chunks = v >= 3
	if f := binary.LittleEndian.Uint16(h[10:]); f != 0 {
		return r.errorf(-1, "unknown header flags %#04x", f)
	}
	r.crcHdr = binary.LittleEndian.Uint32(h[12:])
	r.count = binary.LittleEndian.Uint64(h[16:])
	r.length = binary.LittleEndian.Uint64(h[24:])
	var z [binaryHeaderLen]byte
	copy(z[:], h)
	clear(z[12:16])
	r.crc = crc32.Update(0, castagnoli, z[:])
	return nil
}

// fill reads more content into buf, keeping buf[p:], until it holds at least
// want bytes from p or the content ends.
func (r *BinaryReader) fill(want int) error {
	if r.srcEOF || len(r.buf)-r.p >= want {
		return nil
	}
	r.crc = crc32.Update(r.crc, castagnoli, r.buf[r.crcPos:r.p])
	n := copy(r.buf[:cap(r.buf)], r.buf[r.p:])
	r.buf, r.p, r.crcPos = r.buf[:n], 0, 0
	for len(r.buf) < cap(r.buf) {
		m, err := r.src.Read(r.buf[len(r.buf):cap(r.buf)])
		r.buf = r.buf[:len(r.buf)+m]
		r.got += uint64(m)
		if err == io.EOF {
			r.srcEOF = true
			if r.got < r.length {
				return r.errorf(-1, "truncated: header declares %d bytes after the header, found %d", r.length, r.got)
			}
			var one [1]byte
			if k, _ := io.ReadFull(r.raw, one[:]); k > 0 {
				return r.errorf(-1, "trailing data after the trace's %d declared bytes", r.length)
			}
			return nil
		}
		if err != nil {
			return r.errorf(-1, "read: %v", err)
		}
		if len(r.buf)-r.p >= want && m > 0 {
			break
		}
	}
	return nil
}

// preambleString reads one length-prefixed string of the preamble.
// num, if not 0, numbers the string in messages.
func (r *BinaryReader) preambleString(name string, num uint64) (string, error) {
	what := stringName{name, num}
	if err := r.fill(binary.MaxVarintLen64); err != nil {
		return "", err
	}
	n, p := uvarint(r.buf, r.p)
	if p < 0 {
		return "", r.errorf(-1, "%s: truncated or bad length", what)
	}
	if n > MaxStringLen {
		return "", r.errorf(-1, "%s: length %d too long (max %d)", what, n, MaxStringLen)
	}
	r.p = p
	if err := r.fill(int(n)); err != nil {
		return "", err
	}
	if len(r.buf)-r.p < int(n) {
		return "", r.errorf(-1, "%s: truncated", what)
	}
	s := string(r.buf[r.p : r.p+int(n)])
	r.p += int(n)
	return s, nil
}

// stringName names a string of the preamble in messages, formatted only when
// one is printed.
type stringName struct {
	name string
	num  uint64
}

func (s stringName) String() string {
	if s.num == 0 {
		return s.name
	}
	return s.name + " " + strconv.FormatUint(s.num, 10)
}

// preamble reads the metadata and the string table.
func (r *BinaryReader) preamble() error {
	m := &r.meta
	for _, f := range []struct {
		dst  *string
		name string
	}{{&m.Kernel, "metadata kernel"}, {&m.Machine, "metadata machine"}, {&m.Arch, "metadata arch"}, {&m.Workload, "metadata workload"}} {
		s, err := r.preambleString(f.name, 0)
		if err != nil {
			return err
		}
		*f.dst = s
	}
	if err := r.fill(binary.MaxVarintLen64); err != nil {
		return err
	}
	ps, p := uvarint(r.buf, r.p)
	if p < 0 || ps > 1<<32-1 {
		return r.errorf(-1, "metadata page_size: truncated or out of range")
	}
	r.p = p
	m.PageSize = uint32(ps)
	var err error
	if m.Recorder, err = r.preambleString("metadata recorder", 0); err != nil {
		return err
	}
	if m.Date, err = r.preambleString("metadata date", 0); err != nil {
		return err
	}
	if err := r.fill(binary.MaxVarintLen64); err != nil {
		return err
	}
	ns, p := uvarint(r.buf, r.p)
	if p < 0 {
		return r.errorf(-1, "string table: truncated or bad count")
	}
	if ns > MaxStrings-1 {
		return r.errorf(-1, "string table: %d strings, more than %d", ns, MaxStrings-1)
	}
	r.p = p
	// Grow the table as strings arrive: a hostile count costs nothing.
	r.strs = make([]string, 1, 1+min(ns, 64))
	for i := uint64(0); i < ns; i++ {
		s, err := r.preambleString("string", i+1)
		if err != nil {
			return err
		}
		r.strs = append(r.strs, s)
	}
	return nil
}

// uvarint decodes a varint at b[p:]; it returns p < 0 if b ends first or the
// varint is longer than 10 bytes.
func uvarint(b []byte, p int) (uint64, int) {
	if p < len(b) && b[p] < 0x80 {
		return uint64(b[p]), p + 1
	}
	return uvarintSlow(b, p)
}

func uvarintSlow(b []byte, p int) (uint64, int) {
	var v uint64
	for s := uint(0); s < 70; s += 7 {
		if p >= len(b) {
			return 0, -1
		}
		c := b[p]
		p++
		v |= uint64(c&0x7f) << s
		if c < 0x80 {
			if s == 63 && c > 1 {
				return 0, -1
			}
			return v, p
		}
	}
	return 0, -1
}

// Next advances to the next event.
func (r *BinaryReader) Next() bool {
	if bi := r.bi + 1; bi < r.bn {
		r.bi = bi
		return true
	}
	return r.nextBlock()
}

func (r *BinaryReader) nextBlock() bool {
	if r.par != nil {
		return r.parNext()
	}
	if r.done {
		r.bi, r.bn = 0, 0
		return false
	}
	r.bn = r.decode(r.blk[:])
	r.bi = 0
	if r.bn == 0 {
		r.done = true
		return false
	}
	return true
}

// Block returns the next decoded events, up to an internal block size (128
// events; after SetWorkers a chunk: at most 8192, 2048 as this package
// writes them), or nil
// at the end or on error (see Err). The slice is valid until the next call to
// Block or Next. Do not mix Block with Next and Event: Block skips what Next
// has not handed out.
func (r *BinaryReader) Block() []Event {
	if r.par != nil {
		return r.parBlock()
	}
	if !r.nextBlock() {
		return nil
	}
	r.bi = r.bn - 1
	return r.blk[:r.bn]
}

// Event returns the current event.
func (r *BinaryReader) Event() *Event { return &r.blk[r.bi&(blockLen-1)] }

// Err returns the first error met, or nil.
func (r *BinaryReader) Err() error {
	if r.err == nil {
		return nil
	}
	return r.err
}

// Meta returns the trace's metadata.
func (r *BinaryReader) Meta() Meta { return r.meta }

// Strings returns the trace's string table.
func (r *BinaryReader) Strings() []string { return r.strs }

// Count returns the event count the header declares.
func (r *BinaryReader) Count() uint64 { return r.count }

// fail records err and ends decoding after the events already decoded.
func (r *BinaryReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.done = true
}

// finish runs the end-of-trace checks: the checksum and the count. decode has
// checked the last chunk; a chunk decoder of SetWorkers stops at its chunk's
// last event and never gets here.
func (r *BinaryReader) finish() {
	r.done = true
	r.crc = crc32.Update(r.crc, castagnoli, r.buf[r.crcPos:r.p])
	r.crcPos = r.p
	switch {
	case r.crc != r.crcHdr:
		r.fail(r.errorf(-1, "checksum mismatch: header says %08x, content is %08x", r.crcHdr, r.crc))
	case uint64(r.index) != r.count:
		r.fail(r.errorf(-1, "header declares %d events, found %d", r.count, r.index))
	}
}

// Decode error codes of decodeRun; see recordError.
const (
	decOK = iota
	decTruncated
	decVarint
	decExt
	decExt2
	decAbsTime
	decCPU
	decPID
	decNr
	decMM
	decFlags
	decShift
	decSite
	decExtra
	decOp
	decHead
)

// recordWindow is the bytes one record is decoded from: at least maxRecord, a
// power of two so that masked indexes need no bounds checks.
const recordWindow = 128

// pos is the content offset of r.p.
func (r *BinaryReader) pos() uint64 { return r.got - uint64(len(r.buf)-r.p) }

// chunkHead reads the head of the next version 3 chunk, its event count and
// byte length, and resets the prediction state. It returns false at the end of
// the content or on error (recorded with fail).
func (r *BinaryReader) chunkHead() bool {
	if err := r.fill(2 * binary.MaxVarintLen64); err != nil {
		r.fail(err)
		return false
	}
	if len(r.buf)-r.p <= 0 {
		r.finish()
		return false
	}
	n, p := uvarint(r.buf, r.p)
	if p < 0 || n == 0 || n > maxChunkEvents {
		r.fail(r.errorf(r.index, "bad chunk head: event count missing or not in 1..%d", maxChunkEvents))
		return false
	}
	l, p := uvarint(r.buf, p)
	if p < 0 || l < n || l > n*maxRecord {
		r.fail(r.errorf(r.index, "bad chunk head: %d events in a length missing or not in %d..%d bytes", n, n, n*maxRecord))
		return false
	}
	r.p = p
	if end := r.pos() + l; end > r.length {
		r.fail(r.errorf(r.index, "truncated chunk: %d bytes declared, %d left", l, r.length-r.pos()))
		return false
	}
	r.chunkLeft, r.chunkEnd, r.chunkAt, r.chunkPos = n, r.pos()+l, r.index, r.pos()
	r.st.reset()
	return true
}

// chunkDone checks that the chunk just finished used exactly its length.
func (r *BinaryReader) chunkDone() bool {
	if r.pos() != r.chunkEnd {
		r.fail(r.errorf(r.chunkAt, "chunk of %d events declares %d bytes, its records take %d", r.index-r.chunkAt, r.chunkEnd-r.chunkPos, r.pos()-r.chunkPos))
		return false
	}
	return true
}

// chunkOverrun is the error of a record of the current chunk, at r.index, that
// runs past the end its head declares.
func (r *BinaryReader) chunkOverrun() *Error {
	return r.errorf(r.index, "chunk at event %d declares %d bytes, its records run past them", r.chunkAt, r.chunkEnd-r.chunkPos)
}

// decode decodes up to len(out) records into out and returns how many.
func (r *BinaryReader) decode(out []Event) int {
	n := 0
	for n < len(out) {
		if r.chunks && r.chunkLeft == 0 && !r.chunkHead() {
			return n
		}
		if len(r.buf)-r.p < recordWindow && !r.srcEOF {
			if err := r.fill(recordWindow); err != nil {
				r.fail(err)
				return n
			}
		}
		// lim: the end of what this run may read. In a chunk, a record
		// must start before the chunk's end, so the run sees at most
		// recordWindow-1 bytes past it (the same as a helper of
		// SetWorkers sees, whether it has the rest of the trace or a copy
		// of the chunk and the window after it); a record that ends past
		// it is refused below.
		lim := len(r.buf)
		if r.chunks {
			if r.pos() >= r.chunkEnd {
				// Its bytes used up, events still to come (also
				// at the end of the content: finish, reached only
				// after a chunk's last event, checks no chunk).
				r.fail(r.errorf(r.index, "truncated chunk: %d of its events missing", r.chunkLeft))
				return n
			}
			lim = min(lim, r.p+int(r.chunkEnd-r.pos())+recordWindow-1)
		}
		avail := lim - r.p
		if avail <= 0 {
			r.finish()
			return n
		}
		left := r.count - uint64(r.index)
		if left == 0 {
			r.fail(r.errorf(r.index, "more events than the %d the header declares", r.count))
			return n
		}
		want := min(uint64(len(out)-n), left)
		if r.chunks {
			want = min(want, r.chunkLeft)
		}
		dst := out[n : n+int(want)]
		var k, used, code int
		var rec []byte // the bad record, on error
		if avail >= recordWindow {
			var p int
			k, p, code = r.decodeRun(r.buf[:lim], r.p, dst)
			used, rec = p-r.p, r.buf[p:]
		} else {
			// The last records: decode one at a time from a zero-padded
			// copy, and check afterwards that it did not run past the end.
			r.pad = [recordWindow]byte{}
			copy(r.pad[:], r.buf[r.p:lim])
			k, used, code = r.decodeRun(r.pad[:], 0, dst[:1])
			if used+r.errAt > avail && r.errAt < badIndex {
				code = decTruncated // it ran past the end: not decoded
			}
			if code != decOK {
				k, used = 0, 0
			}
			rec = r.pad[:]
		}
		n += k
		r.index += int64(k)
		r.p += used
		if r.chunks && r.pos() > r.chunkEnd {
			// The last record decoded runs past the chunk's end (the
			// run stopped after it: no record after it started before
			// the end). It is not handed out.
			n--
			r.index--
			r.fail(r.chunkOverrun())
			return n
		}
		if code != decOK {
			r.fail(r.recordError(code, rec))
			return n
		}
		if r.chunks {
			r.chunkLeft -= uint64(k)
			if r.chunkLeft == 0 && !r.chunkDone() {
				return n
			}
		}
	}
	return n
}

// recordError describes a decode error of the record at the start of rec.
func (r *BinaryReader) recordError(code int, rec []byte) *Error {
	var w [3]byte
	copy(w[:], rec)
	op := Op(w[0] & headOp)
	switch code {
	case decOp:
		return r.errorf(r.index, "unknown op %d", uint8(op))
	case decHead:
		return r.errorf(r.index, "%s: head bits %#02x not allowed for this op", op, w[0]&^r.st.infos[op&headOp].head)
	case decTruncated:
		return r.errorf(r.index, "%s: truncated record", op)
	case decVarint:
		return r.errorf(r.index, "%s: bad varint", op)
	case decExt:
		return r.errorf(r.index, "%s: extension bits %#02x not allowed for this op", op, w[1]&^r.st.infos[op&headOp].ext)
	case decExt2:
		return r.errorf(r.index, "%s: second extension bits %#02x not allowed for this op", op, w[2]&^r.st.infos[op&headOp].ext2)
	case decAbsTime:
		return r.errorf(r.index, "%s: absolute-time bit without a time", op)
	case decCPU:
		return r.errorf(r.index, "%s: cpu out of range (max %d)", op, MaxCPUs-1)
	case decPID:
		return r.errorf(r.index, "%s: pid out of range (max %d)", op, uint32(1<<32-1))
	case decNr:
		return r.errorf(r.index, "%s: nr out of range (max %d)", op, uint32(1<<32-1))
	case decMM:
		return r.errorf(r.index, "%s: mm out of range (max %d)", op, uint32(1<<32-1))
	case decFlags:
		return r.errorf(r.index, "%s: flags not allowed for this op", op)
	case decShift:
		return r.errorf(r.index, "%s: shift out of range (max 63)", op)
	case decSite:
		return r.errorf(r.index, "%s: site string index beyond table of %d", op, len(r.strs))
	case decExtra:
		return r.errorf(r.index, "%s: extra string index beyond table of %d", op, len(r.strs))
	}
	return r.errorf(r.index, "%s: bad record", op)
}

// badIndex is returned by varintSlow for a bad varint.
const badIndex = 1 << 30

// varint decodes the varint at w[i] (masked) and returns it and the index
// after it: a one-byte varint inline (the common case), a longer one in
// varintSlow. A bad varint returns badIndex, which the caller reports once
// the record is done (an index past maxRecord).
func varint(w *[recordWindow]byte, i int) (uint64, int) {
	if c0 := w[i&(recordWindow-1)]; c0 < 0x80 {
		return uint64(c0), i + 1
	}
	return varintSlow(w, i)
}

// varintSlow decodes a varint of two or more bytes at w[i] (masked). A varint
// longer than 10 bytes or overflowing 64 bits returns badIndex.
func varintSlow(w *[recordWindow]byte, i int) (uint64, int) {
	var v uint64
	for s := uint(0); s < 70; s += 7 {
		c := w[i&(recordWindow-1)]
		i++
		v |= uint64(c&0x7f) << s
		if c < 0x80 {
			if s == 63 && c > 1 {
				return 0, badIndex
			}
			return v, i
		}
	}
	return 0, badIndex
}

// varintWord decodes the varint at w[i] from one 8-byte load, without a
// branch on its length (address deltas and args take 1 to 6 bytes, in an
// order branch prediction cannot learn), and returns it and the index after
// it. A varint longer than 8 bytes goes to varintSlow. i must be below 64
// for a valid record (decodeFast's address starts before byte 14; an arg,
// read with it by decodeGeneral too, before byte 55: three head bytes, a
// flags byte and at most five varints of up to 10 bytes come first); a
// larger i is an error the caller reports (i > maxRecord), and the value
// read then does not matter.
func varintWord(w *[recordWindow]byte, i int) (uint64, int) {
	x := binary.LittleEndian.Uint64(w[i&(recordWindow/2-1):])
	stop := ^x & 0x8080808080808080 // the high bit of each byte that ends a varint
	if stop == 0 {
		return varintSlow(w, i)
	}
	x &= (stop ^ (stop - 1)) & 0x7f7f7f7f7f7f7f7f // its bytes, without their high bits
	x = x&0x007f007f007f007f | x&0x7f007f007f007f00>>1
	x = x&0x00003fff00003fff | x&0x3fff00003fff0000>>2
	return x&0x000000000fffffff | x&0x0fffffff00000000>>4, i + (bits.TrailingZeros64(stop)+1)>>3
}

// decodeRun decodes records from buf[p:] into out while at least a
// recordWindow of bytes remains, and returns how many it decoded and where
// it stopped. On error, p is the start of the bad record, r.errAt the bytes
// of it read so far, and code says what is wrong. Each record is read from
// a fixed-size window with masked indexes (no bounds checks): the common
// ones by decodeFast, the rest by decodeGeneral.
func (r *BinaryReader) decodeRun(buf []byte, p int, out []Event) (int, int, int) {
	st := &r.st
	nstr := uint64(len(r.strs))
	last := len(buf) - recordWindow
	for k := range out {
		if p > last {
			return k, p, decOK
		}
		w := (*[recordWindow]byte)(buf[p:])
		ev := &out[k]
		i, code := 0, decOK
		if !r.generalOnly {
			i, code = st.decodeFast(w, ev, nstr)
		}
		if i == 0 {
			i, code = st.decodeGeneral(w, ev, nstr)
		}
		if code == decOK && i > maxRecord {
			code = decVarint
		}
		if code != decOK {
			r.errAt = i
			return k, p, code
		}
		p += i
	}
	r.errAt = 0
	return len(out), p, decOK
}

// decodeFast decodes the record at the start of w into ev if it is a common
// one: a valid head byte, and an extension byte, if any, that only selects
// a cpu below 128 with a state already, an mm, flags, a site and an extra
// string (of BenchmarkDecodeBinary's trace, two CPUs merged, 34% of the
// records have no extension byte, 62% only change the cpu and 4% give flags
// or a site; decodeGeneral takes 0.2%; recorded traces carry an extra
// string on every event). Pid, nr and shift are then all predicted. It
// returns the bytes read and an error code, or 0 bytes, having changed
// nothing, for a record decodeGeneral must take.
// The cpu is selected without a branch: whether it changes is what a merged
// multi-CPU trace makes random.
func (st *codecState) decodeFast(w *[recordWindow]byte, ev *Event, nstr uint64) (int, int) {
	h := w[0]
	op := h & headOp
	in := &st.infos[op]
	hx := h >> 7 // 1 with an extension byte
	ext := w[1] & -hx
	hc := ext & extCPU
	mask := -uint32(hc)
	cpu := st.cpu&^mask | uint32(w[2])&mask
	if h&^in.head != 0 || h == 0 || ext&^in.fast != 0 || w[2]&(hc<<7) != 0 || int(cpu) >= len(st.cpus) {
		return 0, decOK
	}
	st.cpu = cpu
	c := &st.cpus[cpu]
	i := 1 + int(hx) + int(hc)
	if h&headTime != 0 {
		var v uint64
		v, i = varint(w, i)
		c.time += v
	}
	ev.Time, ev.CPU, ev.PID, ev.Op, ev.Flags = c.time, cpu, c.pid, Op(op), in.def.Flags
	ev.Addr, ev.Nr, ev.MM, ev.Shift = 0, 0, 0, 0
	if in.kind != kindNone {
		sl := in.slot & (numSlots - 1)
		a := c.next[sl]
		if h&headAddr != 0 {
			var v uint64
			v, i = varintWord(w, i)
			a += v>>1 ^ -(v & 1)
		}
		if ext&extMM != 0 {
			var v uint64
			if v, i = varint(w, i); v > 1<<32-1 {
				return i, decMM
			}
			c.mm[in.mmSlot&(numSlots-1)] = uint32(v)
		}
		c.next[sl] = a + c.step[sl]
		ev.Addr, ev.Nr, ev.MM, ev.Shift = a, in.def.Nr, c.mm[in.mmSlot&(numSlots-1)], c.shift[sl]
	}
	if ext&extFlags != 0 {
		f := w[i&(recordWindow-1)]
		i++
		if f&^in.flags != 0 {
			return i, decFlags
		}
		ev.Flags = f
	}
	ev.Site = 0
	if in.site {
		if ext&extSite != 0 {
			var v uint64
			if v, i = varint(w, i); v >= nstr {
				return i, decSite
			}
			st.site[op] = uint32(v)
		}
		ev.Site = st.site[op]
	}
	ev.Extra = st.extra[op]
	if ext&extExtra != 0 {
		var code int
		if i, code = st.extraString(w, i, in, op, ev, nstr); code != decOK {
			return i, code
		}
	}
	return st.arg(w, i, in, c, ev)
}

// extraString reads the extra string index at w[i] into ev (and, from
// version 2, as op's prediction).
func (st *codecState) extraString(w *[recordWindow]byte, i int, in *opInfo, op uint8, ev *Event, nstr uint64) (int, int) {
	v, i := varint(w, i)
	if v >= nstr || (v == 0 && !in.sticky) {
		return i, decExtra
	}
	ev.Extra = uint32(v)
	if in.sticky {
		st.extra[op] = uint32(v)
	}
	return i, decOK
}

// arg reads the arg of an op that has one (a switch's is the pid that runs
// next on c) at w[i] into ev, and returns the record's length.
func (st *codecState) arg(w *[recordWindow]byte, i int, in *opInfo, c *cpuState, ev *Event) (int, int) {
	ev.Arg = 0
	if !in.hasArg {
		return i, decOK
	}
	v, i := varintWord(w, i)
	ev.Arg = v
	if ev.Op == OpSwitch {
		c.pid = uint32(v)
	}
	return i, decOK
}

// general is a record being decoded by decodeGeneral: its window, the read
// position, its op and extension bytes.
type general struct {
	w         *[recordWindow]byte
	i         int
	h         byte
	ext, ext2 byte
	in        *opInfo
}

// varint reads the varint at the read position.
func (g *general) varint() uint64 {
	v, i := varint(g.w, g.i)
	g.i = i
	return v
}

// byte reads one byte at the read position.
func (g *general) byte() byte {
	b := g.w[g.i&(recordWindow-1)]
	g.i++
	return b
}

// decodeGeneral decodes any record at the start of w into ev: every field
// the format has, with every range check. It returns the bytes read and an
// error code.
func (st *codecState) decodeGeneral(w *[recordWindow]byte, ev *Event, nstr uint64) (int, int) {
	g := general{w: w, i: 1, h: w[0], in: &st.infos[w[0]&headOp]}
	if code := g.heads(); code != decOK {
		return g.i, code
	}
	c, code := st.task(&g)
	if code != decOK {
		return g.i, code
	}
	if g.h&headTime != 0 {
		v := g.varint()
		if g.ext2&ext2AbsTime != 0 {
			c.time = v
		} else {
			c.time += v
		}
	}
	ev.Time, ev.CPU, ev.PID, ev.Op = c.time, st.cpu, c.pid, Op(g.h&headOp)
	if code := g.address(c, ev); code != decOK {
		return g.i, code
	}
	if code := st.strings(&g, ev, nstr); code != decOK {
		return g.i, code
	}
	return st.arg(w, g.i, g.in, c, ev)
}

// heads checks the head byte and reads and checks the extension bytes.
func (g *general) heads() int {
	if g.h&^g.in.head != 0 || g.h == 0 {
		if g.in.valid {
			return decHead
		}
		return decOp
	}
	if g.h&headExt == 0 {
		return decOK
	}
	if g.ext = g.byte(); g.ext&^g.in.ext != 0 {
		return decExt
	}
	if g.ext&extExt2 == 0 {
		return decOK
	}
	if g.ext2 = g.byte(); g.ext2&^g.in.ext2 != 0 {
		return decExt2
	}
	if g.ext2&ext2AbsTime != 0 && g.h&headTime == 0 {
		return decAbsTime
	}
	return decOK
}

// task reads the record's cpu and pid, if given, makes the cpu st.cpu and
// returns its state.
func (st *codecState) task(g *general) (*cpuState, int) {
	if g.ext&extCPU != 0 {
		v := g.varint()
		if v >= MaxCPUs {
			return nil, decCPU
		}
		st.cpu = uint32(v)
	}
	c := st.state(st.cpu)
	if g.ext&extPID != 0 {
		v := g.varint()
		if v > 1<<32-1 {
			return nil, decPID
		}
		c.pid = uint32(v)
	}
	return c, decOK
}

// address reads the address fields of the record, if its op has them, and
// its flags into ev.
func (g *general) address(c *cpuState, ev *Event) int {
	in := g.in
	ev.Addr, ev.Nr, ev.MM, ev.Shift = 0, 0, 0, 0
	ev.Flags = in.def.Flags
	if in.kind != kindNone {
		sl, ms := in.slot&(numSlots-1), in.mmSlot&(numSlots-1)
		a := c.next[sl]
		if g.h&headAddr != 0 {
			v := g.varint()
			a += v>>1 ^ -(v & 1)
		}
		nr, shift := in.def.Nr, c.shift[sl]
		if g.ext&extNr != 0 {
			v := g.varint()
			if v > 1<<32-1 {
				return decNr
			}
			nr = uint32(v)
		}
		if g.ext&extMM != 0 {
			v := g.varint()
			if v > 1<<32-1 {
				return decMM
			}
			c.mm[ms] = uint32(v)
		}
		if code := g.flags(ev); code != decOK {
			return code
		}
		if g.ext2&ext2Shift != 0 {
			if shift = g.byte(); shift > 63 {
				return decShift
			}
			if in.sticky {
				c.shift[sl] = shift
				c.step[sl] = nextAddr(0, in.def.Nr, shift)
			}
		}
		c.next[sl] = nextAddr(a, nr, shift)
		ev.Addr, ev.Nr, ev.MM, ev.Shift = a, nr, c.mm[ms], shift
		return decOK
	}
	return g.flags(ev)
}

// flags reads the record's flags byte, if given, into ev.
func (g *general) flags(ev *Event) int {
	if g.ext&extFlags == 0 {
		return decOK
	}
	if ev.Flags = g.byte(); ev.Flags&^g.in.flags != 0 {
		return decFlags
	}
	return decOK
}

// strings reads the record's site and extra string indexes, if given, into
// ev, or predicts them.
func (st *codecState) strings(g *general, ev *Event, nstr uint64) int {
	op := g.h & headOp
	ev.Site = 0
	if g.in.site {
		if g.ext&extSite != 0 {
			v := g.varint()
			if v >= nstr {
				return decSite
			}
			st.site[op] = uint32(v)
		}
		ev.Site = st.site[op]
	}
	ev.Extra = st.extra[op]
	if g.ext&extExtra == 0 {
		return decOK
	}
	i, code := st.extraString(g.w, g.i, g.in, op, ev, nstr)
	g.i = i
	return code
}
