package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestWriteReplacesWhole(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.txt")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "new" {
		t.Fatalf("got %q, want %q", b, "new")
	}
}

func TestWriteFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error { io.WriteString(w, "half"); return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != "old" {
		t.Fatalf("file changed to %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary file left behind: %v", ents)
	}
}

// TestWriteMissingDirNamesPath: the error names the file asked for (not the
// temporary file) and is still fs.ErrNotExist.
func TestWriteMissingDirNamesPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nodir", "out.txt")
	err := Write(p, func(w io.Writer) error { return nil })
	if want := "create " + p + ": no such file or directory"; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err %v is not os.ErrNotExist", err)
	}
}

func writeString(s string) func(w io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// TestWriteDeviceThrough: a device node is written through, never replaced
// by a regular file (issue 20, item 6: convert to a char device made it a
// file; as root against /dev/null it would replace the system's).
func TestWriteDeviceThrough(t *testing.T) {
	p := filepath.Join(t.TempDir(), "null")
	if err := unix.Mknod(p, unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
		t.Skipf("mknod: %v (needs root)", err)
	}
	if err := Write(p, writeString("gone")); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&fs.ModeCharDevice == 0 {
		t.Fatalf("after Write: %v, mode %v; want a char device", err, fi.Mode())
	}
}

// TestWriteFIFOThrough: a FIFO stays a FIFO and its reader gets the bytes.
func TestWriteFIFOThrough(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(p, 0o644); err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		b, _ := os.ReadFile(p)
		got <- string(b)
	}()
	if err := Write(p, writeString("through")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "through" {
		t.Errorf("reader got %q", s)
	}
	if fi, err := os.Lstat(p); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Fatalf("after Write: %v, mode %v; want a FIFO", err, fi.Mode())
	}
}

// TestWriteSymlink: a link to a file stays a link and the file is replaced;
// a link to nothing and a directory are errors that change nothing.
func TestWriteSymlink(t *testing.T) {
	dir := t.TempDir()
	file, link := filepath.Join(dir, "file"), filepath.Join(dir, "link")
	os.WriteFile(file, []byte("old"), 0o644)
	os.Symlink("file", link)
	if err := Write(link, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("link replaced by %v", fi.Mode())
	}
	if b, _ := os.ReadFile(file); string(b) != "new" {
		t.Errorf("file holds %q", b)
	}
	dangling := filepath.Join(dir, "dangling")
	os.Symlink("nowhere", dangling)
	if err := Write(dangling, writeString("x")); err == nil || !strings.Contains(err.Error(), "symlink to a file that does not exist") {
		t.Errorf("dangling link: err %v", err)
	}
	if err := Write(dir, writeString("x")); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("directory: err %v, want EISDIR", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Errorf("directory holds %d entries, want 3 (file, link, dangling)", len(ents))
	}
}

// TestWriteStdoutAppends: /proc/self/fd/N reached through a symlink is
// written through, appending to the file the descriptor has open (as a
// shell's >> would); replacing it would leave the descriptor on the old file.
func TestWriteStdoutAppends(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("a")
	link := filepath.Join(dir, "stdout")
	os.Symlink(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), link)
	if err := Write(link, writeString("b")); err != nil {
		t.Fatal(err)
	}
	f.WriteString("c")
	if b, _ := os.ReadFile(out); string(b) != "abc" {
		t.Errorf("file holds %q, want abc", b)
	}
}

// TestWritePanicRemovesTemp: a panicking fill leaves no temporary (issue
// 20, item 1: the clean-up ran only on a returned error).
func TestWritePanicRemovesTemp(t *testing.T) {
	dir := t.TempDir()
	func() {
		defer func() { recover() }()
		Write(filepath.Join(dir, "out"), func(w io.Writer) error { io.WriteString(w, "half"); panic("boom") })
	}()
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

// TestRemoveStale: temporaries carry the process id; a later Write removes
// those of a process that is gone and keeps those of running ones and
// anything else (issue 20, item 8: killed runs left temporaries no later run
// cleaned up).
func TestRemoveStale(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	gone, live := cmd.Process.Pid, os.Getppid()
	keep := []string{
		fmt.Sprintf(".out.tmp%d-123", live),
		fmt.Sprintf(".other.tmp%d-1", gone),
		fmt.Sprintf(".out.tmp%dx-1", gone),
		".out.tmp-1", "out",
	}
	for _, n := range append(keep, fmt.Sprintf(".out.tmp%d-99", gone)) {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, fmt.Sprintf(".out.tmp%d-7", gone)), 0o755)
	if err := Write(filepath.Join(dir, "out"), writeString("x")); err != nil {
		t.Fatal(err)
	}
	var got []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		got = append(got, e.Name())
	}
	slices.Sort(got)
	slices.Sort(keep)
	if !slices.Equal(got, keep) {
		t.Errorf("left %v, want %v", got, keep)
	}
}

// TestTempNameCarriesPID: the temporary Write creates is named with this
// process's id.
func TestTempNameCarriesPID(t *testing.T) {
	dir := t.TempDir()
	var seen []string
	Write(filepath.Join(dir, "out"), func(w io.Writer) error {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			seen = append(seen, e.Name())
		}
		return nil
	})
	if want := fmt.Sprintf(".out.tmp%d-", os.Getpid()); len(seen) != 1 || !strings.HasPrefix(seen[0], want) {
		t.Errorf("temporaries %v, want one named %s*", seen, want)
	}
}
