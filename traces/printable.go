package traces

import "unicode/utf8"

// AppendPrintable appends s to b with every control character (C0 including
// tab and newline, DEL, C1) and every byte that is not UTF-8 written as a
// \xHH escape (ESC as \x1b), so that a string from a trace cannot drive the
// terminal it is printed to. Other text, backslashes included, is appended
// as is.
func AppendPrintable(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			b = append(b, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 || r < 0x20 || r >= 0x7f && r < 0xa0 {
			for _, c := range []byte(s[i : i+n]) {
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
			}
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return b
}

const hexDigits = "0123456789abcdef"

// Printable returns s as AppendPrintable writes it (s itself if nothing
// needs an escape).
func Printable(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return string(AppendPrintable(make([]byte, 0, len(s)+8), s))
		}
	}
	return s
}
