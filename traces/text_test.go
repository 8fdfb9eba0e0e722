package traces

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// goldenTexts returns the canonical text traces of testdata.
func goldenTexts(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.lmt.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden traces: %v", err)
	}
	return files
}

// copyTo reads the trace data and writes it in format f.
func copyTo(t testing.TB, data []byte, name string, f Format) []byte {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out bytes.Buffer
	w, err := NewWriter(&out, f, r.Meta())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if _, err := Copy(w, r); err != nil {
		t.Fatalf("%s: copy: %v", name, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("%s: close: %v", name, err)
	}
	return out.Bytes()
}

func TestTextRoundTrip(t *testing.T) {
	for _, f := range goldenTexts(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got := copyTo(t, data, f, FormatText)
		if !bytes.Equal(got, data) {
			t.Errorf("%s: text -> text differs:\n%s", f, diffLines(string(data), string(got)))
		}
	}
}

// diffLines shows the first differing line of two texts.
func diffLines(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\nwant " + w + "\ngot  " + g
		}
	}
	return "(same lines)"
}

func TestTextWriterRefuses(t *testing.T) {
	var buf bytes.Buffer
	if _, err := NewTextWriter(&buf, Meta{Kernel: "a\nb"}); err == nil || err.Error() != "traces: metadata kernel: contains a line break" {
		t.Errorf("meta with newline: %v", err)
	}
	w, err := NewTextWriter(&buf, Meta{})
	if err != nil {
		t.Fatal(err)
	}
	e := Defaults(OpEnable)
	e.Site = w.AddString("two words")
	if err := w.Write(&e); err == nil || err.Error() != `traces: write: enable: site="two words" cannot be written (empty, spaces or longer than 1024 bytes)` {
		t.Errorf("site with a space: %v", err)
	}
	e.Site = 99
	if err := w.Write(&e); err == nil || err.Error() != "traces: write: enable: string index 99 for site beyond table of 2" {
		t.Errorf("bad index: %v", err)
	}
	m := Defaults(OpMark)
	if err := w.Write(&m); err == nil {
		t.Error("mark without a name written")
	}
	bad := Event{Op: NumOps}
	if err := w.Write(&bad); err == nil {
		t.Error("invalid op written")
	}
}
