package main

import (
	"fmt"
	"io"

	"github.com/lazybench/lazybench/traces"
)

func init() {
	register(&command{
		name:    "convert",
		summary: "convert a trace between text (.lmt.txt), binary (.lmt) and zstd (.lmt.zst)",
		run:     runConvert,
	})
}

func runConvert(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("convert", stderr)
	maxDecompressedFlag(fs)
	format := fs.String("format", "", "output format: text, binary or zstd (default: from OUT's name)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: lazybench convert IN OUT [--format text|binary|zstd]")
		fmt.Fprintln(stderr, "The input format is detected by content; OUT is written atomically.")
		fs.PrintDefaults()
	}
	files, err := parseAnywhere(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 2 {
		fs.Usage()
		return usagef("convert: want IN and OUT, got %d arguments", len(files))
	}
	in, out := files[0], files[1]
	f := traces.FormatFromName(out)
	if *format != "" {
		if f, err = traces.ParseFormat(*format); err != nil {
			return usagef("convert: %v", err)
		}
	}
	if f == traces.FormatUnknown {
		return usagef("convert: cannot tell the format from %q: name it .lmt, .lmt.zst or .lmt.txt, or give --format", out)
	}
	n, err := traces.ConvertFile(in, out, f)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s -> %s: %d events, %s\n", in, out, n, f)
	return nil
}
