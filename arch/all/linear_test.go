package all

import (
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/arch/archtest"
)

// linearScript exercises every path of a backend: lazy and immediate updates
// of every kind, user and kernel mms, an mm and a page-size change, a full
// teardown update, updates in interrupt context, an explicit flush, a second
// CPU and task, and FlushAll.
const linearScript = `
	enter
	repeat 300 getclear addr=100000
	repeat 3 modify addr=10000000 mm=2
	repeat 2 set addr=300000 was=1
	repeat 2 clear addr=400000 shift=16
	getclear addr=500000 full=1
	irq_enter
	getclear addr=c000000000010000 mm=0
	clear addr=600000
	irq_exit
	flush
	wrprotect addr=700000
	leave
	repeat 5 modify addr=100000
	repeat 2 getclear addr=100000 nr=3
	on cpu=1 task=1
	enter
	repeat 7 clear addr=200000 mm=3
	flushall
`

// Every backend's modeled time is the dot product of its Terms with the
// parameter values (arch.Linear: what calibrate fits), and Reset zeroes the
// terms: with the default options, and with each option flipped from its
// default (options are 0/1), so a new option is covered without a list here.
func TestLinearEveryBackend(t *testing.T) {
	for _, name := range arch.Names() {
		t.Run(name, func(t *testing.T) {
			info, _ := arch.Lookup(name)
			opts := []map[string]float64{nil}
			for _, o := range info.Options {
				opts = append(opts, map[string]float64{o.Name: 1 - o.Default})
			}
			newB := func(v map[string]float64) arch.Backend {
				return info.New(info.Values(arch.Costs{name: v}))
			}
			archtest.CheckLinearReset(t, newB, linearScript, opts...)
		})
	}
}
