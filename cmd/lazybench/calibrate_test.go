package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCalibrateBadInput: usage mistakes exit 2 before any fit; a bad input
// file or an output that cannot be written exits 1 naming it, with nothing
// on stdout and no file left behind.
func TestCalibrateBadInput(t *testing.T) {
	dir := t.TempDir()
	badCSV := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(badCSV, []byte("pages,change_pct\n1,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"calibrate", "extra"}, 2, "calibrate takes no arguments"},
		{[]string{"calibrate", "--arch", "x86"}, 2, `only --arch arm64`},
		{[]string{"calibrate", "--plot", filepath.Join(dir, "c.txt")}, 2, "c.txt: want a .svg or .png file"},
		{[]string{"calibrate", "--published", badCSV}, 1, badCSV + `:2: change_pct "x"`},
		{[]string{"calibrate", "--published", filepath.Join(dir, "none.csv")}, 1, "none.csv: no such file"},
		{[]string{"calibrate", "--write-costs", filepath.Join(dir, "no", "c.toml")}, 1, "--write-costs " + filepath.Join(dir, "no", "c.toml")},
	}
	for _, tt := range tests {
		out, errs, code := lb(tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.msg) || out != "" {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want exit %d, stderr with %q, no stdout", tt.args, code, errs, out, tt.code, tt.msg)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 1 {
		t.Errorf("files left behind: %q", left)
	}
}
