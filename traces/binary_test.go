package traces

import (
	"bytes"
	"os"
	"testing"
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
