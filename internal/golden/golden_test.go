package golden

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records errors instead of failing.
type recorder struct {
	testing.TB
	errs  []string
	fatal bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(f string, a ...any) {
	r.errs = append(r.errs, f)
}
func (r *recorder) Fatalf(f string, a ...any) {
	r.errs = append(r.errs, f)
	r.fatal = true
	runtime.Goexit()
}
func (r *recorder) Fatal(a ...any) { r.Fatalf("fatal") }

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "x.golden")
	for _, c := range []struct {
		name   string
		file   string // "" for none
		got    string
		update bool
		errs   int
		fatal  bool
		after  string // the file afterwards
		shows  string // in the error's format: the output, or only its size
	}{
		{"same", "abc\n", "abc\n", false, 0, false, "abc\n", ""},
		{"differs", "abc\n", "abd\n", false, 1, false, "abc\n", "got:"},
		{"missing", "", "abc\n", false, 1, true, "", ""},
		{"update writes", "abc\n", "new\n", true, 0, false, "new\n", ""},
		{"update creates", "", "new\n", true, 0, false, "new\n", ""},
		{"binary", "a", "\xff\n", false, 1, false, "a", "bytes)"},
		{"long text", "a", strings.Repeat("x", maxShown+1), false, 1, false, "a", "bytes)"},
		{"long binary", "a", strings.Repeat("\xff", maxShown+1), false, 1, false, "a", "bytes)"},
	} {
		os.RemoveAll(filepath.Join(dir, "sub"))
		if c.file != "" {
			os.MkdirAll(filepath.Dir(path), 0o755)
			os.WriteFile(path, []byte(c.file), 0o644)
		}
		*update = c.update
		r := &recorder{TB: t}
		done := make(chan struct{})
		go func() { // Fatalf ends this goroutine, as it ends a test's
			defer close(done)
			Check(r, path, []byte(c.got))
		}()
		<-done
		*update = false
		if len(r.errs) != c.errs || r.fatal != c.fatal {
			t.Errorf("%s: errors %q (fatal %v), want %d (fatal %v)", c.name, r.errs, r.fatal, c.errs, c.fatal)
		}
		if c.shows != "" && (len(r.errs) == 0 || !strings.Contains(r.errs[0], c.shows)) {
			t.Errorf("%s: errors %q, want one with %q", c.name, r.errs, c.shows)
		}
		b, _ := os.ReadFile(path)
		if string(b) != c.after {
			t.Errorf("%s: file %q afterwards, want %q", c.name, b, c.after)
		}
	}
}
