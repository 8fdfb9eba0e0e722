package arm64kpkeys

import (
	"fmt"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/arch/archtest"
)

// Default costs, for the expected modeled times below.
const (
	w   = 2.0  // pte_write_ns
	bp  = 40.0 // barrier_pair_ns
	chk = 1.0  // defer_check_ns
	at  = 10.0 // flag_atomic_ns
	por = 3.0  // por_write_ns
	isb = 10.0 // isb_ns
	// guard is guard(kpkeys_hardened_pgtables) around one PTE write: raise
	// and restore, each a POR_EL1 write and an ISB.
	guard = 2 * (por + isb)
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

func cost(x float64) string { return fmt.Sprint(x) }

func TestSwitches(t *testing.T) {
	run(t, []tcase{
		{"outside lazy mode every PTE write switches twice", nil, `repeat 3 set mm=0 addr=ffff000010000000
expect pkey_switches=6 barriers=3 immediate=3 cost=` + cost(3*(guard+w+bp))},
		{"nr=8 is eight guarded writes", nil, `set mm=3 addr=1000 nr=8
expect pkey_switches=16 barriers=0 cost=` + cost(8*(guard+w))},
		{"every op is guarded", nil, `set mm=3 addr=1000
clear mm=3 addr=2000
getclear mm=3 addr=3000
modify mm=3 addr=4000
wrprotect mm=3 addr=5000
expect pkey_switches=10 cost=` + cost(5*(guard+w))},
		// One raise at enter; the leave restores without its ISB since the
		// barrier pair that follows (TIF_LAZY_MMU_PENDING) has one.
		{"a section of kernel writes: one raise, one restore without ISB", nil, `enter
repeat 4 set mm=0 addr=ffff000010000000
expect pkey_switches=1
leave
expect pkey_switches=2 barriers=1 batched=4 cost=` + cost((por+isb)+4*(w+chk)+at+por+at+bp)},
		{"a section of user writes: the restore has its ISB", nil, `enter
repeat 4 getclear mm=3 addr=1000
leave
expect pkey_switches=2 barriers=0 cost=` + cost((por+isb)+4*w+(por+isb)+at)},
		{"a nested disable's flush keeps the level", nil, `enter
set mm=3 addr=1000
flush
set mm=3 addr=2000
leave
expect pkey_switches=2 cost=` + cost(2*(por+isb)+2*w+2*at)},
		{"batch=0: every write switches in lazy mode too", map[string]float64{"batch": 0}, `enter
repeat 4 set mm=0 addr=ffff000010000000
leave
expect pkey_switches=8 barriers=1 batched=4 cost=` + cost(4*(guard+w+chk)+at+at+bp)},
		// POR_EL1 is reset on exception entry: an interrupt's write switches.
		{"a write in an interrupt inside a section switches", nil, `enter
set mm=0 addr=ffff000010000000
irq_enter
set mm=0 addr=ffff000020000000
irq_exit
leave
expect pkey_switches=4 barriers=2 batched=1 immediate=1 cost=` + cost((por+isb)+(w+chk+at)+(guard+w+bp)+por+at+bp)},
		// 6.17-rc1 (v5's base): every flat enter raises and overwrites the
		// saved value, the inner leave restores and clears TIF_LAZY_MMU, so
		// the rest of the outer section switches per write.
		{"flat: nested sections", nil, `strategy flat
enable
set mm=0 addr=ffff000010000000
enable
set mm=0 addr=ffff000020000000
disable
set mm=0 addr=ffff000030000000
disable
expect pkey_switches=6 barriers=2 batched=2 immediate=1 cost=` + cost(
			(at+por+isb)+(w+chk+at)+(at+por+isb)+(w+chk)+(por+at+bp+at)+(guard+w+bp)+(por+isb+at+at))},
		{"cost override", map[string]float64{"isb_ns": 100, "por_write_ns": 1}, `set mm=3 addr=1000
expect pkey_switches=2 cost=` + cost(2*(1+100)+w)},
	})
}

// TestInfo checks the backend's main counter and its title, which says
// that it models an unmerged series.
func TestInfo(t *testing.T) {
	if info, _ := arch.Lookup(Name); info.Main != arch.PkeySwitches || info.Title() != "arm64-kpkeys (unmerged series)" {
		t.Errorf("main counter %v, title %q", info.Main, info.Title())
	}
}
