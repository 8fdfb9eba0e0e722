package main

import (
	"encoding/json"
	"io"

	"github.com/lazybench/lazybench/internal/atomicfile"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/timeline"
)

// replayTimeline is `lazybench replay --timeline FILE.json`: the replay runs
// with a timeline.Timeline observing it (and the --steps writer if asked),
// the timeline is written atomically to path, and the replay's metrics are
// printed as without --timeline.
func replayTimeline(src traceSource, cfg replay.Config, path string, steps, asJSON bool, stdout io.Writer) error {
	r, c, err := src.open()
	if err != nil {
		return err
	}
	defer c.Close()
	tl := timeline.New()
	tl.Strings = r.Strings
	tl.Meta["trace"] = src.name
	tl.Meta["arch"] = cfg.Arch
	tl.Meta["strategy"] = cfg.Strategy.String()
	var sw *replay.StepWriter
	cfg.Observer = tl
	if steps {
		sw = replay.NewStepWriter(stdout, r.Strings)
		cfg.Observer = timeline.Tee(sw, tl)
	}
	cfg.Trace = src.name
	e, err := replay.New(cfg)
	if err != nil {
		return err
	}
	res, err := e.Run(r)
	if sw != nil {
		if ferr := sw.Flush(); err == nil {
			err = ferr
		}
	}
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, tl.Close); err != nil {
		return err
	}
	switch {
	case steps:
		return nil
	case asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return writeResultTable(stdout, res)
}
