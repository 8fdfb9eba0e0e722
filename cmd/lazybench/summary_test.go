package main

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/internal/golden"
)

// TestSummaryGolden: lazybench summary on a generated and a recorded corpus
// trace (go test -update rewrites the golden file). Every line fits 80
// columns and every finding says "modeled". --unfitted spares the test the
// arm64 fit (18 s under -race); the report's test covers the fitted costs.
func TestSummaryGolden(t *testing.T) {
	out, errs, code := lb("summary", "--unfitted", "--trace", "corpus:debug-pagealloc,corpus:recorded_qemu_small")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden.Check(t, "testdata/summary.golden", []byte(out))
	for i, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > 80 {
			t.Errorf("line %d has %d columns: %q", i+1, n, l)
		}
	}
	for _, f := range strings.Split(out, "\n- ")[1:] {
		if !strings.Contains(f, "modeled") {
			t.Errorf("finding without the word modeled: %q", f)
		}
	}
}

// TestSummaryPageSizeWarning: a trace of a page size an arch's kernel does
// not have is replayed with a warning on stderr naming both.
func TestSummaryPageSizeWarning(t *testing.T) {
	out, errs, code := lb("summary", "--trace", "corpus:fork_16k", "--arch", "s390,arm64", "--unfitted")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, "warning: "+arch.Title("s390")+"'s kernel has 4 KiB pages only") || !strings.Contains(errs, "fork_16k") {
		t.Errorf("stderr lacks the page-size warning for s390: %q", errs)
	}
	if strings.Contains(errs, "arm64") {
		t.Errorf("arm64 has 16 KiB pages, but stderr warns: %q", errs)
	}
	if !strings.Contains(out, "NOT replayed with its fitted costs") {
		t.Errorf("--unfitted output does not say so:\n%s", out)
	}
}

// TestSummaryKernel: summary takes --kernel as compare does. The 7.0-rc Xen
// double enter (corpus:preempt: 4 nested enters) is a broken promise under
// 7.0 and gone under 7.3, the default.
func TestSummaryKernel(t *testing.T) {
	want := "upstream: 4 violations (nested-enter)"
	for _, tc := range []struct {
		kernel string
		has    bool
	}{{"7.0", true}, {"7.3", false}} {
		out, errs, code := lb("summary", "--unfitted", "--kernel", tc.kernel, "--trace", "corpus:preempt", "--arch", "x86-xen")
		if code != 0 {
			t.Fatalf("--kernel %s: exit %d: %s", tc.kernel, code, errs)
		}
		if strings.Contains(out, want) != tc.has {
			t.Errorf("--kernel %s: %q in the output is %v, want %v:\n%s", tc.kernel, want, !tc.has, tc.has, out)
		}
	}
}
