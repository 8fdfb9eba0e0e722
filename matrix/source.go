package matrix

import (
	"io"
	"os"
	"strings"

	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/traces"
)

// CorpusPrefix names a trace of the embedded corpus on the command line.
const CorpusPrefix = "corpus:"

// NamedSource returns the source of a trace named on the command line: a
// file (which must exist), or CorpusPrefix and a corpus name.
func NamedSource(name string) (Source, error) {
	if rest, ok := strings.CutPrefix(name, CorpusPrefix); ok {
		return Source{Name: name, Open: func() (traces.Reader, io.Closer, error) { return corpus.Open(rest) }}, nil
	}
	if _, err := os.Stat(name); err != nil {
		return Source{}, err
	}
	return Source{Name: name, Open: func() (traces.Reader, io.Closer, error) { return traces.Open(name) }}, nil
}

// NamedSources returns the sources of the traces named (NamedSource), the
// whole embedded corpus if names is empty.
func NamedSources(names []string) ([]Source, error) {
	if len(names) == 0 {
		for _, n := range corpus.Names() {
			names = append(names, CorpusPrefix+n)
		}
	}
	var srcs []Source
	for _, n := range names {
		src, err := NamedSource(n)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, src)
	}
	return srcs, nil
}
