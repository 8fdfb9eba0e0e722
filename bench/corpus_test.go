package bench

import (
	"testing"

	"github.com/lazybench/lazybench/corpus"
)

// corpusTraces returns the embedded corpus in memory, each under its
// manifest name (already benchfmt-safe: corpus.ValidName).
func corpusTraces(tb testing.TB) []benchTrace {
	var out []benchTrace
	for _, n := range corpus.Names() {
		data, err := corpus.Bytes(n)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, benchTrace{name: n, data: data})
	}
	return out
}
