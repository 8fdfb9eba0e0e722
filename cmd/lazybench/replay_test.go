package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lazybench/lazybench/internal/golden"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

// lb runs the command line and returns stdout, stderr and the exit status.
func lb(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := exitCode(run(args, &out, &errb), &errb)
	return out.String(), errb.String(), code
}

func TestReplaySteps(t *testing.T) {
	var all bytes.Buffer
	for _, c := range []struct{ trace, arch, strategy, kernel string }{
		{"nested", "arm64", "upstream", "7.3"},
		{"nested", "arm64", "noflush", "7.3"},
		{"nested", "arm64", "ideal", "7.3"},
		{"nested", "sparc64", "flat", "7.3"},
		{"mid", "x86-xen", "upstream", "7.0"}, // the 7.0-rc double enter: nested-enter at event 3
		{"mid", "x86-xen", "upstream", "7.3"}, // gone
		{"mid", "arm64", "upstream", "7.3"},
	} {
		out, errs, code := lb("replay", "--trace", "testdata/"+c.trace+".lmt.txt", "--arch", c.arch, "--strategy", c.strategy, "--kernel", c.kernel, "--steps")
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c, code, errs)
		}
		all.WriteString("# " + c.trace + " " + c.arch + " " + c.strategy + " " + c.kernel + "\n" + out)
	}
	golden.Check(t, "testdata/replay_steps.golden", all.Bytes())
}

func TestReplayTable(t *testing.T) {
	out, errs, code := lb("replay", "--trace", "testdata/nested.lmt.txt", "--arch", "arm64", "--strategy", "noflush")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	golden.Check(t, "testdata/replay_table.golden", []byte(out))
}

func TestReplayJSON(t *testing.T) {
	for _, c := range []struct {
		arch, strategy string
		stale, nested  uint64
	}{
		{"arm64", "upstream", 0, 0},
		{"arm64", "noflush", 1, 0},
		{"arm64", "ideal", 0, 0},
	} {
		out, errs, code := lb("replay", "--trace", "testdata/nested.lmt.txt", "--arch", c.arch, "--strategy", c.strategy, "--json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"trace", "arch", "strategy", "events", "updates", "batched", "immediate",
			"callbacks", "arch_ops", "modeled_ns", "section_ns", "deferred_ns", "violations", "hazards"} {
			if _, ok := m[k]; !ok {
				t.Errorf("%v: no key %q", c, k)
			}
		}
		if m["events"].(float64) != 11 || m["strategy"] != c.strategy || m["arch"] != c.arch {
			t.Errorf("%v: events %v strategy %v arch %v", c, m["events"], m["strategy"], m["arch"])
		}
		if got := m["hazards"].(map[string]any)["stale-access"].(float64); got != float64(c.stale) {
			t.Errorf("%v: stale-access %v, want %d", c, got, c.stale)
		}
	}
}

func TestReplayErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"replay", "--trace", "testdata/bad.lmt.txt"}, 1, "testdata/bad.lmt.txt:2: "},
		{[]string{"replay", "--trace", "testdata/nested.lmt.txt", "--arch", "vax"}, 2, `unknown arch "vax"`},
		{[]string{"replay", "--trace", "testdata/nested.lmt.txt", "--strategy", "lazy"}, 2, `unknown strategy "lazy"`},
		{[]string{"replay", "--trace", "testdata/nested.lmt.txt", "--kernel", "6.19"}, 2, `unknown kernel "6.19" (want one of 7.3, 7.0)`},
		{[]string{"compare", "--trace", "testdata/nested.lmt.txt", "--kernel", "7"}, 2, `unknown kernel "7"`},
		{[]string{"replay"}, 2, "needs --trace"},
		{[]string{"replay", "--trace", "testdata/missing.lmt"}, 1, "missing.lmt"},
		{[]string{"replay", "--trace", "corpus:nosuchtrace"}, 1, "nosuchtrace"},
		{[]string{"compare", "--trace", "testdata/nested.lmt.txt", "--arch", "arm64,vax"}, 2, `unknown arch "vax"`},
		{[]string{"compare", "--trace", "testdata/bad.lmt.txt", "--arch", "arm64"}, 1, "testdata/bad.lmt.txt:2: "},
	} {
		out, errs, code := lb(c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, errs, c.code, c.msg)
		}
		if c.code != 0 && out != "" {
			t.Errorf("%v: wrote to stdout on error: %q", c.args, out)
		}
	}
}

// TestReplayParallelDecode checks that decoding ahead (OpenAhead, as
// lazybench replay opens its trace) gives the results of decoding in order
// (as compare does), for every arch and strategy, on a trace of many chunks.
func TestReplayParallelDecode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mix.lmt")
	if err := run([]string{"gen", "mix", "--pages", "512", "--loops", "3", "-o", path}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	src, err := matrix.NamedSource(path)
	if err != nil {
		t.Fatal(err)
	}
	r, c, err := src.Open()
	if err != nil {
		t.Fatal(err)
	}
	if !traces.SetWorkers(r, 3) {
		t.Fatal("the generated trace does not decode in parallel")
	}
	c.Close()
	before := runtime.NumGoroutine()
	for _, a := range arch.Names() {
		for _, s := range lazymmu.Strategies() {
			cfg := replay.Config{Arch: a, Strategy: s}
			e, err := replay.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			seq, err := matrix.Replay(e, src, 1)
			if err != nil {
				t.Fatal(err)
			}
			if seq.Events < 10000 {
				t.Fatalf("%d events: want several chunks", seq.Events)
			}
			e2, _ := replay.New(cfg)
			par, err := matrix.Replay(e2, src, 3)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(seq, par) {
				t.Errorf("%s/%s: parallel decoding gives\n%+v\nsequential\n%+v", a, s, par, seq)
			}
		}
	}
	if n := settledGoroutines(before); n > before {
		t.Errorf("%d goroutines after the replays, %d before: decoding helpers left running", n, before)
	}
	// A replay to the end or to an error ends the helpers by itself; a
	// reader given up early needs its closer to end them.
	before = runtime.NumGoroutine()
	r, c, err = src.OpenAhead(3)
	if err != nil || !r.Next() {
		t.Fatalf("openAhead: %v, %v", err, r.Err())
	}
	if n := runtime.NumGoroutine(); n < before+2 {
		t.Fatalf("%d goroutines decoding ahead on 3 workers, %d before: want 2 helpers more", n, before)
	}
	c.Close()
	if n := settledGoroutines(before); n > before {
		t.Errorf("%d goroutines after closing a reader given up early, %d before: decoding helpers left running", n, before)
	}
}

// TestReplayStepsInOrder: --steps decodes in order, so that on a streamed
// trace cut short its lines before the error are one per event the reader
// hands out in order (validate's), not the fewer that decoding ahead gives
// when its read-ahead meets the cut first.
func TestReplayStepsInOrder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mix.lmt")
	if err := run([]string{"gen", "mix", "--pages", "512", "--loops", "3", "-o", path}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.lmt")
	if err := os.WriteFile(cut, data[:len(data)*3/5], 0o644); err != nil {
		t.Fatal(err)
	}
	count := func(workers int) int {
		src, err := matrix.NamedSource(cut)
		if err != nil {
			t.Fatal(err)
		}
		r, c, err := src.OpenAhead(workers)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		n := 0
		for r.Next() {
			n++
		}
		if r.Err() == nil {
			t.Fatal("the cut trace reads without an error")
		}
		return n
	}
	inOrder, ahead := count(1), count(3)
	if inOrder == ahead {
		t.Fatalf("%d events either way: the cut does not tell the two apart", inOrder)
	}
	out, _, code := lb("replay", "--trace", cut, "--steps")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	steps := 0
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(l, "violation ") {
			steps++
		}
	}
	if steps != inOrder {
		t.Errorf("%d step lines, want %d (in order; decoding ahead gives %d)", steps, inOrder, ahead)
	}
}

// settledGoroutines returns the number of goroutines once it is at most
// want, or after a second. A helper that has called its WaitGroup's Done
// (so Close has returned) may still be counted for a moment while it exits;
// one that is left running stays counted.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for i := 0; i < 100 && n > want; i++ {
		time.Sleep(10 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}
