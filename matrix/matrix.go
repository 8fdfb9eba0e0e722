// Package matrix replays traces under a matrix of arches and strategies on
// several goroutines: the job runner behind compare, report and summary.
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

// Replay replays src on e, decoding on workers goroutines (OpenAhead);
// Run, which runs a replay per core, passes 1.
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

// Run replays every job on n goroutines (ParallelDo); each goroutine keeps
// one engine per arch and strategy (built from base, with the job's arch and
// strategy) and reuses it. done, if not nil, is called after each job.
// Results come back in job order; the first error in job order is returned.
func Run(srcs []Source, work []Job, base replay.Config, n int, done func()) ([]*replay.Result, error) {
	results := make([]*replay.Result, len(work))
	engines := make([]map[string]*replay.Engine, max(n, 1)) // made by the goroutine that uses it
	err := ParallelDo(len(work), n, func(w, i int) error {
		if done != nil {
			defer done()
		}
		j := work[i]
		k := j.Arch + "/" + j.Strategy.String()
		if engines[w] == nil {
			engines[w] = map[string]*replay.Engine{}
		}
		e := engines[w][k]
		if e == nil {
			cfg := base
			cfg.Arch, cfg.Strategy = j.Arch, j.Strategy
			var err error
			if e, err = replay.New(cfg); err != nil {
				return err
			}
			engines[w][k] = e
		}
		res, err := Replay(e, srcs[j.Trace], 1)
		results[i] = res
		return err
	})
	if err != nil {
		return nil, err
	}
	return results, nil
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
