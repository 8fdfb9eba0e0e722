package main

import (
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/tracestat"

	"encoding/json"
	"fmt"
	"io"
)

func init() {
	register(&command{
		name:    "stat",
		summary: "summarise a trace: events by op, CPU, task and site; sections, nesting, pauses, irq updates",
		run:     runStat,
	})
}

func runStat(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("stat", stderr)
	maxDecompressedFlag(fs)
	asJSON := fs.Bool("json", false, "print one JSON object instead of tables")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lazybench stat FILE|corpus:NAME [--json]")
		fs.PrintDefaults()
	}
	files, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		fs.Usage()
		return usagef("stat: want one FILE, got %d", len(files))
	}
	src, err := matrix.NamedSource(files[0])
	if err != nil {
		return err
	}
	r, c, err := src.Open()
	if err != nil {
		return err
	}
	defer c.Close()
	s, err := tracestat.Collect(r, files[0])
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	return s.WriteTable(stdout)
}
