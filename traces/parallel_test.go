package traces

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// withChunkEvents runs f with the writer's chunk size set to n.
func withChunkEvents(n int, f func()) {
	old := chunkEvents
	chunkEvents = n
	defer func() { chunkEvents = old }()
	f()
}

// openBinary returns a reader of data, in memory or streaming.
func openBinary(data []byte, stream bool) (*BinaryReader, error) {
	if stream {
		return NewBinaryReader(bytes.NewReader(data), "f")
	}
	return NewBinaryBytesReader(data, "f")
}

// decodeParallel decodes data with Parallel, in memory or streaming.
func decodeParallel(data []byte, workers int, stream bool) ([]Event, error) {
	r, err := openBinary(data, stream)
	if err != nil {
		return nil, err
	}
	var evs []Event
	err = r.Parallel(workers, func(blk []Event) error {
		evs = append(evs, blk...)
		return nil
	})
	return evs, err
}

// decodeParallelNext decodes data with SetWorkers and Next, in memory.
func decodeParallelNext(data []byte, workers int) ([]Event, error) {
	r, err := NewBinaryBytesReader(data, "f")
	if err != nil {
		return nil, err
	}
	r.SetWorkers(workers)
	defer r.Close()
	var evs []Event
	for r.Next() {
		evs = append(evs, *r.Event())
	}
	return evs, r.Err()
}

// decodeSequential decodes data with Next, in memory or streaming.
func decodeSequential(data []byte, stream bool) ([]Event, error) {
	r, err := openBinary(data, stream)
	if err != nil {
		return nil, err
	}
	var evs []Event
	for r.Next() {
		evs = append(evs, *r.Event())
	}
	return evs, r.Err()
}

// checkParallel checks that Parallel decodes data as Next does, in memory and
// streaming: the same events and the same error, except about a stream that
// ends short of the header's length or goes on after it. Each reader reports
// that when its read-ahead meets the end, and the two read ahead by
// different amounts (the sequential one by its buffer, decoding ahead by
// chunks): so either may report it, or the error of a record before it, after
// a different count of events, but both report an error (fuzz seed
// b570e4f3270f1a37: the chunk's error and 1 event decoding ahead, the
// stream's and 0 events in order). A worker streaming has a chunk and the window after
// it, not the rest of the trace; it gives the same result because no decoder
// reads a record that starts past its chunk's end.
func checkParallel(t *testing.T, data []byte, workers int) {
	t.Helper()
	for _, stream := range []bool{false, true} {
		want, wantErr := decodeSequential(data, stream)
		got, err := decodeParallel(data, workers, stream)
		mode := fmt.Sprintf("workers=%d stream=%v", workers, stream)
		checkParallelResult(t, mode, stream, got, err, want, wantErr)
		if !stream && workers == 2 {
			got, err = decodeParallelNext(data, workers)
			checkParallelResult(t, mode+" Next", stream, got, err, want, wantErr)
		}
	}
}

// streamError reports whether err is about a stream that ends short of its
// header's length or goes on after it.
func streamError(err error) bool {
	return err != nil && (strings.Contains(err.Error(), ": truncated: header declares ") ||
		strings.Contains(err.Error(), ": trailing data after "))
}

// checkParallelResult compares one parallel decoding (got, err) with the
// sequential one (want, wantErr), as checkParallel says.
func checkParallelResult(t *testing.T, mode string, stream bool, got []Event, err error, want []Event, wantErr error) {
	t.Helper()
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("%s: error %v, Next's %v", mode, err, wantErr)
	}
	// A stream-level error may come first in either: see checkParallel.
	if !stream || !streamError(err) && !streamError(wantErr) {
		if err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("%s: error %q, Next's %q", mode, err, wantErr)
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d events, Next %d (error %v)", mode, len(got), len(want), err)
		}
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: event %d: %+v, Next %+v", mode, i, got[i], want[i])
		}
	}
}

func TestParallel(t *testing.T) {
	events, strs := synthWalkers(20000, 3)
	var small, dflt []byte
	withChunkEvents(97, func() { small = encode(t, events, strs, FormatBinary) })
	dflt = encode(t, events, strs, FormatBinary)
	for _, workers := range []int{1, 2, 3, 8} {
		for _, data := range [][]byte{small, dflt} {
			checkParallel(t, data, workers)
			got, err := decodeParallel(data, workers, false)
			if err != nil || len(got) != len(events) {
				t.Fatalf("workers=%d: %d of %d events: %v", workers, len(got), len(events), err)
			}
			for i := range got {
				if got[i] != events[i] {
					t.Fatalf("workers=%d: event %d: %+v, want %+v", workers, i, got[i], events[i])
				}
			}
		}
	}
	// The corpus, older versions among it.
	files, _ := filepath.Glob("../corpus/*.lmt")
	files = append(files, "testdata/all_ops.v1.lmt")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkParallel(t, data, 2)
	}
}

// TestParallelCorrupt flips, cuts and overwrites bytes all over a trace of
// many small chunks: Parallel reports what Next reports, after the same events.
func TestParallelCorrupt(t *testing.T) {
	events, strs := synthWalkers(3000, 5)
	var data []byte
	withChunkEvents(50, func() { data = encode(t, events, strs, FormatBinary) })
	for pos := binaryHeaderLen; pos < len(data); pos += 59 {
		for _, mut := range []func([]byte) []byte{
			func(b []byte) []byte { b[pos] ^= 0x81; fixCRC(b); return b },
			func(b []byte) []byte { b[pos] = 0; fixCRC(b); return b },
			func(b []byte) []byte { b[pos] = 0xff; fixCRC(b); return b },
			func(b []byte) []byte { b[pos] ^= 1; return b }, // checksum mismatch
		} {
			checkParallel(t, mut(bytes.Clone(data)), 3)
		}
	}
	// Cut: the declared length no longer matches.
	for _, n := range []int{binaryHeaderLen + 40, len(data) / 2, len(data) - 1} {
		checkParallel(t, data[:n], 2)
	}
}

func TestParallelStops(t *testing.T) {
	events, strs := synthWalkers(10000, 7)
	var data []byte
	withChunkEvents(100, func() { data = encode(t, events, strs, FormatBinary) })
	before := runtime.NumGoroutine()
	stop := errors.New("stop")
	for _, stream := range []bool{false, true} {
		r, _ := openBinary(data, stream)
		seen := 0
		err := r.Parallel(4, func(blk []Event) error {
			if len(blk) != 100 || blk[0] != events[seen] {
				t.Fatalf("block of %d at %d: %+v, want 100 from %+v", len(blk), seen, blk[0], events[seen])
			}
			seen += len(blk)
			if seen == 3000 {
				return stop
			}
			return nil
		})
		if err != stop || seen != 3000 {
			t.Fatalf("stream=%v: error %v after %d events, want stop after 3000", stream, err, seen)
		}
	}
	// The workers have ended (allow the runtime a moment to reap them).
	for i := 0; runtime.NumGoroutine() > before && i < 100; i++ {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Parallel returned, %d before", n, before)
	}
}

// TestParallelAllocs checks that Parallel's allocations do not grow with the
// trace: they are per worker and per chunk slot, not per event or chunk.
func TestParallelAllocs(t *testing.T) {
	allocs := func(n int) float64 {
		events, strs := synthWalkers(n, 1)
		data := encode(t, events, strs, FormatBinary)
		return testing.AllocsPerRun(5, func() {
			r, err := NewBinaryBytesReader(data, "f")
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Parallel(2, func([]Event) error { return nil }); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(20000), allocs(200000)
	if large > small+2 {
		t.Errorf("%v allocations for 200k events, %v for 20k", large, small)
	}
}

// TestParallelDropped checks that the helpers of a reader dropped without
// Close (and not read to the end) end once it is collected.
func TestParallelDropped(t *testing.T) {
	events, strs := synthWalkers(20000, 9)
	data := encode(t, events, strs, FormatBinary)
	before := runtime.NumGoroutine()
	func() {
		r, err := NewBinaryBytesReader(data, "f")
		if err != nil {
			t.Fatal(err)
		}
		if !r.SetWorkers(4) {
			t.Fatal("SetWorkers(4) on a version 3 trace: not parallel")
		}
		if !r.Next() || *r.Event() != events[0] {
			t.Fatal("first event")
		}
	}()
	for i := 0; runtime.NumGoroutine() > before && i < 200; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the reader was dropped, %d before", n, before)
	}
}

// TestSetWorkersRefuses: versions 1 and 2, and a reader inside a chunk, stay
// sequential.
func TestSetWorkersRefuses(t *testing.T) {
	v1, err := os.ReadFile("testdata/all_ops.v1.lmt")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewBinaryBytesReader(v1, "v1")
	if err != nil {
		t.Fatal(err)
	}
	if r.SetWorkers(2) {
		t.Error("parallel on version 1")
	}
	events, strs := synthWalkers(5000, 9)
	data := encode(t, events, strs, FormatBinary)
	r, _ = NewBinaryBytesReader(data, "f")
	r.Next()
	if r.SetWorkers(2) {
		t.Error("parallel inside a chunk")
	}
	if r2, _ := NewBinaryBytesReader(data, "f"); r2.SetWorkers(1) {
		t.Error("parallel with one worker")
	}
	n := 1
	for r.Next() {
		n++
	}
	if n != len(events) || r.Err() != nil {
		t.Errorf("%d of %d events: %v", n, len(events), r.Err())
	}
}

// TestSetWorkersZstd: a zstd-compressed version 3 trace decodes ahead
// through traces.SetWorkers, and Close on the outer reader ends the helpers.
func TestSetWorkersZstd(t *testing.T) {
	events, strs := synthWalkers(20000, 11)
	data := encode(t, events, strs, FormatZstd)
	before := runtime.NumGoroutine()
	r, err := NewReader(bytes.NewReader(data), "z")
	if err != nil {
		t.Fatal(err)
	}
	if !SetWorkers(r, 3) {
		t.Fatal("zstd trace not parallel")
	}
	for i := 0; i < 5000; i++ {
		if !r.Next() || *r.Event() != events[i] {
			t.Fatalf("event %d: %+v, want %+v (%v)", i, *r.Event(), events[i], r.Err())
		}
	}
	if err := r.(io.Closer).Close(); err != nil {
		t.Fatal(err)
	}
	// A helper that has called wg.Done (so Close returned) may still be
	// counted for a moment while it exits; one left running stays counted.
	for i := 0; runtime.NumGoroutine() > before && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before", n, before)
	}
}

// TestParallelChunkShort declares the first chunk's length shorter than its
// records by more than the window a worker streaming has past the chunk:
// every decoder stops at the record that runs past the declared end, so
// Parallel streaming reports what Next reports. Before, Next read on into the
// next chunk's bytes and the worker met the end of its copy: 2048 events and
// "event 0: ... declares 6757 bytes, its records take 7141" against 1977
// events and "event 1977: getclear: truncated record".
func TestParallelChunkShort(t *testing.T) {
	events, strs := synthWalkers(6000, 2)
	data := encode(t, events, strs, FormatBinary)
	r, err := NewBinaryBytesReader(data, "f")
	if err != nil {
		t.Fatal(err)
	}
	off := binaryHeaderLen + int(r.pos()) // the first chunk's head
	n, p := uvarint(data, off)
	l, q := uvarint(data, p)
	short := l - 3*recordWindow
	if n != uint64(chunkEvents) || binary.PutUvarint(make([]byte, 10), short) != q-p {
		t.Fatalf("first chunk: %d events in %d bytes (%d-byte length)", n, l, q-p)
	}
	binary.PutUvarint(data[p:q], short)
	fixCRC(data)
	for _, stream := range []bool{false, true} {
		_, err := decodeSequential(data, stream)
		if want := fmt.Sprintf("chunk at event 0 declares %d bytes, its records run past them", short); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("stream=%v: %v, want %q", stream, err, want)
		}
	}
	checkParallel(t, data, 2)
	checkParallel(t, data, 3)

	// The first chunk declares one event more than its bytes hold: the
	// run must stop at the chunk's end (a run that saw recordWindow bytes
	// past it, not recordWindow-1, decoded the next chunk's head as event
	// 2048, "unknown op 0", in memory decoding ahead).
	data = encode(t, events, strs, FormatBinary)
	binary.PutUvarint(data[off:p], n+1)
	fixCRC(data)
	if _, err := decodeSequential(data, false); err == nil || !strings.HasSuffix(err.Error(), "event 2048: truncated chunk: 1 of its events missing") {
		t.Fatalf("a chunk one event short: %v", err)
	}
	checkParallel(t, data, 2)
	checkParallel(t, data, 3)
}

// TestParallelStreamEnd streams a trace with a byte of trailing data and
// decodes it ahead: the reader reports the trailing byte when the window
// after the last chunk meets it, and hands out every event of the chunks it
// has read whole before the error.
func TestParallelStreamEnd(t *testing.T) {
	events, strs := synthWalkers(6000, 2)
	data := append(encode(t, events, strs, FormatBinary), 0)
	got, err := decodeParallel(data, 2, true)
	if err == nil || !strings.Contains(err.Error(), "trailing data after the trace") || len(got) != len(events) {
		t.Fatalf("%d of %d events, then %v", len(got), len(events), err)
	}
	for i := range got {
		if got[i] != events[i] {
			t.Fatalf("event %d: %+v, want %+v", i, got[i], events[i])
		}
	}
}
