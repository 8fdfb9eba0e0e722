package replay

import (
	"errors"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// midLeave: task 1's last disable is preempted (mid=1) between the counter
// update and its leave; task 2 runs, then task 1's held leave.
const midLeave = `0 0 1 enable
1 0 1 set addr=1000
2 0 1 disable
3 0 1 switch next=2 mid=1
4 0 2 work ns=5
5 0 2 switch next=1
6 0 1 work ns=1
`

// The Xen PV 7.0-rc crash on the real x86-xen backend: under 7.0 a task
// preempted between enable's count and its enter is entered by
// xen_end_context_switch and then enters again (nested-enter, the BUG_ON in
// enter_lazy); a disable preempted before its leave is left by the
// switch-out and then leaves again (leave-while-inactive). Under 7.3 Xen
// keeps no mode of its own (enter is empty, leave only flushes,
// arch/x86/include/asm/paravirt.h), so neither trips. The other figures are
// the same: one update, batched, sent by one hypercall (2 + 500 + 60 ns).
func TestXenMidSwitchByKernel(t *testing.T) {
	for _, c := range []struct {
		trace  string
		kernel lazymmu.Kernel
		viol   map[string]uint64
	}{
		{mid, lazymmu.Kernel70, map[string]uint64{"nested-enter": 1}},
		{mid, lazymmu.Kernel73, map[string]uint64{}},
		{midLeave, lazymmu.Kernel70, map[string]uint64{"leave-while-inactive": 1}},
		{midLeave, lazymmu.Kernel73, map[string]uint64{}},
	} {
		name := map[string]string{mid: "enable", midLeave: "disable"}[c.trace] + "/" + c.kernel.String()
		t.Run(name, func(t *testing.T) {
			e, err := New(Config{Trace: "t", Arch: "x86-xen", Strategy: lazymmu.Upstream, Kernel: c.kernel})
			if err != nil {
				t.Fatal(err)
			}
			r, err := e.Run(traces.NewTextReader(strings.NewReader(c.trace), "t.lmt.txt"))
			if err != nil {
				t.Fatal(err)
			}
			if r.Kernel != c.kernel.String() {
				t.Errorf("kernel %q, want %q", r.Kernel, c.kernel)
			}
			if r.Batched != 1 || r.ArchOps["hypercalls"] != 1 || r.ModeledNs != 562 ||
				r.Callbacks != (Callbacks{Enter: 1, Leave: 1}) {
				t.Errorf("batched %d hypercalls %d modeled %v callbacks %+v, want 1 1 562 {1 1 0}",
					r.Batched, r.ArchOps["hypercalls"], r.ModeledNs, r.Callbacks)
			}
			for v := lazymmu.Violation(0); v < lazymmu.NumViolations; v++ {
				if got, want := r.Violations[v.String()], c.viol[v.String()]; got != want {
					t.Errorf("%s = %d, want %d", v, got, want)
				}
			}
		})
	}
}

// An unknown kernel is an error wrapping ErrUnknownKernel.
func TestUnknownKernel(t *testing.T) {
	_, err := New(Config{Arch: "x86-xen", Kernel: lazymmu.NumKernels})
	if !errors.Is(err, ErrUnknownKernel) {
		t.Errorf("err = %v, want %v", err, ErrUnknownKernel)
	}
}
