package record

import (
	"bytes"
	"debug/elf"
	"strings"
	"testing"
)

// FuzzDiscover: any ELF image and symbol list is scanned without panic, and
// every probe line found is one the kernel's kprobe_events accepts.
func FuzzDiscover(f *testing.F) {
	f.Add([]byte("\x7fELF"), "ffffffff81000000 T _text\n")
	// The two fixtures: .parainstructions (up to 6.7) and .altinstructions (6.8+).
	img, ks := buildFixture()
	f.Add(img, ks)
	img, ks = buildFixture7x()
	f.Add(img, ks)
	f.Fuzz(func(t *testing.T, img []byte, ks string) {
		ef, err := elf.NewFile(bytes.NewReader(img))
		if err != nil {
			return
		}
		syms, err := ParseKallsyms(strings.NewReader(ks), "kallsyms")
		if err != nil {
			return
		}
		im, err := NewImage(ef, syms)
		if err != nil {
			return
		}
		res, err := Discover(im)
		if err != nil {
			return
		}
		for _, l := range res.Lines() {
			if err := ValidateKprobeLine(l); err != nil {
				t.Fatalf("probe line %q: %v", l, err)
			}
		}
	})
}
