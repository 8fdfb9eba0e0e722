package main

import (
	"bytes"
	"debug/elf"
	"fmt"
	"io"
	"os"

	"github.com/lazybench/lazybench/internal/atomicfile"
	"github.com/lazybench/lazybench/traces/record"
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
		return usagef("record: want a subcommand: probes or vmlinux")
	}
	switch args[0] {
	case "probes":
		return runRecordProbes(args[1:], stdout, stderr)
	case "vmlinux":
		return runRecordVmlinux(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, "usage: lazybench record probes --vmlinux FILE --kallsyms FILE [-o probes.txt]")
		fmt.Fprintln(stdout, "       lazybench record vmlinux --image vmlinuz -o vmlinux")
		return nil
	}
	return usagef("record: unknown subcommand %q (want probes or vmlinux)", args[0])
}

// loadVmlinux reads a vmlinux ELF or a compressed kernel image.
func loadVmlinux(path string, stderr io.Writer) ([]byte, error) {
	img, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	vm, how, err := record.ExtractVmlinux(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	fmt.Fprintf(stderr, "lazybench record: %s: vmlinux from %s (%d bytes)\n", path, how, len(vm))
	return vm, nil
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
	vm, err := loadVmlinux(*image, stderr)
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
	vm, err := loadVmlinux(*vmlinux, stderr)
	if err != nil {
		return err
	}
	ef, err := elf.NewFile(bytes.NewReader(vm))
	if err != nil {
		return fmt.Errorf("%s: %v", *vmlinux, err)
	}
	kf, err := os.Open(*kallsyms)
	if err != nil {
		return err
	}
	defer kf.Close()
	syms, err := record.ParseKallsyms(kf, *kallsyms)
	if err != nil {
		return err
	}
	im, err := record.NewImage(ef, syms)
	if err != nil {
		return fmt.Errorf("%s: %v", *vmlinux, err)
	}
	res, err := record.Discover(im)
	if err != nil {
		return fmt.Errorf("%s: %v", *vmlinux, err)
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
