package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/corpus"
)

// TestRecordCorpus adds a recorded entry to a manifest next to a generated
// one, replaces it on a second run, and refuses to replace a generated entry.
func TestRecordCorpus(t *testing.T) {
	dir := t.TempDir()
	trace := "lazymmu-trace v1\n0 0 7 enable\n10 0 7 set addr=1000\n20 0 7 disable\n"
	if err := os.WriteFile(filepath.Join(dir, "recorded_x.lmt.txt"), []byte(trace), 0o644); err != nil {
		t.Fatal(err)
	}
	manifest := `{"version": 1, "entries": [{"name": "fork", "file": "fork.lmt", "kind": "generated", "workload": "fork", "seed": 1, "events": 3, "bytes": 3, "sha256": "00"}]}`
	if err := os.WriteFile(filepath.Join(dir, corpus.ManifestFile), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"record", "corpus", "--dir", dir, "--name", "recorded_x", "--file", "recorded_x.lmt.txt",
		"--kernel", "6.1.0-56-amd64", "--qemu", "QEMU 7.2", "--probes", "lazy_enter=14 pte_set=102",
		"--param", "mib=1", "--date", "2026-01-01T00:00:00Z", "--command", "make record", "--workload", "w"}
	for round := 0; round < 2; round++ {
		var stdout, stderr bytes.Buffer
		if err := run(args, &stdout, &stderr); err != nil {
			t.Fatalf("round %d: %v\n%s", round, err, stderr.String())
		}
	}
	idx, err := corpus.ParseManifest(os.DirFS(dir), corpus.ManifestFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Entries) != 2 || idx.Entries[0].Name != "fork" || idx.Entries[1].Name != "recorded_x" {
		t.Fatalf("entries %+v", idx.Entries)
	}
	e := idx.Entries[1]
	if e.Kind != corpus.KindRecorded || e.Events != 3 || e.Bytes != int64(len(trace)) || e.Kernel != "6.1.0-56-amd64" ||
		strings.Join(e.Probes, ",") != "lazy_enter=14,pte_set=102" || e.Params["mib"] != 1 || len(e.SHA256) != 64 {
		t.Errorf("entry %+v", e)
	}

	var stdout, stderr bytes.Buffer
	err = run([]string{"record", "corpus", "--dir", dir, "--name", "fork", "--file", "recorded_x.lmt.txt"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "generated entry") {
		t.Errorf("replacing a generated entry: %v", err)
	}
	err = run([]string{"record", "corpus", "--dir", dir, "--name", "bad-1", "--file", "recorded_x.lmt.txt"}, &stdout, &stderr)
	var u *usageError
	if !errors.As(err, &u) {
		t.Errorf("bad name: %v, want a usage error", err)
	}
}

func TestRecordProbesErrors(t *testing.T) {
	dir := t.TempDir()
	notKernel := filepath.Join(dir, "vmlinuz")
	os.WriteFile(notKernel, []byte("not a kernel"), 0o644)
	truncELF := filepath.Join(dir, "trunc.elf")
	os.WriteFile(truncELF, []byte("\x7fELF\x02\x01\x01"), 0o644)
	tests := []struct {
		args  []string
		usage bool
		msg   string
	}{
		{[]string{"record"}, true, "want a subcommand"},
		{[]string{"record", "nope"}, true, "unknown subcommand"},
		{[]string{"record", "probes"}, true, "want --vmlinux"},
		{[]string{"record", "probes", "--vmlinux", notKernel, "--kallsyms", notKernel}, false, "no gzip, xz or zstd payload"},
		{[]string{"record", "probes", "--vmlinux", truncELF, "--kallsyms", notKernel}, false, truncELF + ": not a valid ELF file"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		err := run(tt.args, &stdout, &stderr)
		var u *usageError
		if err == nil || errors.As(err, &u) != tt.usage || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%q: %v, want usage=%v containing %q", tt.args, err, tt.usage, tt.msg)
		}
	}
}

// TestVmlinuxStreamSniffed: a kernel image read from a device or FIFO must
// start like one: /dev/zero is refused from its first 64 KiB, where it was
// read to the 1 GiB cap (34 s, 2.1 GB; issue 20, item 11). That a stream
// that starts with the ELF magic is still read is readmax's TestStreamSniffed.
func TestVmlinuxStreamSniffed(t *testing.T) {
	_, errs, code := lb("record", "probes", "--vmlinux", "/dev/zero")
	if want := "/dev/zero: not a kernel image: no ELF header, boot header, arm64 Image magic or gzip, xz or zstd magic in its first 65536 bytes"; code != 1 || !strings.Contains(errs, want) {
		t.Errorf("exit %d, %q; want 1 and %q", code, errs, want)
	}
}
