// Command lazybench replays recorded page-table-update traces through a model of
// the Linux kernel's lazy MMU mode, under each nesting strategy and each
// architecture's batching backend, and reports what each combination costs.
//
// Usage:
//
//	lazybench <command> [flags] [args]
//
// Run "lazybench help" for the list of commands and "lazybench <command> -h" for
// the flags of one. Exit status: 0 success, 1 bad input (the message names the
// file and line), 2 usage error.
package main

import (
	"github.com/lazybench/lazybench/traces"

	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// command is one subcommand. Each lives in its own file and registers itself
// from an init function, so commands can be added without touching this file.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("lazybench: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// usageError is a mistake in how the command was called; it exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// usagef returns a usage error.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err (if any) and returns the process exit status for it.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, errHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "lazybench: %v\n", err)
	var u *usageError
	if errors.As(err, &u) {
		return 2
	}
	return 1
}

var errHelp = errors.New("help requested")

// run is the whole program: it parses args and writes results to stdout and
// diagnostics to stderr.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printHelp(stderr)
		return usagef("no command given")
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		printHelp(stdout)
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		printHelp(stderr)
		return usagef("unknown command %q", args[0])
	}
	traces.MaxDecompressed = traces.DefaultMaxDecompressed // a flag of an earlier run (tests) does not carry over
	return c.run(args[1:], stdout, stderr)
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "usage: lazybench <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
}
