package traces

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// TestDecodeAllocs: reading a trace allocates a fixed amount, whatever its
// length: a trace ten times longer allocates exactly as often.
func TestDecodeAllocs(t *testing.T) {
	type input struct{ bin, text []byte }
	var in [2]input
	var lens [2]int
	for i, n := range []int{2000, 20000} {
		events, strs := synthWalkers(n, 3)
		in[i] = input{encode(t, events, strs, FormatBinary), encode(t, events, strs, FormatText)}
		lens[i] = len(events)
	}
	tests := []struct {
		name string
		open func(in input) Reader
		max  float64
	}{
		{"binary in memory", func(in input) Reader { r, _ := NewBinaryBytesReader(in.bin, "b"); return r }, 20},
		{"binary stream", func(in input) Reader { r, _ := NewReader(bytes.NewReader(in.bin), "b"); return r }, 30},
		{"text", func(in input) Reader { return NewTextReader(bytes.NewReader(in.text), "t") }, 30},
	}
	for _, tc := range tests {
		var allocs [2]float64
		var nstr [2]int
		for i := range in {
			allocs[i] = testing.AllocsPerRun(3, func() {
				r := tc.open(in[i])
				defer func() { nstr[i] = len(r.Strings()) }()
				n := 0
				for r.Next() {
					n++
				}
				if r.Err() != nil || n != lens[i] {
					t.Fatalf("%s: %d events, %v", tc.name, n, r.Err())
				}
			})
		}
		// A text reader allocates each string the first time it meets it.
		if tc.name == "text" {
			allocs[0] -= float64(nstr[0])
			allocs[1] -= float64(nstr[1])
		}
		if allocs[0] != allocs[1] || allocs[1] > tc.max {
			t.Errorf("%s: %.0f allocations for %d events, %.0f for %d, want the same and <= %.0f", tc.name, allocs[0], lens[0], allocs[1], lens[1], tc.max)
		}
	}
	// zstd: the decoder's buffers, bounded by its window, not the trace.
	events, strs := synthWalkers(20000, 3)
	zst := encode(t, events, strs, FormatZstd)
	if n := allocated(func() {
		r, err := NewReader(bytes.NewReader(zst), "z")
		if err != nil {
			t.Fatal(err)
		}
		readAll(r)
	}); n > 16<<20 {
		t.Errorf("zstd: allocated %d bytes", n)
	}
}

// TestHostileAllocs: headers declaring huge sizes make the readers allocate
// no more than the input's own size plus fixed buffers.
func TestHostileAllocs(t *testing.T) {
	var pre []byte
	pre = append(pre, emptyMeta[:7]...)
	pre = binary.AppendUvarint(pre, MaxStrings-1) // 65535 strings...
	for i := 0; i < 100; i++ {
		pre = binary.AppendUvarint(pre, MaxStringLen) // ...of the longest length, but only 100 present
		pre = append(pre, bytes.Repeat([]byte{'s'}, MaxStringLen)...)
	}
	in := craft(1, 1<<60, pre, nil)
	binary.LittleEndian.PutUint64(in[24:], 1<<62) // and a huge length
	fixCRC(in)
	for _, mode := range []string{"bytes", "stream"} {
		var err error
		n := allocated(func() {
			if mode == "bytes" {
				_, err = NewBinaryBytesReader(in, "h")
			} else {
				_, err = NewBinaryReader(bytes.NewReader(in), "h")
			}
		})
		if err == nil {
			t.Fatalf("%s: no error", mode)
		}
		// 256 KiB stream buffer + the 100 strings + the reader.
		if n > 512<<10 {
			t.Errorf("%s: allocated %d bytes for a %d-byte input", mode, n, len(in))
		}
	}
}
