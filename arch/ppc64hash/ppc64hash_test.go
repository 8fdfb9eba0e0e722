package ppc64hash

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/arch/archtest"
)

// newB builds a backend with defaults and the given overrides.
func newB(t *testing.T, over map[string]float64) *Backend {
	t.Helper()
	info, ok := arch.Lookup(Name)
	if !ok {
		t.Fatal("ppc64-hash not registered")
	}
	return info.New(info.Values(arch.Costs{Name: over})).(*Backend)
}

// A section of N updates of valid user PTEs (clear, was=1 by default) in one
// mm, page size and segment: the batch drains at 192 and at leave; a drain
// of one entry is one H_REMOVE, of n > 1 is ceil(n/4) H_BULK_REMOVE calls.
func TestSectionSizes(t *testing.T) {
	tests := []struct {
		n       int
		hcalls  int
		batches map[int]int // drained batch size -> count
	}{
		{1, 1, map[int]int{1: 1}},
		{4, 1, map[int]int{4: 1}},
		{5, 2, map[int]int{5: 1}},
		{191, 48, map[int]int{191: 1}},
		{192, 48, map[int]int{192: 1}},
		{193, 49, map[int]int{192: 1, 1: 1}},
		{384, 96, map[int]int{192: 2}},
		{512, 128, map[int]int{192: 2, 128: 1}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			flushes := 0
			exp := ""
			for size, k := range tc.batches {
				flushes += k
				exp += fmt.Sprintf(" batch.%d=%d", size, k)
			}
			script := fmt.Sprintf(`
				enter
				repeat %d clear addr=10000000
				leave
				expect hcalls=%d hpte_flushes=%d tlb_flushes=0 flushes=%d batched=%d immediate=0 pending=0 drained=%d%s
			`, tc.n, tc.hcalls, tc.n, flushes, tc.n, tc.n, exp)
			d := archtest.Run(t, newB(t, nil), script)
			archtest.CheckInvariants(t, d)
		})
	}
}

// Outside lazy mode every update of a PTE with an HPTE is flushed at once
// through flush_hash_page: one H_REMOVE each, nothing batched.
func TestOutsideLazy(t *testing.T) {
	for _, n := range []int{1, 4, 5, 191, 192, 193, 384, 512} {
		script := fmt.Sprintf(`
			repeat %d getclear addr=10000000
			expect hcalls=%d hpte_flushes=%d flushes=0 batched=0 immediate=%d pending=0
		`, n, n, n, n)
		archtest.Run(t, newB(t, nil), script)
	}
}

// Only PTEs that had an HPTE cost anything: an old entry that was invalid
// (was=0) never had one, and set_pte_at (hash__set_pte_at) is a plain store.
func TestNoHPTE(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 10 set addr=10000000
		repeat 10 set addr=10000000 was=1
		repeat 10 clear addr=10000000 was=0
		repeat 10 getclear addr=10000000 was=0
		repeat 10 modify addr=10000000 was=0
		leave
		expect hcalls=0 hpte_flushes=0 flushes=0 batched=0 immediate=50 pending=0
		repeat 10 set addr=10000000 was=1
		expect hcalls=0 hpte_flushes=0 immediate=60
	`)
}

// Another mm, page size or segment size flushes the batch first.
func TestBatchKeyChange(t *testing.T) {
	tests := []struct {
		name, updates, expect string
		over                  map[string]float64
	}{
		{"mm", `
			repeat 3 clear addr=10000000 mm=1
			repeat 2 clear addr=10000000 mm=2
			clear addr=20000000 mm=1`,
			"hcalls=3 flushes=3 batch.3=1 batch.2=1 batch.1=1", nil},
		{"page size", `
			repeat 2 clear addr=10000000
			repeat 2 clear addr=11000000 shift=16
			repeat 2 clear addr=12000000`,
			"hcalls=3 flushes=3 batch.2=3", nil},
		{"segment 256M vs 1T", `
			repeat 2 clear addr=10000000
			repeat 2 clear addr=20000000000`,
			"hcalls=2 flushes=2 batch.2=2", nil},
		{"no 1T segments", `
			repeat 2 clear addr=10000000
			repeat 2 clear addr=20000000000`,
			"hcalls=1 flushes=1 batch.4=1", map[string]float64{"seg_1t": 0}},
		{"kernel vs user", `
			repeat 3 getclear addr=c000000010000000 mm=0
			repeat 3 getclear addr=10000000 mm=1
			repeat 3 getclear addr=c000000010003000 mm=0`,
			"hcalls=3 hpte_flushes=9 flushes=3 batch.3=3", nil},
		{"same key over many pages", `
			repeat 8 clear addr=10000000 nr=4`,
			"hcalls=8 hpte_flushes=32 flushes=1 batch.32=1", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := archtest.Run(t, newB(t, tc.over), "enter\n"+tc.updates+"\nleave\nexpect pending=0 "+tc.expect)
			archtest.CheckInvariants(t, d)
		})
	}
}

// Without FW_FEATURE_BULK_REMOVE every HPTE is one H_REMOVE, batched or not;
// on PowerNV each HPTE is one tlbie and no hypercall is made.
func TestPlatforms(t *testing.T) {
	tests := []struct {
		name   string
		over   map[string]float64
		n      int
		expect string
	}{
		{"bulk 1", nil, 1, "hcalls=1 tlb_flushes=0"},
		{"bulk 5", nil, 5, "hcalls=2 tlb_flushes=0"},
		{"bulk 8", nil, 8, "hcalls=2 tlb_flushes=0"},
		{"bulk 9", nil, 9, "hcalls=3 tlb_flushes=0"},
		{"no bulk 1", map[string]float64{"bulk_remove": 0}, 1, "hcalls=1"},
		{"no bulk 5", map[string]float64{"bulk_remove": 0}, 5, "hcalls=5"},
		{"no bulk 193", map[string]float64{"bulk_remove": 0}, 193, "hcalls=193"},
		{"powernv 1", map[string]float64{"powernv": 1}, 1, "hcalls=0 tlb_flushes=1"},
		{"powernv 5", map[string]float64{"powernv": 1}, 5, "hcalls=0 tlb_flushes=5"},
		{"powernv 193", map[string]float64{"powernv": 1}, 193, "hcalls=0 tlb_flushes=193"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			archtest.Run(t, newB(t, tc.over), fmt.Sprintf(`
				enter
				repeat %d modify addr=10000000
				leave
				expect hpte_flushes=%d %s
			`, tc.n, tc.n, tc.expect))
		})
	}
	if newB(t, map[string]float64{"powernv": 1}).MainCounter() != arch.TLBFlushes || newB(t, nil).MainCounter() != arch.HCalls {
		t.Error("main counter: want hcalls on pSeries, tlb_flushes on PowerNV")
	}
}

// The modeled cost of a section, from the default parameters: enter 2;
// 5 updates of 10+15; leave 2 + 2 H_BULK_REMOVE (800 each) + 5 HPTEs (150
// each). Outside lazy mode: 5 x (10 + 800 + 150). PowerNV: one run of 5
// tlbies (5 x (150+100)) and one sync (500).
func TestCosts(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 5 clear addr=10000000
		leave
		expect cost=2479
	`)
	archtest.Run(t, newB(t, nil), `
		repeat 5 clear addr=10000000
		expect cost=4800
	`)
	archtest.Run(t, newB(t, map[string]float64{"powernv": 1}), `
		enter
		repeat 5 clear addr=10000000
		leave
		expect cost=1879
	`)
	archtest.Run(t, newB(t, map[string]float64{"hcall_ns": 1000, "hpte_ns": 0, "update_ns": 0}), `
		clear addr=10000000
		expect cost=1000
	`)
}

// Enter disables preemption: a context switch inside a section is a
// violation; outside it is not.
func TestSwitchInSection(t *testing.T) {
	// Preemption is off for the task that entered: only its switch-out is
	// a violation; switching back from the other task is not.
	archtest.Run(t, newB(t, nil), `
		enter
		clear addr=10000000
		switch next=1
		switch next=0
		expect preempted-in-section=1
		leave
		switch next=1
		expect preempted-in-section=1 pending=0
	`)
	archtest.Run(t, newB(t, nil), `
		switch next=1
		expect preempted-in-section=0
		enter
		clear addr=10000000
		switch next=2
		expect preempted-in-section=1 pending=1
		on cpu=0 task=1
		leave
		switch next=2
		expect preempted-in-section=1 pending=0 hcalls=1
	`)
}

// In interrupt context is_lazy_mmu_mode_active() is false: the handler's
// updates are flushed at once and leave the interrupted task's batch alone.
func TestInterruptInSection(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 3 clear addr=10000000
		irq_enter
		getclear addr=c000000000010000 mm=0
		expect hcalls=1 immediate=1 pending=3
		irq_exit
		repeat 2 clear addr=10003000
		leave
		expect hcalls=3 batched=5 immediate=1 flushes=1 batch.5=1 pending=0
	`)
}

// Pending holds one entry per deferred HPTE, owned by its CPU, until the
// batch drains; the drain reports each entry's deferral time.
func TestPending(t *testing.T) {
	d := archtest.Run(t, newB(t, nil), `
		enter
		repeat 3 clear addr=10000000
		expect pending=3 pending.0=3 pending.1=0 drained=0
		on cpu=1 task=1
		enter
		repeat 2 clear addr=10000000 mm=2
		expect pending=5 pending.0=3 pending.1=2
		on cpu=0
		leave
		expect pending=2 pending.0=0 pending.1=2 drained=3 deferred=75
		on cpu=1
		flushall
		expect pending=0 drained=5 flushes=2 batch.3=1 batch.2=1
	`)
	p := d.B.Pending()
	if p.Overlaps(1, 0x10000000, 1, 12) {
		t.Error("drained entry still overlaps")
	}
	d2 := archtest.Run(t, newB(t, nil), "enter\nclear addr=10002000 mm=7")
	if !d2.B.Pending().Overlaps(7, 0x10002000, 1, 12) || d2.B.Pending().Overlaps(7, 0x10003000, 1, 12) || d2.B.Pending().Overlaps(1, 0x10002000, 1, 12) {
		t.Error("pending entry: want exactly mm 7, page 0x10002000")
	}
}

// Under unguarded nesting (flat) the inner leave clears batch->active: the
// rest of the outer section is flushed one update at a time, even though
// the generic layer may still say lazy.
func TestFlatNesting(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		strategy flat
		enter
		repeat 4 clear addr=10000000
		enter
		repeat 4 clear addr=10010000
		leave
		lazy 1
		repeat 4 clear addr=10020000
		expect hcalls=6 flushes=1 batch.8=1 batched=8 immediate=4
		leave
		expect hcalls=6
	`)
}

func TestFlushCallback(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		enter
		flush
		expect flushes=0 hcalls=0
		repeat 6 clear addr=10000000
		flush
		expect flushes=1 hcalls=2 pending=0
		repeat 2 clear addr=10000000
		leave
		expect flushes=2 hcalls=3 batch.6=1 batch.2=1
	`)
}

// The cost file sets parameters and options by name; unknown keys are
// rejected naming the key.
func TestCostFile(t *testing.T) {
	costs, err := arch.ParseCosts("costs.toml", []byte("[\"ppc64-hash\"]\nhcall_ns = 1000\npowernv = false\nbulk_remove = 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := arch.New(Name, costs)
	if err != nil {
		t.Fatal(err)
	}
	archtest.Run(t, b, `
		enter
		repeat 5 clear addr=10000000
		leave
		expect hcalls=5 cost=5879
	`)
	if _, err := arch.ParseCosts("costs.toml", []byte("[\"ppc64-hash\"]\nhcall = 1\n")); err == nil || !strings.Contains(err.Error(), `"hcall"`) {
		t.Errorf("unknown key: got %v", err)
	}
}

// Before 7.0 (flat, typed) the batching test was the per-CPU batch->active,
// with no interrupt check: an interrupt handler's update during a section is
// batched too (another mm flushes the interrupted task's batch first).
func TestInterruptBefore70(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		strategy flat
		enter
		repeat 3 clear addr=10000000
		irq_enter
		getclear addr=10004000
		expect hcalls=0 pending=4
		getclear addr=c000000000010000 mm=0
		expect hcalls=1 pending=1 batch.4=1
		irq_exit
		repeat 2 clear addr=10003000
		leave
		expect hcalls=3 batched=7 immediate=0 batch.1=1 batch.2=1 pending=0
	`)
}
