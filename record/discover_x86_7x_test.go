package record

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestDiscoverDebian7x runs discovery on a 6.8+ x86-64 image and the
// kallsyms of its boot: LAZYBENCH_KERNEL_IMAGE (a vmlinuz) and
// LAZYBENCH_KALLSYMS, which .ci/run sets to what make record ARCH=x86_64
// fetched and dumped (Debian's 7.3.4+deb13-amd64 today). Skipped without
// them. Every kind the recorder relies on must be found, every enable site
// must reach a disable in its function, and the counts' offset and the
// flush slot must be derived.
func TestDiscoverDebian7x(t *testing.T) {
	imgPath, ksPath := os.Getenv("LAZYBENCH_KERNEL_IMAGE"), os.Getenv("LAZYBENCH_KALLSYMS")
	if imgPath == "" || ksPath == "" {
		t.Skip("LAZYBENCH_KERNEL_IMAGE and LAZYBENCH_KALLSYMS not set (.ci/run sets them after make record ARCH=x86_64)")
	}
	res := discoverFiles(t, imgPath, ksPath)
	notes := strings.Join(res.Notes, "\n")
	for _, s := range []string{"is lazy_mode_flush (xen_init_mmu_ops stores xen_flush_lazy_mmu there)",
		"lazy_mmu_state.enable_count at task_struct+", "paravirt direct-call sites"} {
		if !strings.Contains(notes, s) {
			t.Errorf("notes lack %q:\n%s", s, notes)
		}
	}
	if len(res.Unpaired) != 0 {
		t.Errorf("enable sites reaching no disable site: %q", res.Unpaired)
	}
	for _, k := range []string{KindEnter, KindLeave, KindSet, KindGetClear, KindGetClearFull, KindWrprotect, KindCommit, KindStart} {
		if res.Count(k) == 0 {
			t.Errorf("no %s probe in %s", k, imgPath)
		}
	}
	// The generic layer's disable is one store per site; fewer disables
	// than enables would leave sections open.
	if res.Count(KindLeave) < res.Count(KindEnter) {
		t.Errorf("%d disable sites < %d enable sites", res.Count(KindLeave), res.Count(KindEnter))
	}
	checkValidLines(t, res.Lines())
	t.Logf("%s: %s", imgPath, res.Summary()[0])
}

const fxAlt = 0xffffffff84000000

// fixture7x extends fixture with .altinstructions entries.
type fixture7x struct {
	fixture
	alt []byte
}

// pvcallAlt emits "call *pv_ops+8*slot(%rip)" and its ALT_FLAG_DIRECT_CALL
// alternative (struct alt_instr: offsets relative to their own fields).
func (f *fixture7x) pvcallAlt(slot int) {
	at := f.pc()
	disp := int32(int64(fxPvOps+8*uint64(slot)) - int64(at+6))
	f.text = append(f.text, 0xff, 0x15)
	f.text = binary.LittleEndian.AppendUint32(f.text, uint32(disp))
	entry := fxAlt + uint64(len(f.alt))
	var e [altEntrySize]byte
	binary.LittleEndian.PutUint32(e[0:], uint32(int32(int64(at)-int64(entry))))
	binary.LittleEndian.PutUint32(e[8:], altFlagDirectCall<<16|3)
	e[12], e[13] = 6, 5
	f.alt = append(f.alt, e[:]...)
}

// current emits "mov %gs:current_task(%rip),%rax".
func (f *fixture7x) current(cur uint64) {
	disp := int32(int64(cur) - int64(f.pc()+8))
	f.raw(0x65, 0x48, 0x8b, 0x05)
	f.text = binary.LittleEndian.AppendUint32(f.text, uint32(disp))
}

// enable emits lazy_mmu_mode_enable() on current in %rax (offset 0x15a8):
// the pause_count check, then "addb $1,0x15a8(%rax)".
func (f *fixture7x) enable(cur uint64) {
	f.current(cur)
	f.raw(0x80, 0xb8, 0xa9, 0x15, 0, 0, 0) // cmpb $0,0x15a9(%rax)
	f.raw(0x75, 7)                         // jne over the addb
	f.raw(0x80, 0x80, 0xa8, 0x15, 0, 0, 1) // addb $1,0x15a8(%rax)
}

// disable emits lazy_mmu_mode_disable(): movzbl, lea -1, mov, flush call.
func (f *fixture7x) disable(cur uint64) {
	f.current(cur)
	f.raw(0x0f, 0xb6, 0x90, 0xa8, 0x15, 0, 0) // movzbl 0x15a8(%rax),%edx
	f.raw(0x8d, 0x4a, 0xff)                   // lea -1(%rdx),%ecx
	f.raw(0x88, 0x88, 0xa8, 0x15, 0, 0)       // mov %cl,0x15a8(%rax)
	f.pvcallAlt(3)
}

// buildFixture7x returns a 6.8+-shaped image and its kallsyms: pv_ops slot 3
// is lazy_mode_flush, lazy_mmu_state at task_struct+0x15a8.
func buildFixture7x() ([]byte, string) {
	var f fixture7x
	cur, pvOps := uint64(fxData+0x300), uint64(fxPvOps)
	f.fn("xen_flush_lazy_mmu", true)
	flush := f.pc() - 5
	f.raw(0xc3)
	f.fn("modify_prot_commit_ptes", false) // an inline function's copy: notrace
	commit := f.pc()
	f.raw(0xc3)
	f.fn("xen_init_mmu_ops", true)
	// movq $xen_flush_lazy_mmu,pv_ops+24(%rip)
	f.raw(0x48, 0xc7, 0x05)
	f.text = binary.LittleEndian.AppendUint32(f.text, uint32(int32(int64(pvOps+24)-int64(f.pc()+8))))
	f.text = binary.LittleEndian.AppendUint32(f.text, uint32(flush))
	f.raw(0xc3)

	f.fn("walker", true)
	f.enable(cur)                       // +0x05
	loop := f.pc()                      //
	f.raw(0x48, 0x87, 0x0b)             // xchg %rcx,(%rbx)
	f.raw(0x49, 0x8b, 0x07)             // mov (%r15),%rax
	f.raw(0x48, 0x89, 0xc1)             // mov %rax,%rcx
	f.raw(0x48, 0x83, 0xe1, 0xfd)       // and $~2,%rcx
	f.raw(0xf0, 0x49, 0x0f, 0xb1, 0x0f) // lock cmpxchg %rcx,(%r15)
	f.raw(0xf0, 0x49, 0x0f, 0xb1, 0x0e) // lock cmpxchg %rcx,(%r14): r14 never steps
	f.raw(0x48, 0x83, 0xc3, 0x08)       // add $8,%rbx
	f.raw(0x49, 0x83, 0xc7, 0x08)       // add $8,%r15
	f.raw(0x48, 0x39, 0xd3)             // cmp %rdx,%rbx
	f.raw(0x75, byte(int8(int64(loop)-int64(f.pc()+2))))
	f.call(commit)
	f.disable(cur)
	f.raw(0xc3)

	f.fn("walker2", true)
	f.enable(cur)
	f.disable(cur)
	f.raw(0xc3)

	f.fn("xen_start_context_switch", true)    // __task_lazy_mmu_mode_pause(prev)
	f.raw(0x0f, 0xb6, 0x87, 0xa9, 0x15, 0, 0) // movzbl 0x15a9(%rdi),%eax
	f.raw(0x8d, 0x50, 0x01)                   // lea 1(%rax),%edx
	f.raw(0x88, 0x97, 0xa9, 0x15, 0, 0)       // mov %dl,0x15a9(%rdi)
	f.raw(0x84, 0xc0, 0x75, 0x0f)             // test %al,%al; jne ret
	f.raw(0x80, 0xbf, 0xa8, 0x15, 0, 0, 0)    // cmpb $0,0x15a8(%rdi)
	f.raw(0x74, 0x06)                         // je ret
	f.pvcallAlt(3)
	f.raw(0xc3)
	f.fn("xen_end_context_switch", true)   // __task_lazy_mmu_mode_resume(next)
	f.raw(0x80, 0xaf, 0xa9, 0x15, 0, 0, 1) // subb $1,0x15a9(%rdi)
	f.raw(0xc3)

	f.fn("flusher", true) // arch_flush_lazy_mmu_mode() on its own
	f.pvcallAlt(3)
	f.raw(0xc3)
	f.fn("_etext", false)
	f.raw(0xc3)

	data := make([]byte, 0x400)
	for i, a := range f.mcount {
		binary.LittleEndian.PutUint64(data[0x100+8*i:], a)
	}
	f.syms = append(f.syms,
		fmt.Sprintf("%x T _text", uint64(fxText)),
		fmt.Sprintf("%x D pv_ops", uint64(fxPvOps)),
		fmt.Sprintf("%x D pv_ops_end", uint64(fxPvOps+0x100)),
		fmt.Sprintf("%x D __start_mcount_loc", uint64(fxData+0x100)),
		fmt.Sprintf("%x D __stop_mcount_loc", uint64(fxData+0x100)+uint64(8*len(f.mcount))),
		fmt.Sprintf("%x D current_task", cur))
	img := elfFile([]fxSection{
		{".text", fxText, elf.SHF_ALLOC | elf.SHF_EXECINSTR, f.text},
		{".data", fxData, elf.SHF_ALLOC | elf.SHF_WRITE, data},
		{".altinstructions", fxAlt, elf.SHF_ALLOC, f.alt},
	})
	return img, strings.Join(f.syms, "\n") + "\n"
}

func TestDiscover7xFixture(t *testing.T) {
	img, ks := buildFixture7x()
	res := discoverBytes(t, img, ks)
	want := []string{
		"p:lazy/lazy_enter0 walker+0x16 prev_depth=+5544(%ax):u8",
		"p:lazy/lazy_enter1 walker2+0x16 prev_depth=+5544(%ax):u8",
		"p:lazy/lazy_leave0 walker+0x58 depth=%cx:u8",
		"p:lazy/lazy_leave1 walker2+0x2f depth=%cx:u8",
		"p:lazy/lazy_flush0 flusher+0x5",
		"p:lazy/lazy_pause0 xen_start_context_switch+0xf paused=%dx:u8",
		"p:lazy/lazy_resume0 xen_end_context_switch+0x5 prev_paused=+5545(%di):u8",
		"p:lazy/pte_getclear0 walker+0x1d ptep=%bx old=+0(%bx):x64",
		"p:lazy/pte_commit0 walker+0x41 ptep=%dx addr=%si val=%r8 nr=%r9:u32",
		"p:lazy/pte_wrprotect0 walker+0x2a ptep=%r15 old=+0(%r15):x64",
	}
	got := res.Lines()
	checkLines(t, got, want)
	if res.Slots["lazy_mode_flush"] != 3 {
		t.Errorf("lazy_mode_flush slot %d, want 3", res.Slots["lazy_mode_flush"])
	}
	notes := strings.Join(res.Notes, "\n")
	for _, n := range []string{
		"4 alternatives, 4 paravirt direct-call sites: 4 through pv_ops, 0 through other tables, 0 not understood",
		"lazy_mmu_state.enable_count at task_struct+0x15a8 (the byte store before 2 of 4 lazy_mode_flush calls)",
		"4 lazy_mode_flush call sites: 3 follow a disable or pause (its arch_leave/arch_flush), 1 stand alone (lazy_flush)",
		"modify_prot_commit_ptes: 1 out-of-line copies, 1 call sites probed",
	} {
		if !strings.Contains(notes, n) {
			t.Errorf("notes lack %q:\n%s", n, notes)
		}
	}
	wantSkipped := map[string]int{"pte_wrprotect: CMPXCHG on a register the section never steps by one PTE (8 bytes)": 1}
	if fmt.Sprint(res.Skipped) != fmt.Sprint(wantSkipped) {
		t.Errorf("Skipped = %v, want %v", res.Skipped, wantSkipped)
	}
	if len(res.Unpaired) != 0 {
		t.Errorf("Unpaired = %q", res.Unpaired)
	}
}

// TestDiscover7xNoXen: without Xen's initialiser the flush slot, and so the
// counts' offset, cannot be derived; discovery says so and finds no lazy
// probe rather than guessing.
func TestDiscover7xNoXen(t *testing.T) {
	img, ks := buildFixture7x()
	ks = strings.Replace(ks, " t xen_init_mmu_ops", " t other_init", 1)
	ks = strings.Replace(ks, " T xen_init_mmu_ops", " T other_init", 1)
	res := discoverBytes(t, img, ks)
	for _, k := range []string{KindEnter, KindLeave, KindFlush, KindPause, KindResume} {
		if res.Count(k) != 0 {
			t.Errorf("%d %s probes without a flush slot", res.Count(k), k)
		}
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "the pv_ops slot of lazy_mode_flush is unknown") {
		t.Errorf("notes: %q", res.Notes)
	}
}

// TestDiscover7xBadAlt: a direct-call alternative that is not a call through
// a table means the layout is not understood: an error, not a guess.
func TestDiscover7xBadAlt(t *testing.T) {
	img, ks := buildFixture7x()
	ef, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	alt := ef.Section(".altinstructions")
	for i := uint64(0); i < alt.Size; i += altEntrySize {
		img[alt.Offset+i+12] = 5 // instrlen 5: not a 6-byte call *(%rip)
	}
	ef, _ = elf.NewFile(bytes.NewReader(img))
	syms, _ := ParseKallsyms(strings.NewReader(ks), "kallsyms")
	im, err := NewImage(ef, syms)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Discover(im); err == nil || !strings.Contains(err.Error(), "4 of 4 direct-call alternatives") {
		t.Errorf("error %v, want the layout refused", err)
	}
}
