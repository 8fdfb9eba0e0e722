package record

import (
	"strings"
	"testing"
)

// TestCountKernelBarriers counts each barrier probe kind exactly, reads
// barrier_ret's flags against the pending bit, and rejects a bad line.
func TestCountKernelBarriers(t *testing.T) {
	const text = `# tracer: nop
  w-1 [000] d.... 1.1: barrier_flush2: (change_protection+0x520/0x1800)
  w-1 [000] d.... 1.2: barrier_ret7: (vmap_small_pages_range_noflush+0x3a4/0x5e8) flags=0x80004000
  w-1 [000] d.... 1.3: barrier_ret7: (vmap_small_pages_range_noflush+0x3a4/0x5e8) flags=0x4000
  w-1 [000] d.... 1.4: barrier_now40: (__pmd_alloc+0x248/0x2a0)
  w-1 [000] d.... 1.5: barrier_now41: (__pmd_alloc+0x248/0x2a0)
  w-1 [000] d.... 1.6: barrier_now38: (pmd_install+0x110/0x160)
  w-1 [000] d.... 1.7: lazy_enter3: (f+0x1/0x2) depth=1
`
	k, err := CountKernelBarriers(strings.NewReader(text), "t", 31)
	if err != nil {
		t.Fatal(err)
	}
	if k.Flush != 1 || k.Ret != 2 || k.RetPair != 1 || k.Now != 3 || k.NowBySite["__pmd_alloc"] != 2 || k.NowBySite["pmd_install"] != 1 {
		t.Errorf("got %+v", k)
	}
	for _, bad := range []string{
		"  w-1 [000] d.... 1.2: barrier_ret7: (f+0x3a4/0x5e8)\n",
		"  w-1 [000] d.... 1.2: barrier_ret7: (f+0x3a4/0x5e8) flags=0xzz\n",
	} {
		if _, err := CountKernelBarriers(strings.NewReader(bad), "t", 31); err == nil || !strings.HasPrefix(err.Error(), "t:1: ") {
			t.Errorf("%q: got %v", bad, err)
		}
	}
	if b, err := PendingBit(strings.NewReader("# probes: x\n# TIF_LAZY_MMU_PENDING is bit 31 (tested ...)\n")); err != nil || b != 31 {
		t.Errorf("PendingBit = %d, %v", b, err)
	}
	if _, err := PendingBit(strings.NewReader("# probes: x\n")); err == nil {
		t.Error("PendingBit without the note succeeded")
	}
}
