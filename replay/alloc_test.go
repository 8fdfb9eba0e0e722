package replay

import (
	"strings"
	"testing"

	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// sliceReader replays events from memory.
type sliceReader struct {
	ev []traces.Event
	i  int
}

func (r *sliceReader) Next() bool {
	if r.i >= len(r.ev) {
		return false
	}
	r.i++
	return true
}
func (r *sliceReader) Event() *traces.Event { return &r.ev[r.i-1] }
func (r *sliceReader) Err() error           { return nil }
func (r *sliceReader) Meta() traces.Meta    { return traces.Meta{} }
func (r *sliceReader) Strings() []string    { return []string{""} }

// repeated returns the events of text repeated n times.
func repeated(t testing.TB, text string, n int) []traces.Event {
	var one []traces.Event
	tr := traces.NewTextReader(strings.NewReader(text), "t")
	for tr.Next() {
		one = append(one, *tr.Event())
	}
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
	out := make([]traces.Event, 0, len(one)*n)
	for i := 0; i < n; i++ {
		out = append(out, one...)
	}
	return out
}

// A mix of every kind of event, balanced so that it can repeat: nesting,
// pauses, interrupts, switches (plain and mid=1), accesses, flushes.
const mixed = `0 0 1 enable
0 0 1 set addr=1000
0 0 1 enable
0 0 1 set addr=2000 mm=0
0 0 1 disable
0 0 1 access addr=2000 mm=0
0 0 1 pause
0 0 1 getclear addr=3000
0 0 1 resume
0 0 1 irq_enter
0 0 1 set addr=4000 mm=0
0 0 1 irq_exit
0 0 1 flush
0 0 1 modify addr=5000
0 0 1 switch next=2
0 1 3 enable
0 1 3 wrprotect addr=9000
0 1 3 disable
0 1 3 tlbflush addr=9000 nr=1
0 0 2 enable
0 0 2 switch next=1 mid=1
0 0 1 work ns=10
0 0 1 disable
0 0 1 access addr=1000
0 0 1 switch next=2
0 0 2 set addr=6000
0 0 2 disable
0 0 2 switch next=1
`

// The replay loop allocates nothing per event: a replay of 2N events makes
// as many allocations as one of N (the per-run Result only).
func TestReplayAllocsConstant(t *testing.T) {
	for _, s := range lazymmu.Strategies() {
		e, err := New(Config{Backend: &fake{}, Info: fakeInfo, Strategy: s})
		if err != nil {
			t.Fatal(err)
		}
		allocs := func(n int) float64 {
			ev := repeated(t, mixed, n)
			r := &sliceReader{ev: ev}
			return testing.AllocsPerRun(5, func() {
				r.i = 0
				if _, err := e.Run(r); err != nil {
					t.Fatal(err)
				}
			})
		}
		a1, a2 := allocs(500), allocs(1000)
		if a2 > a1 {
			t.Errorf("%s: %v allocations for 500 repeats, %v for 1000: the loop allocates per event", s, a1, a2)
		}
		if a1 > 20 {
			t.Errorf("%s: %v allocations per run", s, a1)
		}
	}
}

// With an observer the loop allocates nothing per event either.
func TestReplayAllocsObserver(t *testing.T) {
	e, _ := New(Config{Backend: &fake{}, Info: fakeInfo, Observer: nopObserver{}})
	allocs := func(n int) float64 {
		r := &sliceReader{ev: repeated(t, mixed, n)}
		return testing.AllocsPerRun(5, func() {
			r.i = 0
			if _, err := e.Run(r); err != nil {
				t.Fatal(err)
			}
		})
	}
	if a1, a2 := allocs(1000), allocs(2000); a2 > a1 {
		t.Errorf("%v allocations for 1000 repeats, %v for 2000", a1, a2)
	}
}

type nopObserver struct{}

func (nopObserver) Step(int64, *traces.Event, *StepInfo) {}
func (nopObserver) End(int64, *EndInfo)                  {}

func BenchmarkEngineFake(b *testing.B) {
	ev := repeated(b, mixed, 10000)
	e, _ := New(Config{Backend: &fake{}, Info: fakeInfo, Strategy: lazymmu.Upstream})
	r := &sliceReader{ev: ev}
	b.ReportAllocs()
	for b.Loop() {
		r.i = 0
		if _, err := e.Run(r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(ev))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
