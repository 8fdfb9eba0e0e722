package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/lazybench/lazybench/ftrace"
	"github.com/lazybench/lazybench/traces"
)

func init() {
	register(&command{
		name:    "import",
		summary: "import a recorded kernel trace (import ftrace FILE -o OUT)",
		run:     runImport,
	})
}

// runImport is "lazybench import ftrace FILE -o OUT [flags]"; flags may come
// before or after FILE.
func runImport(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "usage: lazybench import ftrace FILE -o OUT [--arch x86_64|arm64] [--allow-lost] [--clamp] [--trim-irqs] [--probes probes.txt] [--format text|binary|zstd]")
		if len(args) == 0 {
			return usagef("import: want a source kind: ftrace")
		}
		return errHelp
	}
	if args[0] != "ftrace" {
		return usagef("import: unknown source kind %q (want ftrace)", args[0])
	}
	fs := newFlagSet("import ftrace", stderr)
	out := fs.String("o", "", "output trace (.lmt.txt, .lmt or .lmt.zst)")
	format := fs.String("format", "", "output format: text, binary or zstd (default: from the name of -o)")
	allowLost := fs.Bool("allow-lost", false, "accept a trace whose ring buffer overran (lost-event markers), counting the losses")
	clamp := fs.Bool("clamp", false, "clamp an event whose time goes back on its CPU instead of failing")
	trimIRQs := fs.Bool("trim-irqs", false, "drop irq exits whose entry came before tracing started and close interrupts still open when it stopped, counting both")
	probes := fs.String("probes", "", "the probes file the trace was recorded with: names each probe's function when the input prints sites as addresses (trace-cmd report)")
	workload := fs.String("workload", "", "workload description for the trace's metadata")
	kernel := fs.String("kernel", "", "kernel version for the trace's metadata")
	machine := fs.String("machine", "", "machine or emulator for the trace's metadata")
	arch := fs.String("arch", "", "recorded arch, which decides the PTE bits' meaning: "+strings.Join(ftrace.Arches, " or ")+" (default: the file's \"lazybench arch=\" marker, else x86_64)")
	// Accept flags before and after the positional FILE.
	rest := args[1:]
	var pos []string
	for {
		if err := parseFlags(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(pos) != 1 {
		return usagef("import ftrace: want exactly one input FILE (or - for standard input), got %d", len(pos))
	}
	if *out == "" {
		return usagef("import ftrace: -o OUT is required")
	}
	f := traces.FormatUnknown
	if *format != "" {
		var err error
		if f, err = traces.ParseFormat(*format); err != nil {
			return usagef("import ftrace: %v", err)
		}
	}
	if *arch != "" && !slices.Contains(ftrace.Arches, *arch) {
		return usagef("import ftrace: --arch %q: want one of %s", *arch, strings.Join(ftrace.Arches, ", "))
	}
	opt := ftrace.Options{AllowLost: *allowLost, Clamp: *clamp, Arch: *arch, TrimIRQs: *trimIRQs}
	if *probes != "" {
		var err error
		if opt.Sites, err = ftrace.LoadProbeSites(*probes); err != nil {
			return err
		}
	}
	meta := traces.Meta{Workload: *workload, Kernel: *kernel, Machine: *machine}
	sum, err := ftrace.ImportFile(pos[0], os.Stdin, *out, f, meta, opt)
	if sum != nil {
		sum.WriteReport(stderr, "lazybench import")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d events\n", *out, sum.Events)
	return nil
}
