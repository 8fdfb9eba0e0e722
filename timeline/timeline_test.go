package timeline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/lazybench/lazybench/arch"
	_ "github.com/lazybench/lazybench/arch/all"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

type chromeEvent struct {
	Ph   string          `json:"ph"`
	PID  int             `json:"pid"`
	TID  uint64          `json:"tid"`
	TS   *float64        `json:"ts"`
	Name string          `json:"name"`
	S    string          `json:"s"`
	Args json.RawMessage `json:"args"`
}

type chromeFile struct {
	TraceEvents []chromeEvent `json:"traceEvents"`
}

func replayTimeline(t *testing.T, path, archName string, st lazymmu.Strategy) chromeFile {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := traces.NewTextReader(f, path)
	tl := New()
	tl.Strings = r.Strings
	tl.Meta["arch"] = archName
	if _, err := replay.Run(r, replay.Config{Trace: "nest", Arch: archName, Strategy: st, Observer: tl}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := tl.Close(&buf); err != nil {
		t.Fatal(err)
	}
	var cf chromeFile
	if err := json.Unmarshal(buf.Bytes(), &cf); err != nil {
		t.Fatalf("timeline is not JSON: %v\n%s", err, buf.String())
	}
	return cf
}

// checkWellFormed checks Chrome's rules the viewer relies on: timestamps in
// file order never decrease, and per thread every E closes the innermost open
// B of the same name, none left open.
func checkWellFormed(t *testing.T, cf chromeFile) (slices map[string]int) {
	t.Helper()
	slices = map[string]int{}
	type key struct {
		pid int
		tid uint64
	}
	stacks := map[key][]string{}
	last := -1.0
	for i, e := range cf.TraceEvents {
		if e.Ph == "M" {
			continue
		}
		if e.TS == nil {
			t.Fatalf("event %d (%s %s) has no ts", i, e.Ph, e.Name)
		}
		if *e.TS < last {
			t.Fatalf("event %d (%s %s): ts %v after %v", i, e.Ph, e.Name, *e.TS, last)
		}
		last = *e.TS
		k := key{e.PID, e.TID}
		switch e.Ph {
		case "B":
			stacks[k] = append(stacks[k], e.Name)
		case "E":
			st := stacks[k]
			if len(st) == 0 || st[len(st)-1] != e.Name {
				t.Fatalf("event %d: E %q on %v closes %v", i, e.Name, k, st)
			}
			stacks[k] = st[:len(st)-1]
			slices[e.Name]++
		case "i":
			if e.S != "t" {
				t.Errorf("instant %q scope %q, want t", e.Name, e.S)
			}
		case "C":
			var a struct{ Updates int }
			if err := json.Unmarshal(e.Args, &a); err != nil || a.Updates < 0 {
				t.Errorf("counter %q args %s", e.Name, e.Args)
			}
		default:
			t.Errorf("unexpected phase %q", e.Ph)
		}
	}
	for k, st := range stacks {
		if len(st) > 0 {
			t.Errorf("%v: slices left open: %v", k, st)
		}
	}
	return slices
}

func TestTimelineNests(t *testing.T) {
	names := arch.Names()
	if len(names) == 0 { // arch/all is imported
		t.Fatal("no backend registered")
	}
	for _, a := range names {
		for _, st := range []lazymmu.Strategy{lazymmu.Upstream, lazymmu.Flat, lazymmu.Ideal} {
			t.Run(a+"/"+st.String(), func(t *testing.T) {
				cf := replayTimeline(t, "testdata/nest.lmt.txt", a, st)
				got := checkWellFormed(t, cf)
				// sections: outer, inner, irq's, task 10 on cpu1, task 20's
				// (task 20's second disable is unmatched); pauses: one of
				// task 10 and task 30's (closed at the end); one irq.
				want := map[string]int{"section": 5, "pause": 2, "irq": 1}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%d %q slices, want %d (all: %v)", got[k], k, v, got)
					}
				}
				unmatched := 0
				for _, e := range cf.TraceEvents {
					if e.Name == "unmatched disable" {
						unmatched++
					}
				}
				if unmatched != 1 {
					t.Errorf("%d unmatched disables, want 1", unmatched)
				}
			})
		}
	}
}

func TestPendingAttribution(t *testing.T) {
	tl := New()
	tl.setPending(0, 3, 10) // cpu0 +3
	tl.setPending(1, 5, 20) // cpu1 +2
	tl.setPending(1, 1, 30) // cpu1 -4: 2 from cpu1, 2 from cpu0
	if tl.cpuDeferred[0] != 1 || tl.cpuDeferred[1] != 0 {
		t.Fatalf("per-CPU deferred %v, want [1 0]", tl.cpuDeferred)
	}
	tl.setPending(1, 0, 40)
	if tl.cpuDeferred[0] != 0 {
		t.Fatalf("per-CPU deferred %v after total 0", tl.cpuDeferred)
	}
	var counters []string
	for _, r := range tl.records {
		counters = append(counters, fmt.Sprintf(`%s{"updates":%d}`, tl.names[r.name], r.num))
	}
	want := []string{
		`deferred cpu0{"updates":3}`, `deferred cpu1{"updates":2}`,
		`deferred cpu1{"updates":0}`, `deferred cpu0{"updates":1}`, `deferred cpu0{"updates":0}`,
	}
	if len(counters) != len(want) {
		t.Fatalf("counters %v, want %v", counters, want)
	}
	for i := range want {
		if counters[i] != want[i] {
			t.Errorf("counter %d = %s, want %s", i, counters[i], want[i])
		}
	}
}

func TestTimestampsMonotonicPerTrack(t *testing.T) {
	tl := New()
	tr := tl.track(PIDTasks, 7)
	tl.open(tr, 5000, "section", "")
	tl.add(tr, 'i', 1000, "x", "") // another CPU's clock was behind
	tl.closeNearest(tr, 2000, "section")
	var buf bytes.Buffer
	if err := tl.Close(&buf); err != nil {
		t.Fatal(err)
	}
	var cf chromeFile
	if err := json.Unmarshal(buf.Bytes(), &cf); err != nil {
		t.Fatal(err)
	}
	checkWellFormed(t, cf)
	for _, e := range cf.TraceEvents {
		if e.Ph != "M" && *e.TS != 5 {
			t.Errorf("%s %s at %v us, want 5 (clamped)", e.Ph, e.Name, *e.TS)
		}
	}
}
