package traces

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
)

// TestVarintWord checks the decoder's branch-free varint reader against
// varintSlow (the byte-at-a-time reader it replaces in the fast path) for
// every length from 1 to 10 bytes, canonical and padded (non-canonical)
// encodings, the largest values of each length, and invalid ones (no end
// within 10 bytes, a 10th byte over 1), at the offsets a record's address and
// arg take.
func TestVarintWord(t *testing.T) {
	var cases [][]byte
	for _, v := range []uint64{0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 1<<21 - 1, 1 << 21, 1<<28 - 1, 1 << 28,
		1<<35 - 1, 1 << 35, 1<<42 - 1, 1 << 42, 1<<49 - 1, 1 << 49, 1<<56 - 1, 1 << 56, 1<<63 - 1, 1<<64 - 1, 0x123456789abcdef} {
		cases = append(cases, binary.AppendUvarint(nil, v))
	}
	for n := 1; n <= 10; n++ { // 0 padded to n bytes: 0x80 ... 0x80 0x00
		b := make([]byte, n)
		for i := range n - 1 {
			b[i] = 0x80
		}
		cases = append(cases, b)
	}
	cases = append(cases,
		[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // no end in 10 bytes
		[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},       // overflows 64 bits
		[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},       // 1<<64-1
	)
	for _, c := range cases {
		for _, at := range []int{1, 3, 7, 13, 63 - len(c)} {
			var w [recordWindow]byte
			for i := range w {
				w[i] = 0xaa // continuation bytes after the varint must not matter
			}
			copy(w[at:], c)
			wantV, wantI := varintSlow(&w, at)
			gotV, gotI := varintWord(&w, at)
			if gotV != wantV || gotI != wantI {
				t.Errorf("% x at %d: varintWord = %#x, %d; varintSlow = %#x, %d", c, at, gotV, gotI, wantV, wantI)
			}
		}
	}
	// Every 1- to 8-byte varint of a value with k bits set at random
	// positions, as the fast path reads most address deltas.
	x := uint64(0x9E3779B97F4A7C15)
	for range 20000 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		v := x >> (x % 64)
		var w [recordWindow]byte
		n := copy(w[5:], binary.AppendUvarint(nil, v))
		if gotV, gotI := varintWord(&w, 5); gotV != v || gotI != 5+n {
			t.Fatalf("%#x: varintWord = %#x, %d; want %d", v, gotV, gotI, 5+n)
		}
	}
}

// TestFastPathMM checks the mm extension on decodeFast: an mm
// change round-trips at every position in long runs (records decoded in
// place) and in the last records (decoded from the padded copy), alone and
// with a cpu change, and an mm over 32 bits is the same error from
// decodeFast as from decodeGeneral.
func TestFastPathMM(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewBinaryWriter(&buf, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	var want []Event
	ops := []Op{OpSet, OpGetClear, OpModify, OpAccess}
	for i := range 3000 {
		e := Defaults(ops[i%len(ops)])
		e.Time = uint64(i) * 10
		e.CPU = uint32(i/5) % 3
		e.PID = 7
		e.MM = uint32(i/7%5) * 1000
		e.Addr = 0x7f0000000000 + uint64(i/3)<<12
		if err := w.Write(&e); err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := NewBinaryBytesReader(buf.Bytes(), "f")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r.Next() {
		if n < len(want) && *r.Event() != want[n] {
			t.Fatalf("event %d: got %+v, want %+v", n, *r.Event(), want[n])
		}
		n++
	}
	if err := r.Err(); err != nil || n != len(want) {
		t.Fatalf("%d events, error %v; want %d, nil", n, err, len(want))
	}

	for _, tc := range []struct {
		name string
		pre  []byte // records before the bad one
		rec  []byte
	}{
		{"mm (a CPU not seen yet: the general path)", nil, binary.AppendUvarint([]byte{byte(OpSet) | headExt, extMM}, 1<<32)},
		{"cpu and mm (a CPU not seen yet: the general path)", nil, binary.AppendUvarint([]byte{byte(OpSet) | headExt, extCPU | extMM, 1}, 1<<32)},
		{"mm after an enable (decodeFast)", []byte{byte(OpEnable)}, binary.AppendUvarint([]byte{byte(OpSet) | headExt, extMM}, 1<<32)},
	} {
		n := uint64(len(tc.pre)) // one-byte records
		data := craft(1, n+1, emptyMeta, append(tc.pre, tc.rec...))
		checkDecodeFast(t, data)
		_, err := readAll(mustReader(t, data))
		if want := fmt.Sprintf("f: event %d: set: mm out of range (max 4294967295)", n); err == nil || err.Error() != want {
			t.Errorf("%s: error %v, want %s", tc.name, err, want)
		}
	}
}

func mustReader(t *testing.T, b []byte) Reader {
	t.Helper()
	r, err := NewBinaryBytesReader(b, "f")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestArgLastStart: an arg starts at byte 54 at most (a switch whose cpu,
// pid, time, site and extra are varints padded to 10 bytes, with flags),
// below the 64 varintWord needs; decodeGeneral reads it right.
func TestArgLastStart(t *testing.T) {
	pad := func(v byte) []byte { return []byte{0x80 | v, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0} }
	rec := []byte{byte(OpSwitch) | headExt | headTime, extCPU | extPID | extFlags | extSite | extExtra | extExt2, ext2AbsTime}
	for _, v := range []byte{1, 5, 9} { // cpu, pid, time
		rec = append(rec, pad(v)...)
	}
	rec = append(rec, FlagMid)
	rec = append(append(rec, pad(0)...), pad(0)...) // site, extra
	if len(rec) != 54 {
		t.Fatalf("arg at byte %d, want 54", len(rec))
	}
	rec = append(rec, 0xab, 0xcd, 0x03, byte(OpEnable)) // the arg, then an enable of the next task
	data := craft(2, 2, emptyMeta, rec)
	checkDecodeFast(t, data)
	evs, _, err := events(mustReader(t, data))
	const arg = 0x2b | 0x4d<<7 | 3<<14
	if err != nil || len(evs) != 2 || evs[0].Arg != arg || evs[0].CPU != 1 || evs[1].PID != arg {
		t.Fatalf("%+v, %v; want a switch to %d, then an enable of it", evs, err, arg)
	}
}
