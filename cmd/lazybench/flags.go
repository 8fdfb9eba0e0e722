package main

import (
	"errors"
	"flag"
	"io"
	"strings"

	"github.com/lazybench/lazybench/lazymmu"
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

func kernelNames() []string {
	var n []string
	for _, k := range lazymmu.Kernels() {
		n = append(n, k.String())
	}
	return n
}
