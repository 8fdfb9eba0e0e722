package archtest

import (
	"math"
	"testing"

	"github.com/lazybench/lazybench/arch"
)

// CheckLinear checks that a backend implementing arch.Linear models exactly
// the time the driver summed: sum of Terms[i] * param value i equals d.Cost.
// values are the parameter values the backend was built with (nil: defaults).
func CheckLinear(t testing.TB, d *Driver, values map[string]float64) {
	t.Helper()
	lin, ok := d.B.(arch.Linear)
	if !ok {
		t.Fatalf("%s does not implement arch.Linear", d.B.Name())
	}
	info, ok := arch.Lookup(d.B.Name())
	if !ok {
		t.Fatalf("%s not registered", d.B.Name())
	}
	terms := lin.Terms(nil)
	if len(terms) != len(info.Params) {
		t.Fatalf("%s: %d terms for %d params", d.B.Name(), len(terms), len(info.Params))
	}
	v := info.Values(nil)
	for k, x := range values {
		v[k] = x
	}
	sum := 0.0
	for i, p := range info.Params {
		sum += terms[i] * v[p.Name]
	}
	if math.Abs(sum-d.Cost) > 1e-6*math.Max(1, d.Cost) {
		t.Errorf("%s: linear model %v ns (terms %v), driver summed %v ns", d.B.Name(), sum, terms, d.Cost)
	}
}
