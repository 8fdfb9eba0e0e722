package traces

import (
	"bytes"
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"
)

// badBinaries are the malformed binary traces shipped in testdata/bad, for
// `lazybench validate` tests and as fuzz seeds.
func badBinaries(t testing.TB) map[string][]byte {
	good := smallBinary(t)
	mod := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	return map[string][]byte{
		"bad_checksum.lmt":   mod(func(b []byte) { b[len(b)-2] ^= 0x01 }),
		"truncated.lmt":      good[:len(good)-3],
		"future_version.lmt": mod(func(b []byte) { b[8] = BinaryVersion + 1; fixCRC(b) }),
		"wrong_count.lmt":    mod(func(b []byte) { binary.LittleEndian.PutUint64(b[16:], 9); fixCRC(b) }),
		"unknown_op.lmt":     craft(1, 2, emptyMeta, []byte{byte(OpEnable), 30}),
		"time_back.lmt":      copyTo(t, []byte("10 0 1 enable\n5 0 1 disable\n"), "t", FormatBinary),
	}
}

// TestBadFiles checks that the shipped malformed files are what the
// generator makes (go test -update rewrites them) and that each fails.
func TestBadFiles(t *testing.T) {
	for name, data := range badBinaries(t) {
		golden.Check(t, filepath.Join("testdata", "bad", name), data)
	}
	files, _ := filepath.Glob("testdata/bad/*")
	if len(files) != 14 { // the six badBinaries and eight hand-written text files
		t.Fatalf("%d bad files, want 14", len(files))
	}
	for _, f := range files {
		r, c, err := Open(f)
		if err == nil {
			_, err = Validate(r, f)
			c.Close()
		}
		if err == nil {
			t.Errorf("%s: validates", f)
		}
	}
}
