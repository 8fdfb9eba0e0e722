package sparc64

import (
	"fmt"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/arch/archtest"
)

func newB(t testing.TB, over map[string]float64) *Backend {
	t.Helper()
	info, ok := arch.Lookup(Name)
	if !ok {
		t.Fatal("sparc64 not registered")
	}
	return info.New(info.Values(arch.Costs{Name: over})).(*Backend)
}

// A section of N updates of valid user PTEs: the batch drains at 192 and at
// leave; each drain is one TSB flush of the list plus either one
// global_flush_tlb_page (one entry) or one smp_flush_tlb_pending cross-call
// (several): one local TLB flush and one cross-call per drain.
func TestSectionSizes(t *testing.T) {
	tests := []struct {
		n       int
		drains  int
		batches map[int]int
	}{
		{1, 1, map[int]int{1: 1}},
		{4, 1, map[int]int{4: 1}},
		{5, 1, map[int]int{5: 1}},
		{191, 1, map[int]int{191: 1}},
		{192, 1, map[int]int{192: 1}},
		{193, 2, map[int]int{192: 1, 1: 1}},
		{384, 2, map[int]int{192: 2}},
		{512, 3, map[int]int{192: 2, 128: 1}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.n), func(t *testing.T) {
			exp := ""
			for size, k := range tc.batches {
				exp += fmt.Sprintf(" batch.%d=%d", size, k)
			}
			d := archtest.Run(t, newB(t, nil), fmt.Sprintf(`
				enter
				repeat %d getclear addr=10000000
				leave
				expect crosscalls=%d tlb_flushes=%d flushes=%d batched=%d immediate=0 pending=0 drained=%d%s
			`, tc.n, tc.drains, tc.drains, tc.drains, tc.n, tc.n, exp))
			archtest.CheckInvariants(t, d)
		})
	}
}

// Outside lazy mode each update flushes its TSB entry and demaps the page on
// every CPU of the mm at once: one cross-call and one local flush each.
func TestOutsideLazy(t *testing.T) {
	for _, n := range []int{1, 4, 5, 191, 192, 193, 384, 512} {
		archtest.Run(t, newB(t, nil), fmt.Sprintf(`
			repeat %d modify addr=10000000
			expect crosscalls=%d tlb_flushes=%d flushes=0 batched=0 immediate=%d pending=0
		`, n, n, n, n))
	}
}

// Only user updates whose old PTE was valid reach tlb_batch_add; kernel
// (init_mm) updates are left to flush_tlb_kernel_range.
func TestNoWork(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 10 set addr=10000000
		repeat 10 clear addr=10000000 was=0
		repeat 10 getclear addr=fffff80000000000 mm=0
		repeat 10 set addr=fffff80000000000 mm=0 was=1
		leave
		repeat 10 getclear addr=fffff80000000000 mm=0
		expect crosscalls=0 tlb_flushes=0 flushes=0 batched=0 immediate=50 pending=0
	`)
	// Any primitive of a valid user PTE goes through set_pte_at, set too.
	archtest.Run(t, newB(t, nil), `
		enter
		set addr=10000000 was=1
		clear addr=10002000
		wrprotect addr=10004000
		leave
		expect crosscalls=1 batch.3=1
	`)
}

// sparc64 has no ptep_get_and_clear_full: the generic one drops `full`, so
// exit-teardown updates are batched and flushed like others. The option
// fullmm_skip models docs/kernel.md's reading (never batched nor flushed).
func TestFullMM(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 200 getclear addr=10000000 full=1
		leave
		expect crosscalls=2 batched=200 batch.192=1 batch.8=1
	`)
	archtest.Run(t, newB(t, map[string]float64{"fullmm_skip": 1}), `
		enter
		repeat 200 getclear addr=10000000 full=1
		getclear addr=20000000
		leave
		repeat 3 getclear addr=10000000 full=1
		expect crosscalls=1 batched=1 immediate=203 batch.1=1
	`)
}

// Another mm flushes first; another page shift flushes first.
func TestBatchKeyChange(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 3 clear addr=10000000 mm=1
		repeat 2 clear addr=10000000 mm=2
		repeat 4 clear addr=10400000 mm=2 shift=22
		clear addr=10000000 mm=2
		leave
		expect crosscalls=4 tlb_flushes=4 flushes=4 batch.3=1 batch.2=1 batch.4=1 batch.1=1
	`)
}

// An interrupt's update is flushed at once (is_lazy_mmu_mode_active() is
// false there). tlb_batch_add_one checks the mm before the lazy state, so an
// interrupt's update of another mm drains the interrupted task's batch.
func TestInterruptInSection(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 3 clear addr=10000000 mm=1
		irq_enter
		clear addr=30000000 mm=1
		expect crosscalls=1 pending=3 immediate=1
		irq_exit
		leave
		expect crosscalls=2 batch.3=1 pending=0
	`)
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 3 clear addr=10000000 mm=1
		irq_enter
		clear addr=30000000 mm=2
		expect crosscalls=2 pending=0 batch.3=1
		irq_exit
		repeat 2 clear addr=10003000 mm=1
		leave
		expect crosscalls=3 batch.3=1 batch.2=1 batched=5 immediate=1
	`)
}

// With the mm_users == 1 shortcut no cross-call is made; the local flushes
// are the same.
func TestSingleUser(t *testing.T) {
	archtest.Run(t, newB(t, map[string]float64{"single_user": 1}), `
		enter
		repeat 193 clear addr=10000000
		leave
		repeat 3 clear addr=10000000
		expect crosscalls=0 tlb_flushes=5
	`)
}

// Default costs: enter 2; 5 x (10+10); leave 2 + TSB 5x20 + cross-call 3000
// + remote 5x50 + local 5x50. Outside lazy: 5 x (10 + 20 + 3000 + 50 + 50).
func TestCosts(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 5 clear addr=10000000
		leave
		expect cost=3704
	`)
	archtest.Run(t, newB(t, nil), `
		repeat 5 clear addr=10000000
		expect cost=15650
	`)
}

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
		enter
		clear addr=10000000
		switch next=2
		expect preempted-in-section=1 pending=1
		on cpu=0 task=1
		leave
		switch next=2
		expect preempted-in-section=1 pending=0 crosscalls=1
	`)
}

func TestPending(t *testing.T) {
	d := archtest.Run(t, newB(t, nil), `
		enter
		repeat 3 clear addr=10000000
		expect pending=3 pending.0=3 drained=0
		on cpu=1 task=1
		enter
		repeat 2 clear addr=10000000 mm=2
		expect pending=5 pending.1=2
		on cpu=0
		leave
		expect pending=2 pending.0=0 drained=3 deferred=60
		flushall
		expect pending=0 drained=5 flushes=2
	`)
	archtest.CheckInvariants(t, d)
	d2 := archtest.Run(t, newB(t, nil), "enter\nclear addr=10002000 mm=7")
	if !d2.B.Pending().Overlaps(7, 0x10002000, 1, 12) || d2.B.Pending().Overlaps(7, 0x10003000, 1, 12) {
		t.Error("pending entry: want exactly mm 7, page 0x10002000")
	}
}

// Registration, contract order and parameter documentation are checked
// for every backend in arch/all (TestContractNames, TestEveryBackend,
// TestInfoComplete), the main counter among them.

// Nesting: under flat the inner leave drains and clears the batch's active
// state, so the rest of the outer section flushes one update at a time;
// under upstream the nested disable is a flush and batching continues.
func TestNesting(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		strategy flat
		enter
		repeat 4 clear addr=10000000
		enter
		repeat 4 clear addr=10010000
		leave
		lazy 1
		repeat 4 clear addr=10020000
		leave
		expect crosscalls=5 flushes=1 batch.8=1 batched=8 immediate=4
	`)
	archtest.Run(t, newB(t, nil), `
		enter
		repeat 4 clear addr=10000000
		flush
		repeat 4 clear addr=10010000
		leave
		expect crosscalls=2 flushes=2 batch.4=2 batched=8 immediate=0
	`)
}

// Before 7.0 (flat, typed) tlb_batch_add_one tested the per-CPU tb->active:
// an interrupt's update during a section joins the batch.
func TestInterruptBefore70(t *testing.T) {
	archtest.Run(t, newB(t, nil), `
		strategy flat
		enter
		repeat 3 clear addr=10000000
		irq_enter
		clear addr=30000000
		expect crosscalls=0 pending=4
		irq_exit
		leave
		expect crosscalls=1 batch.4=1 batched=4 immediate=0 pending=0
	`)
}
