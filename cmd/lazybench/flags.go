package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/matrix"
	"github.com/lazybench/lazybench/traces"
)

// newFlagSet returns a flag set for a subcommand that reports errors instead of
// exiting, writing its usage to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("lazybench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args into fs, turning flag errors into usage errors (exit 2)
// and -h into errHelp (exit 0).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usagef("%v", err)
	}
	return nil
}

// kernelFlag adds --kernel to fs: the mainline kernel whose rules a replay
// models (lazymmu.Kernel), the newest by default.
func kernelFlag(fs *flag.FlagSet) *string {
	return fs.String("kernel", lazymmu.DefaultKernel.String(), "kernel whose rules are modeled: "+strings.Join(kernelNames(), ", "))
}

// parseKernel returns the kernel named name, or a usage error (exit 2).
func parseKernel(name string) (lazymmu.Kernel, error) {
	k, ok := lazymmu.ParseKernel(name)
	if !ok {
		return 0, usagef("unknown kernel %q (want one of %s)", name, strings.Join(kernelNames(), ", "))
	}
	return k, nil
}

func kernelNames() []string { return stringsOf(lazymmu.Kernels()) }

// stringsOf returns the String of each of l.
func stringsOf[T fmt.Stringer](l []T) []string {
	var n []string
	for _, x := range l {
		n = append(n, x.String())
	}
	return n
}

// maxDecompressedFlag adds --max-decompressed to the flags of a command that
// reads traces: it sets traces.MaxDecompressed.
func maxDecompressedFlag(fs *flag.FlagSet) {
	fs.Func("max-decompressed", fmt.Sprintf("most bytes a .lmt.zst trace may decompress to, e.g. 20G (K, M, G: powers of 1024; default %dM)", traces.DefaultMaxDecompressed>>20), func(s string) error {
		n, err := parseSize(s)
		if err != nil {
			return err
		}
		traces.MaxDecompressed = n
		return nil
	})
}

// parseSize reads a positive byte count with an optional K, M or G suffix
// (powers of 1024), at most 2^62.
func parseSize(s string) (int64, error) {
	shift := 0
	switch {
	case strings.HasSuffix(s, "K"):
		shift = 10
	case strings.HasSuffix(s, "M"):
		shift = 20
	case strings.HasSuffix(s, "G"):
		shift = 30
	}
	if shift > 0 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("want a byte count from 1 to 2^62, with an optional K, M or G suffix")
	}
	return n << shift, nil
}

// matrixFlags are the flags of the commands that replay traces under
// several arches (compare, summary): which traces, arches, cost file,
// kernel and how many replays at once.
type matrixFlags struct {
	traces, arches, costs, kernel *string
	jobs                          *int
}

// addMatrixFlags adds matrixFlags' flags (and --max-decompressed) to fs.
func addMatrixFlags(fs *flag.FlagSet) *matrixFlags {
	maxDecompressedFlag(fs)
	return &matrixFlags{
		traces: fs.String("trace", "", "trace files or corpus:NAME, comma-separated (default: the whole embedded corpus)"),
		arches: fs.String("arch", "", "arches, comma-separated (default: all)"),
		costs:  fs.String("costs", "", "TOML cost file overriding backend costs"),
		kernel: kernelFlag(fs),
		jobs:   fs.Int("jobs", runtime.GOMAXPROCS(0), "replays run at once"),
	}
}

// matrixArgs is what matrixFlags name, checked and loaded.
type matrixArgs struct {
	srcs   []matrix.Source
	arches []string
	costs  arch.Costs
	kernel lazymmu.Kernel
	jobs   int
}

// load checks the flags' values and opens what they name. cmd is the
// command's name, for the usage error when fs has arguments left.
func (m *matrixFlags) load(cmd string, fs *flag.FlagSet) (*matrixArgs, error) {
	if fs.NArg() != 0 {
		return nil, usagef("%s takes no arguments (use --trace)", cmd)
	}
	if *m.jobs < 1 {
		return nil, usagef("--jobs must be at least 1")
	}
	a := &matrixArgs{jobs: *m.jobs}
	var err error
	if a.arches, err = archArgs(*m.arches); err != nil {
		return nil, err
	}
	if a.kernel, err = parseKernel(*m.kernel); err != nil {
		return nil, err
	}
	if a.srcs, err = matrix.NamedSources(splitList(*m.traces)); err != nil {
		return nil, err
	}
	if a.costs, err = loadCosts(*m.costs); err != nil {
		return nil, err
	}
	return a, nil
}
