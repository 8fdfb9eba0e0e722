package traces

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"
)

// readAll reads every event of r and returns the count and the error.
func readAll(r Reader) (int, error) {
	n := 0
	for r.Next() {
		n++
	}
	return n, r.Err()
}

func TestTextMalformed(t *testing.T) {
	long := "0 0 1 enable site=" + strings.Repeat("x", MaxLineLen) + "\n"
	tests := []struct {
		name, in string
		events   int // events read before the error
		want     string
	}{
		{"unknown op", "0 0 1 enable\n1 0 1 frob\n", 1, "t:2: unknown op \"frob\""},
		{"missing addr", "lazymmu-trace v1\n0 0 1 set nr=2\n", 0, "t:2: set: missing required key addr"},
		{"missing next", "0 0 1 switch\n", 0, "t:1: switch: missing required key next"},
		{"missing ns", "0 0 1 work site=x\n", 0, "t:1: work: missing required key ns"},
		{"missing tlb nr", "0 0 1 tlbflush addr=0x1000\n", 0, "t:1: tlbflush: missing required key nr"},
		{"missing mark name", "0 0 1 mark\n", 0, "t:1: mark: missing required key name"},
		{"bad time", "x 0 1 enable\n", 0, "t:1: bad time_ns \"x\": not a decimal number"},
		{"negative time", "-1 0 1 enable\n", 0, "t:1: bad time_ns \"-1\": not a decimal number"},
		{"time overflow", "18446744073709551616 0 1 enable\n", 0, "t:1: time_ns \"18446744073709551616\" out of range"},
		{"bad cpu", "0 a 1 enable\n", 0, "t:1: bad cpu \"a\": not a decimal number"},
		{"cpu range", "0 4096 1 enable\n", 0, "t:1: cpu 4096 out of range (max 4095)"},
		{"pid range", "0 0 4294967296 enable\n", 0, "t:1: pid 4294967296 out of range (max 4294967295)"},
		{"bad addr", "0 0 1 set addr=0xg\n", 0, "t:1: set: bad addr \"0xg\": not a hex number"},
		{"addr overflow", "0 0 1 set addr=0x10000000000000000\n", 0, "t:1: set: addr \"0x10000000000000000\" out of range"},
		{"bad nr", "0 0 1 set addr=1 nr=1.5\n", 0, "t:1: set: bad nr \"1.5\": not a decimal number"},
		{"nr range", "0 0 1 set addr=1 nr=4294967296\n", 0, "t:1: set: nr=4294967296 out of range (max 4294967295)"},
		{"valid range", "0 0 1 set addr=1 valid=2\n", 0, "t:1: set: valid=2 out of range (max 1)"},
		{"shift range", "0 0 1 set addr=1 shift=64\n", 0, "t:1: set: shift=64 out of range (max 63)"},
		{"duplicate key", "0 0 1 set addr=1 addr=2\n", 0, "t:1: set: duplicate key addr"},
		{"empty value", "0 0 1 enable site=\n", 0, "t:1: enable: empty value for site"},
		{"not key=value", "0 0 1 enable site\n", 0, "t:1: field \"site\" is not key=value"},
		{"empty key", "0 0 1 enable =x\n", 0, "t:1: field \"=x\" is not key=value"},
		{"too few fields", "0 0 1\n", 0, "t:1: want \"<time_ns> <cpu> <pid> <op> [key=value ...]\", got 3 fields"},
		{"future header", "lazymmu-trace v2\n0 0 1 enable\n", 0, "t:1: unsupported header \"lazymmu-trace v2\" (want \"lazymmu-trace v1\")"},
		{"bad page size", "# @page_size: 4k\n0 0 1 enable\n", 0, "t:1: metadata @page_size: bad number \"4k\""},
		{"line too long", "0 0 1 enable\n" + long, 1, "t:2: line too long (more than 65536 bytes)"},
		{"site too long", "0 0 1 enable site=" + strings.Repeat("s", MaxStringLen+1) + "\n", 0, "t:1: string of 1025 bytes too long (max 1024)"},
		{"carriage return", "0 0 1 enable site=a\rb\n", 0, "t:1: carriage return inside a line"},
		{"error after comments", "# c\n\n0 0 1 enable\n# x\n\n1 0 1 nope\n", 1, "t:6: unknown op \"nope\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewTextReader(strings.NewReader(tc.in), "t")
			n, err := readAll(r)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %s", err, tc.want)
			}
			if n != tc.events {
				t.Errorf("read %d events before the error, want %d", n, tc.events)
			}
		})
	}
}

func TestTextAccepts(t *testing.T) {
	// Non-canonical but valid input: no header, explicit defaults, hex without
	// 0x, tabs and runs of spaces, CRLF, comments, a last line without newline.
	in := "# a comment\r\n\n 5\t0  1 set addr=ABC nr=1 valid=1 was=0 shift=12\r\n# @kernel: ignored after the first event\n6 1 2 switch next=3"
	r := NewTextReader(strings.NewReader(in), "t")
	var got []Event
	for r.Next() {
		got = append(got, *r.Event())
	}
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	want0 := Defaults(OpSet)
	want0.Time, want0.PID, want0.Addr = 5, 1, 0xabc
	want1 := Defaults(OpSwitch)
	want1.Time, want1.CPU, want1.PID, want1.Arg = 6, 1, 2, 3
	if len(got) != 2 || got[0] != want0 || got[1] != want1 {
		t.Fatalf("got %+v", got)
	}
	if r.Meta() != (Meta{}) {
		t.Errorf("meta after the first event was read: %+v", r.Meta())
	}
	if r.Line() != 5 {
		t.Errorf("line of the last event %d, want 5", r.Line())
	}
}

// smallBinary returns a small valid binary trace.
func smallBinary(t testing.TB) []byte {
	t.Helper()
	text := "lazymmu-trace v1\n# @workload: small\n0 0 1 enable site=a\n10 0 1 set addr=0x1000\n20 0 1 set addr=0x2000 x=y\n30 1 2 switch next=3\n40 0 1 disable site=a\n"
	return copyTo(t, []byte(text), "small", FormatBinary)
}

func TestBinaryTruncated(t *testing.T) {
	bin := smallBinary(t)
	// Every proper prefix fails, with an error and without panicking, both
	// from memory and streaming.
	for n := 1; n < len(bin); n++ {
		prefix := bin[:n]
		for _, mode := range []string{"bytes", "stream"} {
			var r Reader
			var err error
			if mode == "bytes" {
				r, err = NewBytesReader(prefix, "f")
			} else {
				r, err = NewReader(bytes.NewReader(prefix), "f")
			}
			if err == nil {
				_, err = readAll(r)
			}
			if err == nil {
				t.Fatalf("%s: prefix of %d bytes: no error", mode, n)
			}
			var want string
			switch {
			case n < len(BinaryMagic):
				// Too short to be recognised: read as text, which fails on
				// the binary bytes.
				want = "f:1: want \"<time_ns> <cpu> <pid> <op> [key=value ...]\", got 1 fields"
			case n < binaryHeaderLen:
				want = "f: truncated header (" + strconv.Itoa(n) + " of 32 bytes)"
			default:
				want = "f: truncated: header declares " + strconv.Itoa(len(bin)-binaryHeaderLen) + " bytes after the header, found " + strconv.Itoa(n-binaryHeaderLen)
			}
			if err.Error() != want {
				t.Errorf("%s: prefix of %d bytes: error %q, want %q", mode, n, err, want)
			}
		}
	}
	// The empty input is an empty text trace: no events, no error.
	if n, err := readAll(NewTextReader(bytes.NewReader(nil), "f")); n != 0 || err != nil {
		t.Errorf("empty: %d events, %v", n, err)
	}
}

// craft builds a binary trace from raw parts, with a correct checksum.
func craft(version uint16, count uint64, preamble, records []byte) []byte {
	b := make([]byte, binaryHeaderLen, binaryHeaderLen+len(preamble)+len(records))
	copy(b, BinaryMagic)
	binary.LittleEndian.PutUint16(b[8:], version)
	binary.LittleEndian.PutUint64(b[16:], count)
	binary.LittleEndian.PutUint64(b[24:], uint64(len(preamble)+len(records)))
	b = append(append(b, preamble...), records...)
	fixCRC(b)
	return b
}

// fixCRC recomputes the checksum of a binary trace.
func fixCRC(b []byte) {
	clear(b[12:16])
	binary.LittleEndian.PutUint32(b[12:], crc32Castagnoli(b))
}

// emptyMeta is the preamble of a trace with no metadata and no strings.
var emptyMeta = []byte{0, 0, 0, 0, 0, 0, 0, 0}

func TestBinaryMalformed(t *testing.T) {
	good := smallBinary(t)
	mod := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	withCRC := func(f func(b []byte)) []byte {
		return mod(func(b []byte) { f(b); fixCRC(b) })
	}
	uv := func(vs ...uint64) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.AppendUvarint(b, v)
		}
		return b
	}
	bodyLen := len(good) - binaryHeaderLen
	const en = byte(OpEnable)
	tests := []struct {
		name   string
		in     []byte
		events int
		want   string
	}{
		{"wrong magic", mod(func(b []byte) { b[1] = 'X' }), 0, "f: not a binary trace (bad magic)"},
		{"future version", withCRC(func(b []byte) { b[8] = 4 }), 0, "f: unsupported format version 4 (this lazybench reads 1 to 3)"},
		{"version zero", withCRC(func(b []byte) { b[8] = 0 }), 0, "f: unsupported format version 0 (this lazybench reads 1 to 3)"},
		{"header flags", withCRC(func(b []byte) { b[10] = 1 }), 0, "f: unknown header flags 0x0001"},
		{"bad checksum", mod(func(b []byte) { b[12] ^= 1 }), 5, "f: checksum mismatch"},
		{"corrupt time", mod(func(b []byte) { b[len(b)-1] ^= 0x01 }), 5, "f: checksum mismatch"},
		{"fewer events than count", withCRC(func(b []byte) { b[16] = 6 }), 5, "f: header declares 6 events, found 5"},
		{"more events than count", withCRC(func(b []byte) { b[16] = 4 }), 4, "f: event 4: more events than the 4 the header declares"},
		{"huge length", withCRC(func(b []byte) { binary.LittleEndian.PutUint64(b[24:], 1<<62) }), 0,
			"f: truncated: header declares 4611686018427387904 bytes after the header, found " + strconv.Itoa(bodyLen)},
		{"trailing data", append(bytes.Clone(good), 0), 0, "f: 1 bytes of trailing data after the trace"},
		{"huge string count", craft(1, 0, append(bytes.Clone(emptyMeta[:7]), uv(1<<40)...), nil), 0, "f: string table: 1099511627776 strings, more than 65535"},
		{"string count beyond data", craft(1, 0, append(bytes.Clone(emptyMeta[:7]), uv(60000)...), nil), 0, "f: string 1: truncated or bad length"},
		{"huge string length", craft(1, 0, append(bytes.Clone(emptyMeta[:7]), uv(1, 1<<30)...), nil), 0, "f: string 1: length 1073741824 too long (max 1024)"},
		{"huge metadata length", craft(1, 0, uv(5000), nil), 0, "f: metadata kernel: length 5000 too long (max 1024)"},
		{"unknown op", craft(1, 1, emptyMeta, []byte{31}), 0, "f: event 0: unknown op 31"},
		{"op zero", craft(1, 1, emptyMeta, []byte{0}), 0, "f: event 0: unknown op 0"},
		{"ext bit not allowed", craft(1, 1, emptyMeta, []byte{byte(OpEnable) | headExt, extNr}), 0, "f: event 0: enable: extension bits 0x04 not allowed for this op"},
		{"addr on enable", craft(1, 1, emptyMeta, []byte{byte(OpEnable) | headAddr, 0}), 0, "f: event 0: enable: head bits 0x40 not allowed for this op"},
		{"reserved ext2", craft(1, 1, emptyMeta, []byte{byte(OpSet) | headExt, extExt2, 0x80}), 0, "f: event 0: set: second extension bits 0x80 not allowed for this op"},
		{"abs time without time", craft(1, 1, emptyMeta, []byte{byte(OpSet) | headExt, extExt2, ext2AbsTime}), 0, "f: event 0: set: absolute-time bit without a time"},
		{"cpu range", craft(1, 1, emptyMeta, append([]byte{byte(OpEnable) | headExt, extCPU}, uv(MaxCPUs)...)), 0, "f: event 0: enable: cpu out of range (max 4095)"},
		{"site beyond table", craft(1, 1, emptyMeta, []byte{byte(OpEnable) | headExt, extSite, 1}), 0, "f: event 0: enable: site string index beyond table of 1"},
		{"extra beyond table", craft(1, 1, emptyMeta, []byte{byte(OpEnable) | headExt, extExtra, 1}), 0, "f: event 0: enable: extra string index beyond table of 1"},
		{"extra beyond table, second", craft(2, 2, emptyMeta, []byte{byte(OpEnable), byte(OpEnable) | headExt, extExtra, 1}), 1, "f: event 1: enable: extra string index beyond table of 1"},
		{"extra 0 in version 1", craft(1, 1, emptyMeta, []byte{byte(OpEnable) | headExt, extExtra, 0}), 0, "f: event 0: enable: extra string index beyond table of 1"},
		{"mm range", craft(2, 1, emptyMeta, append([]byte{byte(OpSet) | headExt, extMM}, uv(1<<32)...)), 0, "f: event 0: set: mm out of range (max 4294967295)"},
		{"nr range", craft(2, 1, emptyMeta, append([]byte{byte(OpSet) | headExt, extNr}, uv(1<<32)...)), 0, "f: event 0: set: nr out of range (max 4294967295)"},
		{"nr range, after an nr", craft(2, 2, emptyMeta, append([]byte{byte(OpSet) | headExt, extNr, 3, byte(OpSet) | headExt, extNr}, uv(1<<32)...)), 1, "f: event 1: set: nr out of range (max 4294967295)"},
		{"flags not allowed", craft(1, 1, emptyMeta, []byte{byte(OpSet) | headExt, extFlags, FlagMid}), 0, "f: event 0: set: flags not allowed for this op"},
		{"bad varint", craft(1, 1, emptyMeta, append([]byte{byte(OpSet) | headTime}, bytes.Repeat([]byte{0xff}, 11)...)), 0, "f: event 0: set: bad varint"},
		{"truncated record", craft(1, 1, emptyMeta, []byte{byte(OpSet) | headTime, 0x80}), 0, "f: event 0: set: truncated record"},
		{"truncated switch", craft(1, 2, emptyMeta, []byte{byte(OpEnable), byte(OpSwitch)}), 1, "f: event 1: switch: truncated record"},
		// Version 3 chunks: uvarint events, uvarint bytes, records.
		{"chunk", craft(3, 3, emptyMeta, []byte{2, 2, en, en, 1, 1, en}), 3, ""},
		{"chunk of 0 events", craft(3, 1, emptyMeta, []byte{0, 1, en}), 0, "f: event 0: bad chunk head: event count missing or not in 1..8192"},
		{"chunk too many events", craft(3, 1, emptyMeta, append(uv(maxChunkEvents+1, 1), en)), 0, "f: event 0: bad chunk head: event count missing or not in 1..8192"},
		{"chunk head cut", craft(3, 1, emptyMeta, []byte{0x81}), 0, "f: event 0: bad chunk head: event count missing or not in 1..8192"},
		{"chunk shorter than events", craft(3, 2, emptyMeta, []byte{2, 1, en, en}), 0, "f: event 0: bad chunk head: 2 events in a length missing or not in 2..192 bytes"},
		{"chunk huge length", craft(3, 1, emptyMeta, append([]byte{1}, uv(1<<40)...)), 0, "f: event 0: bad chunk head: 1 events in a length missing or not in 1..96 bytes"},
		{"chunk beyond content", craft(3, 1, emptyMeta, []byte{1, 5, en}), 0, "f: event 0: truncated chunk: 5 bytes declared, 1 left"},
		{"chunk records longer", craft(3, 2, emptyMeta, []byte{1, 1, en | headTime, 5, 1, 1, en}), 0, "f: event 0: chunk at event 0 declares 1 bytes, its records run past them"},
		{"chunk record crosses its end", craft(3, 3, emptyMeta, []byte{3, 3, en | headTime, 5, en | headTime, 5, en}), 1, "f: event 1: chunk at event 0 declares 3 bytes, its records run past them"},
		{"chunk bytes used up, a chunk after", craft(3, 3, emptyMeta, []byte{2, 2, en | headTime, 5, 1, 1, en}), 1, "f: event 1: truncated chunk: 1 of its events missing"},
		{"chunk records shorter", craft(3, 2, emptyMeta, []byte{1, 2, en, 1, 1, en}), 1, "f: event 0: chunk of 1 events declares 2 bytes, its records take 1"},
		{"error in second chunk", craft(3, 3, emptyMeta, []byte{2, 2, en, en, 1, 1, 31}), 2, "f: event 2: unknown op 31"},
		{"chunk cut short, past the count", craft(3, 3, emptyMeta, []byte{4, 4, en | headTime, 5, en | headTime, 5}), 2, "f: event 2: truncated chunk: 2 of its events missing"},
		{"chunks beyond count", craft(3, 1, emptyMeta, []byte{1, 1, en, 1, 1, en}), 1, "f: event 1: more events than the 1 the header declares"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkParallel(t, tc.in, 2)
			checkDecodeFast(t, tc.in) // decodeFast against decodeGeneral alone
			for _, mode := range []string{"bytes", "stream"} {
				var r *BinaryReader
				var err error
				if mode == "bytes" {
					r, err = NewBinaryBytesReader(tc.in, "f")
				} else {
					r, err = NewBinaryReader(bytes.NewReader(tc.in), "f")
				}
				n := 0
				if err == nil {
					n, err = readAll(r)
				}
				want := tc.want
				if mode == "stream" && tc.name == "trailing data" {
					want = "f: trailing data after the trace's " + strconv.Itoa(bodyLen) + " declared bytes"
				}
				if want == "" && err != nil {
					t.Fatalf("%s: error %v", mode, err)
				}
				if want != "" && (err == nil || !strings.HasPrefix(err.Error(), want)) {
					t.Fatalf("%s: error %v, want %s", mode, err, want)
				}
				if n != tc.events {
					t.Errorf("%s: %d events before the error, want %d", mode, n, tc.events)
				}
			}
		})
	}
}
