package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCommandUsage(t *testing.T) {
	var out, errb bytes.Buffer
	err := run([]string{"report", "extra"}, &out, &errb)
	if code := exitCode(err, io.Discard); code != 2 {
		t.Errorf("report with an argument: exit %d, want 2 (%v)", code, err)
	}
	err = run([]string{"report", "-o", filepath.Join(t.TempDir(), "r"), "-traces", "nope"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown trace: %v", err)
	}
}

// TestReportOntoFile: -o naming a file fails at once (before any replay),
// exit 1, leaving the file and its directory as they were.
func TestReportOntoFile(t *testing.T) {
	parent := t.TempDir()
	f := filepath.Join(parent, "notadir")
	if err := os.WriteFile(f, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := lb("report", "-o", f)
	if code != 1 || out != "" || errs != "lazybench: report: "+f+" exists and is not a directory\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got, _ := os.ReadFile(f); string(got) != "keep" {
		t.Errorf("file changed to %q", got)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 1 {
		t.Errorf("parent holds %d entries, want 1", len(ents))
	}
}
