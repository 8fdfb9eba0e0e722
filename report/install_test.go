package report

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lazybench/lazybench/corpus"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

// TestWriteRefusesForeignDir: -o DIR refuses a non-empty directory that is
// not a report, keeping what it holds, unless Force; an empty directory and
// a report are replaced (issue 20, item 7: report -o v removed v/notes).
func TestWriteRefusesForeignDir(t *testing.T) {
	base := t.TempDir()
	v := filepath.Join(base, "v")
	os.Mkdir(v, 0o755)
	os.WriteFile(filepath.Join(v, "notes"), []byte("keep"), 0o644)
	err := Write(Options{Dir: v})
	if err == nil || !strings.Contains(err.Error(), "is not empty and is not a lazybench report (no .lazybench-report)") {
		t.Fatalf("err %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(v, "notes")); string(b) != "keep" {
		t.Fatalf("notes changed to %q", b)
	}
	if got := names(t, base); !slices.Equal(got, []string{"v"}) {
		t.Errorf("parent holds %v", got)
	}
	for _, tc := range []struct {
		setup func(dir string)
		force bool
		ok    bool
	}{
		{func(dir string) {}, false, true},                                                                     // missing
		{func(dir string) { os.Mkdir(dir, 0o755) }, false, true},                                               // empty
		{func(dir string) { os.Mkdir(dir, 0o755); os.WriteFile(dir+"/"+MarkerFile, nil, 0o644) }, false, true}, // a report
		{func(dir string) { os.Mkdir(dir, 0o755); os.WriteFile(dir+"/x", nil, 0o644) }, false, false},
		{func(dir string) { os.Mkdir(dir, 0o755); os.WriteFile(dir+"/x", nil, 0o644) }, true, true},
		{func(dir string) { os.WriteFile(dir, nil, 0o644) }, true, false}, // a file, even with force
	} {
		dir := filepath.Join(t.TempDir(), "r")
		tc.setup(dir)
		if err := CheckDir(dir, tc.force); (err == nil) != tc.ok {
			t.Errorf("CheckDir after setup %d, force %v: %v", len(names(t, filepath.Dir(dir))), tc.force, err)
		}
	}
}

// TestInstallExchanges: an existing report is exchanged with the new one in
// one step: the directory holds the new content, the old one is gone, and
// no temporary remains.
func TestInstallExchanges(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "r")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "old"), nil, 0o644)
	tmp, err := makeTemp(dir)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(tmp, "new"), nil, 0o644)
	if err := install(tmp, dir); err != nil {
		t.Fatal(err)
	}
	if got := names(t, dir); !slices.Equal(got, []string{MarkerFile, "new"}) {
		t.Errorf("report holds %v", got)
	}
	if got := names(t, base); !slices.Equal(got, []string{"r"}) {
		t.Errorf("parent holds %v", got)
	}
	if err := exchange(filepath.Join(base, "r"), filepath.Join(base, "none")); err == nil {
		t.Error("exchange with a missing directory succeeded")
	}
}

// TestInstallNeverMissing: while reports are installed again and again, a
// reader never finds the directory missing (issue 20, item 8: the swap was
// two renames with a moment without it; a kill there left only the hidden
// old copy).
func TestInstallNeverMissing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r")
	os.Mkdir(dir, 0o755)
	stop := make(chan struct{})
	missing := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				missing <- n
				return
			default:
			}
			if _, err := os.Stat(dir); err != nil {
				n++
			}
		}
	}()
	for range 300 {
		tmp, err := makeTemp(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := install(tmp, dir); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if n := <-missing; n != 0 {
		t.Errorf("the report directory was missing %d times", n)
	}
}

// TestInstallConcurrent: runs that finish together into a directory that
// does not exist yet all succeed and leave no temporary (issue 20, item 8:
// one failed with "file exists" and left its 10 MB temporary).
func TestInstallConcurrent(t *testing.T) {
	for range 20 {
		base := t.TempDir()
		dir := filepath.Join(base, "r")
		var tmps []string
		for range 4 {
			tmp, err := makeTemp(dir)
			if err != nil {
				t.Fatal(err)
			}
			tmps = append(tmps, tmp)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(tmps))
		for i, tmp := range tmps {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = install(tmp, dir) }()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := names(t, base); !slices.Equal(got, []string{"r"}) {
			t.Fatalf("parent holds %v", got)
		}
	}
}

// TestWriteRemovesStaleAndPanicTemps: a run removes the temporaries of runs
// whose process is gone (killed), keeps a running one's, and its own
// temporary goes even when the build panics (issue 20, items 1 and 8).
func TestWriteRemovesStaleAndPanicTemps(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "r")
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := fmt.Sprintf(".r.tmp%d-1", cmd.Process.Pid)
	live := fmt.Sprintf(".r.tmp%d-1", os.Getppid())
	for _, n := range []string{dead, dead + ".old", live} {
		os.MkdirAll(filepath.Join(base, n, "sub"), 0o755)
	}
	func() {
		defer func() {
			if r := recover(); r == nil {
				t.Error("no panic")
			}
		}()
		Write(Options{Dir: dir, Traces: corpus.Names()[:1], Jobs: 1, SpeedSizes: []int{2000}, SpeedReps: 1,
			KpkeysMapPages: 2048, Progress: panicWriter{}})
	}()
	if got := names(t, base); !slices.Equal(got, []string{live}) {
		t.Errorf("parent holds %v, want only %s", got, live)
	}
}

// panicWriter panics on the first progress line (written by the goroutine
// that called Write).
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("boom") }
