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
	// perPreemption: against a strategy preempted inside a section on an
	// arch whose enter disables preemption, ideal may exceed it by one per
	// such preemption (preemptions); the other metrics are not compared
	// with such a strategy.
	perPreemption bool
}{
	{"main", replay.MetricByKey("main").Value, true, true},
	{"flushes", replay.MetricByKey("flushes").Value, false, true},
	{"modeled_ns", replay.MetricByKey("modeled_ns").Value, false, false},
	{"ops", func(r *replay.Result) float64 { return float64(r.Flushes + r.Immediate) }, true, true},
}

// preemptions is the number of context switches of r that switched a task
// out inside a section on an arch whose enter disables preemption (the
// arch's preempted-in-section): a schedule that arch's kernel cannot run.
// The other strategy keeps its batch across the switch (the model leaves it
// with the CPU); ideal ends it before the switch (docs/replay.md, "ideal",
// point 3), which splits one batch in two: one drain more per preemption,
// and on the corpus at most one more hcall, cross-call or IPTE run.
func preemptions(r *replay.Result) float64 {
	return float64(r.Violations[lazymmu.PreemptedInSection.String()])
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
// updates are flushed, docs/kernel.md 4.) Against a strategy that was preempted
// inside a section where the arch forbids it (preemptions), ideal may
// exceed the main counter, drains and operations by one per preemption, and
// modeled time is not compared: the recorded arm64 traces are preempted in
// vmalloc's sections, which arm64 allows and powerpc, sparc64 and s390 do not.
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
				p := preemptions(r)
				for _, m := range idealMetrics {
					if s == lazymmu.None && !m.none || p > 0 && !m.perPreemption {
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
					case iv > ov+p+1e-6:
						t.Errorf("%s: ideal %g > %s %g + %g preempted-in-section (if the model is right, add it to docs/arch/%s.md's table, %q)", key, iv, s, ov, p, a, idealExceptionsHeading)
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

// preemptedSection is the recorded arm64 traces' case cut down (first on
// recorded_arm64_vmap at event 8783: pid 101 switched out inside a
// vmalloc section): task 1 is switched out inside its section, task 2 runs,
// task 1 comes back and finishes the section.
const preemptedSection = `lazymmu-trace v1
0 0 1 enable
1 0 1 getclear addr=1000 mm=1 was=1
2 0 1 getclear addr=2000 mm=1 was=1
3 0 1 switch next=2
4 0 2 work ns=100
5 0 2 switch next=1
6 0 1 getclear addr=3000 mm=1 was=1
7 0 1 getclear addr=4000 mm=1 was=1
8 0 1 disable
`

// preemptedFigures are one strategy's figures on preemptedSection.
type preemptedFigures struct {
	flushes, main, preempted uint64
	ns                       float64
}

// On preemptedSection, upstream keeps the batch across the switch where the
// arch's enter disabled preemption (one drain, and one preempted-in-section)
// and ideal ends it before the switch (two drains, no violation): one drain
// and one hcall / cross-call / IPTE run more. The arches that let a task be
// preempted in a section (arm64, arm64-kpkeys, x86, x86-xen) see no difference. Exact
// figures for every registered arch; the arches with a difference are
// exactly those whose backend says arch.PreemptOff.
func TestIdealPreemptedInSection(t *testing.T) {
	want := map[string][2]preemptedFigures{ // upstream, ideal
		"arm64":        {{0, 0, 0, 18}, {0, 0, 0, 18}},
		"arm64-kpkeys": {{0, 2, 0, 44}, {0, 2, 0, 44}},
		"ppc64-hash":   {{1, 1, 1, 1504}, {2, 2, 0, 2304}},
		"sparc64":      {{1, 1, 1, 3564}, {2, 2, 0, 6564}},
		"x86-xen":      {{0, 0, 0, 6000}, {0, 0, 0, 6000}},
		"x86":          {{0, 0, 0, 32}, {0, 0, 0, 32}},
		"s390":         {{1, 1, 1, 1285}, {2, 2, 0, 2280}},
	}
	for _, a := range arch.Names() {
		w, ok := want[a]
		if !ok {
			t.Errorf("%s: no expected figures", a)
			continue
		}
		be, err := arch.New(a, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := be.(arch.PreemptOff)
		if off := p != nil && p.PreemptOffInSection(); off != (w[0].preempted == 1) {
			t.Errorf("%s: PreemptOffInSection %v, but the table expects %d preempted-in-section", a, off, w[0].preempted)
		}
		for i, s := range []lazymmu.Strategy{lazymmu.Upstream, lazymmu.Ideal} {
			tr := traces.NewTextReader(strings.NewReader(preemptedSection), "preempted.lmt.txt")
			r, err := replay.Run(tr, replay.Config{Trace: "preempted", Arch: a, Strategy: s})
			if err != nil {
				t.Fatal(err)
			}
			got := preemptedFigures{r.Flushes, uint64(replay.MetricByKey("main").Value(r)), uint64(preemptions(r)), r.ModeledNs}
			if got != w[i] || r.HazardTotal() != 0 {
				t.Errorf("%s/%s: %+v, hazards %d; want %+v, 0", a, s, got, r.HazardTotal(), w[i])
			}
		}
	}
}
