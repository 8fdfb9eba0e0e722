package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/lazybench/lazybench/arch/all"
	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/internal/atomicfile"
	"github.com/lazybench/lazybench/record"
	"github.com/lazybench/lazybench/record/kcheck"
)

func init() {
	register(&command{
		name:    "record",
		summary: "find kprobe points in a kernel image (record probes|vmlinux); see docs/recording.md",
		run:     runRecord,
	})
}

func runRecord(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("record: want a subcommand: probes, vmlinux, corpus or compare")
	}
	switch args[0] {
	case "probes":
		return runRecordProbes(args[1:], stdout, stderr)
	case "vmlinux":
		return runRecordVmlinux(args[1:], stdout, stderr)
	case "corpus":
		return runRecordCorpus(args[1:], stdout, stderr)
	case "compare":
		return runRecordCompare(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, "usage: lazybench record probes --vmlinux FILE --kallsyms FILE [-o probes.txt]")
		fmt.Fprintln(stdout, "       lazybench record vmlinux --image vmlinuz -o vmlinux")
		fmt.Fprintln(stdout, "       lazybench record corpus --dir DIR --name NAME --file FILE [provenance flags]")
		fmt.Fprintln(stdout, "       lazybench record compare --raw FTRACE --trace LMT --probes FILE   (arm64: kernel vs model barriers)")
		return nil
	}
	return usagef("record: unknown subcommand %q (want probes, vmlinux, corpus or compare)", args[0])
}

// note prints a line of record's progress to stderr.
func note(stderr io.Writer) func(string) {
	return func(s string) { fmt.Fprintf(stderr, "lazybench record: %s\n", s) }
}

func runRecordVmlinux(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("record vmlinux", stderr)
	image := fs.String("image", "", "kernel image (bzImage/vmlinuz or vmlinux)")
	out := fs.String("o", "", "output ELF vmlinux")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *image == "" || *out == "" || fs.NArg() != 0 {
		return usagef("record vmlinux: want --image FILE -o FILE")
	}
	vm, err := record.LoadVmlinux(*image, note(stderr))
	if err != nil {
		return err
	}
	return atomicfile.Write(*out, func(w io.Writer) error { _, err := w.Write(vm); return err })
}

func runRecordProbes(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("record probes", stderr)
	vmlinux := fs.String("vmlinux", "", "kernel image: ELF vmlinux or vmlinuz/bzImage (xz payloads need the xz program)")
	kallsyms := fs.String("kallsyms", "/proc/kallsyms", "symbol table of the same kernel booted with nokaslr: /proc/kallsyms text or System.map")
	out := fs.String("o", "", "output probes file (default stdout)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *vmlinux == "" || fs.NArg() != 0 {
		return usagef("record probes: want --vmlinux FILE [--kallsyms FILE] [-o FILE]")
	}
	res, err := record.DiscoverFile(*vmlinux, *kallsyms, note(stderr))
	if err != nil {
		return err
	}
	for _, l := range res.Lines() {
		if err := record.ValidateKprobeLine(l); err != nil {
			return fmt.Errorf("internal error: emitted an invalid kprobe line %q: %v", l, err)
		}
	}
	for _, s := range res.Summary() {
		fmt.Fprintf(stderr, "lazybench record: %s\n", s)
	}
	if len(res.Probes) == 0 {
		return fmt.Errorf("%s: no probe point found", *vmlinux)
	}
	write := func(w io.Writer) error { return res.WriteProbes(w, *vmlinux) }
	if *out == "" {
		return write(stdout)
	}
	return atomicfile.Write(*out, write)
}

// paramFlag collects repeated --param KEY=N flags.
type paramFlag map[string]int64

func (p paramFlag) String() string { return fmt.Sprint(map[string]int64(p)) }

func (p paramFlag) Set(v string) error {
	k, n, ok := strings.Cut(v, "=")
	x, err := strconv.ParseInt(n, 10, 64)
	if !ok || k == "" || err != nil {
		return fmt.Errorf("want KEY=INTEGER, got %q", v)
	}
	p[k] = x
	return nil
}

// runRecordCorpus adds (or replaces) the manifest entry of a recorded trace
// already written into the corpus directory: it reads the trace to count its
// events and hashes the file, then rewrites manifest.json (entries sorted by
// name, as make traces writes it).
func runRecordCorpus(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("record corpus", stderr)
	dir := fs.String("dir", "corpus", "corpus `directory` (holds manifest.json)")
	name := fs.String("name", "", "trace name ([a-z0-9_-]+)")
	file := fs.String("file", "", "trace file name inside the corpus directory")
	desc := fs.String("description", "", "one-line description")
	workload := fs.String("workload", "", "what ran while recording")
	kernel := fs.String("kernel", "", "kernel version")
	qemu := fs.String("qemu", "", "emulator, version, machine")
	probes := fs.String("probes", "", "the probes that were set (space-separated summary items)")
	date := fs.String("date", "", "when it was recorded (RFC 3339)")
	command := fs.String("command", "", "the command that recorded it")
	params := paramFlag{}
	fs.Var(params, "param", "workload parameter `KEY=N` (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || *file == "" || fs.NArg() != 0 {
		return usagef("record corpus: want --name NAME --file FILE")
	}
	if !corpus.ValidName(*name) {
		return usagef("record corpus: name %q must be [a-z0-9_-]+ and not end in -<digits>", *name)
	}
	if filepath.Base(*file) != *file || !strings.Contains(*file, ".lmt") {
		return usagef("record corpus: --file must be a .lmt* file name inside --dir, not %q", *file)
	}
	e := corpus.Entry{
		Name: *name, File: *file, Description: *desc, Workload: *workload,
		Kernel: *kernel, QEMU: *qemu, Probes: strings.Fields(*probes), Date: *date, Command: *command,
	}
	if len(params) > 0 {
		e.Params = params
	}
	e, err := corpus.AddRecorded(*dir, e)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s, %d events, %d bytes\n", corpus.ManifestFile, e.Name, e.Events, e.Bytes)
	return nil
}

// runRecordCompare prints the kernel's barrier pairs (counted by the
// barrier probes in the raw ftrace text) beside the arm64 model's on the
// imported trace under upstream, by where they happen, with the difference
// and its cause. It fails when the two differ where the kernel's pairs are
// observed (the leaves).
func runRecordCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("record compare", stderr)
	raw := fs.String("raw", "", "the raw ftrace text of the recording")
	trace := fs.String("trace", "", "the trace imported from it (--arch arm64)")
	probes := fs.String("probes", "", "the probes file used (for TIF_LAZY_MMU_PENDING's bit)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *raw == "" || *trace == "" || *probes == "" || fs.NArg() != 0 {
		return usagef("record compare: want --raw FILE --trace FILE --probes FILE")
	}
	b, err := kcheck.CompareBarriers(*raw, *trace, *probes)
	if err != nil {
		return err
	}
	b.WriteTable(stdout)
	return b.Err()
}
