package main

import (
	"fmt"
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
		{[]string{"calibrate", "--arch", "x86"}, 2, `only --arch arm64 and --arch arm64-kpkeys`},
		{[]string{"calibrate", "--arch", "arm64-kpkeys", "--without", "some"}, 2, `--without "some": want unbatched or none`},
		{[]string{"calibrate", "--arch", "arm64-kpkeys", "--kernel", "6.1"}, 2, `unknown kernel "6.1"`},
		{[]string{"calibrate", "--arch", "arm64-kpkeys", "--published", badCSV}, 1, badCSV + `:1: header "pages,change_pct"`},
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

// calibrate --arch arm64-kpkeys prints the contract CSV: its header, fork,
// munmap and fix_size_alloc at every power of two from 1 to 512, published
// cells empty where the table has none; -v adds the fit to stderr; --plot
// and --write-costs write their files. A small mapping keeps it quick.
func TestCalibrateKpkeys(t *testing.T) {
	dir := t.TempDir()
	pts := filepath.Join(dir, "kp.csv")
	if err := os.WriteFile(pts, []byte("benchmark,pages,without_pct,with_pct\nfork,2048,221.39,3.35\nmunmap,2048,17.37,-0.28\nfix_size_alloc,1,15.54,12.57\nfix_size_alloc,4,39.18,9.13\nfix_size_alloc,64,83.39,-0.49\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	svg, toml := filepath.Join(dir, "k.svg"), filepath.Join(dir, "k.toml")
	out, errs, code := lb("calibrate", "--arch", "arm64-kpkeys", "--published", pts, "-v", "--plot", svg, "--write-costs", toml)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{"benchmark,pages,published_without_pct,modeled_without_pct,published_with_pct,modeled_with_pct", "fork,2048,221.39,", "munmap,2048,17.37,"}
	for p := 1; p <= 512; p *= 2 {
		cell := ","
		switch p {
		case 1:
			cell = "15.54,"
		case 4:
			cell = "39.18,"
		case 64:
			cell = "83.39,"
		}
		want = append(want, fmt.Sprintf("fix_size_alloc,%d,%s", p, cell))
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) || (i == 0 && lines[i] != w) {
			t.Errorf("line %d %q, want it to start with %q", i+1, lines[i], w)
		}
	}
	if !strings.Contains(errs, "an unmerged series") || !strings.Contains(errs, "por_write_ns") {
		t.Errorf("-v output: %s", errs)
	}
	for _, f := range []string{svg, toml} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The cost file loads, and replay takes it.
	if c, err := loadCosts(toml); err != nil || c["arm64-kpkeys"]["isb_ns"] != 10 {
		t.Errorf("cost file: %v, %v", c, err)
	}
	if _, errs, code := lb("replay", "--trace", "testdata/nested.lmt.txt", "--arch", "arm64-kpkeys", "--costs", toml); code != 0 {
		t.Errorf("replay with the fitted costs: exit %d: %s", code, errs)
	}
}
