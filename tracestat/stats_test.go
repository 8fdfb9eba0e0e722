package tracestat

import (
	"github.com/lazybench/lazybench/traces"
	"github.com/montanaflynn/stats"

	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestCollectSectionsBySite checks the per-site section figures against
// counts by hand: the site of the outermost enable, else of the first update
// in the section, else "-"; nested enables by their own site.
func TestCollectSectionsBySite(t *testing.T) {
	var b strings.Builder
	b.WriteString("lazymmu-trace v1\n")
	tm := 0
	ev := func(format string, args ...any) {
		tm++
		fmt.Fprintf(&b, "%d 0 1 "+format+"\n", append([]any{tm}, args...)...)
	}
	section := func(site string, n int, nested string) {
		if site != "" {
			ev("enable site=%s", site)
		} else {
			ev("enable")
		}
		if nested != "" {
			ev("enable site=%s", nested)
		}
		for i := range n {
			ev("set addr=0x%x site=upd_%s", 0x1000*(i+1), site)
		}
		if nested != "" {
			ev("disable")
		}
		ev("disable")
	}
	// walk: lengths 1, 2, 3, 10 -> p50 = 2.5 (type 7), mean 4, one nested.
	section("walk", 1, "")
	section("walk", 3, "inner")
	section("walk", 10, "")
	section("walk", 2, "")
	// big: lengths 0, 1500, 2000, 3000, 3000 (the sparse part) -> p50 2000.
	section("big", 3000, "")
	section("big", 0, "")
	section("big", 2000, "")
	section("big", 1500, "")
	section("big", 3000, "")
	// no site on the enable: the first update's site names it.
	section("", 4, "")
	// no site at all: "-".
	ev("enable")
	ev("disable")
	ev("enable")
	ev("enable")
	ev("disable")
	ev("disable")
	r := traces.NewTextReader(strings.NewReader(b.String()), "t")
	s, err := Collect(r, "t")
	if err != nil {
		t.Fatal(err)
	}
	want := []SectionSite{
		{Site: "big", Sections: 5, Updates: 9500, Min: 0, P50: 2000, Mean: 1900, Max: 3000},
		{Site: "walk", Sections: 4, Nested: 1, Updates: 16, Min: 1, P50: 2.5, Mean: 4, Max: 10},
		{Site: "-", Sections: 2, Nested: 1, Updates: 0, Min: 0, P50: 0, Mean: 0, Max: 0},
		{Site: "upd_", Sections: 1, Updates: 4, Min: 4, P50: 4, Mean: 4, Max: 4},
	}
	if fmt.Sprint(s.BySection) != fmt.Sprint(want) {
		t.Errorf("sections by site:\n got %+v\nwant %+v", s.BySection, want)
	}
	wantNested := []SiteCount{{"-", 1}, {"inner", 1}}
	if fmt.Sprint(s.NestedBySite) != fmt.Sprint(wantNested) {
		t.Errorf("nested enables by site: got %+v, want %+v", s.NestedBySite, wantNested)
	}
	if s.Sections != 12 {
		t.Errorf("sections %d, want 12", s.Sections)
	}
}

func TestSiteLensPercentile(t *testing.T) {
	for _, c := range []struct {
		lens []int64
		p    float64
		want float64
	}{
		{[]int64{5}, 0.5, 5},
		{[]int64{1, 2}, 0.5, 1.5},
		{[]int64{4, 1, 3, 2}, 0.5, 2.5},
		{[]int64{1, 2, 3, 4, 5}, 0.9, 4.6},
		{[]int64{0, 5000, 1023, 1024}, 0.5, 1023.5},
		{[]int64{7, 7, 7}, 0.5, 7},
	} {
		var l siteLens
		for _, n := range c.lens {
			l.add(n)
		}
		if got := l.percentile(c.p); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("%v p%v = %v, want %v", c.lens, c.p, got, c.want)
		}
		// The same, to the bit, as stats.Percentile of the lengths kept.
		if got, want := l.percentile(c.p), statsPercentile(c.lens, c.p); got != want {
			t.Errorf("%v p%v = %v, stats.Percentile %v", c.lens, c.p, got, want)
		}
	}
}

// statsPercentile is stats.Percentile of lens at p (a literal: p*100 is
// exact for the test's values).
func statsPercentile(lens []int64, p float64) float64 {
	f := make([]float64, len(lens))
	for i, n := range lens {
		f[i] = float64(n)
	}
	v, _ := stats.Percentile(f, p*100)
	return v
}

// BenchmarkSiteLens is one site's median over a million sections (lengths
// 1 to 4096, most short), by siteLens (counts per length) and by keeping
// every length for stats.Percentile (see siteLens.percentile).
func BenchmarkSiteLens(b *testing.B) {
	const sections = 1_000_000
	length := func(i int) int64 { return 1 + int64(i*i)%4096>>uint(i%8) }
	b.Run("impl=siteLens", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var l siteLens
			for i := range sections {
				l.add(length(i))
			}
			l.percentile(0.5)
		}
	})
	b.Run("impl=stats", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var kept []float64
			for i := range sections {
				kept = append(kept, float64(length(i)))
			}
			stats.Percentile(kept, 50)
		}
	})
}

// TestCollectEmptyJSON: an empty trace's statistics encode every list as [],
// never null.
func TestCollectEmptyJSON(t *testing.T) {
	s, err := Collect(traces.NewTextReader(strings.NewReader(""), "e"), "e")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("null")) {
		t.Errorf("null in %s", b)
	}
	for _, k := range []string{"by_op", "by_cpu", "by_task", "by_site", "depth_hist", "section_len_hist", "sections_by_site", "nested_enables_by_site"} {
		if !bytes.Contains(b, []byte(`"`+k+`":[]`)) {
			t.Errorf("%s is not [] in %s", k, b)
		}
	}
}
