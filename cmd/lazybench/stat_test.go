package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"
)

func TestStatGolden(t *testing.T) {
	for _, c := range []struct{ trace, golden string }{
		{"nested", "stat_nested"},
		{"all_ops", "stat_all_ops"},
	} {
		path := "../../traces/testdata/" + c.trace + ".lmt.txt"
		out, errs, code := lb("stat", path)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", path, code, errs)
		}
		golden.Check(t, "testdata/"+c.golden+".golden", []byte(out))
		out, errs, code = lb("stat", path, "--json")
		if code != 0 {
			t.Fatalf("%s --json: exit %d: %s", path, code, errs)
		}
		golden.Check(t, "testdata/"+c.golden+".json.golden", []byte(out))
	}
}

// TestStatNested checks the figures of the nested trace against a count by
// hand, so the golden file cannot silently hold wrong numbers.
func TestStatNested(t *testing.T) {
	out, errs, code := lb("stat", "--json", "../../traces/testdata/nested.lmt.txt")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s struct {
		Events     int64 `json:"events"`
		Updates    int64 `json:"updates"`
		Sections   int64 `json:"sections"`
		InSection  int64 `json:"updates_in_sections"`
		IRQUpdates int64 `json:"irq_updates"`
		Paused     int64 `json:"updates_while_paused"`
		Pauses     int64 `json:"pauses"`
		Depth      []struct {
			Min, Max, Sections int64
		} `json:"depth_hist"`
		Len []struct {
			Min, Max, Sections int64
		} `json:"section_len_hist"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	// Sections: task 10 outer (depth 3; 0x1000, 0x2000, 0x6000: 3 updates),
	// task 20 vmalloc (2), task 11 (1), task 10 again on cpu 1 (1). The update
	// at 0x7000 is paused, the one at 0xffffc90000100000 is in an irq.
	if s.Events != 27 || s.Updates != 9 || s.Sections != 4 || s.InSection != 7 || s.IRQUpdates != 1 || s.Paused != 1 || s.Pauses != 1 {
		t.Errorf("got %+v", s)
	}
	if len(s.Depth) != 2 || s.Depth[0].Min != 1 || s.Depth[0].Sections != 3 || s.Depth[1].Min != 3 || s.Depth[1].Sections != 1 {
		t.Errorf("depth histogram %+v", s.Depth)
	}
	if len(s.Len) != 2 || s.Len[0].Min != 1 || s.Len[0].Sections != 2 || s.Len[1].Min != 2 || s.Len[1].Max != 3 || s.Len[1].Sections != 2 {
		t.Errorf("length histogram %+v", s.Len)
	}
}

func TestStatUsage(t *testing.T) {
	if _, _, code := lb("stat"); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
	if _, errs, code := lb("stat", "../../traces/testdata/bad/unknown_op.lmt.txt"); code != 1 || errs != "lazybench: ../../traces/testdata/bad/unknown_op.lmt.txt:3: unknown op \"frob\"\n" {
		t.Errorf("bad file: exit %d, stderr %q", code, errs)
	}
}

// TestStatCorpus reads a trace of the embedded corpus by name, and checks the
// per-site section figures of fork (55 copy_pte_range sections; lengths counted
// from the text form: min 6, type-7 median 40, max 320, 3690 updates).
func TestStatCorpus(t *testing.T) {
	out, errs, code := lb("stat", "--json", "corpus:fork")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s struct {
		BySection []struct {
			Site     string  `json:"site"`
			Sections int64   `json:"sections"`
			Updates  int64   `json:"updates"`
			Min      int64   `json:"updates_min"`
			P50      float64 `json:"updates_p50"`
			Max      int64   `json:"updates_max"`
		} `json:"sections_by_site"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	if len(s.BySection) != 1 {
		t.Fatalf("sections by site: %+v", s.BySection)
	}
	if c := s.BySection[0]; c.Site != "copy_pte_range" || c.Sections != 55 || c.Updates != 3690 || c.Min != 6 || c.P50 != 40 || c.Max != 320 {
		t.Errorf("got %+v", c)
	}
	if _, errs, code := lb("stat", "corpus:nope"); code != 1 || !strings.Contains(errs, `no trace named "nope"`) {
		t.Errorf("unknown corpus trace: exit %d, stderr %q", code, errs)
	}
}

func TestValidateCorpus(t *testing.T) {
	out, errs, code := lb("validate", "corpus:fork", "corpus:mremap")
	if code != 0 || out != "corpus:fork: ok, 3851 events\ncorpus:mremap: ok, 4123 events\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

// TestNoTerminalEscapes: strings from a trace (metadata, call sites) and
// from an ftrace file (skipped event names) print with control characters
// as \xHH escapes in stat, replay --steps and import, never raw (issue 20,
// item 9).
func TestNoTerminalEscapes(t *testing.T) {
	dir := t.TempDir()
	tr := filepath.Join(dir, "esc.lmt.txt")
	os.WriteFile(tr, []byte("lazymmu-trace v1\n# @workload: w\x1b]0;title\x07\n0 0 1 enable site=s\x1b[2J\n1 0 1 set addr=0x1000\n2 0 1 disable\n"), 0o644)
	ft := filepath.Join(dir, "esc.ftrace")
	os.WriteFile(ft, []byte("  a-1  ( 1) [000] 100.000001: ev\x1b[31m: hello\n"), 0o644)
	for _, args := range [][]string{
		{"stat", tr},
		{"replay", "--trace", tr, "--steps"},
		{"import", "ftrace", ft, "-o", filepath.Join(dir, "out.lmt")},
	} {
		out, errs, _ := lb(args...)
		all := out + errs
		if strings.ContainsAny(all, "\x1b\x07") {
			t.Errorf("%v: raw control characters in %q", args, all)
		}
		if !strings.Contains(all, `\x1b`) {
			t.Errorf("%v: no \\x1b escape in %q", args, all)
		}
	}
}
