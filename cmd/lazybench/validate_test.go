package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// lbTrace runs the command line and returns stdout, stderr and the exit status.
func lbTrace(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := exitCode(run(args, &out, &errb), &errb)
	return out.String(), errb.String(), code
}

// traceGolden compares got with testdata/name, or rewrites it with -update.
func traceGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from testdata/%s; got:\n%s", name, got)
	}
}

func TestValidateGood(t *testing.T) {
	files, _ := filepath.Glob("../../traces/testdata/*.lmt.txt")
	if len(files) == 0 {
		t.Fatal("no traces")
	}
	out, errs, code := lbTrace(append([]string{"validate"}, files...)...)
	if code != 0 || errs != "" {
		t.Fatalf("exit %d: %s", code, errs)
	}
	traceGolden(t, "validate_good.golden", []byte(out))
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
		out, errs, code := lbTrace("validate", f)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", f, code)
		}
		all.WriteString("$ lazybench validate " + f + "\n" + out + errs + "exit " + strconv.Itoa(code) + "\n\n")
	}
	traceGolden(t, "validate_bad.golden", all.Bytes())
}

func TestValidateUsage(t *testing.T) {
	if _, _, code := lbTrace("validate"); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
	if _, _, code := lbTrace("validate", "--bogus", "x"); code != 2 {
		t.Errorf("bad flag: exit %d, want 2", code)
	}
	out, errs, code := lbTrace("validate", "testdata/does-not-exist.lmt")
	if code != 1 || out != "stat testdata/does-not-exist.lmt: no such file or directory\n" ||
		errs != "lazybench: invalid trace: testdata/does-not-exist.lmt\n" {
		t.Errorf("missing file: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
