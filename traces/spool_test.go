package traces

import (
	"bytes"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
)

func TestCRC32Combine(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	data := make([]byte, 70000)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	for _, cut := range []int{0, 1, 2, 7, 8, 31, 32, 33, 1000, 4096, 65535, 69999, 70000} {
		a, b := data[:cut], data[cut:]
		got := crc32Combine(crc32.Checksum(a, castagnoli), crc32.Checksum(b, castagnoli), int64(len(b)))
		if want := crc32.Checksum(data, castagnoli); got != want {
			t.Errorf("cut %d: combine %08x, want %08x", cut, got, want)
		}
	}
}

// withSpillAt runs f with a record buffer of n bytes.
func withSpillAt(t *testing.T, n int) {
	old := spillAt
	spillAt = n
	t.Cleanup(func() { spillAt = old })
}

// TestBinarySpoolSameBytes checks that a writer whose records go through the
// spool file writes the same bytes as one that keeps them in memory, in both
// versions, through zstd too, and leaves no file behind.
func TestBinarySpoolSameBytes(t *testing.T) {
	events, strs := synthWalkers(20000, 7)
	mem := encode(t, events, strs, FormatBinary)
	for _, n := range []int{1, 100, 4096, 1 << 16} {
		withSpillAt(t, n)
		if got := encode(t, events, strs, FormatBinary); !bytes.Equal(got, mem) {
			t.Errorf("spillAt %d: %d bytes differ from the in-memory writer's %d", n, len(got), len(mem))
		}
		// zstd frames depend on how the writes are cut; the content must not.
		gotZ := encode(t, events, strs, FormatZstd)
		zr, err := newZstdReader(bytes.NewReader(gotZ), "z")
		if err != nil {
			t.Fatal(err)
		}
		back, err := io.ReadAll(zr)
		zr.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back, mem) {
			t.Errorf("spillAt %d: zstd content differs", n)
		}
	}
	// Spool files are gone after Close, also in WriteFile's directory.
	dir := t.TempDir()
	withSpillAt(t, 64)
	path := dir + "/out.lmt"
	err := WriteFile(path, FormatUnknown, Meta{Workload: "synthetic walkers", PageSize: 4096}, func(w Writer) error {
		for _, s := range strs[1:] {
			w.AddString(s)
		}
		for i := range events {
			if err := w.Write(&events[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, mem) {
		t.Errorf("WriteFile with spool: bytes differ")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d files after WriteFile, want only the trace", len(ents))
	}
	// A writer closed after a failing destination drops its spool too.
	bw, err := NewBinaryWriter(failWriter{}, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	bw.SetSpoolDir(dir)
	for i := range 1000 {
		e := Defaults(OpSet)
		e.Addr = uint64(i) << 20
		if err := bw.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := bw.Close(); err == nil {
		t.Error("Close to a failing writer succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d files after a failed Close, want 1", len(ents))
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrShortWrite }

// writeRepeated writes n events to w, cycling over base with times shifted so
// they keep increasing, without holding the n events.
func writeRepeated(t testing.TB, w Writer, base []Event, strs []string, n int) {
	for _, s := range strs[1:] {
		w.AddString(s)
	}
	span := base[len(base)-1].Time + 1
	var e Event // one, not one per event escaping through the interface
	for i := range n {
		e = base[i%len(base)]
		e.Time += uint64(i/len(base)) * span
		if err := w.Write(&e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBinaryWriterBoundedMemory checks that writing 10 times more events
// allocates no more memory: the records go to the spool, not to a growing
// buffer. It also reads the big trace back.
func TestBinaryWriterBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 1.1 M events")
	}
	withSpillAt(t, 64<<10)
	base, strs := synthWalkers(10000, 5)
	dir := t.TempDir()
	alloc := func(n int) (uint64, []byte) {
		var out bytes.Buffer
		out.Grow(4 * n) // the output itself is not the writer's memory
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		w, err := NewBinaryWriter(&out, Meta{Workload: "repeated"})
		if err != nil {
			t.Fatal(err)
		}
		w.SetSpoolDir(dir)
		writeRepeated(t, w, base, strs, n)
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, out.Bytes()
	}
	const n = 100000
	small, _ := alloc(n)
	big, data := alloc(10 * n)
	t.Logf("allocated %d bytes for %d events, %d for %d (%d bytes of trace)", small, n, big, 10*n, len(data))
	// Both are the 64 KiB buffer (grown by append), the string table and
	// the copy buffer: well under 1 MiB, and not 10 times more.
	if big > 1<<20 || big > 2*small {
		t.Errorf("allocated %d bytes for %d events and %d for %d: not bounded", small, n, big, 10*n)
	}
	r, err := NewBinaryBytesReader(data, "big")
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	span := base[len(base)-1].Time + 1
	for r.Next() {
		want := base[i%len(base)]
		want.Time += uint64(i/len(base)) * span
		if *r.Event() != want {
			t.Fatalf("event %d: got %+v, want %+v", i, *r.Event(), want)
		}
		i++
	}
	if r.Err() != nil || i != 10*n {
		t.Fatalf("read %d of %d events: %v", i, 10*n, r.Err())
	}
}
