package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// matrix returns an engine for every registered arch and strategy.
func matrix(t *testing.T) []*Engine {
	var es []*Engine
	for _, a := range arch.Names() {
		for _, s := range lazymmu.Strategies() {
			e, err := New(Config{Arch: a, Strategy: s, KeepDists: true})
			if err != nil {
				t.Fatal(err)
			}
			es = append(es, e)
		}
	}
	return es
}

// binaryTrace encodes evs as a binary trace and returns a reader of it that
// hands out blocks.
func binaryTrace(t *testing.T, evs []traces.Event) *traces.BinaryReader {
	var buf bytes.Buffer
	w, err := traces.NewBinaryWriter(&buf, traces.Meta{PageSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := traces.Copy(w, &sliceReader{ev: evs}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := traces.NewBinaryBytesReader(buf.Bytes(), "t")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRunAll checks that RunAll gives every engine of the matrix the result
// its own Run gives, to the byte of its JSON, on a trace of many batches
// (more than sharedBufs, so buffers are reused), from a reader with blocks
// and from one without, on one worker and on three.
func TestRunAll(t *testing.T) {
	smallBatches(t)
	evs := repeated(t, mixed, 10*sharedBatch/strings.Count(mixed, "\n"))
	if n := len(evs); n < (sharedBufs+1)*sharedBatch {
		t.Fatalf("%d events: not more than %d batches", n, sharedBufs)
	}
	var want [][]byte
	for _, e := range matrix(t) {
		res, err := e.Run(&sliceReader{ev: evs})
		if err != nil {
			t.Fatal(err)
		}
		j, _ := json.Marshal(res)
		want = append(want, j)
	}
	for _, workers := range []int{1, 3} {
		for name, r := range map[string]traces.Reader{"blocks": binaryTrace(t, evs), "events": &sliceReader{ev: evs}} {
			got, err := RunAll(r, matrix(t), workers)
			if err != nil {
				t.Fatalf("%s, %d workers: %v", name, workers, err)
			}
			for i, res := range got {
				if j, _ := json.Marshal(res); !bytes.Equal(j, want[i]) {
					t.Fatalf("%s, %d workers: engine %d: %s; its own Run: %s", name, workers, i, j, want[i])
				}
			}
		}
	}
}

// smallBatches makes RunAll's batches small for the test, so that a short
// trace has many.
func smallBatches(t *testing.T) {
	old := sharedBatch
	sharedBatch = 300
	t.Cleanup(func() { sharedBatch = old })
}

// errReader is a sliceReader that ends with an error.
type errReader struct{ sliceReader }

var errEnd = errors.New("bad trace")

func (r *errReader) Err() error { return errEnd }

// TestRunAllErrors checks that RunAll returns a reader's error, and an
// engine's own (an event on a cpu out of range, in the third batch of
// eight: every engine stops there and gives its batches back, so the
// decoder does not wait for them).
func TestRunAllErrors(t *testing.T) {
	smallBatches(t)
	evs := repeated(t, mixed, 10)
	if _, err := RunAll(&errReader{sliceReader{ev: evs}}, matrix(t)[:5], 2); !errors.Is(err, errEnd) {
		t.Fatalf("reader's error: got %v, want %v", err, errEnd)
	}
	evs = repeated(t, mixed, 8*sharedBatch/strings.Count(mixed, "\n"))
	evs[2*sharedBatch+5].CPU = traces.MaxCPUs
	_, err := RunAll(&sliceReader{ev: evs}, matrix(t), 2)
	if err == nil || !strings.Contains(err.Error(), "cpu 4096 out of range") {
		t.Fatalf("engine's error: got %v", err)
	}
}
