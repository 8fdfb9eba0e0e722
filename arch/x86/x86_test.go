package x86

import (
	"fmt"
	"testing"

	"github.com/lazybench/lazybench/arch/archtest"
)

// Native x86: lazy mode changes nothing. Every update is immediate, nothing
// is ever pending, and the modeled time is the same in and out of sections.
func TestNoOp(t *testing.T) {
	for _, n := range []int{1, 31, 512} {
		for _, tc := range []struct{ op, keys string }{
			{"set", ""}, {"clear", ""}, {"modify", ""}, {"getclear", " full=1"},
		} {
			want := float64(n) * 1 // pte_write_ns
			for _, lazy := range []bool{false, true} {
				s := fmt.Sprintf("repeat %d %s addr=1000%s\n", n, tc.op, tc.keys)
				if lazy {
					s = "enter\n" + s + "expect pending=0\nflush\nleave\n"
				}
				s += fmt.Sprintf("expect immediate=%d batched=0 flushes=0 pending=0 barriers=0 hypercalls=0 cost=%v", n, want)
				t.Run(fmt.Sprintf("%s_n%d_lazy%v", tc.op, n, lazy), func(t *testing.T) {
					d := archtest.Run(t, New(nil), s)
					archtest.CheckLinear(t, d, nil)
					archtest.CheckInvariants(t, d)
				})
			}
		}
	}
}

func TestAtomics(t *testing.T) {
	d := archtest.Run(t, New(map[string]float64{"pte_atomic_ns": 3}), `enter
repeat 4 getclear addr=1000
set addr=2000 nr=8
wrprotect addr=3000 nr=2
irq_enter
clear addr=4000
irq_exit
switch next=1
leave
expect immediate=7 cost=`+fmt.Sprint(4*3+8*1+2*3+1))
	archtest.CheckLinear(t, d, map[string]float64{"pte_atomic_ns": 3})
}
