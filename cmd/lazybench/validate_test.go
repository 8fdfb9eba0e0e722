package main

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"
)

func TestValidateGood(t *testing.T) {
	files, _ := filepath.Glob("../../traces/testdata/*.lmt.txt")
	if len(files) == 0 {
		t.Fatal("no traces")
	}
	out, errs, code := lb(append([]string{"validate"}, files...)...)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden.Check(t, "testdata/validate_good.golden", []byte(out))
}

// TestValidateBad runs validate on every shipped malformed file: each must
// exit 1 naming the file and line (or event), never panic.
func TestValidateBad(t *testing.T) {
	files, _ := filepath.Glob("../../traces/testdata/bad/*")
	if len(files) != 14 { // the six badBinaries and eight hand-written text files
		t.Fatalf("%d bad files, want 14", len(files))
	}
	var all bytes.Buffer
	for _, f := range files {
		out, errs, code := lb("validate", f)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", f, code)
		}
		all.WriteString("$ lazybench validate " + f + "\n" + out + errs + "exit " + strconv.Itoa(code) + "\n\n")
	}
	golden.Check(t, "testdata/validate_bad.golden", all.Bytes())
}

func TestValidateUsage(t *testing.T) {
	if _, _, code := lb("validate"); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
	if _, _, code := lb("validate", "--bogus", "x"); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
	out, errs, code := lb("validate", "testdata/does-not-exist.lmt")
	if code != 1 || out != "stat testdata/does-not-exist.lmt: no such file or directory\n" ||
		errs != "lazybench: invalid trace: testdata/does-not-exist.lmt\n" {
		t.Errorf("missing file: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestValidateMaxDecompressed: a .lmt.zst trace that decompresses past
// --max-decompressed fails with exit 1 naming the file and the flag; raising
// the flag lets it through, and the bound does not carry over to the next
// run (issue 20, item 10).
func TestValidateMaxDecompressed(t *testing.T) {
	zst := filepath.Join(t.TempDir(), "mix.lmt.zst")
	if _, errs, code := lb("convert", "../../corpus/mix.lmt", zst); code != 0 {
		t.Fatalf("convert: %s", errs)
	}
	out, _, code := lb("validate", "--max-decompressed", "100K", zst)
	if want := zst + ": read: the trace decompresses to more than 102400 bytes (raise the bound with --max-decompressed)\n"; code != 1 || out != want {
		t.Errorf("exit %d, output %q; want 1, %q", code, out, want)
	}
	for _, args := range [][]string{{"validate", "--max-decompressed", "1M", zst}, {"validate", zst}} {
		if out, errs, code := lb(args...); code != 0 || out != zst+": ok, 33120 events\n" {
			t.Errorf("%v: exit %d, %q %q", args, code, out, errs)
		}
	}
	if _, errs, code := lb("validate", "--max-decompressed", "0", zst); code != 2 || !strings.Contains(errs, "want a byte count") {
		t.Errorf("--max-decompressed 0: exit %d, %q", code, errs)
	}
}
