package report

import (
	"strings"

	"github.com/lazybench/lazybench/internal/archinfo"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

// Trace is one trace and its replays under every arch and strategy of a run.
type Trace struct {
	Name     string // as given: a file name or corpus:NAME (the report drops the prefix)
	Workload string // the workload it runs (mprotect, fork, ...), from its metadata
	Recorded bool   // recorded on a kernel, not generated (recorded)
	PageSize uint32 // base page size, bytes (0 unknown)
	Results  []*replay.Result
	src      matrix.Source
}

// Get returns the replay of t under arch a and strategy s, nil if not run.
func (t *Trace) Get(a string, s lazymmu.Strategy) *replay.Result {
	name := s.String()
	for _, r := range t.Results {
		if r.Arch == a && r.Strategy == name {
			return r
		}
	}
	return nil
}

// Fits reports whether t's page size is one arch a's kernel supports.
func (t *Trace) Fits(a string) bool { return archinfo.Fits(a, t.PageSize) }

// kindName is "recorded" or "generated", as a trace's Recorded says.
func kindName(recorded bool) string {
	if recorded {
		return "recorded"
	}
	return "generated"
}

// Replays is a run of the matrix: every trace under every arch and strategy.
type Replays struct {
	Traces []*Trace
	Arches []string
	Config replay.Config // the costs the replays used (Arch and Strategy unset)
	// CostsNote says which costs the replays used, for people.
	CostsNote string
}

// Run replays every source under every arch and strategy (matrix.Run on
// jobs goroutines; done, if not nil, after each replay) and reads each
// trace's metadata.
func Run(srcs []matrix.Source, arches []string, cfg replay.Config, jobs int, done func()) (*Replays, error) {
	rp := &Replays{Arches: arches, Config: cfg}
	for _, src := range srcs {
		r, c, err := src.Open()
		if err != nil {
			return nil, err
		}
		m := r.Meta()
		c.Close()
		rp.Traces = append(rp.Traces, &Trace{Name: src.Name, Workload: workloadName(m.Workload),
			Recorded: recorded(m), PageSize: m.PageSize, src: src})
	}
	work := matrix.Jobs(len(srcs), arches, lazymmu.Strategies())
	results, err := matrix.Run(srcs, work, cfg, jobs, done)
	if err != nil {
		return nil, err
	}
	for i, j := range work {
		t := rp.Traces[j.Trace]
		t.Results = append(t.Results, results[i])
	}
	return rp, nil
}

// recorded reports whether a trace's metadata says it was recorded on a
// kernel: imported from a recording (lazybench import, lazybench record), or
// naming a kernel that is not "synthetic: ..." (what lazybench gen writes).
func recorded(m traces.Meta) bool {
	if strings.HasPrefix(m.Recorder, "lazybench import") || strings.HasPrefix(m.Recorder, "lazybench record") {
		return true
	}
	return m.Kernel != "" && !strings.HasPrefix(m.Kernel, "synthetic") && !strings.HasPrefix(m.Recorder, "lazybench gen")
}

// workloadName returns the first word of a trace's workload metadata (a
// generated trace's is its generator's name).
func workloadName(w string) string {
	for i := 0; i < len(w); i++ {
		if w[i] == ' ' || w[i] == ':' {
			return w[:i]
		}
	}
	return w
}

// Mismatches returns, per arch, the traces whose page size its kernel does
// not support.
func (rp *Replays) Mismatches() map[string][]*Trace {
	m := map[string][]*Trace{}
	for _, a := range rp.Arches {
		for _, t := range rp.Traces {
			if !t.Fits(a) {
				m[a] = append(m[a], t)
			}
		}
	}
	return m
}

// upstream returns the replays under upstream on arch a of the recorded
// traces (rec) or of the generated ones, leaving out those whose page size
// a's kernel does not support.
func (rp *Replays) upstream(a string, rec bool) []*replay.Result {
	var rs []*replay.Result
	for _, t := range rp.Traces {
		if r := t.Get(a, lazymmu.Upstream); t.Recorded == rec && r != nil && t.Fits(a) {
			rs = append(rs, r)
		}
	}
	return rs
}
