package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The report's and the summary's number formats: integers as integers with
// thousands separators, everything else with three significant digits.

// fmtInt formats n with thousands separators: 1234567 -> "1,234,567".
func fmtInt[T ~int | ~int64 | ~uint64 | ~uint32](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtSig formats v with three significant digits, without an exponent for
// values from 0.001 up: 0.0123, 1.23, 123, 1,230 (whole numbers from 1,000
// up are rounded and separated).
func fmtSig(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "n/a"
	case v == 0:
		return "0"
	case math.Abs(v) >= 1000:
		return fmtInt(int64(math.Round(v)))
	case math.Abs(v) < 0.001:
		return strconv.FormatFloat(v, 'e', 2, 64)
	}
	return fmtSig3(v)
}

// fmtNs formats a modeled time given in ns with a unit, three significant
// digits: "812 ns", "1.23 µs", "45.6 ms", "2.10 s".
func fmtNs(ns float64) string {
	a := math.Abs(ns)
	switch {
	case math.IsNaN(ns):
		return "n/a"
	case a >= 1e9:
		return fmtSig3(ns/1e9) + " s"
	case a >= 1e6:
		return fmtSig3(ns/1e6) + " ms"
	case a >= 1e3:
		return fmtSig3(ns/1e3) + " µs"
	}
	return fmtSig(ns) + " ns"
}

// fmtSig3 formats v (below 1000) with three significant digits, keeping
// trailing zeros (2.10); v is rounded first, so 0.9996 prints as 1.00.
func fmtSig3(v float64) string {
	if v == 0 {
		return "0"
	}
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	digits := 2 - int(math.Floor(math.Log10(math.Abs(r))))
	return strconv.FormatFloat(r, 'f', max(digits, 0), 64)
}

// fmtRatio formats v/ref as "0.123x"; "n/a" when ref is 0 and v is not, and
// "1x" when both are 0.
func fmtRatio(v, ref float64) string {
	switch {
	case ref == 0 && v == 0:
		return "1x"
	case ref == 0:
		return "n/a"
	}
	return fmtSig(v/ref) + "x"
}

// fmtChange formats v against ref as a signed percentage: "+12.3%", "-4.56%"
// ("0%" when equal, "n/a" when ref is 0).
func fmtChange(v, ref float64) string {
	switch {
	case v == ref:
		return "0%"
	case ref == 0:
		return "n/a"
	}
	p := (v - ref) / ref * 100
	s := fmtSig(p)
	if p > 0 {
		s = "+" + s
	}
	return s + "%"
}

// fmtPct formats a share (0..1) as a percentage, three significant digits.
func fmtPct(share float64) string { return fmtSig(share*100) + "%" }

// plural returns "1 trace" or "3 traces".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", one)
	}
	return fmt.Sprintf("%s %s", fmtInt(n), many)
}
