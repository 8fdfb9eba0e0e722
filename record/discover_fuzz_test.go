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
		checkValidLines(t, res.Lines())
	})
}

// FuzzDiscoverARM64: any code after an arm64 Image header, with the
// fixture's symbols over it (so the code is scanned as their functions), is
// scanned without panic, and every probe line found is one kprobe_events
// accepts.
func FuzzDiscoverARM64(f *testing.F) {
	img, ks := arm64Fixture(0)
	f.Add(img[0x100:], ks)
	f.Fuzz(func(t *testing.T, code []byte, ks string) {
		if len(code) > 1<<16 {
			return
		}
		full := make([]byte, 0x100+len(code))
		copy(full[0x38:], arm64ImageMagic)
		copy(full[0x100:], code)
		syms, err := ParseKallsyms(strings.NewReader(ks), "kallsyms")
		if err != nil {
			return
		}
		im, err := NewARM64Image(full, syms)
		if err != nil {
			return
		}
		res, err := DiscoverARM64(im)
		if err != nil {
			return
		}
		checkValidLines(t, res.Lines())
	})
}

// FuzzCountKernelBarriers: any text is read without panic; an error names
// its line.
func FuzzCountKernelBarriers(f *testing.F) {
	f.Add("  w-1 [000] d.... 1.2: barrier_ret7: (f+0x3a4/0x5e8) flags=0x80004000\n", 31)
	f.Fuzz(func(t *testing.T, text string, bit int) {
		if bit < 0 || bit > 63 {
			return
		}
		k, err := CountKernelBarriers(strings.NewReader(text), "t", bit)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "t:") {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		if k.RetPair > k.Ret {
			t.Fatalf("%d of %d returns with a pair", k.RetPair, k.Ret)
		}
	})
}
