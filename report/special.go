package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/lazybench/lazybench/internal/archinfo"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

// firstWatcher is a replay.Observer that keeps the first event that caused
// a violation or a hazard.
type firstWatcher struct {
	idx  int64
	what string
}

func (w *firstWatcher) Step(i int64, _ *traces.Event, s *replay.StepInfo) {
	if w.what != "" || (s.Violations == 0 && s.Hazards == 0) {
		return
	}
	w.idx = i
	for v := lazymmu.Violation(0); v < lazymmu.NumViolations; v++ {
		if s.Violations.Has(v) {
			w.what = v.String()
			return
		}
	}
	w.what = replay.HazardStaleAccess
	if !s.Hazards.Has(replay.HazardStale) {
		w.what = replay.HazardTLBFlush
	}
}

func (w *firstWatcher) End(n int64, s *replay.EndInfo) {
	if w.what != "" {
		return
	}
	for v, c := range s.Violations {
		if c > 0 {
			w.idx, w.what = n, lazymmu.Violation(v).String()
			return
		}
	}
}

// firstProblem replays t on arch a under st once more, watching each event,
// and returns the index of the first event that broke a promise and what it
// was (-1, "" if none did or the replay failed).
func firstProblem(rp *Replays, t *Trace, a string, st lazymmu.Strategy) (int64, string) {
	w := &firstWatcher{}
	cfg := rp.Config
	cfg.Arch, cfg.Strategy, cfg.Observer, cfg.KeepDists = a, st, w, false
	e, err := replay.New(cfg)
	if err != nil {
		return -1, ""
	}
	if _, err := matrix.Replay(e, t.src, 1); err != nil || w.what == "" {
		return -1, ""
	}
	return w.idx, w.what
}

// xenFinding: under upstream on x86-xen, the share of batched hypercalls
// (drains of the multicall buffer) that carry a single PTE update, recorded
// traces apart from generated ones.
func xenFinding(rp *Replays) (string, bool) {
	const a = "x86-xen"
	if !slices.Contains(rp.Arches, a) {
		return "", false
	}
	var parts []string
	for _, rec := range []bool{true, false} {
		var one, all, immediate uint64
		rs := rp.upstream(a, rec)
		n := len(rs)
		for _, r := range rs {
			immediate += r.Immediate
			for size, c := range r.Batches {
				all += c
				if size == 1 {
					one += c
				}
			}
		}
		if n == 0 {
			continue
		}
		kind := kindName(rec)
		share := "none"
		if all > 0 {
			share = fmtPct(float64(one) / float64(all))
		}
		parts = append(parts, fmt.Sprintf("%s of %s on the %s (beside %s done at once, outside lazy mode or atomic: a hypercall or a trap each)",
			share, fmtInt(all), plural(n, kind+" trace", kind+" traces"), plural(int(immediate), "update", "updates")))
	}
	if len(parts) == 0 {
		return "", false
	}
	return fmt.Sprintf("%s: under upstream, the share of batched hypercalls (multicall buffer drains) that carry a single PTE update is %s, modeled.",
		archinfo.Title(a), strings.Join(parts, " against ")), true
}

// s390Published are the proposal's own figures for the s390 finding, by
// workload: "s390: Batch PTE updates in lazy MMU mode" v5 (Alexander
// Gordeev, 13 Jul 2026), large ranges; fork from the RFC (25 Mar 2026).
var s390Published = []struct{ workload, figure string }{
	{"mprotect", "v5: ~15x faster"},
	{"munmap", "v5: ~3x faster"},
	{"mremap", "v5: ~28x faster"},
	{"fork", "RFC: ~1.5x slower"},
}

// s390Finding: upstream against none on s390 for the workloads the proposal
// published figures for.
func s390Finding(rp *Replays) (string, bool) {
	const a = "s390"
	if !slices.Contains(rp.Arches, a) {
		return "", false
	}
	var parts []string
	for _, p := range s390Published {
		for _, t := range rp.Traces {
			up, none := t.Get(a, lazymmu.Upstream), t.Get(a, lazymmu.None)
			if t.Workload != p.workload || !t.Fits(a) || up == nil || none == nil || up.ModeledNs == 0 {
				continue
			}
			parts = append(parts, fmt.Sprintf("%s %s (%s)", shortName(t.Name), speed(none.ModeledNs/up.ModeledNs), p.figure))
		}
	}
	if len(parts) == 0 {
		return "", false
	}
	return fmt.Sprintf("%s: lazy mode (upstream against none) makes %s in modeled time; the proposal's figures are whole system calls on large ranges, the model prices only the PTE section.",
		archinfo.Title(a), joinAnd(parts)), true
}

// speed formats a speed-up factor: "14.3x faster", "1.25x slower".
func speed(f float64) string {
	if f >= 1 {
		return fmtSig(f) + "x faster"
	}
	return fmtSig(1/f) + "x slower"
}
