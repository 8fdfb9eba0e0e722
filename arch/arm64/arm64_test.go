package arm64

import (
	"fmt"
	"testing"

	"github.com/lazybench/lazybench/arch/archtest"
	"github.com/lazybench/lazybench/traces"
)

// Default costs, for the expected modeled times below.
const (
	w   = 2.0  // pte_write_ns
	bp  = 40.0 // barrier_pair_ns
	chk = 1.0  // defer_check_ns
	at  = 10.0 // flag_atomic_ns
)

type tcase struct {
	name   string
	opts   map[string]float64
	script string
}

func run(t *testing.T, cases []tcase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := New(tc.opts)
			d := archtest.Run(t, b, tc.script)
			archtest.CheckLinear(t, d, tc.opts)
			archtest.CheckInvariants(t, d)
		})
	}
}

// A section of N valid kernel PTE writes pays one barrier pair, plus the
// flag atomics (set on the first write, test_and_clear at leave) and one
// flag test per write; outside lazy mode every write pays a pair.
func TestSectionSizes(t *testing.T) {
	var cases []tcase
	for _, n := range []int{1, 30, 31, 32, 62, 63, 191, 192, 193, 512} {
		hist := n
		if n > 1024 {
			hist = 1024
		}
		lazyCost := float64(n)*(w+chk) + 2*at + bp
		cases = append(cases, tcase{
			name: fmt.Sprintf("lazy_kernel_n%d", n),
			script: fmt.Sprintf(`enter
repeat %d set mm=0 addr=ffff000010000000
expect barriers=0 batched=%d pending=%d pending.0=%d
leave
expect barriers=1 batched=%d immediate=0 flushes=1 batch.%d=1 pending=0 drained=%d cost=%v`,
				n, n, n, n, n, hist, n, lazyCost),
		}, tcase{
			name: fmt.Sprintf("outside_kernel_n%d", n),
			script: fmt.Sprintf(`repeat %d set mm=0 addr=ffff000010000000
expect barriers=%d immediate=%d batched=0 flushes=0 pending=0 cost=%v`,
				n, n, n, float64(n)*(w+bp)),
		})
	}
	run(t, cases)
}

func TestWhichWritesNeedBarriers(t *testing.T) {
	run(t, []tcase{
		{"user set in lazy", nil, `enter
repeat 10 set mm=3 addr=1000
leave
expect barriers=0 immediate=10 batched=0 flushes=0 cost=` + fmt.Sprint(10*w+at)},
		{"user set outside", nil, `repeat 10 set mm=3 addr=1000
expect barriers=0 immediate=10`},
		{"invalid kernel set", nil, `set mm=0 addr=1000 valid=0
enter
set mm=0 addr=2000 valid=0
leave
expect barriers=0 immediate=2 batched=0`},
		{"kernel clear is invalid", nil, `clear mm=0 addr=1000
expect barriers=0 immediate=1`},
		{"kernel getclear and wrprotect: no barrier", nil, `getclear mm=0 addr=1000
wrprotect mm=0 addr=2000
expect barriers=0 immediate=2`},
		{"kernel modify valid", nil, `modify mm=0 addr=1000
enter
modify mm=0 addr=2000
leave
expect barriers=2 immediate=1 batched=1`},
		{"set_ptes of 16 pages: one queue_pte_barriers", nil, `set mm=0 addr=1000 nr=16
expect barriers=1 immediate=1 cost=` + fmt.Sprint(16*w+bp)},
		{"leave with nothing pending", nil, `enter
leave
expect barriers=0 flushes=0 cost=` + fmt.Sprint(at)},
		{"mixed section", nil, `enter
repeat 5 set mm=0 addr=1000
repeat 5 set mm=2 addr=1000
getclear mm=0 addr=1000
leave
expect barriers=1 batched=5 immediate=6 batch.5=1`},
	})
}

// Nesting: upstream's nested disable flushes and stays lazy; flat's inner
// leave flushes and the generic layer says lazy mode is off for the rest of
// the outer section (6.16-6.19, commit 1ef3095b1405).
func TestNesting(t *testing.T) {
	run(t, []tcase{
		{"upstream", nil, `enter                   # enable 0->1
set mm=0 addr=1000
                                                 # nested enable: no callback
set mm=0 addr=2000
flush                                            # nested disable
expect barriers=1 pending=0 batch.2=1
set mm=0 addr=3000
set mm=0 addr=4000
leave
expect barriers=2 batched=4 immediate=0 flushes=2 batch.2=2`},
		{"flat (6.16-6.19: TIF_LAZY_MMU)", nil, `strategy flat
enter                                            # set TIF_LAZY_MMU
set mm=0 addr=1000
enter                                            # nested: flag already set
set mm=0 addr=2000
leave                                            # inner leave: flush, clear TIF_LAZY_MMU
expect barriers=1 pending=0
repeat 3 set mm=0 addr=3000                      # rest of the outer section unbatched
leave                                            # outer leave: nothing pending
expect barriers=4 batched=2 immediate=3 flushes=1 cost=` +
			// 2 enters + 2 leaves set/clear TIF_LAZY_MMU (4 atomics), the
			// first deferred write sets PENDING (1), 2 test_and_clear (2).
			fmt.Sprint(5*w+2*chk+7*at+4*bp)},
		{"flat ignores the generic state", nil, `strategy flat
lazy 1
set mm=0 addr=1000
expect barriers=1 immediate=1`},
		{"upstream follows the generic state", nil, `lazy 1
set mm=0 addr=1000
expect barriers=0 batched=1`},
	})
}

func TestInterrupt(t *testing.T) {
	run(t, []tcase{
		{"irq in the middle of a section", nil, `enter
set mm=0 addr=1000
irq_enter
set mm=0 addr=9000                               # in_interrupt: barrier at once
expect barriers=1 pending=1
irq_exit
set mm=0 addr=2000
leave
expect barriers=2 batched=2 immediate=1 batch.2=1`},
		{"6.16 section with an irq", nil, `strategy flat
enter
set mm=0 addr=1000
irq_enter
set mm=0 addr=9000
irq_exit
set mm=0 addr=2000
leave
expect barriers=2 batched=2 immediate=1 batch.2=1`},
		{"6.16 callbacks return early in irq", nil, `strategy flat
irq_enter
enter
leave
flush
irq_exit
expect cost=0`},
	})
}

// __switch_to's dsb(ish) publishes the outgoing task's pending writes; the
// PENDING flag stays with the task, so its next flush still pays a pair.
func TestContextSwitch(t *testing.T) {
	run(t, []tcase{
		{"switch drains, flag follows the task", nil, `on cpu=0 task=0
enter
repeat 3 set mm=0 addr=1000
expect pending.0=3
switch next=1
expect pending=0 drained=3 deferred=9 flushes=1 batch.3=1 barriers=0
set mm=0 addr=8000                               # task 1 is not lazy
expect barriers=1
switch next=0
set mm=0 addr=4000
leave
expect barriers=2 flushes=2 batch.1=1`},
		{"flag set, nothing left after the switch", nil, `enter
set mm=0 addr=1000
switch next=1
switch next=0
leave
expect barriers=1 flushes=1 batch.1=1`},
		{"task migrates: its pending entries are per task", nil, `on cpu=0 task=0
enter
repeat 2 set mm=0 addr=1000
on cpu=1 task=5
enter
repeat 4 set mm=0 addr=9000
expect pending.0=2 pending.5=4
leave
expect pending.0=2 pending.5=0 barriers=1`},
	})
}

func TestFlushAll(t *testing.T) {
	run(t, []tcase{
		{"end of trace inside sections", nil, `on cpu=0 task=0
enter
repeat 2 set mm=0 addr=1000
on cpu=1 task=1
enter
set mm=0 addr=9000
flushall
expect barriers=2 pending=0 flushes=2`},
	})
}

func TestRules(t *testing.T) {
	r := New(nil).Rules()
	if r.NestedEnterCrashes || r.LeaveInactiveCrashes || !r.IgnoresIRQ {
		t.Errorf("Rules = %+v, want only IgnoresIRQ", r)
	}
}

// The same rules driven through the generic layer (lazymmu.Layer) of each
// strategy, as the replay engine does.
func TestThroughLayer(t *testing.T) {
	run(t, []tcase{
		{"upstream nested", nil, `enable
set mm=0 addr=1000
enable
set mm=0 addr=2000
disable                                          # nested disable: flush
expect barriers=1 pending=0
repeat 2 set mm=0 addr=3000
disable
expect barriers=2 batched=4 immediate=0`},
		{"flat nested (DEBUG_PAGEALLOC)", nil, `strategy flat
enable
set mm=0 addr=1000
enable
set mm=0 addr=2000
disable                                          # inner leave: batching off
repeat 3 set mm=0 addr=3000
disable
expect barriers=4 batched=2 immediate=3 nested-enter=0 leave-while-inactive=0`},
		{"upstream pause", nil, `enable
set mm=0 addr=1000
pause                                            # leave: flush
expect barriers=1
set mm=0 addr=2000                               # paused: immediate
resume
set mm=0 addr=3000
disable
expect barriers=3 batched=2 immediate=1`},
		{"typed nested", nil, `strategy typed
enable
set mm=0 addr=1000
enable                                           # NESTED: no callback
set mm=0 addr=2000
disable                                          # leave(NESTED): flush
set mm=0 addr=3000
disable
expect barriers=2 batched=3`},
		{"none", nil, `strategy none
enable
repeat 4 set mm=0 addr=1000
disable
expect barriers=4 batched=0 immediate=4`},
		{"upstream irq section is ignored", nil, `enable
set mm=0 addr=1000
irq_enter
enable
set mm=0 addr=9000
disable
irq_exit
set mm=0 addr=2000
disable
expect barriers=2 batched=2 immediate=1`},
	})
}

// TestNeedsBarrier checks needsBarrier over every update op, mm, valid flag and
// page count: set, clear and modify of a valid kernel entry (two flag values
// each, three page counts) need the pair, and nothing else.
func TestNeedsBarrier(t *testing.T) {
	need := 0
	for op := traces.OpSet; op <= traces.OpWrprotect; op++ {
		for _, mm := range []uint32{0, 7} {
			for _, flags := range []uint8{0, traces.FlagValid, traces.FlagValid | traces.FlagWas} {
				for _, nr := range []uint32{0, 1, 16} {
					ev := traces.Event{Op: op, MM: mm, Flags: flags, Nr: nr, Addr: 0x1000}
					b := needsBarrier(&ev)
					want := (op == traces.OpSet || op == traces.OpClear || op == traces.OpModify) && mm == 0 && flags&traces.FlagValid != 0
					if b != want {
						t.Fatalf("%+v: needsBarrier %v, want %v", ev, b, want)
					}
					if b {
						need++
					}
				}
			}
		}
	}
	if need != 3*2*3 {
		t.Errorf("%d updates need the pair, want %d", need, 3*2*3)
	}
}
