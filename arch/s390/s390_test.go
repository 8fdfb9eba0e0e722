package s390

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/arch/archtest"
)

func newB(t testing.TB, over map[string]float64) *Backend {
	t.Helper()
	info, ok := arch.Lookup(Name)
	if !ok {
		t.Fatal("s390 not registered")
	}
	return info.New(info.Values(arch.Costs{Name: over})).(*Backend)
}

// A section of N mprotect updates (modify of valid PTEs) from the start of a
// page table: one range IPTE per page table touched (256 entries each),
// since every run of changed valid entries is contiguous.
func TestSectionSizes(t *testing.T) {
	tests := []struct {
		n       int
		start   string
		iptes   int
		batches map[int]int
	}{
		{1, "100000", 1, map[int]int{1: 1}},
		{4, "100000", 1, map[int]int{4: 1}},
		{5, "100000", 1, map[int]int{5: 1}},
		{191, "100000", 1, map[int]int{191: 1}},
		{192, "100000", 1, map[int]int{192: 1}},
		{193, "100000", 1, map[int]int{193: 1}},
		{256, "100000", 1, map[int]int{256: 1}},
		{257, "100000", 2, map[int]int{256: 1, 1: 1}},
		{384, "100000", 2, map[int]int{256: 1, 128: 1}},
		{512, "100000", 2, map[int]int{256: 2}},
		{193, "180000", 2, map[int]int{128: 1, 65: 1}}, // starts mid-table
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.n, "@", tc.start), func(t *testing.T) {
			exp := ""
			flushes := 0
			for size, k := range tc.batches {
				exp += fmt.Sprintf(" batch.%d=%d", size, k)
				flushes += k
			}
			d := archtest.Run(t, newB(t, nil), fmt.Sprintf(`
				enter
				repeat %d modify addr=%s
				leave
				expect iptes=%d flushes=%d batched=%d immediate=0 pending=0 drained=%d%s
			`, tc.n, tc.start, tc.iptes, flushes, tc.n, tc.n, exp))
			archtest.CheckInvariants(t, d)
		})
	}
}

// Outside a section: one IPTE per change of a valid PTE by
// ptep_get_and_clear, ptep_modify_prot_start/commit or ptep_set_wrprotect;
// set_pte, pte_clear and ptep_get_and_clear_full(full=1) are plain stores.
func TestOutsideLazy(t *testing.T) {
	tests := []struct {
		update string
		per    int
	}{
		{"modify addr=100000", 1},
		{"getclear addr=100000", 1},
		{"wrprotect addr=100000", 1},
		{"getclear addr=100000 full=1", 0},
		{"clear addr=100000", 0},
		{"set addr=100000 was=1", 0},
		{"modify addr=100000 was=0", 0},
	}
	for _, tc := range tests {
		for _, n := range []int{1, 5, 193, 512} {
			archtest.Run(t, newB(t, nil), fmt.Sprintf(`
				repeat %d %s
				expect iptes=%d flushes=0 batched=0 immediate=%d pending=0
			`, n, tc.update, n*tc.per, n))
		}
	}
}

// Runs: the write-back issues one IPTE per contiguous run of changed
// entries, split where the old PTE's validity changes (count_contiguous);
// runs of entries whose old PTE was invalid need no IPTE.
func TestRuns(t *testing.T) {
	tests := []struct {
		name, updates, expect string
	}{
		{"gaps", `
			modify addr=100000
			modify addr=101000
			modify addr=102000
			modify addr=105000
			modify addr=106000
			modify addr=10a000`, "iptes=3 batch.6=1"},
		{"out of order", `
			modify addr=105000
			modify addr=103000
			modify addr=104000
			modify addr=1ff000
			modify addr=100000`, "iptes=3 batch.5=1"},
		{"invalid valid invalid", `
			repeat 4 set addr=100000
			repeat 4 modify addr=104000
			repeat 2 set addr=108000`, "iptes=1 batch.10=1"},
		{"valid invalid valid", `
			repeat 2 modify addr=100000
			repeat 2 set addr=102000
			repeat 2 modify addr=104000`, "iptes=2 batch.6=1"},
		{"only new entries", `
			repeat 256 set addr=100000`, "iptes=0 batch.256=1"},
		{"plain clears of valid PTEs", `
			repeat 4 clear addr=100000`, "iptes=1 batch.4=1"},
		{"same PTE twice", `
			modify addr=100000
			modify addr=100000
			set addr=101000`, "iptes=1 batch.2=1"},
		{"exit teardown", `
			repeat 10 getclear addr=100000 full=1`, "iptes=1 batch.10=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := archtest.Run(t, newB(t, nil), "enter\n"+tc.updates+"\nleave\nexpect pending=0 "+tc.expect)
			archtest.CheckInvariants(t, d)
		})
	}
}

// Another page table (or mm): with retarget (default) an update of a valid
// PTE there writes the cache back and moves the range; v5 exactly
// (retarget=0) leaves such updates direct, one IPTE each.
func TestTableChange(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 3 modify addr=100000
		repeat 3 modify addr=200000
		expect iptes=1 flushes=1 pending=3
		leave
		expect iptes=2 flushes=2 batched=6 batch.3=2
	`)
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 3 modify addr=100000 mm=1
		repeat 3 modify addr=100000 mm=2
		leave
		expect iptes=2 flushes=2 batch.3=2
	`)
	archtest.Run(t, newB(t, map[string]float64{"retarget": 0}), `
		enter
		repeat 3 modify addr=100000
		repeat 3 modify addr=200000
		expect iptes=3 flushes=0 pending=3
		leave
		expect iptes=4 flushes=1 batched=3 immediate=3 batch.3=1
	`)
	// A flush writes back and keeps the range.
	archtest.Run(t, newB(t, map[string]float64{"retarget": 0}), `
		enter
		repeat 3 modify addr=100000
		flush
		repeat 3 modify addr=103000
		repeat 1 modify addr=200000
		leave
		expect iptes=3 flushes=2 batched=6 immediate=1
	`)
}

// mremap's move_ptes: get_and_clear in the old table (cached, one range
// IPTE per table) and set_pte in the new one (empty PTEs: direct plain
// stores, no IPTE, and no retarget).
func TestMremap(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("enter\n")
	for i := 0; i < 512; i++ {
		fmt.Fprintf(&sb, "getclear addr=%x\nset addr=%x\n", 0x100000+i<<12, 0x800000+i<<12)
	}
	sb.WriteString("leave\nexpect iptes=2 batched=512 immediate=512 batch.256=2\n")
	archtest.Run(t, newB(t, nil), sb.String())
}

// is_lazy_mmu_active() reads the per-CPU lowcore count, not in_interrupt():
// an interrupt's update of the cached table is cached too; an update of
// another table (a kernel one) is direct and does not move the range.
func TestInterruptInSection(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		enter
		modify addr=100000
		irq_enter
		getclear addr=3ff00000000 mm=0
		expect iptes=1 pending=1 immediate=1
		modify addr=101000
		expect iptes=1 pending=2
		irq_exit
		modify addr=102000
		leave
		expect iptes=2 batched=3 immediate=1 batch.3=1 pending=0
	`)
}

// An mm attached to this CPU only: direct changes defer the flush without
// an IPTE (ptep_flush_lazy), but the write-back still issues one.
func TestSingleAttach(t *testing.T) {
	archtest.Run(t, newB(t, map[string]float64{"single_attach": 1}), `
		repeat 10 modify addr=100000
		expect iptes=0
		enter
		repeat 10 modify addr=100000
		leave
		expect iptes=1
	`)
}

func TestSwitchInSection(t *testing.T) {
	// Preemption is off for the task that entered: only its switch-out is
	// a violation; switching back from the other task is not.
	archtest.Run(t, newB(t, nil), `
		enter
		modify addr=100000
		switch next=1
		switch next=0
		expect preempted-in-section=1
		leave
		switch next=1
		expect preempted-in-section=1 pending=0
	`)
	archtest.Run(t, newB(t, nil), `
		switch next=1
		enter
		modify addr=100000
		switch next=2
		expect preempted-in-section=1 pending=1
		on cpu=0 task=1
		leave
		switch next=2
		expect preempted-in-section=1 pending=0 iptes=1
	`)
}

// Pending holds one entry per changed PTE (a second update of the same PTE
// adds none) until the write-back; deferral times from the default costs:
// entries added at 70, 135, 200, written back at 265 + one IPTE of 3
// entries (1010).
func TestPending(t *testing.T) {
	d := archtest.Run(t, newB(t, nil), `
		enter
		repeat 3 modify addr=100000
		modify addr=100000
		expect pending=3 pending.0=3 drained=0
		on cpu=1 task=1
		enter
		repeat 2 modify addr=100000 mm=2
		expect pending=5 pending.1=2
		on cpu=0
		leave
		expect pending=2 pending.0=0 drained=3 deferred=3420
		flushall
		expect pending=0 drained=5 flushes=2 iptes=2
	`)
	archtest.CheckInvariants(t, d)
}

// sectionCost replays one 512-page section of pairs of updates (old page i,
// optional new page i) with (batched) or without lazy mode and returns the
// modeled cost and IPTE count.
func sectionCost(t *testing.T, batched bool, old, new string) (float64, uint64) {
	var sb strings.Builder
	if batched {
		sb.WriteString("enter\n")
	}
	for i := 0; i < 512; i++ {
		fmt.Fprintf(&sb, "%s addr=%x\n", old, 0x100000+i<<12)
		if new != "" {
			fmt.Fprintf(&sb, "%s addr=%x\n", new, 0x800000+i<<12)
		}
	}
	if batched {
		sb.WriteString("leave\n")
	}
	d := archtest.Run(t, newB(t, nil), sb.String())
	return d.Cost, d.B.Stats().Ops[arch.IPTEs]
}

// The sanity range of the v5 cover letter (large ranges: mprotect ~15x,
// munmap ~3x, mremap ~28x faster): the modeled 512-page sections with the
// default costs must show gains of that order (between 3x and 28x). The
// exact modeled costs follow from the defaults (see docs/arch/s390.md).
func TestSanityRange(t *testing.T) {
	tests := []struct {
		name, old, new         string
		unbatched, batched     float64
		iptesUnb, iptesBatched uint64
	}{
		// 512 x (60 + 1000) vs 5 + 512 x 65 + 2 x (1000 + 255 x 5) + 5.
		{"mprotect (modify)", "modify", "", 542720, 37840, 512, 2},
		{"munmap (getclear)", "getclear", "", 542720, 37840, 512, 2},
		// move_ptes: plus 512 direct set_pte of 60 on the new table.
		{"mremap (getclear+set)", "getclear", "set", 573440, 68560, 512, 2},
	}
	for _, tc := range tests {
		u, ui := sectionCost(t, false, tc.old, tc.new)
		b, bi := sectionCost(t, true, tc.old, tc.new)
		if u != tc.unbatched || b != tc.batched || ui != tc.iptesUnb || bi != tc.iptesBatched {
			t.Errorf("%s: cost %v -> %v, iptes %d -> %d; want %v -> %v, %d -> %d", tc.name, u, b, ui, bi, tc.unbatched, tc.batched, tc.iptesUnb, tc.iptesBatched)
		}
		r := u / b
		if r < 3 || r > 28 {
			t.Errorf("%s: modeled gain %.1fx outside the reported range 3x..28x", tc.name, r)
		}
		t.Logf("%s: modeled %.0f ns -> %.0f ns, %.2fx; IPTEs %d -> %d", tc.name, u, b, r, ui, bi)
	}
	// pte_clear + set_pte: plain stores without lazy mode; the write-back
	// adds an IPTE per table for the cleared (old valid) entries: a
	// modeled slowdown.
	u, ui := sectionCost(t, false, "clear", "set")
	b, bi := sectionCost(t, true, "clear", "set")
	if ui != 0 || bi != 2 || !(b > u) {
		t.Errorf("clear+set: cost %v -> %v, iptes %d -> %d; want a slowdown with 0 -> 2 IPTEs", u, b, ui, bi)
	}
	t.Logf("clear+set: modeled %.0f ns -> %.0f ns, %.2fx; IPTEs %d -> %d", u, b, u/b, ui, bi)
}

// Registration, contract order and parameter documentation are checked
// for every backend in arch/all (TestContractNames, TestEveryBackend,
// TestInfoComplete), the main counter among them.

// Nesting: under flat a second enter writes the cache back and re-arms the
// range (a model choice: v5 would overwrite the range), and after the inner
// leave the outer section has no range: its updates are direct. Under
// upstream the nested disable is a flush that keeps the range.
func TestNesting(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		strategy flat
		enter
		repeat 3 modify addr=100000
		enter
		expect iptes=1
		repeat 3 modify addr=103000
		leave
		lazy 1
		repeat 3 modify addr=106000
		leave
		expect iptes=5 flushes=2 batched=6 immediate=3 pending=0
	`)
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 3 modify addr=100000
		flush
		repeat 3 modify addr=104000
		leave
		expect iptes=2 flushes=2 batched=6 immediate=0
	`)
}
