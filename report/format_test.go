package report

import (
	"math"
	"strings"
	"testing"
)

func TestFormats(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{fmtInt(0), "0"}, {fmtInt(999), "999"}, {fmtInt(1000), "1,000"}, {fmtInt(-1234567), "-1,234,567"}, {fmtInt(uint64(96490)), "96,490"},
		{fmtSig(0), "0"}, {fmtSig(1), "1.00"}, {fmtSig(0.9996), "1.00"}, {fmtSig(0.01234), "0.0123"}, {fmtSig(123.4), "123"},
		{fmtSig(96490), "96,490"}, {fmtSig(math.NaN()), "n/a"}, {fmtSig(0.0001234), "1.23e-04"},
		{fmtNs(812), "812 ns"}, {fmtNs(1234), "1.23 µs"}, {fmtNs(45_600_000), "45.6 ms"}, {fmtNs(2.1e9), "2.10 s"}, {fmtNs(80), "80.0 ns"},
		{fmtRatio(0, 0), "1x"}, {fmtRatio(1, 0), "n/a"}, {fmtRatio(56, 1), "56.0x"},
		{fmtChange(110, 100), "+10.0%"}, {fmtChange(100, 100), "0%"}, {fmtChange(1, 0), "n/a"}, {fmtChange(59, 100), "-41.0%"},
		{fmtPct(0.0209), "2.09%"}, {plural(1, "trace", "traces"), "1 trace"}, {plural(1200, "trace", "traces"), "1,200 traces"},
		{speed(14.2), "14.2x faster"}, {speed(0.5), "2.00x slower"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestPara(t *testing.T) {
	var b strings.Builder
	para(&b, 20, "  ", "- one two three four five six seven eight")
	want := "- one two three four\n  five six seven\n  eight\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
