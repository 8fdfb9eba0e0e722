package main

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/traces"
)

// FuzzGenArgs: any gen command line (arguments separated by newlines) parses
// without panic into either a usage error or a job whose workload, output,
// format and parameters are consistent: every parameter given is one of the
// workload's, the full set has all of them within their ranges, and what
// was given is what the full set holds.
func FuzzGenArgs(f *testing.F) {
	f.Add("vmalloc\n--pages\n8\n-o\nx.lmt")
	f.Add("fork\n-p\npages=100,seed=9\n-o\nx.lmt.zst")
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\n")
		job, err := parseGenArgs(args, io.Discard)
		if err != nil {
			var u *usageError
			if !errors.As(err, &u) && !errors.Is(err, errHelp) {
				t.Fatalf("%q: error of type %T: %v", args, err, err)
			}
			return
		}
		if job == nil {
			if !strings.Contains(line, "list") {
				t.Fatalf("%q: nil job without -list", args)
			}
			return
		}
		if job.w == nil || job.out == "" {
			t.Fatalf("%q: job %+v", args, job)
		}
		switch job.format {
		case traces.FormatText, traces.FormatBinary, traces.FormatZstd:
		default:
			t.Fatalf("%q: format %v", args, job.format)
		}
		if len(job.full) != len(job.w.Params) {
			t.Fatalf("%q: %d resolved parameters, workload has %d", args, len(job.full), len(job.w.Params))
		}
		for _, p := range job.w.Params {
			v, ok := job.full[p.Name]
			if !ok || v < p.Min || v > p.Max {
				t.Fatalf("%q: %s = %d (given: %v), range [%d, %d]", args, p.Name, v, ok, p.Min, p.Max)
			}
		}
		for k, v := range job.v {
			if fv, ok := job.full[k]; !ok || fv != v {
				t.Fatalf("%q: %s given as %d, resolved to %d (%v)", args, k, v, fv, ok)
			}
		}
	})
}
