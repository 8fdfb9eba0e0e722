package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestReplayTimelineFlag(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		extra []string
		check func(t *testing.T, stdout string)
	}{
		{"table", nil, func(t *testing.T, out string) {
			if !strings.Contains(out, "modeled_ns") {
				t.Errorf("no metrics table:\n%s", out)
			}
		}},
		{"json", []string{"--json"}, func(t *testing.T, out string) {
			var m map[string]any
			if err := json.Unmarshal([]byte(out), &m); err != nil || m["arch"] != "x86-xen" {
				t.Errorf("stdout is not the result JSON: %v", err)
			}
		}},
		{"steps", []string{"--steps"}, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "0 ") {
				t.Errorf("steps output starts %q", out[:min(len(out), 40)])
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".json")
			var stdout, stderr bytes.Buffer
			args := append([]string{"replay", "--trace", "corpus:preempt_smp", "--arch", "x86-xen", "--timeline", path}, tc.extra...)
			if err := run(args, &stdout, &stderr); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			tc.check(t, stdout.String())
			// --timeline changes nothing on stdout.
			var plain bytes.Buffer
			if err := run(append([]string{"replay", "--trace", "corpus:preempt_smp", "--arch", "x86-xen"}, tc.extra...), &plain, &stderr); err != nil {
				t.Fatal(err)
			}
			if plain.String() != stdout.String() {
				t.Errorf("stdout with --timeline differs from stdout without it:\n%s\n---\n%s", stdout.String(), plain.String())
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var f struct {
				OtherData   map[string]string `json:"otherData"`
				TraceEvents []struct {
					Ph   string   `json:"ph"`
					PID  int      `json:"pid"`
					TID  int      `json:"tid"`
					TS   *float64 `json:"ts"`
					Name string   `json:"name"`
				} `json:"traceEvents"`
			}
			if err := json.Unmarshal(data, &f); err != nil {
				t.Fatalf("timeline is not JSON: %v", err)
			}
			if f.OtherData["strategy"] != "upstream" || f.OtherData["trace"] != "corpus:preempt_smp" {
				t.Errorf("otherData %v", f.OtherData)
			}
			depth := map[[2]int]int{}
			last, slices := -1.0, 0
			for _, e := range f.TraceEvents {
				if e.Ph == "M" {
					continue
				}
				if *e.TS < last {
					t.Fatalf("timestamps go back: %v after %v", *e.TS, last)
				}
				last = *e.TS
				k := [2]int{e.PID, e.TID}
				switch e.Ph {
				case "B":
					depth[k]++
				case "E":
					depth[k]--
					slices++
					if depth[k] < 0 {
						t.Fatalf("E without B on %v", k)
					}
				}
			}
			for k, d := range depth {
				if d != 0 {
					t.Errorf("%v: %d slices open at the end", k, d)
				}
			}
			if slices == 0 {
				t.Error("no slices")
			}
		})
	}
	// A bad trace writes no timeline.
	bad := filepath.Join(dir, "bad.lmt.txt")
	os.WriteFile(bad, []byte("0 0 1 frobnicate\n"), 0o644)
	out := filepath.Join(dir, "bad.json")
	if err := run([]string{"replay", "--trace", bad, "--timeline", out}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
		t.Error("bad trace accepted")
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed replay wrote its timeline")
	}
}

// TestReplayTimelineMax: --timeline-max bounds the JSON (plus its header of
// a few hundred bytes) and comes close to it, the file parses and holds a
// "timeline truncated" instant, and the truncation is said on stderr (issue 20, item 10: a 1.2 KB
// trace wrote 611 MB of JSON).
func TestReplayTimelineMax(t *testing.T) {
	dir := t.TempDir()
	for _, max := range []int64{4 << 10, 20 << 10, 100 << 10} {
		path := filepath.Join(dir, "t.json")
		var stdout, stderr bytes.Buffer
		args := []string{"replay", "--trace", "corpus:mix", "--timeline", path, "--timeline-max", strconv.FormatInt(max>>10, 10) + "K"}
		if err := run(args, &stdout, &stderr); err != nil {
			t.Fatalf("%v\n%s", err, stderr.String())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(b)) > max+512 || int64(len(b)) < max/2 {
			t.Errorf("max %d: %d bytes of JSON", max, len(b))
		}
		var doc struct{ TraceEvents []map[string]any }
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("max %d: %v", max, err)
		}
		marks := 0
		for _, e := range doc.TraceEvents {
			if e["name"] == "timeline truncated" {
				marks++
			}
		}
		if marks != 1 || !strings.Contains(stderr.String(), "timeline truncated at") {
			t.Errorf("max %d: %d truncation marks, stderr %q", max, marks, stderr.String())
		}
	}
}
