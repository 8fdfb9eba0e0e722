package matrix

import (
	"errors"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/lazybench/lazybench/corpus"
)

// TestNamedSources: no name is the whole embedded corpus, in its order;
// corpus:NAME opens the corpus trace; a missing file fails at once.
func TestNamedSources(t *testing.T) {
	srcs, err := NamedSources(nil)
	names := corpus.Names()
	if err != nil || len(srcs) != len(names) {
		t.Fatalf("NamedSources(nil): %d sources, %v; want %d", len(srcs), err, len(names))
	}
	for i, s := range srcs {
		if s.Name != CorpusPrefix+names[i] {
			t.Errorf("source %d is %q, want %q", i, s.Name, CorpusPrefix+names[i])
		}
	}
	r, c, err := srcs[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r.Next() {
		n++
	}
	c.Close()
	if e, _ := corpus.Lookup(names[0]); r.Err() != nil || int64(n) != e.Events {
		t.Errorf("%s: %d events, %v; the manifest says %d", srcs[0].Name, n, r.Err(), e.Events)
	}
	missing := filepath.Join(t.TempDir(), "missing.lmt")
	if _, err := NamedSources([]string{CorpusPrefix + names[0], missing}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v, want not-exist", err)
	}
}
