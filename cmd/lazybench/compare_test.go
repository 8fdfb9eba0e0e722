package main

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lazybench/lazybench/internal/golden"
)

// TestCompareGolden: the wide layout (--wide) and the narrow default, which
// fits 100 columns.
func TestCompareGolden(t *testing.T) {
	for _, c := range []struct {
		flag, golden string
		width        int
	}{
		{"--wide", "testdata/compare.golden", 200},
		{"--wide=false", "testdata/compare_narrow.golden", 100},
	} {
		out, errs, code := lb("compare", "--trace", "testdata/nested.lmt.txt,testdata/mid.lmt.txt,corpus:fork_16k",
			"--arch", "arm64,x86-xen,sparc64,s390", "--strategy", "upstream,flat,noflush,none,ideal", c.flag)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		golden.Check(t, c.golden, []byte(out))
		for i, l := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(l); n > c.width {
				t.Errorf("%s: line %d has %d columns, want at most %d", c.flag, i+1, n, c.width)
			}
		}
	}
}

func TestCompareUsage(t *testing.T) {
	for _, args := range [][]string{
		{"compare", "--metric", "nope"},
		{"compare", "--json", "--wide"},
	} {
		if _, _, code := lb(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

func TestCompareJSON(t *testing.T) {
	out, errs, code := lb("compare", "--trace", "testdata/nested.lmt.txt", "--arch", "arm64", "--strategy", "noflush,none", "--baseline", "none", "--json", "--jobs", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Baseline string `json:"baseline"`
		Results  []struct {
			Strategy   string              `json:"strategy"`
			Hazards    map[string]uint64   `json:"hazards"`
			VsBaseline map[string]*float64 `json:"vs_baseline"`
			VsIdeal    map[string]*float64 `json:"vs_ideal"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Baseline != "none" || len(doc.Results) != 2 || doc.Results[0].Strategy != "noflush" || doc.Results[1].Strategy != "none" {
		t.Fatalf("doc = %+v", doc)
	}
	nf, none := doc.Results[0], doc.Results[1]
	if nf.Hazards["stale-access"] != 1 || none.Hazards["stale-access"] != 0 {
		t.Errorf("hazards noflush %v none %v", nf.Hazards, none.Hazards)
	}
	// Against itself the baseline is 1; noflush's hazard over none's 0 has no ratio.
	if r := none.VsBaseline["modeled_ns"]; r == nil || *r != 1 {
		t.Errorf("none vs baseline modeled_ns = %v, want 1", r)
	}
	if r := nf.VsBaseline["hazards"]; r != nil {
		t.Errorf("noflush vs none hazards = %v, want null", *r)
	}
	// ideal has no hazard either: same for vs_ideal.
	if r := nf.VsIdeal["hazards"]; r != nil {
		t.Errorf("noflush vs ideal hazards = %v, want null", *r)
	}
	if r := none.VsIdeal["hazards"]; r == nil || *r != 1 {
		t.Errorf("none vs ideal hazards = %v, want 1 (0/0)", r)
	}
}
