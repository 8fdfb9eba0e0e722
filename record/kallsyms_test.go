package record

import (
	"strings"
	"testing"
)

const kallsymsSample = `ffffffff81000000 T _text
ffffffff81000000 T startup_64
ffffffff81000100 t set_pte
ffffffff81000120 T copy_page_range
ffffffff81000400 t zap_pte_range.cold
ffffffff82a3b680 D pv_ops
ffffffffc0000000 t mod_fn	[ext4]
ffffffff81000500 T _etext
`

func TestParseKallsyms(t *testing.T) {
	s, err := ParseKallsyms(strings.NewReader(kallsymsSample), "ks")
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 7 {
		t.Fatalf("Len = %d, want 7 (the module symbol skipped)", s.Len())
	}
	if a, ok := s.Addr("pv_ops"); !ok || a != 0xffffffff82a3b680 {
		t.Errorf("Addr(pv_ops) = %#x %v", a, ok)
	}
	if _, ok := s.Addr("mod_fn"); ok {
		t.Errorf("module symbol kept")
	}
	tests := []struct {
		addr uint64
		name string
		size uint64
		ok   bool
	}{
		{0xffffffff81000000, "_text", 0x100, true}, // first of two names at one address
		{0xffffffff81000105, "set_pte", 0x20, true},
		{0xffffffff810003ff, "copy_page_range", 0x2e0, true},
		{0xffffffff81000400, "zap_pte_range.cold", 0x100, true},
		{0xffffffff81000500, "", 0, false}, // last text symbol has no size
		{0xffffffff80000000, "", 0, false},
	}
	for _, tt := range tests {
		fn, ok := s.Func(tt.addr)
		if ok != tt.ok || fn.Name != tt.name || fn.Size != tt.size {
			t.Errorf("Func(%#x) = %q size %#x %v, want %q size %#x %v", tt.addr, fn.Name, fn.Size, ok, tt.name, tt.size, tt.ok)
		}
	}
	if got := len(s.TextSymbols(func(n string) bool { return strings.HasPrefix(n, "set_pte") })); got != 1 {
		t.Errorf("TextSymbols(set_pte*) = %d, want 1", got)
	}
}

func TestParseKallsymsErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "ks: no symbols"},
		{"ffffffff81000000 T a\nzz T b\n", "ks:2: bad address"},
		{"ffffffff81000000 T\n", "ks:1: want"},
		{"ffffffff81000000 TT a\n", "ks:1: bad symbol type"},
		{"ffffffff81000000 T a b\n", "ks:1: unexpected field"},
		{"0000000000000000 T a\n0000000000000000 t b\n", "every address is 0"},
		{"ffffffff81000000 T " + strings.Repeat("x", 5000) + "\n", "ks:1:"},
	}
	for _, tt := range tests {
		_, err := ParseKallsyms(strings.NewReader(tt.in), "ks")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseKallsyms(%.40q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

func FuzzParseKallsyms(f *testing.F) {
	f.Add(kallsymsSample)
	f.Add("ffffffff81000000 T a\nffffffff81000000 t b\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseKallsyms(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		// Every text symbol's range holds its own address.
		for _, sym := range s.TextSymbols(func(string) bool { return true }) {
			if sym.Size == 0 {
				continue
			}
			if fn, ok := s.Func(sym.Addr + sym.Size - 1); !ok || fn.Addr != sym.Addr {
				t.Fatalf("Func(end of %s) = %v %v", sym.Name, fn, ok)
			}
		}
	})
}
