package record

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// arm64Code is a small arm64 text assembled with aarch64-linux-gnu-as
// (-march=armv8.1-a) from:
//
//	lazy_mmu_mode_disable (notrace copy): mrs x0, sp_el0; ldrb w1, [x0, #3360];
//	  sub w1, w1, #1; and w1, w1, #0xff; strb w1, [x0, #3360];
//	  mov x1, #0x80000000; ldclral x1, x1, [x0]; mov x0, x1;
//	  tbz w0, #31, 1f; dsb ishst; isb; 1: ret
//	__set_ptes_anysz.constprop.0 (notrace): mov x20, x0; mov x19, x1;
//	  mov w21, w2; tbnz w1, #0, 2f; cmp w21, #1; 2: ret
//	zap_walk (traceable): nop; nop; mrs x0, sp_el0; ldrb w1, [x0, #3360];
//	  add w1, w1, #1; strb w1, [x0, #3360]; bl __set_ptes_anysz.constprop.0;
//	  mov x0, #0; 3: ldxr x2, [x21]; stxr w1, x0, [x21]; cbnz w1, 3b;
//	  add x21, x21, #8; bl lazy_mmu_mode_disable; mov x19, x0;
//	  ldrb w3, [x0, #3361]; add w3, w3, #1; strb w3, [x0, #3361];
//	  ldrb w3, [x0, #3361]; sub w3, w3, #1; strb w3, [x0, #3361];
//	  dsb ishst; isb; ret
//	notrace_walk: mrs x0, sp_el0; ldrb w1, [x0, #3360]; add w1, w1, #1;
//	  strb w1, [x0, #3360]; dsb ishst; isb; ret
//	wp_walk (traceable): nop; nop; mrs x0, sp_el0; ldrb w1, [x0, #3360];
//	  add w1, w1, #1; strb w1, [x0, #3360]; ldr x21, [x19];
//	  and x1, x21, #0xfff7ffffffffffff; orr x1, x1, #0x80; mov x0, x21;
//	  cas x0, x1, [x19]; orr x2, x21, #0x80; casal x3, x2, [x20]; ret
//	  (the second cas sets PTE_RDONLY without clearing PTE_WRITE: not a
//	  write-protect)
//	set_walk (traceable): nop; nop; mrs x0, sp_el0; ldrb w1, [x0, #3360];
//	  add w1, w1, #1; strb w1, [x0, #3360]; mov x0, #0x41; mov x1, #0x1;
//	  movk x0, #0x40, lsl #48; and x0, x19, x0; str x7, [x26];
//	  movk x1, #0x40, lsl #48; cmp x0, x1; str x8, [x27, #8]; ret;
//	  4 x nop; mov x2, #0x41; movk x2, #0x40, lsl #48; 8 x nop; ret
//	  (the second mask has no store next to it)
var arm64Code = []uint32{
	0xd5384100, 0x39748001, 0x51000421, 0x12001c21, 0x39348001, 0xd2b00001, 0xf8e11001, 0xaa0103e0, 0x36f80060, 0xd5033a9f, 0xd5033fdf, 0xd65f03c0,
	0xaa0003f4, 0xaa0103f3, 0x2a0203f5, 0x37000041, 0x710006bf, 0xd65f03c0,
	0xd503201f, 0xd503201f, 0xd5384100, 0x39748001, 0x11000421, 0x39348001, 0x97fffff4, 0xd2800000, 0xc85f7ea2, 0xc8017ea0, 0x35ffffc1, 0x910022b5, 0x97ffffe2, 0xaa0003f3, 0x39748403, 0x11000463, 0x39348403, 0x39748403, 0x51000463, 0x39348403, 0xd5033a9f, 0xd5033fdf, 0xd65f03c0,
	0xd5384100, 0x39748001, 0x11000421, 0x39348001, 0xd5033a9f, 0xd5033fdf, 0xd65f03c0,
	0xd503201f, 0xd503201f, 0xd5384100, 0x39748001, 0x11000421, 0x39348001, 0xf9400275, 0x924cfaa1, 0xb2790021, 0xaa1503e0, 0xc8a07e61, 0xb27902a2, 0xc8e3fe82, 0xd65f03c0,
	0xd503201f, 0xd503201f, 0xd5384100, 0x39748001, 0x11000421, 0x39348001, 0xd2800820, 0xd2800021, 0xf2e00800, 0x8a000260, 0xf9000347, 0xf2e00801, 0xeb01001f, 0xf9000768, 0xd65f03c0,
	0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd2800822, 0xf2e00802, 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd503201f, 0xd65f03c0,
}

const arm64Base = 0xffff800080000000

// arm64Fixture returns the Image (header + arm64Code at 0x100) and its
// kallsyms text, with every address moved by slide (a KASLR boot).
func arm64Fixture(slide uint64) ([]byte, string) {
	img := make([]byte, 0x100+4*len(arm64Code))
	copy(img[0x38:], arm64ImageMagic)
	for i, w := range arm64Code {
		binary.LittleEndian.PutUint32(img[0x100+4*i:], w)
	}
	b := arm64Base + slide
	end := b + uint64(len(img))
	syms := fmt.Sprintf("%x T _text\n%x T _stext\n%x t lazy_mmu_mode_disable\n%x t __set_ptes_anysz.constprop.0\n%x T zap_walk\n%x t notrace_walk\n%x T wp_walk\n%x T set_walk\n%x T _etext_marker\n%x D _etext\n",
		b, b+0x80, b+0x100, b+0x130, b+0x148, b+0x1a4, b+0x1c0, b+0x1f8, end, end)
	return img, syms
}

// TestDiscoverARM64 checks every line discovery emits for the fixture, and
// what it leaves out, exactly; with and without a KASLR slide.
func TestDiscoverARM64(t *testing.T) {
	want := []string{
		"p:lazy/lazy_enter0 zap_walk+0x14 depth=%x1:u8",
		"p:lazy/lazy_enter1 wp_walk+0x14 depth=%x1:u8",
		"p:lazy/lazy_enter2 set_walk+0x14 depth=%x1:u8",
		"p:lazy/lazy_leave0 zap_walk+0x30",
		"p:lazy/lazy_pause0 zap_walk+0x40 depth=%x3:u8",
		"p:lazy/lazy_resume0 zap_walk+0x4c depth=%x3:u8",
		"p:lazy/pte_set0 zap_walk+0x18 ptep=%x0 val=%x1 nr=%x2:u32 old=+0(%x0):x64",
		"p:lazy/pte_set1 set_walk+0x28 ptep=%x26 val=%x7 old=+0(%x26):x64",
		"p:lazy/pte_getclear0 zap_walk+0x2c ptep=%x21 old=%x2",
		"p:lazy/pte_wrprotect0 wp_walk+0x28 ptep=%x19 old=%x0",
		"p:lazy/barrier_ret0 zap_walk+0x34 flags=%x0:x64",
		"p:lazy/barrier_now0 zap_walk+0x50",
	}
	for _, slide := range []uint64{0, 0x1234000} {
		t.Run(fmt.Sprintf("slide=%#x", slide), func(t *testing.T) {
			img, ks := arm64Fixture(slide)
			syms, err := ParseKallsyms(strings.NewReader(ks), "ks")
			if err != nil {
				t.Fatal(err)
			}
			im, err := NewARM64Image(img, syms)
			if err != nil {
				t.Fatal(err)
			}
			res, err := DiscoverARM64(im)
			if err != nil {
				t.Fatal(err)
			}
			checkLines(t, res.Lines(), want)
			skipped := map[string]int{
				"lazy_enter: notrace (no ftrace NOPs at entry)":                   1, // notrace_walk
				"lazy_leave: notrace (no ftrace NOPs at entry)":                   1, // the copy's own strb
				"barrier_flush: notrace (no ftrace NOPs at entry)":                1, // the copy's pair
				"barrier_now: notrace (no ftrace NOPs at entry)":                  1, // notrace_walk's pair
				"pte_set: pte_valid_not_user test with 0 plain stores next to it": 1, // set_walk's second mask
			}
			if !mapsEqual(res.Skipped, skipped) {
				t.Errorf("skipped %v, want %v", res.Skipped, skipped)
			}
			if res.AfterLoop != 1 {
				t.Errorf("AfterLoop = %d, want 1", res.AfterLoop)
			}
			notes := strings.Join(res.Summary(), "\n")
			for _, n := range []string{"enable_count at task_struct+3360", "TIF_LAZY_MMU_PENDING is bit 31", "no pte_commit probe found"} {
				if !strings.Contains(notes, n) {
					t.Errorf("summary lacks %q:\n%s", n, notes)
				}
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestDiscoverARM64Errors checks that an image without the generic layer or
// with symbols of another kernel is refused with a reason.
func TestDiscoverARM64Errors(t *testing.T) {
	img, ks := arm64Fixture(0)
	syms, _ := ParseKallsyms(strings.NewReader(strings.Replace(ks, "lazy_mmu_mode_disable", "other_fn", 1)), "ks")
	im, err := NewARM64Image(img, syms)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DiscoverARM64(im); err == nil || !strings.Contains(err.Error(), "no lazy_mmu_mode_disable") {
		t.Errorf("got %v", err)
	}
	if _, err := NewARM64Image(img[:0x40], mustSyms(t, ks)); err == nil {
		t.Error("a truncated image was accepted")
	}
	if _, err := NewARM64Image(make([]byte, 0x200), mustSyms(t, ks)); err == nil {
		t.Error("an image without the magic was accepted")
	}
}

func mustSyms(t *testing.T, ks string) *Symbols {
	s, err := ParseKallsyms(strings.NewReader(ks), "ks")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDiscoverARM64Debian runs discovery on a Debian arm64 7.x Image and
// its kallsyms when make record ARCH=arm64 left them in LAZYBENCH_ARM64_WORK
// (skipped otherwise), checking that every line is valid and that each
// kind the kernel has is found.
func TestDiscoverARM64Debian(t *testing.T) {
	w := os.Getenv("LAZYBENCH_ARM64_WORK")
	if w == "" {
		t.Skip("LAZYBENCH_ARM64_WORK (make record ARCH=arm64's work folder) not set")
	}
	imgs, _ := filepath.Glob(filepath.Join(w, "pkg/k/usr/lib/modules/*/vmlinuz"))
	kss, _ := filepath.Glob(filepath.Join(w, "kallsyms-*.txt"))
	if len(imgs) != 1 || len(kss) == 0 {
		t.Skipf("no Image or kallsyms in %s", w)
	}
	img, err := os.ReadFile(imgs[0])
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(kss[len(kss)-1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	syms, err := ParseKallsyms(f, kss[0])
	if err != nil {
		t.Fatal(err)
	}
	im, err := NewARM64Image(img, syms)
	if err != nil {
		t.Fatal(err)
	}
	res, err := DiscoverARM64(im)
	if err != nil {
		t.Fatal(err)
	}
	checkValidLines(t, res.Lines())
	for _, k := range []string{KindEnter, KindLeave, KindSet, KindGetClear, KindBarrierFlush, KindBarrierRet, KindBarrierNow} {
		if res.Count(k) == 0 {
			t.Errorf("no %s probe", k)
		}
	}
	t.Logf("%s", res.Summary()[0])
}
