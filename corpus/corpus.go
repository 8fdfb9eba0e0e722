// Package corpus is lazybench's shipped trace corpus, embedded in the binary:
// synthetic traces that `make traces` regenerates from workload, and
// recorded kernel traces added by the recorder, listed in manifest.json with
// where each came from.
package corpus

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sync"

	"github.com/lazybench/lazybench/traces"
)

//go:embed manifest.json *.lmt*
var files embed.FS

// ManifestFile is the manifest's name inside the corpus directory.
const ManifestFile = "manifest.json"

// The kinds of corpus entries.
const (
	KindGenerated = "generated" // written by `make traces` (lazybench gen-corpus)
	KindRecorded  = "recorded"  // recorded on a real kernel; kept as is by `make traces`
)

// Index is the content of manifest.json.
type Index struct {
	Version int     `json:"version"`
	Entries []Entry `json:"entries"`
}

// Entry describes one trace of the corpus.
type Entry struct {
	Name        string           `json:"name"` // the trace's name (corpus:NAME, benchmark trace=NAME)
	File        string           `json:"file"` // file name in the corpus directory
	Kind        string           `json:"kind"` // KindGenerated or KindRecorded
	Description string           `json:"description,omitempty"`
	Workload    string           `json:"workload"` // gen workload, or what was run when recording
	Params      map[string]int64 `json:"params,omitempty"`
	Seed        int64            `json:"seed"`
	Events      int64            `json:"events"`
	Bytes       int64            `json:"bytes"`
	SHA256      string           `json:"sha256"`

	// Recorded traces only.
	Kernel  string   `json:"kernel,omitempty"`  // kernel version
	QEMU    string   `json:"qemu,omitempty"`    // emulator and its version, machine, CPUs
	Probes  []string `json:"probes,omitempty"`  // the probes that were set
	Date    string   `json:"date,omitempty"`    // when it was recorded (RFC 3339)
	Command string   `json:"command,omitempty"` // the command that recorded it
}

// FS returns the embedded corpus directory (the manifest and the trace files).
func FS() fs.FS { return files }

var manifest = sync.OnceValues(func() (Index, error) { return ParseManifest(files, ManifestFile) })

// maxManifest bounds what ParseManifest reads.
const maxManifest = 4 << 20

// ParseManifest reads and checks the manifest at name in fsys: every entry
// has a name (not ending in -<digits>), a known kind and a file, and names
// and files are unique.
func ParseManifest(fsys fs.FS, name string) (Index, error) {
	var m Index
	f, err := fsys.Open(name)
	if err != nil {
		return m, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxManifest+1))
	if err != nil {
		return m, fmt.Errorf("%s: %v", name, err)
	}
	if len(data) > maxManifest {
		return m, fmt.Errorf("%s: larger than %d bytes", name, maxManifest)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%s: %v", name, err)
	}
	if m.Version != 1 {
		return m, fmt.Errorf("%s: version %d, want 1", name, m.Version)
	}
	names, fileNames := map[string]bool{}, map[string]bool{}
	for i, e := range m.Entries {
		switch {
		case e.Name == "" || e.File == "":
			return m, fmt.Errorf("%s: entry %d: no name or file", name, i)
		case !ValidName(e.Name):
			return m, fmt.Errorf("%s: entry %d: name %q must be [a-z0-9_-]+ and not end in -<digits>", name, i, e.Name)
		case e.Kind != KindGenerated && e.Kind != KindRecorded:
			return m, fmt.Errorf("%s: entry %s: kind %q (want %s or %s)", name, e.Name, e.Kind, KindGenerated, KindRecorded)
		case names[e.Name] || fileNames[e.File]:
			return m, fmt.Errorf("%s: entry %s: name or file %s listed twice", name, e.Name, e.File)
		}
		names[e.Name], fileNames[e.File] = true, true
	}
	return m, nil
}

// ValidName reports whether name is usable as a corpus and benchmark name:
// [a-z0-9_-]+, not ending in -<digits> (benchfmt reads that as GOMAXPROCS).
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	i := len(name)
	for i > 0 && name[i-1] >= '0' && name[i-1] <= '9' {
		i--
	}
	return !(i < len(name) && i > 0 && name[i-1] == '-')
}

// Manifest returns the entries of the embedded corpus, sorted by name.
func Manifest() ([]Entry, error) {
	m, err := manifest()
	if err != nil {
		return nil, err
	}
	return slices.Clone(m.Entries), nil
}

// Names returns the names of the embedded traces, sorted.
func Names() []string {
	m, err := manifest()
	if err != nil {
		return nil
	}
	n := make([]string, len(m.Entries))
	for i, e := range m.Entries {
		n[i] = e.Name
	}
	slices.Sort(n)
	return n
}

// Lookup returns the entry named name.
func Lookup(name string) (Entry, error) {
	m, err := manifest()
	if err != nil {
		return Entry{}, err
	}
	for _, e := range m.Entries {
		if e.Name == name {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("corpus: no trace named %q (have %v)", name, Names())
}

// Bytes returns the file content of the trace named name.
func Bytes(name string) ([]byte, error) {
	e, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return fs.ReadFile(files, e.File)
}

// Open returns a reader of the trace named name and the closer to call when
// done. Error messages name the trace as "corpus:NAME".
func Open(name string) (traces.Reader, io.Closer, error) {
	data, err := Bytes(name)
	if err != nil {
		return nil, nil, err
	}
	r, err := traces.NewBytesReader(data, "corpus:"+name)
	if err != nil {
		return nil, nil, err
	}
	if c, ok := r.(io.Closer); ok {
		return r, c, nil
	}
	return r, io.NopCloser(nil), nil
}
