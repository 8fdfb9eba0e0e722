package traces

import "testing"

// TestPrintable: control characters and bytes that are not UTF-8 become
// \xHH escapes, other text (UTF-8, backslashes) stays (issue 20, item 9).
func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"mm/vmalloc.c:vmap_pte_range", "mm/vmalloc.c:vmap_pte_range"},
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"a\tb\nc\rd\x00", `a\x09b\x0ac\x0dd\x00`},
		{"del\x7f c1\u009b 8bit\x9b", `del\x7f c1\xc2\x9b 8bit\x9b`},
		{"héllo → ok \\x1b", "héllo → ok \\x1b"},
		{"bad\xff\xfe", `bad\xff\xfe`},
	} {
		if got := Printable(tc.in); got != tc.want {
			t.Errorf("Printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := string(AppendPrintable([]byte("x"), tc.in)); got != "x"+tc.want {
			t.Errorf("AppendPrintable(%q) = %q", tc.in, got)
		}
	}
}
