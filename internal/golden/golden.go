// Package golden compares a test's output with a file checked in under
// testdata (a golden file), and rewrites the file instead when the test
// binary runs with -update (go test ./pkg -update). Only tests import it: it
// registers the -update flag.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite golden files with the tests' output")

// Updating reports whether the test binary runs with -update.
func Updating() bool { return *update }

// maxShown bounds the output Check prints when it differs.
const maxShown = 8 << 10

// Check compares got with the file at path and reports a difference as a
// test error, printing got when it is short text. With -update it writes got
// to path (making its directory) instead.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	if utf8.Valid(got) && len(got) <= maxShown {
		t.Errorf("output differs from %s (go test -update rewrites it); got:\n%s", path, got)
		return
	}
	t.Errorf("output (%d bytes) differs from %s (%d bytes; go test -update rewrites it)", len(got), path, len(want))
}
