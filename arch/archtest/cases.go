package archtest

import (
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/traces"
)

// CheckLinearReset runs script on newB(o) for each o of opts (nil: the
// defaults) and checks that the calls cost something, that their modeled
// time is the dot product of Terms with the values (CheckLinear), and that
// Reset zeroes every term.
func CheckLinearReset[B arch.Backend](t *testing.T, newB func(map[string]float64) B, script string, opts ...map[string]float64) {
	t.Helper()
	for _, o := range opts {
		d := Run(t, newB(o), script)
		if d.Cost == 0 {
			t.Errorf("options %v: the script cost nothing", o)
		}
		CheckLinear(t, d, o)
		d.B.Reset()
		for _, x := range d.B.(arch.Linear).Terms(nil) {
			if x != 0 {
				t.Errorf("options %v: Reset left terms %v", o, d.B.(arch.Linear).Terms(nil))
				break
			}
		}
	}
}

// Section returns a function that runs one lazy-mode section on CPU 0 of b:
// enter, n updates like ev at addresses base, base+1<<shift, ..., leave.
// It allocates nothing itself, for allocation tests and benchmarks.
func Section(b arch.Backend, ev traces.Event, n int, base uint64, shift uint) func() {
	c := &arch.Ctx{CPU: 0, Lazy: true}
	return func() {
		b.Enter(c)
		for i := 0; i < n; i++ {
			ev.Addr = base + uint64(i)<<shift
			b.Update(c, &ev)
		}
		b.Leave(c)
	}
}
