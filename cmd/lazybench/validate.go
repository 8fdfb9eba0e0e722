package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/traces"
)

func init() {
	register(&command{
		name:    "validate",
		summary: "check that trace files decode and their events are consistent",
		run:     runValidate,
	})
}

// runValidate prints "FILE: ok, N events" for each good file, or each problem
// as "FILE:LINE: what" (text) or "FILE: event N: what" (binary) and fails.
func runValidate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("validate", stderr)
	maxDecompressedFlag(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lazybench validate FILE|corpus:NAME...")
		fmt.Fprintf(stderr, "Reports up to %d problems per file; exit status 1 if any file is bad.\n", traces.MaxProblems)
	}
	files, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fs.Usage()
		return usagef("validate: no FILE given")
	}
	var bad []string
	for _, f := range files {
		n, err := validateFile(f)
		if err != nil {
			fmt.Fprintln(stdout, err)
			bad = append(bad, f)
			continue
		}
		fmt.Fprintf(stdout, "%s: ok, %d events\n", f, n)
	}
	if len(bad) > 0 {
		return fmt.Errorf("invalid trace: %s", strings.Join(bad, ", "))
	}
	return nil
}

func validateFile(path string) (int64, error) {
	src, err := matrix.NamedSource(path)
	if err != nil {
		return 0, err
	}
	r, c, err := src.Open()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return traces.Validate(r, path)
}

// parseAnywhere parses flags that may come before, between or after the
// positional arguments (Go's flag package stops at the first positional one),
// and returns the positional arguments. "--" ends the flags.
func parseAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
