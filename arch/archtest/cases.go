package archtest

import (
	"testing"

	"github.com/lazybench/lazybench/arch"
)

// CheckLinearReset runs script on newB(o) for each o of opts (nil: the
// defaults) and checks that the calls cost something, that their modeled
// time is the dot product of Terms with the values (CheckLinear), and that
// Reset zeroes every term.
func CheckLinearReset(t *testing.T, newB func(map[string]float64) arch.Backend, script string, opts ...map[string]float64) {
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
