package kcheck

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareBarriers compares the ftrace importer's arm64 test recording
// (raw text and the trace imported from it) and checks every count of the
// table exactly, and that the leave pairs' mismatch fails.
func TestCompareBarriers(t *testing.T) {
	dir := t.TempDir()
	golden, err := os.ReadFile("../../ftrace/testdata/vmap_arm64.golden")
	if err != nil {
		t.Fatal(err)
	}
	trace, _, _ := strings.Cut(string(golden), "# ---- summary")
	tracePath, probes := filepath.Join(dir, "vmap.lmt.txt"), filepath.Join(dir, "probes.txt")
	if err := os.WriteFile(tracePath, []byte(trace), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(probes, []byte("# probes: x\n# TIF_LAZY_MMU_PENDING is bit 31 (tested ...)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := CompareBarriers("../../ftrace/testdata/vmap_arm64.ftrace", tracePath, probes)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	b.WriteTable(&out)
	for _, want := range []string{
		"leave, inline (1)                     0      1  -1\n",
		"leave, out-of-line copy (2)           1      0  1\n",
		"kernel PTE write, not lazy            -      0  -\n",
		"other (flush, switch, end)            -      0  -\n",
		"model total (arm64/upstream): 1\n",
		"(barrier_now): 1\n  __pmd_alloc                              1\n",
		"out-of-line leaves probed on return: 2 of 2 ",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if err := b.Err(); err == nil || err.Error() != "the kernel's leave barriers differ from the model's (inline 0 vs 1, out-of-line 1 vs 0)" {
		t.Errorf("Err() = %v", err)
	}
	if _, err := CompareBarriers("../../ftrace/testdata/vmap_arm64.ftrace", tracePath, tracePath); err == nil || !strings.HasPrefix(err.Error(), tracePath+": ") {
		t.Errorf("a probes file without the pending bit: %v", err)
	}
}
