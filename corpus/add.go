package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lazybench/lazybench/internal/atomicfile"
	"github.com/lazybench/lazybench/internal/readmax"
	"github.com/lazybench/lazybench/traces"
)

// AddRecorded adds (or replaces) the manifest entry of a recorded trace
// already written into the corpus directory dir as e.File: it reads the
// trace (at most readmax.InputFile bytes) to count its events and hashes the
// file, then rewrites dir's manifest.json (entries sorted by name, as
// Regenerate writes it). e's Kind, Events, Bytes and SHA256 are filled in;
// it returns the entry written. A generated entry of the same name or file
// is not replaced.
func AddRecorded(dir string, e Entry) (Entry, error) {
	path := filepath.Join(dir, e.File)
	data, err := readmax.File(path, readmax.InputFile, nil)
	if err != nil {
		return Entry{}, err
	}
	n, err := countEvents(data, path)
	if err != nil {
		return Entry{}, err
	}
	idx, err := readManifest(dir)
	if err != nil {
		return Entry{}, err
	}
	sum := sha256.Sum256(data)
	e.Kind, e.Events, e.Bytes, e.SHA256 = KindRecorded, n, int64(len(data)), hex.EncodeToString(sum[:])
	out := idx.Entries[:0:0]
	for _, old := range idx.Entries {
		if old.Name == e.Name || old.File == e.File {
			if old.Kind != KindRecorded {
				return Entry{}, fmt.Errorf("%s: %s is a generated entry; pick another name", ManifestFile, old.Name)
			}
			continue
		}
		out = append(out, old)
	}
	return e, writeManifest(dir, append(out, e))
}

// readManifest returns the manifest in dir, or an empty one if dir has
// none.
func readManifest(dir string) (Index, error) {
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Index{}, nil
		}
		return Index{}, err
	}
	return ParseManifest(os.DirFS(dir), ManifestFile)
}

// writeManifest sorts entries by name and writes them, atomically, as the
// manifest of dir.
func writeManifest(dir string, entries []Entry) error {
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	js, err := json.MarshalIndent(Index{Version: 1, Entries: entries}, "", "  ")
	if err != nil {
		return err
	}
	js = append(js, '\n')
	return atomicfile.Write(filepath.Join(dir, ManifestFile), func(w io.Writer) error {
		_, err := w.Write(js)
		return err
	})
}

// countEvents reads the trace in data (named path in errors) to its end and
// returns its event count.
func countEvents(data []byte, path string) (int64, error) {
	r, err := traces.NewBytesReader(data, path)
	if err != nil {
		return 0, err
	}
	var n int64
	for r.Next() {
		n++
	}
	if err := r.Err(); err != nil {
		return 0, err
	}
	if c, ok := r.(io.Closer); ok {
		c.Close()
	}
	return n, nil
}
