package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/traces"
	"github.com/lazybench/lazybench/workload"
)

func init() {
	register(&command{
		name:    "gen",
		summary: "generate a synthetic workload trace (gen -list for the workloads)",
		run:     runGen,
	})
	register(&command{
		name:    "gen-corpus",
		summary: "regenerate the shipped synthetic corpus and its manifest (make traces)",
		run:     runGenCorpus,
	})
}

func genUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: lazybench gen WORKLOAD [--PARAM N ...] [-p k=v,...] [-format text|binary|zstd] -o FILE")
	fmt.Fprintln(w, "       lazybench gen -list")
	fmt.Fprintln(w, "The format follows FILE's name (.lmt.txt text, .lmt binary, .lmt.zst zstd) unless -format is given.")
}

// runGen: lazybench gen WORKLOAD [flags] -o FILE. The workload's parameters
// are flags of their own (--pages 8) or a list (-p pages=8,loops=10).
func runGen(args []string, stdout, stderr io.Writer) error {
	job, err := parseGenArgs(args, stderr)
	if err != nil {
		return err
	}
	if job == nil { // -list
		workload.WriteList(stdout)
		return nil
	}
	n, err := job.w.WriteFile(job.out, job.format, job.v)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d events (%s %s)\n", job.out, n, job.w.Name, workload.FormatParams(job.full))
	return nil
}

// genJob is a parsed gen command line.
type genJob struct {
	w       *workload.Workload
	v, full workload.Values // as given; with the defaults filled in
	out     string
	format  traces.Format
}

// parseGenArgs parses gen's command line: a nil job (and nil error) for
// -list, else the workload, its parameters, the output file and format. Every
// error is a usage error.
func parseGenArgs(args []string, stderr io.Writer) (*genJob, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	fs := newFlagSet("gen", stderr)
	list := fs.Bool("list", false, "list the workloads and their parameters")
	out := fs.String("o", "", "output `file`")
	format := fs.String("format", "", "output format: text, binary or zstd (default: from the file name)")
	plist := fs.String("p", "", "parameters as `k=v,k=v`")
	w := workload.Lookup(name)
	var set map[string]*int64
	if w != nil {
		set = map[string]*int64{}
		for _, p := range w.Params {
			set[p.Name] = fs.Int64(p.Name, p.Default, p.Help)
		}
	}
	fs.Usage = func() {
		genUsage(stderr)
		if w != nil {
			fmt.Fprintf(stderr, "\nworkload %s: %s\n", w.Name, w.Summary)
		}
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if *list {
		if fs.NArg() > 0 || *out != "" {
			return nil, usagef("gen: -list takes no workload, arguments or -o")
		}
		return nil, nil
	}
	if name == "" && fs.NArg() > 0 {
		return nil, usagef("gen: put the workload before the flags: lazybench gen %s [flags]", fs.Arg(0))
	}
	if name == "" {
		genUsage(stderr)
		return nil, usagef("gen: no workload given (gen -list lists them)")
	}
	if w == nil {
		return nil, usagef("gen: unknown workload %q (gen -list lists them)", name)
	}
	if fs.NArg() > 0 {
		return nil, usagef("gen: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		return nil, usagef("gen: no output file (-o FILE)")
	}
	v, err := workload.ParseParams(*plist)
	if err != nil {
		return nil, usagef("gen -p: %v", err)
	}
	fs.Visit(func(f *flag.Flag) {
		if p, ok := set[f.Name]; ok {
			v[f.Name] = *p
		}
	})
	full, err := w.Resolve(v)
	if err != nil {
		return nil, usagef("gen: %v", err)
	}
	f := traces.FormatUnknown
	if *format != "" {
		if f, err = traces.ParseFormat(*format); err != nil {
			return nil, usagef("gen: %v", err)
		}
	} else if f = traces.FormatFromName(*out); f == traces.FormatUnknown {
		return nil, usagef("gen: cannot tell the format from %q: name it .lmt, .lmt.zst or .lmt.txt, or give -format", *out)
	}
	return &genJob{w: w, v: v, full: full, out: *out, format: f}, nil
}

// runGenCorpus: lazybench gen-corpus [-dir corpus].
func runGenCorpus(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gen-corpus", stderr)
	dir := fs.String("dir", "corpus", "corpus `directory` (holds manifest.json)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("gen-corpus: unexpected argument %q", fs.Arg(0))
	}
	entries, err := corpus.Regenerate(*dir)
	if err != nil {
		return err
	}
	var events, bytes int64
	for _, e := range entries {
		fmt.Fprintf(stdout, "%-18s %-9s %8d events %8d bytes  %s\n", e.Name, e.Kind, e.Events, e.Bytes, e.File)
		events += e.Events
		bytes += e.Bytes
	}
	fmt.Fprintf(stdout, "%d traces, %d events, %d bytes in %s\n", len(entries), events, bytes, *dir)
	return nil
}
