package bench

import "testing"

// corpusTraces returns the shipped corpus in memory, each under a
// benchfmt-safe name; empty until traces/corpus exists.
func corpusTraces(tb testing.TB) []benchTrace { return nil }
