package traces

import (
	"encoding/binary"
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
