// Package matrix replays traces under a matrix of arches and strategies on
// several goroutines: the job runner behind compare, report and summary. It
// also resolves the traces named on the command line (NamedSources).
package matrix

import (
	"io"
	"sync"

	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

// Source is one trace a job replays: a file, or a trace of the embedded
// corpus.
type Source struct {
	Name string // as the user gave it
	Open func() (traces.Reader, io.Closer, error)
}

// OpenAhead opens the trace. A binary trace of format version 3 is decoded
// ahead on workers goroutines in all, the reading one included
// (traces.SetWorkers: 0 is GOMAXPROCS, 1 decodes in order). Closing the
// closer also ends the helpers (traces.Open and corpus.Open close the
// reader).
func (s Source) OpenAhead(workers int) (traces.Reader, io.Closer, error) {
	r, c, err := s.Open()
	if err != nil {
		return nil, nil, err
	}
	traces.SetWorkers(r, workers)
	return r, c, nil
}

// Replay replays src on e, decoding on workers goroutines (OpenAhead).
func Replay(e *replay.Engine, src Source, workers int) (*replay.Result, error) {
	r, c, err := src.OpenAhead(workers)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	e.SetTrace(src.Name)
	return e.Run(r)
}

// Job is one replay of the matrix: a trace (an index into the sources), an
// arch and a strategy.
type Job struct {
	Trace    int
	Arch     string
	Strategy lazymmu.Strategy
}

// Jobs returns a job for every trace (by index), arch and strategy, in that
// order of nesting.
func Jobs(traces int, arches []string, strats []lazymmu.Strategy) []Job {
	work := make([]Job, 0, traces*len(arches)*len(strats))
	for t := range traces {
		for _, a := range arches {
			for _, s := range strats {
				work = append(work, Job{t, a, s})
			}
		}
	}
	return work
}

// Run replays every job, a trace at a time: the trace is decoded once and
// replayed by the engines of all its jobs together (replay.RunAll), on n
// goroutines at a time. Engines are kept by arch and strategy (built from
// base, with the job's arch and strategy) and reused from one trace to the
// next. done, if not nil, is called after each job. Results come back in
// job order; the first error in job order is returned.
func Run(srcs []Source, work []Job, base replay.Config, n int, done func()) ([]*replay.Result, error) {
	results := make([]*replay.Result, len(work))
	kept := map[string][]*replay.Engine{}
	for lo := 0; lo < len(work); {
		hi := lo + 1
		for hi < len(work) && work[hi].Trace == work[lo].Trace {
			hi++
		}
		src := srcs[work[lo].Trace]
		es, err := engines(kept, work[lo:hi], base)
		if err != nil {
			return nil, err
		}
		res, err := replayAll(src, es, n)
		if err != nil {
			return nil, err
		}
		copy(results[lo:hi], res)
		for range es {
			if done != nil {
				done()
			}
		}
		lo = hi
	}
	return results, nil
}

// engines returns an engine for each job (of one trace), taken from kept or
// made from base with the job's arch and strategy and added to it: the i-th
// job of an arch and strategy gets its i-th engine.
func engines(kept map[string][]*replay.Engine, work []Job, base replay.Config) ([]*replay.Engine, error) {
	used := map[string]int{}
	es := make([]*replay.Engine, len(work))
	for i, j := range work {
		k := j.Arch + "/" + j.Strategy.String()
		if used[k] == len(kept[k]) {
			cfg := base
			cfg.Arch, cfg.Strategy = j.Arch, j.Strategy
			e, err := replay.New(cfg)
			if err != nil {
				return nil, err
			}
			kept[k] = append(kept[k], e)
		}
		es[i] = kept[k][used[k]]
		used[k]++
	}
	return es, nil
}

// replayAll replays src once through every engine of es (replay.RunAll).
func replayAll(src Source, es []*replay.Engine, workers int) ([]*replay.Result, error) {
	r, c, err := src.Open()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	for _, e := range es {
		e.SetTrace(src.Name)
	}
	return replay.RunAll(r, es, workers)
}

// ParallelDo calls f(w, i) for i in [0, n) on min(workers, n) goroutines,
// at least one (w, below max(workers, 1), numbers the goroutine, for state
// of its own) and returns the first error in index order.
func ParallelDo(n, workers int, f func(w, i int) error) error {
	workers = max(workers, 1)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = f(w, i)
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
