package traces

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"
)

// maxFuzzAlloc bounds the bytes the readers of one fuzz input may allocate
// (buffers of the streaming reader, strings, and for zstd input the window of
// at most 32 MiB plus block buffers, for each of the two readers
// FuzzBinaryReader opens), whatever the input declares.
const maxFuzzAlloc = 80 << 20

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// events reads r fully and returns a copy of its events with strings resolved
// into the returned table.
func events(r Reader) ([]Event, []string, error) {
	var evs []Event
	for r.Next() {
		evs = append(evs, *r.Event())
	}
	return evs, r.Strings(), r.Err()
}

// sameEvents compares events by value, resolving strings.
func sameEvents(a []Event, as []string, b []Event, bs []string) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d events vs %d", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if as[x.Site] != bs[y.Site] || as[x.Extra] != bs[y.Extra] {
			return fmt.Errorf("event %d: strings differ", i)
		}
		x.Site, x.Extra, y.Site, y.Extra = 0, 0, 0, 0
		if x != y {
			return fmt.Errorf("event %d: %+v vs %+v", i, x, y)
		}
	}
	return nil
}

// reencode writes evs (with strings strs) in format f and reads them back.
func reencode(t *testing.T, meta Meta, evs []Event, strs []string, f Format) ([]Event, []string) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, f, meta)
	if err != nil {
		t.Fatalf("writer: %v", err)
	}
	for _, s := range strs[1:] {
		w.AddString(s)
	}
	for i := range evs {
		if err := w.Write(&evs[i]); err != nil {
			t.Fatalf("write event %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	r, err := NewBytesReader(buf.Bytes(), "re")
	if err != nil {
		t.Fatalf("reread: %v", err)
	}
	evs2, strs2, err := events(r)
	if err != nil {
		t.Fatalf("reread %v: %v\n%q", f, err, buf.Bytes())
	}
	return evs2, strs2
}

// FuzzTextReader: any input reads without panic within bounded memory, and
// what reads cleanly survives text and binary round trips unchanged.
func FuzzTextReader(f *testing.F) {
	f.Add([]byte("0 0 1 set addr=0x1000\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var evs []Event
		var strs []string
		var err error
		var meta Meta
		if n := allocated(func() {
			r := NewTextReader(bytes.NewReader(data), "f")
			evs, strs, err = events(r)
			meta = r.Meta()
		}); n > maxFuzzAlloc+uint64(len(evs))*64+uint64(len(data))*4 {
			t.Fatalf("allocated %d bytes", n)
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		if checkMeta(meta) != nil {
			return // e.g. metadata with trailing spaces trimmed away
		}
		for _, fm := range []Format{FormatText, FormatBinary} {
			evs2, strs2 := reencode(t, meta, evs, strs, fm)
			if err := sameEvents(evs, strs, evs2, strs2); err != nil {
				t.Fatalf("%v round trip: %v", fm, err)
			}
		}
	})
}

// FuzzBinaryReader: any input decodes without panic within bounded memory,
// the in-memory and streaming readers agree, Parallel agrees with Next, and
// what decodes cleanly survives a binary round trip unchanged.
func FuzzBinaryReader(f *testing.F) {
	f.Add([]byte(BinaryMagic))
	f.Fuzz(fuzzBinary)
}

func fuzzBinary(t *testing.T, data []byte) {
	if Detect(data) == FormatBinary {
		checkParallel(t, data, 2)
		checkDecodeFast(t, data)
	}
	{
		var evs, evs2 []Event
		var strs, strs2 []string
		var err, err2 error
		var meta Meta
		if n := allocated(func() {
			var r Reader
			if r, err = NewBytesReader(data, "f"); err == nil {
				evs, strs, err = events(r)
				meta = r.Meta()
			}
			if r, err2 = NewReader(bytes.NewReader(data), "f"); err2 == nil {
				evs2, strs2, err2 = events(r)
			}
		}); n > maxFuzzAlloc+uint64(len(evs)+len(evs2))*64+uint64(len(data))*8 {
			t.Fatalf("allocated %d bytes", n)
		}
		if (err == nil) != (err2 == nil) {
			t.Fatalf("in memory: %v; streaming: %v", err, err2)
		}
		if err != nil {
			return
		}
		if err := sameEvents(evs, strs, evs2, strs2); err != nil {
			t.Fatalf("in memory vs streaming: %v", err)
		}
		if Detect(data) != FormatBinary || checkMeta(meta) != nil {
			return
		}
		evs3, strs3 := reencode(t, meta, evs, strs, FormatBinary)
		if err := sameEvents(evs, strs, evs3, strs3); err != nil {
			t.Fatalf("binary round trip: %v", err)
		}
	}
}

// checkDecodeFast checks that decoding data with decodeFast (and
// decodeGeneral for the records it leaves) and with decodeGeneral alone
// gives the same events, string indexes included (not sameEvents, which
// compares the strings: a table may repeat one), and the same error.
func checkDecodeFast(t *testing.T, data []byte) {
	t.Helper()
	read := func(generalOnly bool) ([]Event, error) {
		r, err := NewBinaryBytesReader(data, "f")
		if err != nil {
			return nil, err
		}
		r.generalOnly = generalOnly
		evs, _, err := events(r)
		return evs, err
	}
	evs, err := read(false)
	evs2, err2 := read(true)
	if fmt.Sprint(err) != fmt.Sprint(err2) {
		t.Fatalf("decodeFast: %v; decodeGeneral: %v", err, err2)
	}
	if len(evs) != len(evs2) {
		t.Fatalf("decodeFast: %d events; decodeGeneral: %d", len(evs), len(evs2))
	}
	for i := range evs {
		if evs[i] != evs2[i] {
			t.Fatalf("event %d: decodeFast %+v; decodeGeneral %+v", i, evs[i], evs2[i])
		}
	}
}

// FuzzValidate: validation of any text trace does not panic, and gives the
// same problems (by event index and message) on the trace converted to binary.
func FuzzValidate(f *testing.F) {
	f.Add([]byte("10 0 1 irq_exit\n5 0 1 set addr=0x1000 nr=0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Validate(NewTextReader(bytes.NewReader(data), "f"), "f")
		r := NewTextReader(bytes.NewReader(data), "f")
		evs, strs, rerr := events(r)
		if rerr != nil || checkMeta(r.Meta()) != nil {
			return
		}
		var buf bytes.Buffer
		w, _ := NewBinaryWriter(&buf, r.Meta())
		for _, s := range strs[1:] {
			w.AddString(s)
		}
		for i := range evs {
			if werr := w.Write(&evs[i]); werr != nil {
				t.Fatal(werr)
			}
		}
		if werr := w.Close(); werr != nil {
			t.Fatal(werr)
		}
		br, berr := NewBytesReader(buf.Bytes(), "f")
		if berr != nil {
			t.Fatal(berr)
		}
		_, err2 := Validate(br, "f")
		if (err == nil) != (err2 == nil) {
			t.Fatalf("text: %v; binary: %v", err, err2)
		}
		if err == nil {
			return
		}
		p1, p2 := err.(*Problems), err2.(*Problems)
		if len(p1.List) != len(p2.List) || p1.More != p2.More {
			t.Fatalf("text: %v; binary: %v", err, err2)
		}
		for i := range p1.List {
			if p1.List[i].Index != p2.List[i].Index || p1.List[i].Msg != p2.List[i].Msg {
				t.Fatalf("problem %d: text %v; binary %v", i, p1.List[i], p2.List[i])
			}
		}
	})
}

// TestFuzzSeeds checks that each fuzz target has a seed corpus checked in;
// with -update it writes the seeds from the golden and malformed traces.
func TestFuzzSeeds(t *testing.T) {
	texts, _ := filepath.Glob("testdata/*.lmt.txt")
	badTexts, _ := filepath.Glob("testdata/bad/*.lmt.txt")
	bins, _ := filepath.Glob("testdata/bad/*.lmt")
	seeds := map[string][][]byte{}
	for _, f := range append(texts, badTexts...) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seeds["FuzzTextReader"] = append(seeds["FuzzTextReader"], b)
		seeds["FuzzValidate"] = append(seeds["FuzzValidate"], b)
		if bin := copyToMaybe(b, FormatBinary); bin != nil {
			seeds["FuzzBinaryReader"] = append(seeds["FuzzBinaryReader"], bin)
			if zst := copyToMaybe(b, FormatZstd); zst != nil && len(texts) > 0 && f == texts[0] {
				seeds["FuzzBinaryReader"] = append(seeds["FuzzBinaryReader"], zst)
			}
		}
	}
	// A trace of many small chunks, for Parallel.
	if len(texts) > 0 {
		b, err := os.ReadFile(texts[0])
		if err != nil {
			t.Fatal(err)
		}
		withChunkEvents(3, func() {
			if bin := copyToMaybe(b, FormatBinary); bin != nil {
				seeds["FuzzBinaryReader"] = append(seeds["FuzzBinaryReader"], bin)
			}
		})
	}
	for _, f := range bins {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seeds["FuzzBinaryReader"] = append(seeds["FuzzBinaryReader"], b)
	}
	for target, list := range seeds {
		dir := filepath.Join("testdata", "fuzz", target)
		if golden.Updating() {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i, b := range list {
				content := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
				if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%02d", i)), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		got, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(got) < len(list) {
			t.Errorf("%s: %d seeds checked in, want at least %d (run go test -run TestFuzzSeeds -update)", dir, len(got), len(list))
		}
	}
}

// copyToMaybe converts a trace, or returns nil if it does not read cleanly.
func copyToMaybe(data []byte, f Format) []byte {
	r, err := NewReader(bytes.NewReader(data), "x")
	if err != nil {
		return nil
	}
	var out bytes.Buffer
	w, err := NewWriter(&out, f, r.Meta())
	if err != nil {
		return nil
	}
	if _, err := Copy(w, r); err != nil {
		return nil
	}
	if w.Close() != nil {
		return nil
	}
	return out.Bytes()
}
