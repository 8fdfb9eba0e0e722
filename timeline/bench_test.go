package timeline

import (
	"io"
	"testing"

	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
)

// BenchmarkTimeline measures what recording and writing a timeline costs on
// top of a replay (compare sub-benchmarks off and on).
func BenchmarkTimeline(b *testing.B) {
	const trace = "mix"
	if _, err := corpus.Lookup(trace); err != nil {
		b.Skip(err)
	}
	for _, on := range []bool{false, true} {
		name := "timeline=off"
		if on {
			name = "timeline=on"
		}
		b.Run(name, func(b *testing.B) {
			var events uint64
			for i := 0; i < b.N; i++ {
				r, c, err := corpus.Open(trace)
				if err != nil {
					b.Fatal(err)
				}
				cfg := replay.Config{Trace: trace, Arch: "x86-xen", Strategy: lazymmu.Upstream}
				var tl *Timeline
				if on {
					tl = New()
					tl.Strings = r.Strings
					cfg.Observer = tl
				}
				res, err := replay.Run(r, cfg)
				c.Close()
				if err != nil {
					b.Fatal(err)
				}
				if tl != nil {
					if err := tl.Close(io.Discard); err != nil {
						b.Fatal(err)
					}
				}
				events = res.Events
			}
			b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
