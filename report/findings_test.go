package report

import (
	"io"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

func corpusSources(names ...string) []matrix.Source {
	var srcs []matrix.Source
	for _, n := range names {
		srcs = append(srcs, matrix.Source{Name: n, Open: func() (traces.Reader, io.Closer, error) { return corpus.Open(n) }})
	}
	return srcs
}

// TestFirstProblem: the first event that breaks a promise is the one
// `lazybench replay --steps` marks first (event 13 of debug-pagealloc on
// arm64 under noflush: hazard=stale-access; event 861 of mix on ppc64-hash
// under upstream: violation preempted-in-section).
func TestFirstProblem(t *testing.T) {
	for _, c := range []struct {
		trace, arch string
		s           lazymmu.Strategy
		idx         int64
		what        string
	}{
		{"debug-pagealloc", "arm64", lazymmu.NoFlush, 13, replay.HazardStaleAccess},
		{"mix", "ppc64-hash", lazymmu.Upstream, 861, "preempted-in-section"},
		{"debug-pagealloc", "arm64", lazymmu.Upstream, -1, ""},
	} {
		rp := &Replays{Traces: []*Trace{{Name: c.trace, src: corpusSources(c.trace)[0]}}}
		idx, what := firstProblem(rp, rp.Traces[0], c.arch, c.s)
		if idx != c.idx || what != c.what {
			t.Errorf("%s on %s under %s: first problem %d %q, want %d %q", c.trace, c.arch, c.s, idx, what, c.idx, c.what)
		}
	}
}

// TestFindingsFollowTheReplays: the findings are computed, not written: a
// cost file that doubles arm64's barrier pair changes arm64's batching
// finding and nothing of ppc64-hash's.
func TestFindingsFollowTheReplays(t *testing.T) {
	srcs := corpusSources("vmalloc_p64")
	arches := []string{"arm64", "ppc64-hash"}
	find := func(costs arch.Costs) map[string]string {
		rp, err := Run(srcs, arches, replay.Config{Costs: costs}, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, f := range Findings(rp) {
			if f.Question == "batching" {
				m[f.Arch] = f.Text
			}
			if !strings.Contains(f.Text, "modeled") {
				t.Errorf("finding without 'modeled': %s", f.Text)
			}
		}
		return m
	}
	base := find(nil)
	dbl := find(arch.Costs{"arm64": {"barrier_pair_ns": 80}})
	if base["arm64"] == "" || base["arm64"] == dbl["arm64"] {
		t.Errorf("arm64's batching finding does not follow its costs:\n%s\n%s", base["arm64"], dbl["arm64"])
	}
	if base["ppc64-hash"] == "" || base["ppc64-hash"] != dbl["ppc64-hash"] {
		t.Errorf("ppc64-hash's batching finding changed with arm64's costs:\n%s\n%s", base["ppc64-hash"], dbl["ppc64-hash"])
	}
}
