package report

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/lazybench/lazybench/internal/archinfo"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
)

// Finding is one answer the report and `lazybench summary` lead with: one
// sentence with its figure, its baseline, its trace set and the word
// "modeled", computed from the replays.
type Finding struct {
	Question string // key of the question it answers (Questions)
	Arch     string // the arch it is about; "" for several
	Text     string // the sentence, plain text
}

// Question is one question the findings answer, in the order shown.
type Question struct {
	Key, Title string
}

// Questions lists the questions the findings answer, in order.
var Questions = []Question{
	{"nesting", "What does nesting support cost or save?"},
	{"batching", "What does batching buy?"},
	{"ideal", "How far from the fewest flushes with no hazard (ideal)?"},
	{"promises", "Which strategies break promises?"},
	{"xen", "Xen PV: how many updates does a hypercall carry?"},
	{"s390", "s390: the model against the proposal's own published figures"},
}

// Findings computes the findings of a run, question by question, arch by
// arch in the run's order.
func Findings(rp *Replays) []Finding {
	var out []Finding
	add := func(q, a, format string, args ...any) {
		out = append(out, Finding{Question: q, Arch: a, Text: fmt.Sprintf(format, args...)})
	}
	for _, a := range rp.Arches {
		set := newTraceSet(rp, a)
		if len(set.traces) == 0 {
			continue
		}
		if set.flat() {
			add("nesting", a, "%s: no main counter and the same modeled time under every strategy over %s: nothing is batched.", archinfo.Title(a), set.desc)
			continue
		}
		add("nesting", a, "%s", nestingFinding(set))
		add("nesting", a, "%s", flushFinding(set))
		add("batching", a, "%s", batchingFinding(set))
		add("ideal", a, "%s", idealFinding(set))
	}
	for _, f := range promiseFindings(rp) {
		add("promises", "", "%s", f)
	}
	if f, ok := xenFinding(rp); ok {
		add("xen", "x86-xen", "%s", f)
	}
	if f, ok := s390Finding(rp); ok {
		add("s390", "s390", "%s", f)
	}
	return out
}

// traceSet is the traces one arch's findings sum over: those whose page size
// the arch's kernel supports, or all of them if none does.
type traceSet struct {
	arch   string
	traces []*Trace
	desc   string // "21 traces (fork_16k left out: page size)"
}

func newTraceSet(rp *Replays, a string) traceSet {
	s := traceSet{arch: a}
	var out []string
	for _, t := range rp.Traces {
		if t.Fits(a) {
			s.traces = append(s.traces, t)
		} else {
			out = append(out, shortName(t.Name))
		}
	}
	switch {
	case len(s.traces) == 0:
		s.traces = rp.Traces
		s.desc = plural(len(rp.Traces), "trace", "traces") + " of page sizes " + a + "'s kernel does not have"
	case len(out) > 0:
		s.desc = fmt.Sprintf("%s (%s left out: page size)", plural(len(s.traces), "trace", "traces"), strings.Join(out, ", "))
	default:
		s.desc = plural(len(s.traces), "trace", "traces")
	}
	return s
}

// sum adds f over the set's replays under strategy st.
func (s traceSet) sum(st lazymmu.Strategy, f func(*replay.Result) float64) float64 {
	v := 0.0
	for _, t := range s.traces {
		if r := t.Get(s.arch, st); r != nil {
			v += f(r)
		}
	}
	return v
}

// main is the arch's main counter ("" if it has none).
func (s traceSet) main() string {
	for _, t := range s.traces {
		if r := t.Get(s.arch, lazymmu.Upstream); r != nil {
			return r.Main
		}
	}
	return ""
}

// flat reports whether the arch has no main counter and every strategy
// models the same time on every trace.
func (s traceSet) flat() bool {
	if s.main() != "" {
		return false
	}
	for _, t := range s.traces {
		ref := t.Get(s.arch, lazymmu.None)
		for _, r := range t.Results {
			if r.Arch == s.arch && ref != nil && r.ModeledNs != ref.ModeledNs {
				return false
			}
		}
	}
	return true
}

func mainValue(r *replay.Result) float64 { return float64(r.MainValue()) }
func modeledNs(r *replay.Result) float64 { return r.ModeledNs }
func flushes(r *replay.Result) float64   { return float64(r.Flushes) }

// counterOrTime returns the figure a comparison leads with: the main counter
// if the arch has one, else modeled time.
func (s traceSet) counterOrTime() (name string, f func(*replay.Result) float64) {
	if m := s.main(); m != "" {
		return m, mainValue
	}
	return "modeled time", modeledNs
}

// nestingFinding compares upstream with the strategies before it (flat,
// typed, countbool): the main counter and modeled time, with the trace
// where flat differs most.
func nestingFinding(s traceSet) string {
	name, f := s.counterOrTime()
	up, upNs := s.sum(lazymmu.Upstream, f), s.sum(lazymmu.Upstream, modeledNs)
	var parts []string
	for _, st := range []lazymmu.Strategy{lazymmu.Flat, lazymmu.Typed, lazymmu.CountBool} {
		w := ""
		if t, ratio := s.worst(st, lazymmu.Upstream, f); t != nil && ratio != 1 {
			w = fmt.Sprintf(" (%sx on %s)", fmtSig(ratio), shortName(t.Name))
		}
		parts = append(parts, fmt.Sprintf("%s %s the %s%s and %s the time", st, fmtRatio(s.sum(st, f), up), name, w, fmtRatio(s.sum(st, modeledNs), upNs)))
	}
	return fmt.Sprintf("%s: against upstream (%s %s, %s modeled), %s, modeled over %s.",
		archinfo.Title(s.arch), fmtInt(int64(up)), name, fmtNs(upNs), strings.Join(parts, "; "), s.desc)
}

// worst returns the trace where st's figure differs most from base's
// (largest ratio either way) and st's ratio.
func (s traceSet) worst(st, base lazymmu.Strategy, f func(*replay.Result) float64) (*Trace, float64) {
	var best *Trace
	bestR, bestDev := 1.0, 1.0
	for _, t := range s.traces {
		a, b := t.Get(s.arch, st), t.Get(s.arch, base)
		if a == nil || b == nil || f(a) == 0 || f(b) == 0 {
			continue
		}
		r := f(a) / f(b)
		dev := max(r, 1/r)
		if dev > bestDev {
			best, bestR, bestDev = t, r, dev
		}
	}
	return best, bestR
}

// flushFinding prices the flush on nested disable: upstream against
// noflush, which skips it.
func flushFinding(s traceSet) string {
	up, nf := s.sum(lazymmu.Upstream, flushes), s.sum(lazymmu.NoFlush, flushes)
	upNs, nfNs := s.sum(lazymmu.Upstream, modeledNs), s.sum(lazymmu.NoFlush, modeledNs)
	hz := s.sum(lazymmu.NoFlush, func(r *replay.Result) float64 { return float64(r.HazardTotal()) })
	return fmt.Sprintf("%s: the flush on nested disable (upstream against noflush, which skips it and leaves %s) changes flushes of a non-empty batch by %s (%s vs %s) and modeled time by %s over %s.",
		archinfo.Title(s.arch), plural(int(hz), "hazard", "hazards"), fmtSigned(up-nf), fmtInt(int64(up)), fmtInt(int64(nf)), fmtChange(upNs, nfNs), s.desc)
}

// fmtSigned formats a whole difference with its sign: "+12", "-3", "0".
func fmtSigned(d float64) string {
	if d > 0 {
		return "+" + fmtInt(int64(d))
	}
	return fmtInt(int64(d))
}

// batchingFinding: upstream against none, arch operations and time.
func batchingFinding(s traceSet) string {
	name, f := s.counterOrTime()
	up, none := s.sum(lazymmu.Upstream, f), s.sum(lazymmu.None, f)
	upNs, noneNs := s.sum(lazymmu.Upstream, modeledNs), s.sum(lazymmu.None, modeledNs)
	return fmt.Sprintf("%s: batching (upstream against none) makes %s the %s (%s vs %s) and %s modeled time over %s.",
		archinfo.Title(s.arch), fmtRatio(up, none), name, fmtInt(int64(up)), fmtInt(int64(none)), fmtChange(upNs, noneNs), s.desc)
}

// idealFinding: upstream's flushes against ideal's, and the traces where
// none models less time than ideal (ideal is no bound on time).
func idealFinding(s traceSet) string {
	up, id := s.sum(lazymmu.Upstream, flushes), s.sum(lazymmu.Ideal, flushes)
	var below []*Trace
	for _, t := range s.traces {
		n, i := t.Get(s.arch, lazymmu.None), t.Get(s.arch, lazymmu.Ideal)
		if n != nil && i != nil && n.ModeledNs < i.ModeledNs {
			below = append(below, t)
		}
	}
	tail := "; no trace models less time under none than under ideal"
	if len(below) > 0 {
		t := below[0]
		tail = fmt.Sprintf("; ideal is no bound on time: none models less on %d of them (%s: %s vs %s)", len(below),
			shortName(t.Name), fmtNs(t.Get(s.arch, lazymmu.None).ModeledNs), fmtNs(t.Get(s.arch, lazymmu.Ideal).ModeledNs))
	}
	return fmt.Sprintf("%s: upstream makes %s the flushes of ideal, the fewest flushes with no hazard (%s vs %s), modeled over %s%s.",
		archinfo.Title(s.arch), fmtRatio(up, id), fmtInt(int64(up)), fmtInt(int64(id)), s.desc, tail)
}

// shortName drops the corpus: prefix of a trace name.
func shortName(n string) string { return strings.TrimPrefix(n, "corpus:") }

// problem is where one strategy broke a promise on one arch and trace.
type problem struct {
	t          *Trace
	arch       string
	violations map[string]uint64
	hazards    map[string]uint64
}

// promiseFindings: per strategy, the violations and hazards over every arch
// and trace, with the first event index of the first; one sentence for the
// strategies with none.
func promiseFindings(rp *Replays) []string {
	var out, clean []string
	for _, st := range lazymmu.Strategies() {
		var ps []problem
		for _, t := range rp.Traces {
			for _, a := range rp.Arches {
				r := t.Get(a, st)
				if r != nil && r.ViolationTotal()+r.HazardTotal() > 0 {
					ps = append(ps, problem{t, a, r.Violations, r.Hazards})
				}
			}
		}
		if len(ps) == 0 {
			clean = append(clean, st.String())
			continue
		}
		out = append(out, promiseSentence(rp, st, ps))
	}
	if len(clean) > 0 {
		out = append(out, fmt.Sprintf("%s: no violation and no hazard on any arch over %s, modeled.",
			joinAnd(clean), plural(len(rp.Traces), "trace", "traces")))
	}
	return out
}

func promiseSentence(rp *Replays, st lazymmu.Strategy, ps []problem) string {
	v, h := map[string]uint64{}, map[string]uint64{}
	var arches []string
	traces := map[string]bool{}
	for _, p := range ps {
		for k, n := range p.violations {
			v[k] += n
		}
		for k, n := range p.hazards {
			h[k] += n
		}
		if !slices.Contains(arches, p.arch) {
			arches = append(arches, p.arch)
		}
		traces[p.t.Name] = true
	}
	var titles []string
	for _, a := range rp.Arches {
		if slices.Contains(arches, a) {
			titles = append(titles, archinfo.Title(a))
		}
	}
	first := ps[0]
	idx, what := firstProblem(rp, first.t, first.arch, st)
	return fmt.Sprintf("%s: %s and %s on %s over %s; the first, %s, at event %s of %s on %s, modeled.",
		st, countsPhrase(v, "violation", "violations"), countsPhrase(h, "hazard", "hazards"), joinAnd(titles),
		plural(len(traces), "trace", "traces"), what, fmtInt(idx), shortName(first.t.Name), first.arch)
}

// countsPhrase: "12 violations (nested-enter 10, leave-while-inactive 2)".
func countsPhrase(m map[string]uint64, one, many string) string {
	total := uint64(0)
	var parts []string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if m[k] > 0 {
			total += m[k]
			parts = append(parts, k+" "+fmtInt(m[k]))
		}
	}
	if total == 0 {
		return "no " + one
	}
	s := plural(int(total), one, many)
	if len(parts) > 1 {
		s += " (" + strings.Join(parts, ", ") + ")"
	} else {
		s += " (" + strings.SplitN(parts[0], " ", 2)[0] + ")"
	}
	return s
}

// joinAnd joins "a", "a and b", "a, b and c".
func joinAnd(l []string) string {
	if len(l) <= 1 {
		return strings.Join(l, "")
	}
	return strings.Join(l[:len(l)-1], ", ") + " and " + l[len(l)-1]
}
