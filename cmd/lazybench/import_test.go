package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "t.ftrace")
	src := "  w-7 [000] d..1. 1.000001: lazy_enter3: (zap_pte_range+0x1/0x2)\n" +
		"  w-7 [000] d..1. 1.000002: pte_getclear0: (zap_pte_range+0x3/0x2) ptep=0xffff888001000008 old=0x8000000011111067 addr=0x7f0000001000\n" +
		"  w-7 [000] d..1. 1.000003: sched_wakeup: comm=x pid=8\n" +
		"  w-7 [000] d..1. 1.000004: lazy_leave3: (zap_pte_range+0x5/0x2)\n"
	if err := os.WriteFile(in, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	lost := filepath.Join(dir, "lost.ftrace")
	if err := os.WriteFile(lost, []byte(src+"CPU:0 [LOST 5 EVENTS]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "o.lmt.txt")
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring
	}{
		{"ok, flags after FILE", []string{"import", "ftrace", in, "-o", out}, 0, "o.lmt.txt: 3 events", "skipped 1 lines of sched_wakeup"},
		{"ok, flags before FILE", []string{"import", "ftrace", "-o", out, in}, 0, "3 events", "4 lines, 3 events, 1 user address spaces"},
		{"lost", []string{"import", "ftrace", lost, "-o", filepath.Join(dir, "l.lmt")}, 1, "", "lost.ftrace:5: cpu 0 lost 5 events"},
		{"lost allowed", []string{"import", "ftrace", "--allow-lost", lost, "-o", filepath.Join(dir, "l.lmt")}, 0, "3 events", "5 events reported lost"},
		{"missing -o", []string{"import", "ftrace", in}, 2, "", "-o OUT is required"},
		{"two inputs", []string{"import", "ftrace", in, in, "-o", out}, 2, "", "want exactly one input FILE"},
		{"unknown kind", []string{"import", "perf", in}, 2, "", `unknown source kind "perf"`},
		{"bad format", []string{"import", "ftrace", in, "-o", out, "--format", "xml"}, 2, "", "unknown trace format"},
		{"missing input", []string{"import", "ftrace", filepath.Join(dir, "none"), "-o", out}, 1, "", "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tc.args, &stdout, &stderr)
			code := exitCode(err, &stderr)
			if code != tc.code || !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s\nwant stdout ~ %q, stderr ~ %q", code, tc.code, stdout.String(), stderr.String(), tc.stdout, tc.stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "l.lmt")); err != nil {
		t.Errorf("allowed import wrote nothing: %v", err)
	}
}
