package traces

import (
	"bytes"
	"os"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"
)

func TestBinaryRoundTrip(t *testing.T) {
	for _, f := range goldenTexts(t) {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bin := copyTo(t, text, f, FormatBinary)
		if Detect(bin) != FormatBinary {
			t.Fatalf("%s: binary output not detected as binary", f)
		}
		back := copyTo(t, bin, f+".lmt", FormatText)
		if !bytes.Equal(back, text) {
			t.Errorf("%s: text -> binary -> text differs:\n%s", f, diffLines(string(text), string(back)))
		}
		zst := copyTo(t, bin, f+".lmt", FormatZstd)
		if Detect(zst) != FormatZstd {
			t.Fatalf("%s: zstd output not detected as zstd", f)
		}
		bin2 := copyTo(t, zst, f+".lmt.zst", FormatBinary)
		if !bytes.Equal(bin2, bin) {
			t.Errorf("%s: binary -> zstd -> binary differs (%d vs %d bytes)", f, len(bin2), len(bin))
		}
		// From memory, the binary reader must give the same events as the text one.
		br, err := NewBytesReader(bin, f)
		if err != nil {
			t.Fatal(err)
		}
		tr := NewTextReader(bytes.NewReader(text), f)
		i := 0
		for tr.Next() {
			if !br.Next() {
				t.Fatalf("%s: binary reader ended at event %d: %v", f, i, br.Err())
			}
			if *br.Event() != *tr.Event() {
				t.Fatalf("%s: event %d: binary %+v, text %+v", f, i, *br.Event(), *tr.Event())
			}
			i++
		}
		if br.Next() || br.Err() != nil || tr.Err() != nil {
			t.Fatalf("%s: ends differ: %v %v", f, br.Err(), tr.Err())
		}
		if br.Meta() != tr.Meta() {
			t.Errorf("%s: meta %+v vs %+v", f, br.Meta(), tr.Meta())
		}
	}
}

func TestBinaryWriterRefuses(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewBinaryWriter(&buf, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		e    Event
		want string
	}{
		{Event{Op: NumOps}, "traces: write: invalid op 18"},
		{Event{Op: OpEnable, CPU: MaxCPUs}, "traces: write: cpu 4096 out of range (max 4095)"},
		{Event{Op: OpSet, Nr: 1, Shift: 64}, "traces: write: shift 64 out of range (max 63)"},
		{Event{Op: OpEnable, Site: 5}, "traces: write: string index beyond table of 1"},
	} {
		if err := w.Write(&tc.e); err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v, want %s", tc.e, err, tc.want)
		}
	}
	w.AddString(string(make([]byte, MaxStringLen+1)))
	if err := w.Close(); err == nil || err.Error() != "traces: string of 1025 bytes too long (max 1024)" {
		t.Errorf("close with a long string: %v", err)
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written by a failed writer", buf.Len())
	}
}

// TestBinaryTimeBack: time going back on a CPU is stored (absolute time) and
// read back unchanged; validation, not decoding, reports it.
func TestBinaryTimeBack(t *testing.T) {
	text := "lazymmu-trace v1\n100 0 1 enable\n50 0 1 disable\n60 1 2 enable\n0 1 2 disable\n"
	bin := copyTo(t, []byte(text), "t", FormatBinary)
	if got := copyTo(t, bin, "b", FormatText); string(got) != text {
		t.Errorf("got\n%s", got)
	}
}

// TestBinaryManyCPUs exercises the decoder's cpu paths: one-byte cpus
// selected without a branch, two-byte cpus, cpus seen for the first time.
func TestBinaryManyCPUs(t *testing.T) {
	var evs []Event
	strs := []string{"", "s"}
	cpus := []uint32{0, 1, 0, 127, 128, 1, 300, 300, 2, 4095, 0, 128, 5}
	for i := 0; i < 2000; i++ {
		e := Defaults(OpSet)
		e.CPU = cpus[(i*7+i/13)%len(cpus)]
		e.PID = 100 + e.CPU
		e.Time = uint64(i) * 40
		e.Addr = 0x1000 * uint64(i%300)
		if i%5 == 0 {
			e.Site = 1
		}
		evs = append(evs, e)
	}
	bin := encode(t, evs, strs, FormatBinary)
	for _, mode := range []string{"bytes", "stream"} {
		var r Reader
		var err error
		if mode == "bytes" {
			r, err = NewBytesReader(bin, "m")
		} else {
			r, err = NewReader(bytes.NewReader(bin), "m")
		}
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := events(r)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(evs) {
			t.Fatalf("%s: %d events, want %d", mode, len(got), len(evs))
		}
		for i := range got {
			if got[i] != evs[i] {
				t.Fatalf("%s: event %d: %+v, want %+v", mode, i, got[i], evs[i])
			}
		}
	}
}

// TestBinaryVersion1 checks that version 1 files still read: every golden
// trace written in version 1 reads back as the same events as in version 2,
// and the checked-in version 1 file of all_ops (written by the version 1
// writer; regenerate with -update) reads back to the golden text.
func TestBinaryVersion1(t *testing.T) {
	for _, f := range goldenTexts(t) {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := NewTextReader(bytes.NewReader(text), f)
		var v1 bytes.Buffer
		w, err := newBinaryWriterVersion(&v1, r.Meta(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Copy(w, r); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if v := v1.Bytes()[8]; v != 1 {
			t.Fatalf("version %d written", v)
		}
		if got := copyTo(t, v1.Bytes(), f+".v1", FormatText); !bytes.Equal(got, text) {
			t.Errorf("%s: text -> binary v1 -> text differs:\n%s", f, diffLines(string(text), string(got)))
		}
		v2 := copyTo(t, text, f, FormatBinary)
		if v2[8] != BinaryVersion {
			t.Fatalf("version %d written by default", v2[8])
		}
		if len(v2) > v1.Len() {
			t.Logf("%s: version 2 is %d bytes, version 1 %d", f, len(v2), v1.Len())
		}
		if f == "testdata/all_ops.lmt.txt" {
			path := "testdata/all_ops.v1.lmt"
			if golden.Updating() {
				if err := os.WriteFile(path, v1.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			old, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := copyTo(t, old, path, FormatText); !bytes.Equal(got, text) {
				t.Errorf("%s does not read back to %s", path, f)
			}
		}
	}
}
