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

// TestReportOntoForeignDir: -o naming a non-empty directory that is not a
// lazybench report fails at once, exit 1, keeping its files (issue 20,
// item 7: mkdir v; echo keep > v/notes; lazybench report -o v removed
// v/notes). --force is accepted (report.CheckDir's test covers what it
// lets through).
func TestReportOntoForeignDir(t *testing.T) {
	v := filepath.Join(t.TempDir(), "v")
	os.Mkdir(v, 0o755)
	os.WriteFile(filepath.Join(v, "notes"), []byte("keep"), 0o644)
	out, errs, code := lb("report", "-o", v)
	if want := "lazybench: report: " + v + " is not empty and is not a lazybench report (no .lazybench-report); a report replaces the whole directory: pass --force to replace it anyway\n"; code != 1 || out != "" || errs != want {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got, _ := os.ReadFile(filepath.Join(v, "notes")); string(got) != "keep" {
		t.Errorf("notes changed to %q", got)
	}
	if _, errs, code := lb("report", "-o", v, "--force", "-traces", "nope"); code != 2 || !strings.Contains(errs, "nope") {
		t.Errorf("--force: exit %d, %q", code, errs)
	}
}
