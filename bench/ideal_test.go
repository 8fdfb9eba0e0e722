package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

// idealMetrics are the figures ideal must not exceed. "ops" is drains plus
// updates done at once (each a flush of its own).
var idealMetrics = []struct {
	name string
	get  func(*replay.Result) float64
	none bool // also compared with none (which never drains)
}{
	{"main", replay.MetricByKey("main").Value, true},
	{"flushes", replay.MetricByKey("flushes").Value, false},
	{"modeled_ns", replay.MetricByKey("modeled_ns").Value, false},
	{"ops", func(r *replay.Result) float64 { return float64(r.Flushes + r.Immediate) }, true},
}

// idealExceptionsHeading opens, in docs/arch/NAME.md, the table of the
// (trace, strategy, metric) where ideal is above a hazard-free strategy on
// that backend, with the measured figures (ideal, other) and why.
const idealExceptionsHeading = "## Where `ideal` is not a lower bound"

// idealExceptions reads every registered backend's table of exceptions
// (idealExceptionsHeading in its doc page), keyed trace/arch/strategy/metric.
func idealExceptions(t *testing.T) map[string][2]float64 {
	t.Helper()
	ex := map[string][2]float64{}
	for _, a := range arch.Names() {
		path := filepath.Join("..", "docs", "arch", a+".md")
		doc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, table, found := strings.Cut(string(doc), idealExceptionsHeading)
		if !found {
			continue
		}
		table, _, _ = strings.Cut(table, "\n## ") // up to the next section
		for i, line := range strings.Split(table, "\n") {
			if !strings.HasPrefix(line, "| `") {
				continue
			}
			var v [2]float64
			f := strings.Split(line, "|")
			if len(f) < 7 {
				t.Fatalf("%s: table row %d: %q: want | trace | strategy | metric | ideal | other | why |", path, i, line)
			}
			trace, strat, metric := strings.Trim(f[1], " `"), strings.Trim(f[2], " `"), strings.Trim(f[3], " `")
			for k := range v {
				if v[k], err = strconv.ParseFloat(strings.TrimSpace(f[4+k]), 64); err != nil {
					t.Fatalf("%s: table row %d: %v", path, i, err)
				}
			}
			ex[trace+"/"+a+"/"+strat+"/"+metric] = v
		}
	}
	return ex
}

// On every corpus trace and arch, ideal leaves no hazard, and its main
// counter, drains (flushes), modeled time and operations (drains plus
// updates done at once) are at most those of every strategy that leaves no
// hazard either, apart from idealExceptions. none is compared on the main
// counter and the operations only: it never batches, so it never drains and
// pays no batching overhead. (upstream is not hazard-free on every trace:
// pagemap-scan issues a TLB flush inside its section, before the pending
// updates are flushed, KERNEL.md 4.)
func TestIdealLowerBoundCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("replays the whole corpus under every arch and strategy")
	}
	exceptions := idealExceptions(t)
	seen := map[string]bool{}
	for _, tr := range benchTraces(t) {
		for _, a := range arch.Names() {
			res := map[lazymmu.Strategy]*replay.Result{}
			for _, s := range lazymmu.Strategies() {
				r, err := traces.NewBytesReader(tr.data, tr.name)
				if err != nil {
					t.Fatal(err)
				}
				if res[s], err = replay.Run(r, replay.Config{Trace: tr.name, Arch: a, Strategy: s}); err != nil {
					t.Fatal(err)
				}
			}
			ideal := res[lazymmu.Ideal]
			if ideal.HazardTotal() != 0 {
				t.Errorf("%s/%s: ideal hazards %v", tr.name, a, ideal.Hazards)
			}
			for _, s := range lazymmu.Strategies() {
				r := res[s]
				if s == lazymmu.Ideal || r.HazardTotal() != 0 {
					continue
				}
				for _, m := range idealMetrics {
					if s == lazymmu.None && !m.none {
						continue
					}
					iv, ov := m.get(ideal), m.get(r)
					key := fmt.Sprintf("%s/%s/%s/%s", tr.name, a, s, m.name)
					ex, isEx := exceptions[key]
					switch {
					case isEx:
						seen[key] = true
						if ex != [2]float64{iv, ov} {
							t.Errorf("%s: ideal %g, %s %g; docs/arch/%s.md's exception table says %g, %g", key, iv, s, ov, a, ex[0], ex[1])
						}
					case iv > ov+1e-6:
						t.Errorf("%s: ideal %g > %s %g (if the model is right, add it to docs/arch/%s.md's table, %q)", key, iv, s, ov, a, idealExceptionsHeading)
					}
				}
			}
		}
	}
	for k := range exceptions {
		if !seen[k] {
			t.Errorf("exception %s no longer happens: remove it from its docs/arch table", k)
		}
	}
}
