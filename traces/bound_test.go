package traces

import (
	"bytes"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// zstdOf compresses b.
func zstdOf(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	enc.Write(b)
	enc.Close()
	return buf.Bytes()
}

// TestMaxDecompressed: a zstd trace that decompresses to more than
// MaxDecompressed bytes fails as the bytes arrive, naming the file; one of
// exactly MaxDecompressed bytes reads whole (issue 20, item 10: 10 GB of
// newlines in 337 KB kept validate busy for 20 minutes).
func TestMaxDecompressed(t *testing.T) {
	defer func(m int64) { MaxDecompressed = m }(MaxDecompressed)
	text := "lazymmu-trace v1\n" + strings.Repeat("0 0 1 set addr=1000\n", 100)
	for _, tc := range []struct {
		max    int64
		events int
		err    string
	}{
		{int64(len(text)), 100, ""},
		{int64(len(text)) - 1, 99, "big.lmt.zst:101: the trace decompresses to more than 2016 bytes (raise the bound with --max-decompressed)"},
		{100, 4, "big.lmt.zst:6: the trace decompresses to more than 100 bytes"},
	} {
		MaxDecompressed = tc.max
		r, err := NewReader(bytes.NewReader(zstdOf(t, []byte(text))), "big.lmt.zst")
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for r.Next() {
			n++
		}
		got := ""
		if r.Err() != nil {
			got = r.Err().Error()
		}
		if n != tc.events || !strings.HasPrefix(got, tc.err) || (tc.err == "") != (got == "") {
			t.Errorf("max %d: %d events, err %q; want %d, %q", tc.max, n, got, tc.events, tc.err)
		}
	}
}
