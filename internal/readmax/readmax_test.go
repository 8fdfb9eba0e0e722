package readmax_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/lazybench/lazybench/internal/readmax"
	"github.com/lazybench/lazybench/record"
)

func TestFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("12345"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := readmax.File(p, 5, nil); err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q, %v", b, err)
	}
	if b, err := readmax.File(p, 4, nil); err == nil || err.Error() != p+": larger than 4 bytes" || b != nil {
		t.Errorf("over the limit: %q, %v", b, err)
	}
	if _, err := readmax.File(filepath.Dir(p), 4, nil); err == nil || !strings.Contains(err.Error(), filepath.Dir(p)) {
		t.Errorf("a directory: %v", err)
	}
}

// TestStreamSniffed: a stream that starts with the ELF magic is still read
// whole (the refusal of /dev/zero is tested by the record command).
func TestStreamSniffed(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err == nil {
			f.Write([]byte("\x7fELF-not-really"))
			f.Close()
		}
	}()
	b, err := readmax.File(fifo, 1<<20, record.SniffImage)
	if err != nil || string(b) != "\x7fELF-not-really" {
		t.Errorf("FIFO: %q, %v", b, err)
	}
}
