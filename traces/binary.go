package traces

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime"

	"github.com/klauspost/compress/zstd"
)

// The binary format (.lmt); docs/format.md has the byte-level layout.
//
// A 32-byte fixed header (magic, version, flags, CRC-32C, event count, length
// of the rest), then the metadata, the string table, and one record per event.
// A record is a head byte (op and three presence bits), optional extension
// bytes, then only the fields that differ from what the decoder predicts:
// time is a delta against the last event of the same CPU, the address a
// zigzag delta against the end of the last range of the same kind on the same
// CPU, the pid against the task last seen (or switched to) on that CPU, mm
// against the last mm on that CPU, site against the last site of that op,
// nr, flags and shift against the op's defaults.

// BinaryMagic starts every binary trace.
const BinaryMagic = "\x8aLMT\r\n\x1a\n"

// BinaryVersion is the version of the binary format this package writes, and
// the newest it reads. Versions only append: a reader of version N reads every
// version up to N. Version 2 predicts addresses, mm and shift per op (not per
// kind of address) and keeps each op's last extra string. Version 3 groups
// the records in chunks that each start from the initial prediction state, so
// that chunks decode independently (BinaryReader.SetWorkers).
const BinaryVersion = 3

// chunkEvents is how many events the writer puts in a chunk (version 3); a
// variable so tests can make chunks small. maxChunkEvents bounds what a reader
// accepts, and with maxRecord what it allocates for one chunk.
var chunkEvents = 2048

const maxChunkEvents = 8192

// binaryHeaderLen is the size of the fixed header.
const binaryHeaderLen = 32

// maxRecord bounds the size of one encoded record (3 flag bytes, 8 varints of
// at most 10 bytes, 2 single bytes = 85).
const maxRecord = 96

// Head byte bits.
const (
	headOp   = 0x1f // op number
	headTime = 0x20 // T: a time varint follows
	headAddr = 0x40 // A: an address delta varint follows
	headExt  = 0x80 // X: an extension byte follows
)

// Extension byte bits.
const (
	extCPU   = 0x01 // C: cpu varint
	extPID   = 0x02 // P: pid varint
	extNr    = 0x04 // N: nr varint (else the op's default)
	extMM    = 0x08 // M: mm varint (else the last mm on this CPU)
	extFlags = 0x10 // F: flags byte (else the op's default flags)
	extSite  = 0x20 // S: site varint (else the last site of this op)
	extExtra = 0x40 // E: extra varint (else 0)
	extExt2  = 0x80 // Y: a second extension byte follows
)

// Second extension byte bits; the others are reserved and must be zero.
const (
	ext2Shift   = 0x01 // H: shift byte (else the op's default)
	ext2AbsTime = 0x02 // B: the time varint is absolute, not a delta
)

// Address kinds; version 1 predicts the next address per kind and CPU.
const (
	kindNone   = -1
	kindUpdate = 0
	kindAccess = 1
	kindTLB    = 2
)

// numSlots is the size of the per-CPU prediction arrays (a power of two, for
// masked indexes); version 2 uses one slot per op with an address (7).
const numSlots = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// opInfo is what the binary codec needs to know about one op, derived from the
// Ops table. Indexed by the head byte's 5-bit op field.
type opInfo struct {
	// The fields the decoder's fast path reads come first, in one cache line
	// with the start of def.
	head   uint8 // head byte bits allowed, with the op
	kind   int8  // address kind, kindNone if the op has no addr
	site   bool  // the op has a site (or name) key
	hasArg bool  // an arg varint always follows
	valid  bool
	fast   uint8 // extension bits decodeFast reads (cpu, flags, extra; mm for ops with an address and an mm; site for ops with a site)
	ext    uint8 // extension bits allowed
	ext2   uint8 // second extension bits allowed
	flags  uint8 // Event.Flags bits the op has keys for
	slot   uint8 // prediction slot of the address and shift (< numSlots)
	mmSlot uint8 // prediction slot of mm
	sticky bool  // version 2: shift and extra are predicted from the op's last
	hasMM  bool
	hasNr  bool
	def    Event // Defaults(op)
}

// opInfos holds the op table of each binary version (index 0 unused).
// Version 3 has version 2's records (only the chunk framing is new).
var opInfos = [BinaryVersion + 1]*[headOp + 1]opInfo{nil, makeOpInfos(1), makeOpInfos(2), makeOpInfos(2)}

func makeOpInfos(version int) *[headOp + 1]opInfo {
	var t [headOp + 1]opInfo
	addrOps := 0
	for op := OpInvalid + 1; op < NumOps; op++ {
		in := opInfo{def: Defaults(op), valid: true, kind: kindNone, ext: extCPU | extPID | extExtra | extExt2, ext2: ext2AbsTime}
		for _, k := range Ops[op].Keys {
			switch k.Field {
			case FieldAddr:
				switch {
				case op.IsUpdate():
					in.kind = kindUpdate
				case op == OpAccess:
					in.kind = kindAccess
				default:
					in.kind = kindTLB
				}
			case FieldNr:
				in.ext |= extNr
				in.hasNr = true
			case FieldMM:
				in.ext |= extMM
				in.hasMM = true
			case FieldValid:
				in.flags |= FlagValid
			case FieldWas:
				in.flags |= FlagWas
			case FieldFull:
				in.flags |= FlagFull
			case FieldMid:
				in.flags |= FlagMid
			case FieldShift:
				in.ext2 |= ext2Shift
			case FieldSite:
				in.ext |= extSite
				in.site = true
			case FieldArg:
				in.hasArg = true
			}
		}
		if in.flags != 0 {
			in.ext |= extFlags
		}
		in.head = uint8(op) | headTime | headExt
		if in.kind != kindNone {
			in.head |= headAddr
			if version == 1 {
				in.slot, in.mmSlot = uint8(in.kind), 0
			} else {
				in.slot, in.mmSlot = uint8(addrOps), uint8(addrOps)
				addrOps++
			}
		}
		in.sticky = version >= 2
		in.fast = extCPU | extExtra | in.ext&extFlags
		if in.kind != kindNone && in.hasMM {
			in.fast |= extMM
		}
		if in.site {
			in.fast |= extSite
		}
		t[op] = in
	}
	return &t
}

// initState returns the prediction state a CPU starts with in a version:
// mm 1, and the default shift of the ops of each slot.
func initState(infos *[headOp + 1]opInfo) cpuState {
	c := cpuState{}
	for i := range c.mm {
		c.mm[i] = 1
	}
	for op := range infos {
		if in := &infos[op]; in.valid && in.kind != kindNone {
			c.shift[in.slot] = in.def.Shift
			c.step[in.slot] = nextAddr(0, in.def.Nr, in.def.Shift)
		}
	}
	return c
}

// cpuState is the per-CPU prediction state of the binary codec.
type cpuState struct {
	time  uint64
	next  [numSlots]uint64 // predicted address per slot
	mm    [numSlots]uint32 // last mm per slot (version 1: slot 0 only)
	step  [numSlots]uint64 // address advance of the slot's default nr at its predicted shift
	shift [numSlots]uint8  // predicted shift per slot
	// cpu is the state's index in codecState.cpus; with pid after it,
	// the CPU and PID fields of an event in one word (decodeFast).
	cpu uint32
	pid uint32
}

// codecState is the prediction state shared, step for step, by the binary
// writer and reader.
type codecState struct {
	infos *[headOp + 1]opInfo // the op table of the trace's version
	init  cpuState            // a CPU's state before its first event
	cpus  []cpuState
	cpu   uint32 // CPU of the last event
	site  [headOp + 1]uint32
	extra [headOp + 1]uint32 // version 2: each op's last extra string
}

func (s *codecState) setVersion(v int) {
	s.infos = opInfos[v]
	s.init = initState(s.infos)
}

// reset returns the state to the one before the first event (the start of a
// version 3 chunk), keeping the memory of the CPU table.
func (s *codecState) reset() {
	for i := range s.cpus {
		s.cpus[i] = s.init
		s.cpus[i].cpu = uint32(i)
	}
	s.cpu = 0
	clear(s.site[:])
	clear(s.extra[:])
}

// state returns the state of cpu (< MaxCPUs), growing the table if needed.
func (s *codecState) state(cpu uint32) *cpuState {
	for int(cpu) >= len(s.cpus) {
		s.cpus = append(s.cpus, s.init)
		s.cpus[len(s.cpus)-1].cpu = uint32(len(s.cpus) - 1)
	}
	return &s.cpus[cpu]
}

// nextAddr is the address right after the range of an event.
func nextAddr(addr uint64, nr uint32, shift uint8) uint64 {
	if shift == 0 {
		shift = 12
	}
	return addr + uint64(nr)<<(shift&63)
}

// BinaryWriter writes the binary format in bounded memory. The header and the
// string table come before the records but are known only at the end (event
// count, checksum, strings met), so the writer encodes records into a buffer
// of at most spillAt bytes; when that fills, the buffer goes to a spool file
// (unlinked at once where the system allows). Close writes the header and
// the preamble, then copies the spool and the buffer after them. The CRC of
// the records is kept as they are written and combined with the header's at
// Close (crc32Combine), so the body is read back only once. Memory is the
// buffer, the copy buffer, and the string table (bounded by MaxStrings).
type BinaryWriter struct {
	w        io.Writer
	meta     Meta
	body     []byte // records not yet spilled
	spool    *os.File
	spoolDir string // "" for os.TempDir
	spoolLen int64  // bytes in spool
	spoolCRC uint32 // CRC-32C of the spool's bytes
	strs     []string
	ids      map[string]uint32
	count    uint64
	st       codecState
	ver      int
	err      error
	chunk    []byte // the records of the open chunk (version 3; else of the event being written)
	chunkN   int    // events in chunk
}

// spillAt is the size of BinaryWriter's record buffer: records beyond it go
// to the spool file. A variable so tests can make it small.
var spillAt = 1 << 20

// SetSpoolDir sets the directory of the temporary file that holds the records
// of a trace larger than the in-memory buffer until Close (default
// os.TempDir(), which may be memory-backed). traces.WriteFile uses the output's
// directory. Call it before the first Write.
func (bw *BinaryWriter) SetSpoolDir(dir string) { bw.spoolDir = dir }

// spill moves the buffered records to the spool file.
func (bw *BinaryWriter) spill() error {
	if bw.spool == nil {
		f, err := os.CreateTemp(bw.spoolDir, ".lazybench-spool-*")
		if err != nil {
			return fmt.Errorf("traces: spool for binary trace records: %w", err)
		}
		if runtime.GOOS != "windows" {
			// Unlinked now, the file goes away however the writer ends.
			os.Remove(f.Name())
		}
		bw.spool = f
	}
	if _, err := bw.spool.Write(bw.body); err != nil {
		return fmt.Errorf("traces: spool for binary trace records: %w", err)
	}
	bw.spoolCRC = crc32.Update(bw.spoolCRC, castagnoli, bw.body)
	bw.spoolLen += int64(len(bw.body))
	bw.body = bw.body[:0]
	return nil
}

// dropSpool closes and removes the spool file, if any.
func (bw *BinaryWriter) dropSpool() {
	if bw.spool != nil {
		bw.spool.Close()
		os.Remove(bw.spool.Name()) // already gone where unlinking open files works
		bw.spool = nil
	}
}

// NewBinaryWriter returns a writer of the binary format (BinaryVersion) to w.
func NewBinaryWriter(w io.Writer, meta Meta) (*BinaryWriter, error) {
	return newBinaryWriterVersion(w, meta, BinaryVersion)
}

// newBinaryWriterVersion writes an older version, for compatibility tests.
func newBinaryWriterVersion(w io.Writer, meta Meta, version int) (*BinaryWriter, error) {
	if err := checkMeta(meta); err != nil {
		return nil, err
	}
	bw := &BinaryWriter{w: w, meta: meta, strs: []string{""}, ids: map[string]uint32{"": 0}, ver: version}
	bw.st.setVersion(version)
	return bw, nil
}

// AddString interns s and returns its index. Strings beyond the limits make
// Close fail.
func (bw *BinaryWriter) AddString(s string) uint32 {
	if id, ok := bw.ids[s]; ok {
		return id
	}
	if len(s) > MaxStringLen && bw.err == nil {
		bw.err = fmt.Errorf("traces: string of %d bytes too long (max %d)", len(s), MaxStringLen)
	}
	if len(bw.strs) >= MaxStrings && bw.err == nil {
		bw.err = fmt.Errorf("traces: too many distinct strings (max %d)", MaxStrings)
	}
	id := uint32(len(bw.strs))
	bw.strs = append(bw.strs, s)
	bw.ids[s] = id
	return id
}

func zigzag(d uint64) uint64 { return d<<1 ^ uint64(int64(d)>>63) }

// Write encodes one event. Fields the event's op has no key for are not
// stored (as in the text format).
func (bw *BinaryWriter) Write(e *Event) error {
	if bw.err != nil {
		return bw.err
	}
	if !e.Op.Valid() {
		return fmt.Errorf("traces: write: invalid op %d", e.Op)
	}
	if e.CPU >= MaxCPUs {
		return fmt.Errorf("traces: write: cpu %d out of range (max %d)", e.CPU, MaxCPUs-1)
	}
	if e.Shift > 63 {
		return fmt.Errorf("traces: write: shift %d out of range (max 63)", e.Shift)
	}
	st := &bw.st
	in := &st.infos[e.Op]
	if (in.site && e.Site >= uint32(len(bw.strs))) || e.Extra >= uint32(len(bw.strs)) {
		return fmt.Errorf("traces: write: string index beyond table of %d", len(bw.strs))
	}
	c := st.state(e.CPU)
	head := byte(e.Op)
	var ext, ext2 byte
	if e.CPU != st.cpu {
		ext |= extCPU
	}
	if e.PID != c.pid {
		ext |= extPID
	}
	tv := e.Time - c.time
	if e.Time < c.time {
		tv = e.Time
		head |= headTime
		ext2 |= ext2AbsTime
	} else if tv != 0 {
		head |= headTime
	}
	var ad uint64
	if in.kind != kindNone {
		if e.Addr != c.next[in.slot] {
			head |= headAddr
			ad = zigzag(e.Addr - c.next[in.slot])
		}
	}
	if in.hasNr && e.Nr != in.def.Nr {
		ext |= extNr
	}
	if in.hasMM && e.MM != c.mm[in.mmSlot] {
		ext |= extMM
	}
	flags := e.Flags & in.flags
	if flags != in.def.Flags {
		ext |= extFlags
	}
	if in.ext2&ext2Shift != 0 && e.Shift != c.shift[in.slot] {
		ext2 |= ext2Shift
	}
	if in.site && e.Site != st.site[e.Op] {
		ext |= extSite
	}
	if e.Extra != st.extra[e.Op] {
		ext |= extExtra
	}
	if ext2 != 0 {
		ext |= extExt2
	}
	if ext != 0 {
		head |= headExt
	}
	b := append(bw.chunk, head)
	if ext != 0 {
		b = append(b, ext)
		if ext2 != 0 {
			b = append(b, ext2)
		}
	}
	if ext&extCPU != 0 {
		b = binary.AppendUvarint(b, uint64(e.CPU))
	}
	if ext&extPID != 0 {
		b = binary.AppendUvarint(b, uint64(e.PID))
	}
	if head&headTime != 0 {
		b = binary.AppendUvarint(b, tv)
	}
	if head&headAddr != 0 {
		b = binary.AppendUvarint(b, ad)
	}
	if ext&extNr != 0 {
		b = binary.AppendUvarint(b, uint64(e.Nr))
	}
	if ext&extMM != 0 {
		b = binary.AppendUvarint(b, uint64(e.MM))
	}
	if ext&extFlags != 0 {
		b = append(b, flags)
	}
	if ext2&ext2Shift != 0 {
		b = append(b, e.Shift)
	}
	if ext&extSite != 0 {
		b = binary.AppendUvarint(b, uint64(e.Site))
	}
	if ext&extExtra != 0 {
		b = binary.AppendUvarint(b, uint64(e.Extra))
	}
	if in.hasArg {
		b = binary.AppendUvarint(b, e.Arg)
	}
	bw.chunk = b
	bw.chunkN++
	bw.count++
	// Update the prediction state exactly as the reader does.
	st.cpu = e.CPU
	c.time = e.Time
	c.pid = e.PID
	if e.Op == OpSwitch {
		c.pid = uint32(e.Arg)
	}
	if in.kind != kindNone {
		nr := in.def.Nr
		if in.hasNr {
			nr = e.Nr
		}
		sh := in.def.Shift
		if in.ext2&ext2Shift != 0 {
			sh = e.Shift
			if in.sticky {
				c.shift[in.slot] = sh
				c.step[in.slot] = nextAddr(0, in.def.Nr, sh)
			}
		}
		c.next[in.slot] = nextAddr(e.Addr, nr, sh)
	}
	if in.hasMM {
		c.mm[in.mmSlot] = e.MM
	}
	if in.site {
		st.site[e.Op] = e.Site
	}
	if in.sticky {
		st.extra[e.Op] = e.Extra
	}
	if bw.chunkN >= chunkEvents || bw.ver < 3 {
		return bw.endChunk()
	}
	return nil
}

// endChunk appends the open chunk to the body with its head, and starts the
// next one from the initial prediction state (version 3; older versions have
// no chunks: each record goes to the body as it is written).
func (bw *BinaryWriter) endChunk() error {
	if bw.chunkN == 0 {
		return nil
	}
	if bw.ver >= 3 {
		bw.body = binary.AppendUvarint(bw.body, uint64(bw.chunkN))
		bw.body = binary.AppendUvarint(bw.body, uint64(len(bw.chunk)))
		bw.st.reset()
	}
	bw.body = append(bw.body, bw.chunk...)
	bw.chunk, bw.chunkN = bw.chunk[:0], 0
	if len(bw.body) >= spillAt {
		if err := bw.spill(); err != nil {
			bw.err = err
			bw.dropSpool()
			return err
		}
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// Close writes the whole trace to the underlying writer. It does not close it.
func (bw *BinaryWriter) Close() error {
	if bw.err != nil {
		bw.dropSpool()
		return bw.err
	}
	defer bw.dropSpool()
	if err := bw.endChunk(); err != nil {
		return err
	}
	var pre []byte
	m := bw.meta
	pre = appendString(pre, m.Kernel)
	pre = appendString(pre, m.Machine)
	pre = appendString(pre, m.Arch)
	pre = appendString(pre, m.Workload)
	pre = binary.AppendUvarint(pre, uint64(m.PageSize))
	pre = appendString(pre, m.Recorder)
	pre = appendString(pre, m.Date)
	pre = binary.AppendUvarint(pre, uint64(len(bw.strs)-1))
	for _, s := range bw.strs[1:] {
		pre = appendString(pre, s)
	}
	var h [binaryHeaderLen]byte
	copy(h[:], BinaryMagic)
	binary.LittleEndian.PutUint16(h[8:], uint16(bw.ver))
	binary.LittleEndian.PutUint64(h[16:], bw.count)
	binary.LittleEndian.PutUint64(h[24:], uint64(len(pre))+uint64(bw.spoolLen)+uint64(len(bw.body)))
	crc := crc32.Update(0, castagnoli, h[:])
	crc = crc32.Update(crc, castagnoli, pre)
	crc = crc32Combine(crc, bw.spoolCRC, bw.spoolLen)
	crc = crc32.Update(crc, castagnoli, bw.body)
	binary.LittleEndian.PutUint32(h[12:], crc)
	fail := func(err error) error {
		bw.err = err
		return err
	}
	for _, p := range [][]byte{h[:], pre} {
		if _, err := bw.w.Write(p); err != nil {
			return fail(err)
		}
	}
	if bw.spool != nil {
		if _, err := bw.spool.Seek(0, io.SeekStart); err != nil {
			return fail(fmt.Errorf("traces: spool for binary trace records: %w", err))
		}
		n, err := io.Copy(bw.w, io.LimitReader(bw.spool, bw.spoolLen))
		if err != nil {
			return fail(err)
		}
		if n != bw.spoolLen {
			return fail(fmt.Errorf("traces: spool for binary trace records: read %d of %d bytes", n, bw.spoolLen))
		}
	}
	if _, err := bw.w.Write(bw.body); err != nil {
		return fail(err)
	}
	bw.err = errClosed
	return nil
}

// crc32Combine returns the CRC-32C of A followed by B from crcA = CRC(A),
// crcB = CRC(B) and len(B) (zlib's crc32_combine: crcA times x^(8 lenB)
// modulo the polynomial, plus crcB; the pre- and post-conditioning cancel).
func crc32Combine(crcA, crcB uint32, lenB int64) uint32 {
	if lenB <= 0 {
		return crcA
	}
	// p = x^(8 lenB) mod P, by squaring: x2n holds x^(2^k) for bit k of
	// 8 lenB, starting at x^8 (bit 3).
	p := uint32(1) << 31   // x^0 in the reflected representation
	x2n := uint32(1) << 30 // x^1
	for range 3 {
		x2n = crcMulModP(x2n, x2n)
	}
	for n := uint64(lenB); n != 0; n >>= 1 {
		if n&1 != 0 {
			p = crcMulModP(x2n, p)
		}
		x2n = crcMulModP(x2n, x2n)
	}
	return crcMulModP(p, crcA) ^ crcB
}

// crcMulModP multiplies a and b, polynomials over GF(2) in CRC-32C's
// reflected representation, modulo the Castagnoli polynomial.
func crcMulModP(a, b uint32) uint32 {
	const poly = 0x82f63b78 // reflected Castagnoli
	var p uint32
	for m := uint32(1) << 31; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ poly
		} else {
			b >>= 1
		}
	}
	return p
}

var errClosed = fmt.Errorf("traces: writer closed")

// zstdWriter is a binary writer whose output goes through zstd.
type zstdWriter struct {
	*BinaryWriter
	enc *zstd.Encoder
}

// NewZstdWriter returns a writer of the binary format compressed with zstd.
func NewZstdWriter(w io.Writer, meta Meta) (Writer, error) {
	enc, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedBetterCompression))
	if err != nil {
		return nil, err
	}
	bw, err := NewBinaryWriter(enc, meta)
	if err != nil {
		enc.Close()
		return nil, err
	}
	return &zstdWriter{bw, enc}, nil
}

// Close writes the trace and ends the zstd stream.
func (z *zstdWriter) Close() error {
	if err := z.BinaryWriter.Close(); err != nil {
		z.enc.Close()
		return err
	}
	return z.enc.Close()
}

// DefaultMaxDecompressed is MaxDecompressed's default: 256 MiB, tens of
// millions of events in the binary format (the corpus's largest trace is
// 140 KB), read in seconds even when it is all blank text lines (about 12 s
// here: the text reader takes some 45 ns per line).
const DefaultMaxDecompressed = 256 << 20

// MaxDecompressed bounds the bytes a zstd-compressed trace decompresses to,
// checked as they arrive: beyond it reading fails with an error naming the
// file (a 337 KB file of 10 GB of newlines kept validate busy for 20
// minutes). lazybench's --max-decompressed sets it; set it before opening
// traces.
var MaxDecompressed int64 = DefaultMaxDecompressed

// newZstdReader returns a decompressing reader with bounded memory and
// output (MaxDecompressed).
func newZstdReader(r io.Reader, name string) (io.ReadCloser, error) {
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(32<<20), zstd.WithDecoderMaxMemory(1<<30))
	if err != nil {
		return nil, &Error{File: name, Index: -1, Msg: "zstd: " + err.Error()}
	}
	return &boundedReader{ReadCloser: d.IOReadCloser(), left: MaxDecompressed, max: MaxDecompressed}, nil
}

// boundedReader fails once more than max bytes have been read from it.
type boundedReader struct {
	io.ReadCloser
	left, max int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.err()
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	if b.left -= int64(n); b.left < 0 {
		return n - 1, b.err()
	}
	return n, err
}

func (b *boundedReader) err() error {
	// The readers above add the file and the line or event.
	return fmt.Errorf("the trace decompresses to more than %d bytes (raise the bound with --max-decompressed)", b.max)
}

// crc32Castagnoli is the CRC-32C of b.
func crc32Castagnoli(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
