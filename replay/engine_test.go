package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/internal/golden"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

func run(t *testing.T, s lazymmu.Strategy, text string, obs Observer) *Result {
	t.Helper()
	e, err := New(Config{Trace: "t", Backend: &fake{}, Info: fakeInfo, Strategy: s, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(traces.NewTextReader(strings.NewReader(text), "t.lmt.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// nested: a nested section whose inner disable must make the inner update
// take effect before the access that follows it.
const nested = `lazymmu-trace v1
0 0 1 enable
1 0 1 set addr=1000
2 0 1 enable
3 0 1 set addr=2000
4 0 1 disable
5 0 1 access addr=2000
6 0 1 work ns=100
7 0 1 set addr=3000
8 0 1 disable
9 0 1 access addr=3000
`

// mid: task 1 is preempted inside its enable, between the counter update and
// the enter; the switch back re-enters lazy mode for it (its counter says
// active) and then the held enter runs: Xen PV's 7.0-rc double enter.
const mid = `0 0 1 enable
1 0 1 switch next=2 mid=1
2 0 2 work ns=5
3 0 2 switch next=1
4 0 1 set addr=1000
5 0 1 disable
`

// preempt: a plain switch inside a section, and back.
const preempt = `0 0 1 enable
1 0 1 set addr=1000
2 0 1 switch next=2
3 0 2 set addr=5000
4 0 2 switch next=1
5 0 1 set addr=2000
6 0 1 disable
`

// irq: calls in interrupt context are ignored; the update there is immediate.
const irq = `0 0 1 enable
1 0 1 irq_enter
2 0 1 enable
3 0 1 set addr=1000
4 0 1 disable
5 0 1 irq_exit
6 0 1 set addr=2000
7 0 1 disable
`

// unbalanced: the trace ends inside a section with deferred updates, and a
// pid change on CPU 0 without a switch event; CPU 1 runs task 3 in a pause.
const unbalanced = `0 0 1 enable
1 0 1 set addr=1000
2 0 1 set addr=2000
3 1 3 enable
4 1 3 pause
5 1 3 set addr=7000
6 0 2 set addr=3000
7 0 2 tlbflush addr=1000 nr=2
`

// batch: six updates in one section fill the fake's batch of 4 once.
const batch = `0 0 1 enable
0 0 1 set addr=1000
0 0 1 set addr=2000
0 0 1 set addr=3000
0 0 1 set addr=4000
0 0 1 set addr=5000
0 0 1 access addr=5000
0 0 1 set addr=6000
0 0 1 disable
`

var traceTable = map[string]string{"nested": nested, "mid": mid, "preempt": preempt, "irq": irq, "unbalanced": unbalanced, "batch": batch}

type want struct {
	events, updates, batched, immediate uint64
	enter, leave, flush                 uint64
	hyper, multi, flushes, sections     uint64
	stale, tlb                          uint64
	violations                          map[string]uint64
	modeled                             float64
	tasks                               int
}

func TestEngineCounts(t *testing.T) {
	for _, c := range []struct {
		trace string
		s     lazymmu.Strategy
		w     want
	}{
		{"nested", lazymmu.Upstream, want{events: 10, updates: 3, batched: 3, enter: 1, leave: 1, flush: 1, hyper: 1, multi: 1, flushes: 2, sections: 1, modeled: 23, tasks: 1}},
		{"nested", lazymmu.NoFlush, want{events: 10, updates: 3, batched: 3, enter: 1, leave: 1, multi: 1, flushes: 1, sections: 1, stale: 1, modeled: 13, tasks: 1}},
		{"nested", lazymmu.None, want{events: 10, updates: 3, immediate: 3, hyper: 3, sections: 1, modeled: 30, tasks: 1}},
		// ideal drops the nested disable's flush; the access after it
		// needs the inner update, so the oracle flushes there instead.
		{"nested", lazymmu.Ideal, want{events: 10, updates: 3, batched: 3, enter: 1, leave: 1, hyper: 1, multi: 1, flushes: 2, sections: 1, modeled: 23, tasks: 1}},
		{"mid", lazymmu.Upstream, want{events: 6, updates: 1, batched: 1, enter: 1, leave: 1, hyper: 1, flushes: 1, sections: 1, modeled: 11, tasks: 2,
			violations: map[string]uint64{"nested-enter": 1}}},
		{"preempt", lazymmu.Upstream, want{events: 7, updates: 3, batched: 2, immediate: 1, enter: 1, leave: 1, hyper: 3, flushes: 2, sections: 1, modeled: 32, tasks: 2}},
		// ideal does at a switch what the arch does (the fake does nothing
		// and does not disable preemption), so here it is upstream.
		{"preempt", lazymmu.Ideal, want{events: 7, updates: 3, batched: 2, immediate: 1, enter: 1, leave: 1, hyper: 3, flushes: 2, sections: 1, modeled: 32, tasks: 2}},
		{"irq", lazymmu.Upstream, want{events: 8, updates: 2, batched: 1, immediate: 1, enter: 1, leave: 1, hyper: 2, flushes: 1, sections: 1, modeled: 21, tasks: 1}},
		{"unbalanced", lazymmu.Upstream, want{events: 8, updates: 4, batched: 2, immediate: 2, enter: 2, leave: 1, hyper: 2, multi: 1, flushes: 1, tlb: 1, modeled: 32, tasks: 3,
			violations: map[string]uint64{"unbalanced-at-end": 2}}},
		{"batch", lazymmu.Upstream, want{events: 9, updates: 6, batched: 6, enter: 1, leave: 1, multi: 2, flushes: 2, sections: 1, stale: 1, modeled: 26, tasks: 1}},
		// ideal pays one flush more than upstream here: upstream leaves the
		// access inside the section stale, ideal must not.
		{"batch", lazymmu.Ideal, want{events: 9, updates: 6, batched: 6, enter: 1, leave: 1, hyper: 2, multi: 1, flushes: 3, sections: 1, modeled: 36, tasks: 1}},
	} {
		t.Run(c.trace+"/"+c.s.String(), func(t *testing.T) {
			r := run(t, c.s, traceTable[c.trace], nil)
			w := c.w
			got := want{r.Events, r.Updates, r.Batched, r.Immediate, r.Callbacks.Enter, r.Callbacks.Leave, r.Callbacks.Flush,
				r.ArchOps["hypercalls"], r.ArchOps["multicalls"], r.Flushes, r.Sections,
				r.Hazards[HazardStaleAccess], r.Hazards[HazardTLBFlush], nil, r.ModeledNs, r.Tasks}
			for k, v := range r.Violations {
				if v != 0 {
					if got.violations == nil {
						got.violations = map[string]uint64{}
					}
					got.violations[k] = v
				}
			}
			gj, _ := json.Marshal(got.violations)
			wj, _ := json.Marshal(w.violations)
			got.violations, w.violations = nil, nil
			if !equalWant(got, w) || string(gj) != string(wj) {
				t.Errorf("got  %+v %s\nwant %+v %s", got, gj, w, wj)
			}
			// Every deferred update is drained exactly once, by the end.
			if r.Batched != uint64(countDeferred(t, c.s, traceTable[c.trace])) {
				t.Errorf("batched %d but %d deferral samples", r.Batched, countDeferred(t, c.s, traceTable[c.trace]))
			}
		})
	}
}

func equalWant(a, b want) bool {
	a.violations, b.violations = nil, nil
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func countDeferred(t *testing.T, s lazymmu.Strategy, text string) int {
	e, err := New(Config{Backend: &fake{}, Info: fakeInfo, Strategy: s, KeepDists: true})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Run(traces.NewTextReader(strings.NewReader(text), "t"))
	if err != nil {
		t.Fatal(err)
	}
	return int(r.Deferred.Count())
}

func TestSectionAndDeferralTimes(t *testing.T) {
	r := run(t, lazymmu.Upstream, nested, nil)
	// enable .. disable: set 1, set 1, flush 10, work 100, set 1, leave 10.
	if want := (Quantiles{123, 123, 123, 123}); r.SectionNs != want {
		t.Errorf("section_ns = %+v, want %+v", r.SectionNs, want)
	}
	// Deferrals: 2 and 1 ns (drained by the nested disable at 2), then 1 ns.
	if want := (Quantiles{P50: 1, P90: 1.8, P99: 1.98, Max: 2}); !near(r.DeferredNs, want) {
		t.Errorf("deferred_ns = %+v, want %+v", r.DeferredNs, want)
	}
	if r.WorkNs != 100 || r.WallNs != 123 {
		t.Errorf("work_ns %v wall_ns %v, want 100 123", r.WorkNs, r.WallNs)
	}
}

func near(a, b Quantiles) bool {
	d := func(x, y float64) bool { return x-y < 1e-9 && y-x < 1e-9 }
	return d(a.P50, b.P50) && d(a.P90, b.P90) && d(a.P99, b.P99) && d(a.Max, b.Max)
}

// The oracle flags noflush on a nested trace and nothing under upstream.
func TestOracleNestedNoflush(t *testing.T) {
	if r := run(t, lazymmu.NoFlush, nested, nil); r.Hazards[HazardStaleAccess] != 1 {
		t.Errorf("noflush: stale-access %d, want 1", r.Hazards[HazardStaleAccess])
	}
	if r := run(t, lazymmu.Upstream, nested, nil); r.HazardTotal() != 0 {
		t.Errorf("upstream: hazards %v, want none", r.Hazards)
	}
}

// ideal leaves no hazard and makes no more drains, no more arch flush
// operations (drains of a batch, plus updates done at once, each a flush of
// its own) and no more modeled time than any strategy that leaves no hazard
// either (none only on the operations: it never drains).
//
// The exceptions (docs/replay.md, "ideal", limits): flat's inner leave turns
// batching off for the rest of the outer section (nested), and flat makes
// the irq trace's outer update at once; each time ideal batches one update
// alone, so its drain (hypercall) and the batch overhead cost one flush and
// 1 ns more than flat's immediate update. The figures must match exactly.
func TestIdealIsLowerBound(t *testing.T) {
	for name, text := range traceTable {
		ideal := run(t, lazymmu.Ideal, text, nil)
		if ideal.HazardTotal() != 0 {
			t.Errorf("%s: ideal has hazards %v", name, ideal.Hazards)
		}
		for _, s := range lazymmu.Strategies() {
			r := run(t, s, text, nil)
			if r.HazardTotal() != 0 {
				continue
			}
			if ideal.Flushes+ideal.Immediate > r.Flushes+r.Immediate {
				t.Errorf("%s: ideal flushes %d > %s's %d (+%d immediate)", name, ideal.Flushes, s, r.Flushes, r.Immediate)
			}
			if s == lazymmu.None {
				continue // it never drains: flushes 0 and no batch overhead by definition
			}
			if ex, ok := idealExceptions[name+"/"+s.String()]; ok {
				// A batch of one that the other strategy does at once.
				got := idealException{ideal.Flushes, r.Flushes, ideal.ModeledNs, r.ModeledNs}
				if got != ex {
					t.Errorf("%s/%s: exception figures %+v, table says %+v", name, s, got, ex)
				}
				continue
			}
			if ideal.Flushes > r.Flushes || ideal.ModeledNs > r.ModeledNs {
				t.Errorf("%s: ideal flushes %d, modeled %g > %s's %d, %g", name, ideal.Flushes, ideal.ModeledNs, s, r.Flushes, r.ModeledNs)
			}
		}
	}
}

type idealException struct {
	idealFlushes, otherFlushes uint64
	idealNs, otherNs           float64
}

var idealExceptions = map[string]idealException{
	"nested/flat": {2, 1, 23, 22},
	"irq/flat":    {1, 0, 21, 20},
}

func TestJSONKeys(t *testing.T) {
	r := run(t, lazymmu.Upstream, nested, nil)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"trace", "arch", "strategy", "events", "updates", "batched", "immediate",
		"callbacks", "arch_ops", "modeled_ns", "section_ns", "deferred_ns", "violations", "hazards"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks contract key %q", k)
		}
	}
	sub := func(key string, want []string) {
		var mm map[string]any
		if err := json.Unmarshal(m[key], &mm); err != nil {
			t.Fatal(err)
		}
		var got []string
		for k := range mm {
			got = append(got, k)
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s keys = %v, want %v", key, got, want)
		}
	}
	sub("callbacks", []string{"enter", "leave", "flush"})
	sub("section_ns", []string{"p50", "p90", "p99", "max"})
	sub("deferred_ns", []string{"p50", "p90", "p99", "max"})
	sub("hazards", []string{"stale-access", "tlbflush-before-flush"})
	sub("violations", []string{"enable-overflow", "disable-underflow", "pause-overflow", "resume-underflow",
		"enable-while-paused", "disable-while-inactive", "pause-while-inactive", "resume-while-active",
		"dropped-disable", "unbalanced-at-end", "nested-enter", "leave-while-inactive", "preempted-in-section"})
	sub("arch_ops", []string{"hypercalls", "multicalls"})
	// Keys of one arch are the same under every strategy.
	for _, s := range lazymmu.Strategies() {
		r := run(t, s, nested, nil)
		if len(r.ArchOps) != 2 || len(r.Violations) != int(lazymmu.NumViolations) || len(r.Hazards) != 2 {
			t.Errorf("%s: key counts arch_ops %d violations %d hazards %d", s, len(r.ArchOps), len(r.Violations), len(r.Hazards))
		}
	}
}

func TestStepsGolden(t *testing.T) {
	var buf bytes.Buffer
	for _, name := range []string{"nested", "mid", "unbalanced"} {
		for _, s := range []lazymmu.Strategy{lazymmu.Upstream, lazymmu.NoFlush, lazymmu.Ideal} {
			buf.WriteString("# " + name + " " + s.String() + "\n")
			var sw *StepWriter
			tr := traces.NewTextReader(strings.NewReader(traceTable[name]), "t")
			sw = NewStepWriter(&buf, tr.Strings)
			e, err := New(Config{Backend: &fake{}, Info: fakeInfo, Strategy: s, Observer: sw})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Run(tr); err != nil {
				t.Fatal(err)
			}
			sw.Flush()
		}
	}
	golden.Check(t, "testdata/steps.golden", buf.Bytes())
}

func TestBadTrace(t *testing.T) {
	e, _ := New(Config{Backend: &fake{}, Info: fakeInfo})
	_, err := e.Run(traces.NewTextReader(strings.NewReader("0 0 1 enable\n1 0 1 bogus\n"), "bad.lmt.txt"))
	if err == nil || !strings.HasPrefix(err.Error(), "bad.lmt.txt:2: ") {
		t.Fatalf("error = %v, want one naming bad.lmt.txt:2", err)
	}
	if _, err := New(Config{Arch: "vax"}); err == nil {
		t.Fatal("unknown arch accepted")
	}
}

// TestLinearTerms checks that replays keep a linear backend's counts right:
// the terms times the parameter values sum to the modeled time, on every strategy, for updates of one and of several
// pages, user and kernel, valid and not.
func TestLinearTerms(t *testing.T) {
	text := strings.Repeat(mixed, 3) + `0 0 1 enable
0 0 1 set addr=10000 nr=4
0 0 1 set addr=20000 mm=0 nr=8
0 0 1 getclear addr=30000 nr=3
0 0 1 modify addr=40000 mm=0 nr=2 valid=0
0 0 1 clear addr=50000 mm=0 nr=5
0 0 1 disable
0 0 1 set addr=60000 mm=0 nr=6
`
	evs := repeated(t, text, 1)
	var linear []string
	for _, name := range arch.Names() {
		info, _ := arch.Lookup(name)
		for _, s := range lazymmu.Strategies() {
			e, err := New(Config{Arch: name, Strategy: s})
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.Run(&sliceReader{ev: evs})
			if err != nil {
				t.Fatalf("%s/%s: %v", name, s, err)
			}
			lin, ok := e.Backend().(arch.Linear)
			if !ok {
				continue
			}
			if s == lazymmu.Upstream {
				linear = append(linear, name)
			}
			terms, values, sum := lin.Terms(nil), info.Values(nil), 0.0
			for i, p := range info.Params {
				sum += terms[i] * values[p.Name]
			}
			if math.Abs(sum-res.ModeledNs) > 1e-9*math.Max(1, res.ModeledNs) {
				t.Errorf("%s/%s: terms %v sum to %v ns, modeled %v ns", name, s, terms, sum, res.ModeledNs)
			}
		}
	}
	// Every backend has a linear cost model: without them the test checks
	// nothing.
	if got, want := strings.Join(linear, ","), strings.Join(arch.Names(), ","); got != want {
		t.Errorf("linear backends %s, want %s", got, want)
	}
}

// TestNonFiniteIsError: a backend whose costs overflow the sums (values a
// cost file cannot set: above arch.MaxCost) makes Run fail, naming the
// figure and a parameter of the backend, instead of returning +Inf or NaN
// (issue 20, item 2: replay printed modeled_ns +Inf and p50 NaN).
func TestNonFiniteIsError(t *testing.T) {
	evs := repeated(t, strings.Repeat(mixed, 3)+"0 0 1 enable\n0 0 1 set addr=10000 nr=4\n0 0 1 disable\n", 1)
	for _, name := range arch.Names() {
		info, _ := arch.Lookup(name)
		huge := map[string]float64{}
		for _, p := range info.Params {
			huge[p.Name] = math.MaxFloat64
		}
		for _, s := range lazymmu.Strategies() {
			res, err := Run(&sliceReader{ev: evs}, Config{Trace: "t", Arch: name, Strategy: s, Costs: arch.Costs{name: huge}})
			if err == nil {
				t.Errorf("%s/%s: no error; modeled_ns %v", name, s, res.ModeledNs)
				continue
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "t: "+name+" under "+s.String()+": ") || !strings.Contains(msg, "cost parameter "+name+".") {
				t.Errorf("%s/%s: error %q does not name the figure and a parameter", name, s, msg)
			}
		}
	}
}

// TestUpdateNrBound: an update of more than traces.MaxUpdateNr pages ends
// the replay with an error naming its index, on every backend, with and
// without an observer, from a reader with and without blocks; one of
// exactly MaxUpdateNr pages replays (issue 20: s390 looped 2^32 times on one
// event of nr=4294967295).
func TestUpdateNrBound(t *testing.T) {
	head := strings.Repeat(mixed, 20) // past ownChunk: the bad event is in a later block
	n := len(repeated(t, head, 1))
	for _, nr := range []uint32{traces.MaxUpdateNr, traces.MaxUpdateNr + 1, 1<<32 - 1} {
		text := head + fmt.Sprintf("0 0 1 enable\n0 0 1 set addr=10000 nr=%d\n0 0 1 disable\n", nr)
		evs := repeated(t, text, 1)
		for _, name := range arch.Names() {
			for _, obs := range []Observer{nil, NewStepWriter(io.Discard, nil)} {
				for _, rd := range []func() traces.Reader{
					func() traces.Reader { return &sliceReader{ev: evs} },
					func() traces.Reader { return &blockReader{sliceReader: sliceReader{ev: evs}, n: 7} },
					func() traces.Reader { return traces.NewTextReader(strings.NewReader(text), "t") },
				} {
					_, err := Run(rd(), Config{Trace: "t", Arch: name, Strategy: lazymmu.Upstream, Observer: obs})
					want := ""
					if nr > traces.MaxUpdateNr {
						want = fmt.Sprintf("t: event %d: set: nr=%d: an update covers at most 8192 pages (one page table)", n+1, nr)
					}
					if got := fmt.Sprint(err); (want == "" && err != nil) || (want != "" && got != want) {
						t.Errorf("%s, nr %d, observer %v: err %v, want %q", name, nr, obs != nil, err, want)
					}
				}
			}
		}
	}
}
