package replay

import (
	"bytes"
	"math"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
)

// hostileTrace is mixed plus updates of the most pages an event can name
// (nr traces.MaxUpdateNr), a work event of 2^64-1 ns and a section on another CPU, so
// that every cost a backend charges is multiplied by as much as one event
// can multiply it.
const hostileTrace = mixed + `0 0 1 enable
0 0 1 set addr=10000 nr=8192
0 0 1 modify addr=20000 mm=0 nr=8192 valid=0
0 0 1 getclear addr=30000 nr=8192
0 0 1 wrprotect addr=40000 nr=8192
0 0 1 clear addr=50000 mm=0 nr=8192
0 0 1 work ns=18446744073709551615
0 0 1 tlbflush addr=10000 nr=4294967295
0 0 1 disable
0 2 9 enable
0 2 9 set addr=60000 nr=8192
0 2 9 switch next=10
0 2 10 set addr=70000 nr=8192
`

// maxCostFile sets every parameter of every registered backend to
// arch.MaxCost and every option to 1.
func maxCostFile() []byte {
	c := arch.Costs{}
	for _, n := range arch.Names() {
		info, _ := arch.Lookup(n)
		m := map[string]float64{}
		for _, p := range info.Params {
			m[p.Name] = arch.MaxCost
		}
		for _, p := range info.Options {
			m[p.Name] = 1
		}
		c[n] = m
	}
	var buf bytes.Buffer
	arch.WriteCosts(&buf, c)
	return buf.Bytes()
}

// FuzzCostsReplay loads any cost file and, if it is accepted, replays
// hostileTrace under every strategy on every backend with those costs:
// the replay must succeed and every modeled figure must be finite (issue
// 20: an accepted cost of 1e306 overflowed to +Inf and NaN).
func FuzzCostsReplay(f *testing.F) {
	f.Add(maxCostFile())
	f.Add([]byte("[x86]\npte_write_ns = 1e12\npte_atomic_ns = 1e12\n"))
	f.Add([]byte("[arm64]\nbarrier_pair_ns = 999999999999.9\n[\"x86-xen\"]\nnesting = true\nhypercall_ns = 1e12\n"))
	evs := repeated(f, hostileTrace, 1)
	f.Fuzz(func(t *testing.T, data []byte) {
		costs, err := arch.ParseCosts("f.toml", data)
		if err != nil {
			return
		}
		for _, name := range arch.Names() {
			for _, s := range lazymmu.Strategies() {
				r, err := Run(&sliceReader{ev: evs}, Config{Trace: "hostile", Arch: name, Strategy: s, Costs: costs})
				if err != nil {
					t.Fatalf("%s/%s: %v", name, s, err)
				}
				for _, v := range []float64{r.ModeledNs, r.WallNs, r.WorkNs, r.SectionNs.P50, r.SectionNs.P90, r.SectionNs.P99, r.SectionNs.Max,
					r.DeferredNs.P50, r.DeferredNs.P90, r.DeferredNs.P99, r.DeferredNs.Max} {
					if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
						t.Fatalf("%s/%s: a modeled figure is %v: %+v", name, s, v, r)
					}
				}
			}
		}
	})
}
