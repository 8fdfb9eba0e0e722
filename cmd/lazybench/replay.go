package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/lazybench/lazybench/arch"
	_ "github.com/lazybench/lazybench/arch/all"
	"github.com/lazybench/lazybench/internal/atomicfile"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/report"
	"github.com/lazybench/lazybench/timeline"
)

func init() {
	register(&command{
		name:    "replay",
		summary: "replay one trace under one arch and strategy and print its metrics",
		run:     runReplay,
	})
}

// loadCosts reads a cost file ("" for none).
func loadCosts(path string) (arch.Costs, error) {
	if path == "" {
		return nil, nil
	}
	return arch.LoadCosts(path)
}

func parseStrategy(name string) (lazymmu.Strategy, error) {
	s, ok := lazymmu.ParseStrategy(name)
	if !ok {
		return 0, usagef("unknown strategy %q (want one of %s)", name, strings.Join(strategyNames(), ", "))
	}
	return s, nil
}

func strategyNames() []string { return stringsOf(lazymmu.Strategies()) }

func checkArch(name string) error {
	if _, ok := arch.Lookup(name); !ok {
		return usagef("unknown arch %q (want one of %s)", name, strings.Join(arch.Names(), ", "))
	}
	return nil
}

func runReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("replay", stderr)
	maxDecompressedFlag(fs)
	tracePath := fs.String("trace", "", "trace file (.lmt, .lmt.zst, .lmt.txt) or corpus:NAME")
	archName := fs.String("arch", "arm64", "architecture backend: "+archList())
	stratName := fs.String("strategy", "upstream", "nesting strategy: "+strings.Join(strategyNames(), ", "))
	kernelName := kernelFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object")
	steps := fs.Bool("steps", false, "print one line per input event (and one per violation)")
	costsPath := fs.String("costs", "", "TOML cost file overriding backend costs")
	timelinePath := fs.String("timeline", "", "also write a Chrome trace-event JSON timeline (Perfetto) to FILE.json")
	timelineMax := int64(timeline.DefaultMaxBytes)
	fs.Func("timeline-max", fmt.Sprintf("most bytes of --timeline JSON, e.g. 1G (K, M, G: powers of 1024; default %dM): recording stops there", timeline.DefaultMaxBytes>>20), func(s string) (err error) {
		timelineMax, err = parseSize(s)
		return err
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("replay takes no arguments (use --trace)")
	}
	if *tracePath == "" {
		return usagef("replay needs --trace FILE")
	}
	if *asJSON && *steps {
		return usagef("--json and --steps exclude each other")
	}
	if err := checkArch(*archName); err != nil {
		return err
	}
	strat, err := parseStrategy(*stratName)
	if err != nil {
		return err
	}
	kernel, err := parseKernel(*kernelName)
	if err != nil {
		return err
	}
	costs, err := loadCosts(*costsPath)
	if err != nil {
		return err
	}
	src, err := matrix.NamedSource(*tracePath)
	if err != nil {
		return err
	}
	cfg := replay.Config{Arch: *archName, Costs: costs, Strategy: strat, Kernel: kernel, Trace: src.Name}
	// Decode ahead on every core; --steps decodes in order, so that its
	// lines before an error in a streamed trace are those of validate.
	workers := 0
	if *steps {
		workers = 1
	}
	r, c, err := src.OpenAhead(workers)
	if err != nil {
		return err
	}
	defer c.Close()
	var sw *replay.StepWriter
	if *steps {
		sw = replay.NewStepWriter(stdout, r.Strings)
		cfg.Observer = sw
	}
	var tl *timeline.Timeline
	if *timelinePath != "" {
		tl = timeline.ForReplay(cfg, r.Strings)
		tl.MaxBytes = timelineMax
		if sw != nil {
			cfg.Observer = replay.Tee(sw, tl)
		} else {
			cfg.Observer = tl
		}
	}
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
	if tl != nil {
		if err := atomicfile.Write(*timelinePath, tl.Close); err != nil {
			return err
		}
		if tl.Truncated() {
			fmt.Fprintf(stderr, "lazybench: %s: timeline truncated at %d bytes (raise the bound with --timeline-max)\n", *timelinePath, timelineMax)
		}
	}
	switch {
	case *steps:
		return nil
	case *asJSON:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return report.WriteResult(stdout, res)
}

// archList lists the backends' titles (a proposal's with its label), in
// order, for help text.
func archList() string {
	var t []string
	for _, n := range arch.Names() {
		t = append(t, arch.Title(n))
	}
	return strings.Join(t, ", ")
}
