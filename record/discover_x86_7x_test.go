package record

import (
	"os"
	"strings"
	"testing"
)

// TestDiscoverDebian7x runs discovery on a 6.8+ x86-64 image and the
// kallsyms of its boot: LAZYBENCH_KERNEL_IMAGE (a vmlinuz) and
// LAZYBENCH_KALLSYMS, which .ci/run sets to what make record ARCH=x86_64
// fetched and dumped (Debian's 7.3.4+deb13-amd64 today). Skipped without
// them. Every kind the recorder relies on must be found, every enable site
// must reach a disable in its function, and the counts' offset and the
// flush slot must be derived.
func TestDiscoverDebian7x(t *testing.T) {
	imgPath, ksPath := os.Getenv("LAZYBENCH_KERNEL_IMAGE"), os.Getenv("LAZYBENCH_KALLSYMS")
	if imgPath == "" || ksPath == "" {
		t.Skip("LAZYBENCH_KERNEL_IMAGE and LAZYBENCH_KALLSYMS not set (.ci/run sets them after make record ARCH=x86_64)")
	}
	raw, err := os.ReadFile(imgPath)
	if err != nil {
		t.Fatal(err)
	}
	vm, _, err := ExtractVmlinux(raw)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := os.ReadFile(ksPath)
	if err != nil {
		t.Fatal(err)
	}
	res := discoverBytes(t, vm, string(ks))
	notes := strings.Join(res.Notes, "\n")
	for _, s := range []string{"is lazy_mode_flush (xen_init_mmu_ops stores xen_flush_lazy_mmu there)",
		"lazy_mmu_state.enable_count at task_struct+", "paravirt direct-call sites"} {
		if !strings.Contains(notes, s) {
			t.Errorf("notes lack %q:\n%s", s, notes)
		}
	}
	if len(res.Unpaired) != 0 {
		t.Errorf("enable sites reaching no disable site: %q", res.Unpaired)
	}
	for _, k := range []string{KindEnter, KindLeave, KindSet, KindGetClear, KindGetClearFull, KindWrprotect, KindCommit, KindStart} {
		if res.Count(k) == 0 {
			t.Errorf("no %s probe in %s", k, imgPath)
		}
	}
	// The generic layer's disable is one store per site; fewer disables
	// than enables would leave sections open.
	if res.Count(KindLeave) < res.Count(KindEnter) {
		t.Errorf("%d disable sites < %d enable sites", res.Count(KindLeave), res.Count(KindEnter))
	}
	for _, l := range res.Lines() {
		if err := ValidateKprobeLine(l); err != nil {
			t.Errorf("%q: %v", l, err)
		}
	}
	t.Logf("%s: %s", imgPath, res.Summary()[0])
}
