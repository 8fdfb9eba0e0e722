package corpus

import (
	"github.com/lazybench/lazybench/tracestat"

	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/lazybench/lazybench/traces"
	"github.com/lazybench/lazybench/workload"
)

// TestCorpusUpToDate regenerates the corpus into a temporary directory and
// compares it with the embedded one, so the shipped files cannot drift from
// the generators. Run `make traces` when it fails after a generator change.
func TestCorpusUpToDate(t *testing.T) {
	dir := t.TempDir()
	fresh, err := Regenerate(dir)
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var regen []Entry
	for _, e := range shipped {
		if e.Kind == KindGenerated {
			regen = append(regen, e)
		}
	}
	if !reflect.DeepEqual(regen, fresh) {
		t.Fatalf("manifest.json is stale (run make traces):\nshipped %+v\nfresh   %+v", regen, fresh)
	}
	for _, e := range fresh {
		want, err := os.ReadFile(filepath.Join(dir, e.File))
		if err != nil {
			t.Fatal(err)
		}
		got, err := fs.ReadFile(FS(), e.File)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: shipped file differs from what make traces generates", e.File)
		}
	}
}

func TestCorpusBudget(t *testing.T) {
	es, err := Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var events, size int64
	for _, e := range es {
		events += e.Events
		size += e.Bytes
	}
	if size > 2<<20 || events > 1500000 {
		t.Errorf("corpus is %d bytes, %d events: over the budget of 2 MiB, 1.5M events", size, events)
	}
	// One trace per workload at least (Generated's contract), and no spec of
	// a workload that does not exist.
	per := map[string]int{}
	for _, s := range Generated {
		per[s.Workload]++
	}
	for _, w := range workload.Workloads() {
		if per[w.Name] == 0 {
			t.Errorf("workload %s has no generated corpus trace", w.Name)
		}
		delete(per, w.Name)
	}
	if len(per) != 0 {
		t.Errorf("generated specs of unknown workloads: %v", per)
	}
}

// TestCorpusReadable opens every trace, reads it to the end and checks its
// event count and the basic invariants: time never goes back on a CPU,
// interrupts balance, and every task closes its sections and pauses.
func TestCorpusReadable(t *testing.T) {
	es, err := Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		r, c, err := Open(e.Name)
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		clock := map[uint32]uint64{}
		irq := map[uint32]int{}
		depth := map[uint32]int{}
		pause := map[uint32]int{}
		var n int64
		for r.Next() {
			ev := r.Event()
			if ev.Time < clock[ev.CPU] {
				t.Fatalf("%s: event %d: time goes back on cpu %d", e.Name, n, ev.CPU)
			}
			clock[ev.CPU] = ev.Time
			switch ev.Op {
			case traces.OpIRQEnter:
				irq[ev.CPU]++
			case traces.OpIRQExit:
				irq[ev.CPU]--
			case traces.OpEnable, traces.OpDisable:
				if irq[ev.CPU] == 0 {
					depth[ev.PID] += map[traces.Op]int{traces.OpEnable: 1, traces.OpDisable: -1}[ev.Op]
				}
			case traces.OpPause:
				pause[ev.PID]++
			case traces.OpResume:
				pause[ev.PID]--
			}
			n++
		}
		if err := r.Err(); err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		c.Close()
		r2, c2, _ := Open(e.Name)
		if _, err := traces.Validate(r2, e.Name); err != nil {
			t.Errorf("%s: %v", e.Name, err)
		}
		c2.Close()
		if n != e.Events {
			t.Errorf("%s: %d events, manifest says %d", e.Name, n, e.Events)
		}
		for k, v := range irq {
			if v != 0 {
				t.Errorf("%s: cpu %d irq depth %d at end", e.Name, k, v)
			}
		}
		for k, v := range depth {
			if v != 0 || pause[k] != 0 {
				t.Errorf("%s: task %d ends at depth %d, pause %d", e.Name, k, v, pause[k])
			}
		}
	}
}

func TestNamesAndLookup(t *testing.T) {
	names := Names()
	for _, want := range []string{"fork", "munmap", "exit", "mprotect", "mremap", "madvise", "vmalloc_p1", "vmalloc_p8",
		"vmalloc_p64", "vmalloc_p512", "kasan-vmalloc", "debug-pagealloc", "pagemap-scan", "irq", "preempt", "mix"} {
		if _, err := Lookup(want); err != nil {
			t.Errorf("corpus lacks %s: %v", want, err)
		}
	}
	es, _ := Manifest()
	generated := 0
	for _, e := range es {
		if e.Kind == KindGenerated {
			generated++
		}
	}
	if generated != len(Generated) || len(names) != len(es) {
		t.Errorf("%d names, %d entries, %d generated; %d generated specs", len(names), len(es), generated, len(Generated))
	}
	if _, _, err := Open("nope"); err == nil {
		t.Error("Open(nope) succeeded")
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"vmalloc_p512": true, "kasan-vmalloc": true, "fork_16k": true, "x86": true,
		"vmalloc-512": false, "": false, "a b": false, "A": false, "a/b": false, "-1": false, "p-": true,
	} {
		if ValidName(name) != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, !want, want)
		}
	}
}

// TestRegenerateKeepsRecorded: recorded entries and their files survive
// make traces; generated files no longer listed are removed.
func TestRegenerateKeepsRecorded(t *testing.T) {
	dir := t.TempDir()
	rec := Entry{Name: "rec_fork", File: "rec_fork.lmt.txt", Kind: KindRecorded, Workload: "fork", Events: 1,
		Kernel: "6.1.0", QEMU: "qemu 7.2", Probes: []string{"pte_set"}, Date: "2026-11-21T00:00:00Z", Command: "make record"}
	stale := Entry{Name: "gone", File: "gone.lmt", Kind: KindGenerated, Workload: "fork"}
	data, _ := json.Marshal(Index{Version: 1, Entries: []Entry{rec, stale}})
	for name, content := range map[string][]byte{ManifestFile: data, rec.File: []byte("0 0 1 flush\n"), stale.File: []byte("x")} {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	es, err := Regenerate(dir)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range es {
		if e.Name == rec.Name {
			found = reflect.DeepEqual(e, rec)
		}
	}
	if !found || len(es) != len(Generated)+1 {
		t.Errorf("recorded entry not kept as is (%d entries)", len(es))
	}
	if _, err := os.Stat(filepath.Join(dir, stale.File)); err == nil {
		t.Error("stale generated file not removed")
	}
	if _, err := os.Stat(filepath.Join(dir, rec.File)); err != nil {
		t.Error("recorded file removed")
	}
	// a recorded entry whose file is missing is an error
	os.Remove(filepath.Join(dir, rec.File))
	if _, err := Regenerate(dir); err == nil {
		t.Error("missing recorded file not reported")
	}
}

func TestParseManifestErrors(t *testing.T) {
	for name, content := range map[string]string{
		"version":  `{"version": 2, "entries": []}`,
		"unknown":  `{"version": 1, "entries": [], "x": 1}`,
		"noname":   `{"version": 1, "entries": [{"file": "a.lmt", "kind": "generated"}]}`,
		"badname":  `{"version": 1, "entries": [{"name": "a-1", "file": "a.lmt", "kind": "generated"}]}`,
		"kind":     `{"version": 1, "entries": [{"name": "a", "file": "a.lmt", "kind": "made"}]}`,
		"dup":      `{"version": 1, "entries": [{"name": "a", "file": "a.lmt", "kind": "generated"}, {"name": "a", "file": "b.lmt", "kind": "generated"}]}`,
		"not json": `{`,
	} {
		fsys := fstest.MapFS{"m.json": {Data: []byte(content)}}
		if _, err := ParseManifest(fsys, "m.json"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"version": 1, "entries": [{"name": "a", "file": "a.lmt", "kind": "generated", "params": {"pages": 1}}]}`))
	f.Add([]byte(`{"version": 1, "entries": []}`))
	f.Add([]byte(`{"version": 1, "entries": [{"name": "r", "file": "r.lmt", "kind": "recorded", "probes": ["a"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(fstest.MapFS{"m.json": {Data: data}}, "m.json")
		if err != nil {
			return
		}
		for _, e := range m.Entries {
			if !ValidName(e.Name) || e.File == "" {
				t.Fatalf("accepted bad entry %+v", e)
			}
		}
	})
}

// TestCorpusStat checks what lazybench stat reports for traces whose shape
// the workload fixes: nesting depth, pauses, switches.
func TestCorpusStat(t *testing.T) {
	tests := []struct {
		name                          string
		maxDepth, pauses, minSwitches int64
	}{
		{"debug-pagealloc", 2, 0, 0},
		{"kasan-vmalloc", 1, 620, 0}, // 360 populate + 260 depopulate
		{"preempt", 1, 0, 32},
		{"vmalloc_p8", 1, 0, 0},
		{"mix", 2, 68, 1},
	}
	for _, tc := range tests {
		r, c, err := Open(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		st, err := tracestat.Collect(r, tc.name)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		depth := int64(0)
		for _, b := range st.DepthHist {
			if b.Count > 0 {
				depth = max(depth, b.Max)
			}
		}
		if depth != tc.maxDepth || st.Pauses != tc.pauses || st.Switches < tc.minSwitches || st.Unclosed != 0 || st.Unmatched != 0 {
			t.Errorf("%s: depth %d pauses %d switches %d unclosed %d unmatched %d; want depth %d pauses %d switches >= %d",
				tc.name, depth, st.Pauses, st.Switches, st.Unclosed, st.Unmatched, tc.maxDepth, tc.pauses, tc.minSwitches)
		}
	}
}
