package bench

import (
	"testing"

	"github.com/lazybench/lazybench/traces/corpus"
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

// Every corpus name is usable as a benchmark name value.
func TestCorpusNamesBenchSafe(t *testing.T) {
	for _, tr := range corpusTraces(t) {
		if !corpus.ValidName(tr.name) {
			t.Errorf("corpus name %q is not a safe benchmark name", tr.name)
		}
	}
}
