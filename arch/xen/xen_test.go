package xen

import (
	"fmt"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/arch/archtest"
)

// Default costs.
const (
	w    = 2.0    // pte_write_ns
	hc   = 500.0  // hypercall_ns
	ent  = 60.0   // mmu_update_entry_ns
	mc   = 40.0   // multicall_ns
	trap = 1500.0 // trap_emulate_ns
)

type tcase struct {
	name   string
	opts   map[string]float64
	script string
}

func run(t *testing.T, cases []tcase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := archtest.Run(t, New(tc.opts), tc.script)
			archtest.CheckLinear(t, d, tc.opts)
			archtest.CheckInvariants(t, d)
		})
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// N batched updates in one section cost ceil(N/31) hypercalls (one
// mmu_update entry of up to 31 updates each, flushed as a direct call);
// outside lazy mode N updates are N hypercalls (docs/published.md).
func TestSectionSizes(t *testing.T) {
	if MaxPerHypercall != 31 {
		t.Fatalf("MaxPerHypercall = %d, want 31", MaxPerHypercall)
	}
	var cases []tcase
	for _, n := range []int{1, 30, 31, 32, 62, 63, 191, 192, 193, 512} {
		for _, op := range []string{"set", "clear", "modify"} {
			calls := ceilDiv(n, 31)
			full, rest := n/31, n%31
			hist := fmt.Sprintf("batch.31=%d", full)
			if rest > 0 {
				hist += fmt.Sprintf(" batch.%d=1", rest)
			}
			cost := float64(n)*(w+ent) + float64(calls)*hc
			cases = append(cases, tcase{
				name: fmt.Sprintf("lazy_%s_n%d", op, n),
				script: fmt.Sprintf(`enter
repeat %d %s addr=7f0000000000
expect hypercalls=%d pending=%d
leave
expect hypercalls=%d multicalls=0 batched=%d immediate=0 flushes=%d %s pending=0 drained=%d cost=%v`,
					n, op, full-boolInt(rest == 0 && full > 0), n%31+31*boolInt(rest == 0 && full > 0),
					calls, n, calls, hist, n, cost),
			}, tcase{
				name: fmt.Sprintf("outside_%s_n%d", op, n),
				script: fmt.Sprintf(`repeat %d %s addr=7f0000000000
expect hypercalls=%d multicalls=0 immediate=%d batched=0 pending=0 cost=%v`,
					n, op, n, n, float64(n)*(w+hc+ent)),
			})
		}
	}
	run(t, cases)
}

// boolInt is 1 for true: a section whose size is a multiple of 31 keeps its
// last 31 updates queued until the leave.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ptep_get_and_clear and ptep_set_wrprotect are trapped and emulated one by
// one, in lazy mode or not; at exit (full=1) the mm is unpinned and the
// store is plain.
func TestAtomicUpdatesAreNotBatched(t *testing.T) {
	run(t, []tcase{
		{"getclear in lazy", nil, `enter
repeat 100 getclear addr=1000
leave
expect hypercalls=0 batched=0 immediate=100 flushes=0 cost=` + fmt.Sprint(100*trap)},
		{"getclear outside", nil, `repeat 5 getclear addr=1000 mm=0
expect hypercalls=0 immediate=5 cost=` + fmt.Sprint(5*trap)},
		{"getclear full at exit", nil, `enter
repeat 512 getclear addr=1000 full=1
leave
expect hypercalls=0 immediate=512 cost=` + fmt.Sprint(512*w)},
		{"wrprotect (fork COW)", nil, `enter
repeat 40 wrprotect addr=1000
repeat 40 set addr=1000
leave
expect hypercalls=2 immediate=40 batched=40 cost=` + fmt.Sprint(40*trap+40*(w+ent)+2*hc)},
		{"set vs getclear, same count", nil, `enter
repeat 20 set addr=1000
repeat 5 getclear addr=1000
repeat 20 set addr=1000
leave
expect hypercalls=2 batch.31=1 batch.9=1`},
		{"set_ptes nr=40: one forced flush", nil, `enter
set addr=1000 nr=40
expect hypercalls=1 pending=1
leave
expect hypercalls=2 batched=1 batch.31=1 batch.9=1`},
	})
}

func TestNesting(t *testing.T) {
	run(t, []tcase{
		{"upstream: nested disable flushes, mode stays", nil, `enter
repeat 5 set addr=1000
flush
expect hypercalls=1 pending=0
repeat 5 set addr=1000
leave
expect hypercalls=2 batched=10 nested-enter=0 leave-while-inactive=0`},
		{"flat 6.15+: nested enter and outer leave crash", nil, `kernel 7.0
enter
set addr=1000
enter
expect nested-enter=1
set addr=2000
leave
expect hypercalls=1 batch.2=1
set addr=3000
expect hypercalls=2 immediate=1
leave
expect leave-while-inactive=1 hypercalls=2`},
		{"7.3: no Xen mode, so a second enter and a leave outside it are harmless", nil, `enter
set addr=1000
enter
expect nested-enter=0 cost=` + fmt.Sprint(w) + `
set addr=2000
leave                                              # lazy 0: the rest is direct
expect hypercalls=1 batch.2=1
set addr=3000
expect hypercalls=2 immediate=1
leave                                              # flush of an empty buffer
expect leave-while-inactive=0 hypercalls=2 flushes=1`},
		{"flat 6.6-6.14 (nesting): legal, inner leave flushes and stays lazy", map[string]float64{"nesting": 1}, `kernel 7.0
enter
set addr=1000
enter
set addr=2000
leave
expect hypercalls=1
set addr=3000
leave
expect hypercalls=2 batched=3 immediate=0 nested-enter=0 leave-while-inactive=0`},
		{"cost override", map[string]float64{"hypercall_ns": 100}, `repeat 2 set addr=1000
expect cost=` + fmt.Sprint(2*(w+100+ent))},
		{"flush outside lazy mode does nothing", nil, `kernel 7.0
flush
set addr=1000
flush
expect hypercalls=1 flushes=0 cost=` + fmt.Sprint(w+hc+ent)},
	})
}

// xen_get_lazy_mode() is XEN_LAZY_NONE in interrupt context: updates there
// go out at once; a modify in an interrupt flushes the whole buffer,
// including the interrupted section's updates.
func TestInterrupt(t *testing.T) {
	run(t, []tcase{
		{"7.0: set in irq is direct, flush in irq does nothing", nil, `kernel 7.0
enter
repeat 3 set addr=1000
irq_enter
set addr=9000
expect hypercalls=1 pending=3
flush                                              # no effect in irq
expect hypercalls=1 pending=3
irq_exit
repeat 2 set addr=2000
leave
expect hypercalls=2 batched=5 immediate=1 batch.5=1`},
		{"7.3: set in irq is direct, flush in irq sends the buffer", nil, `enter
repeat 3 set addr=1000
irq_enter
set addr=9000
expect hypercalls=1 pending=3
flush                                              # xen_flush_lazy_mmu checks no mode
expect hypercalls=2 pending=0 batch.3=1
irq_exit
repeat 2 set addr=2000
leave
expect hypercalls=3 batched=5 immediate=1 batch.2=1`},
		{"modify in irq flushes the buffer", nil, `enter
repeat 3 set addr=1000
irq_enter
modify addr=9000
expect hypercalls=1 pending=0 batch.4=1
irq_exit
repeat 2 set addr=2000
leave
expect hypercalls=2 batched=5 immediate=1`},
	})
}

// Switch-out in lazy MMU mode leaves (flushing); switch-in enters again if
// the next task's generic state is active.
func TestContextSwitch(t *testing.T) {
	run(t, []tcase{
		{"leave on switch-out, enter on switch-in", nil, `on cpu=0 task=0
enter
repeat 10 set addr=1000
switch next=1
expect hypercalls=1 pending=0 batch.10=1
set addr=5000                                      # task 1 not lazy: direct
expect hypercalls=2
switch next=0
repeat 2 set addr=2000
expect hypercalls=2 pending=2
leave
expect hypercalls=3 nested-enter=0 leave-while-inactive=0`},
		{"two lazy tasks share the CPU", nil, `on cpu=0 task=0
enter
repeat 4 set addr=1000
switch next=1
enter
repeat 4 set addr=1000
switch next=0
repeat 4 set addr=1000
leave
switch next=1
leave
expect hypercalls=3 nested-enter=0 leave-while-inactive=0 batch.4=3`},
		{"7.0-rc: enable preempted before its enter", nil, `kernel 7.0
on cpu=0 task=0
lazy 1                                             # counter 0->1, enter not yet made
switch next=1                                      # CPU not in lazy mode: nothing to leave
switch next=0                                      # task 0 active: switch-in enters
enter                                              # the delayed enter: BUG_ON
expect nested-enter=1`},
		{"7.0-rc: disable preempted before its leave", nil, `kernel 7.0
on cpu=0 task=0
enter
set addr=1000
lazy 0                                             # counter 1->0, leave not yet made
switch next=1                                      # CPU in lazy mode: leave (flush)
expect hypercalls=1
switch next=0                                      # task 0 inactive: no enter
leave                                              # the delayed leave: BUG_ON
expect leave-while-inactive=1`},
		{"7.3: the enable preempted before its enter is harmless", nil, `on cpu=0 task=0
lazy 1                                             # counter 0->1, enter not yet made
switch next=1                                      # pause(prev): leave, an empty flush
switch next=0                                      # resume(next): enter does nothing
enter                                              # the delayed enter does nothing either
set addr=1000
expect nested-enter=0 pending=1
leave
expect hypercalls=1 leave-while-inactive=0 cost=` + fmt.Sprint(w+hc+ent)},
		{"7.3: the disable preempted before its leave is harmless", nil, `on cpu=0 task=0
enter
set addr=1000
lazy 0                                             # counter 1->0, leave not yet made
switch next=1                                      # pause(prev): task inactive, no leave; end: xen_mc_flush
expect hypercalls=1 pending=0
switch next=0
leave                                              # the delayed leave: an empty flush
expect hypercalls=1 leave-while-inactive=0 nested-enter=0`},
		{"6.19 (flat): the same preemption is harmless", nil, `strategy flat
on cpu=0 task=0
lazy 1                                             # enable's enter held across the switch
switch next=1                                      # CPU not lazy: TIF_LAZY_MMU_UPDATES not set
switch next=0                                      # flag clear: no enter
enter                                              # the held enter
expect nested-enter=0
set addr=1000
leave
expect hypercalls=1 leave-while-inactive=0`},
		{"6.19 (flat): TIF_LAZY_MMU_UPDATES re-enters", nil, `strategy flat
on cpu=0 task=0
enter
repeat 3 set addr=1000
lazy 0                                             # generic state is not consulted before 7.0
switch next=1
switch next=0
repeat 3 set addr=1000
expect hypercalls=1 pending=3
leave
expect hypercalls=2 nested-enter=0 leave-while-inactive=0`},
		{"nesting option: switch with a nesting level open", map[string]float64{"nesting": 1}, `kernel 7.0
enter
enter
set addr=1000
switch next=1
expect nested-enter=1 hypercalls=1`},
		{"7.3: the nesting option has no mode to nest", map[string]float64{"nesting": 1}, `enter
enter
set addr=1000
switch next=1
expect nested-enter=0 hypercalls=1`},
	})
}

// The multicall path: a buffer of two or more entries goes out as one
// HYPERVISOR_multicall. PTE updates alone extend one mmu_update entry, so
// another op must be queued first (here directly, as xen_flush_tlb_multi's
// mmuext_op would).
func TestMulticall(t *testing.T) {
	b := New(nil)
	d := archtest.New(b)
	d.Enter()
	b.queueOther(0, 0, 16)
	for i := 0; i < 3; i++ {
		if err := d.Exec("set addr=1000"); err != nil {
			t.Fatal(err)
		}
	}
	d.Leave()
	st := b.Stats()
	if st.Ops[arch.Multicalls] != 1 {
		t.Errorf("multicalls = %d, want 1", st.Ops[arch.Multicalls])
	}
	if got, _ := d.Value("hypercalls"); got != 0 {
		t.Errorf("hypercalls = %v, want 0", got)
	}
	if got, _ := d.Value("batch.3"); got != 1 {
		t.Errorf("batch.3 = %v, want 1", got)
	}
	// 32 entries fill MC_BATCH: the 33rd flushes first.
	b.Reset()
	d = archtest.New(b)
	d.Enter()
	for i := 0; i < MCBatch; i++ {
		b.queueOther(0, 0, 8)
	}
	if b.cpus[0].mcidx != MCBatch {
		t.Fatalf("mcidx = %d", b.cpus[0].mcidx)
	}
	if err := d.Exec("set addr=1000"); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.Value("multicalls"); got != 1 {
		t.Errorf("multicalls after MC_BATCH entries = %v, want 1", got)
	}
	d.Leave()
	if got, _ := d.Value("hypercalls"); got != 1 {
		t.Errorf("hypercalls = %v, want 1 (the lone mmu_update entry)", got)
	}
}

func TestRules(t *testing.T) {
	if r := New(nil).Rules(); !r.NestedEnterCrashes || !r.LeaveInactiveCrashes {
		t.Errorf("Rules = %+v", r)
	}
	if r := New(map[string]float64{"nesting": 1}).Rules(); r.NestedEnterCrashes || r.LeaveInactiveCrashes {
		t.Errorf("Rules with nesting = %+v", r)
	}
}

// Driven through the generic layer (lazymmu.Layer), as the replay engine
// does; the layer's and the backend's violations for one call count once.
func TestThroughLayer(t *testing.T) {
	run(t, []tcase{
		{"upstream nested", nil, `enable
repeat 40 set addr=1000                            # the 32nd forces one hypercall
enable
repeat 10 set addr=1000
disable                                            # nested disable: flush 19
expect hypercalls=2 pending=0
repeat 5 set addr=1000
disable
expect hypercalls=3 batched=55 nested-enter=0 leave-while-inactive=0`},
		{"flat nested crashes (6.15-6.19)", nil, `strategy flat
enable
set addr=1000
enable
expect nested-enter=1
set addr=2000
disable
disable
expect leave-while-inactive=1 nested-enter=1 hypercalls=1`},
		{"flat nested with xen_lazy_nesting (6.6-6.14)", map[string]float64{"nesting": 1}, `strategy flat
enable
set addr=1000
enable
set addr=2000
disable                                            # flush, one level off, still lazy
set addr=3000
disable
expect hypercalls=2 batched=3 immediate=0 nested-enter=0 leave-while-inactive=0
disable                                            # one too many: leave_lazy BUG_ON
expect leave-while-inactive=1`},
		{"upstream pause and resume", nil, `enable
repeat 5 set addr=1000
pause                                              # leave: flush
expect hypercalls=1 pending=0
set addr=2000                                      # paused: direct
resume                                             # enter again
set addr=3000
disable
expect hypercalls=3 batched=6 immediate=1`},
		{"typed nested: NESTED, no crash", nil, `strategy typed
enable
set addr=1000
enable
set addr=2000
disable
set addr=3000
disable
expect hypercalls=2 nested-enter=0 leave-while-inactive=0`},
		{"none: every update direct", nil, `strategy none
enable
repeat 62 set addr=1000
disable
expect hypercalls=62 batched=0`},
	})
}

// Deferral times: a batched update stays deferred from its own write until
// the hypercall that sends it returns.
func TestDeferralTimes(t *testing.T) {
	d := archtest.Run(t, New(nil), `enter
set addr=1000
wait 100
set addr=2000
leave`)
	// Writes complete at 2 and 104 (pte_write_ns 2 each, 100 ns apart); the
	// leave's hypercall costs 500 + 2*60 and ends at 724.
	want := []float64{722, 620}
	if len(d.DeferTimes) != 2 || d.DeferTimes[0] != want[0] || d.DeferTimes[1] != want[1] {
		t.Errorf("deferral times %v, want %v", d.DeferTimes, want)
	}
}

// One set_ptes of nr pages costs exactly what nr single sets cost, in and out
// of lazy mode, however large nr is (the bulk path of queueMMU).
func TestSetPtesEqualsSingles(t *testing.T) {
	for _, n := range []int{1, 30, 31, 32, 62, 63, 64, 93, 94, 1000, 100000} {
		for _, pre := range []int{0, 5, 31} { // updates already queued
			one := fmt.Sprintf("enter\nrepeat %d set addr=1000\nset addr=100000 nr=%d\nleave\n", pre, n)
			many := fmt.Sprintf("enter\nrepeat %d set addr=1000\nrepeat %d set addr=100000\nleave\n", pre, n)
			a := archtest.Run(t, New(nil), one)
			b := archtest.Run(t, New(nil), many)
			sa, sb := a.B.Stats(), b.B.Stats()
			if sa.Ops != sb.Ops || sa.Flushes != sb.Flushes || sa.Batches != sb.Batches || a.Cost != b.Cost {
				t.Errorf("n=%d pre=%d: set nr=n gives %v flushes %d cost %v; n sets give %v flushes %d cost %v",
					n, pre, sa.Ops, sa.Flushes, a.Cost, sb.Ops, sb.Flushes, b.Cost)
			}
			if want := uint64(ceilDiv(pre+n, 31)); sa.Ops[arch.Hypercalls] != want {
				t.Errorf("n=%d pre=%d: %d hypercalls, want %d", n, pre, sa.Ops[arch.Hypercalls], want)
			}
			archtest.CheckLinear(t, a, nil)
		}
	}
}
