package record

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	fxText  = 0xffffffff81000000
	fxData  = 0xffffffff82000000
	fxPara  = 0xffffffff83000000
	fxPvOps = fxData
)

// fixture assembles a tiny x86-64 kernel-like image: a few functions, a
// pv_ops table, __mcount_loc entries and .parainstructions.
type fixture struct {
	text   []byte
	syms   []string // kallsyms lines
	mcount []uint64
	para   []byte
}

func (f *fixture) pc() uint64 { return fxText + uint64(len(f.text)) }

func (f *fixture) fn(name string, traceable bool) {
	for len(f.text)%16 != 0 {
		f.text = append(f.text, 0xcc)
	}
	f.syms = append(f.syms, fmt.Sprintf("%x t %s", f.pc(), name))
	if traceable {
		f.mcount = append(f.mcount, f.pc())
		f.text = append(f.text, 0x0f, 0x1f, 0x44, 0x00, 0x00)
	}
}

// pvcall emits "call *pv_ops+8*slot(%rip)" and its .parainstructions entry.
func (f *fixture) pvcall(slot int) {
	at := f.pc()
	disp := int32(int64(fxPvOps+8*uint64(slot)) - int64(at+6))
	f.text = append(f.text, 0xff, 0x15)
	f.text = binary.LittleEndian.AppendUint32(f.text, uint32(disp))
	var e [16]byte
	binary.LittleEndian.PutUint64(e[:], at)
	e[8], e[9] = byte(slot), 6
	f.para = append(f.para, e[:]...)
}

func (f *fixture) call(target uint64) {
	f.text = append(f.text, 0xe8)
	f.text = binary.LittleEndian.AppendUint32(f.text, uint32(int32(int64(target)-int64(f.pc()+4))))
}

func (f *fixture) raw(b ...byte) { f.text = append(f.text, b...) }

// fxSection is one section of a fixture's ELF file.
type fxSection struct {
	name  string
	addr  uint64
	flags elf.SectionFlag
	data  []byte
}

// elfFile writes a minimal ELF64 executable with section headers only.
func elfFile(secs []fxSection) []byte {
	shstr := []byte{0}
	names := make([]uint32, len(secs))
	for i, s := range secs {
		names[i] = uint32(len(shstr))
		shstr = append(append(shstr, s.name...), 0)
	}
	shName := uint32(len(shstr))
	shstr = append(shstr, ".shstrtab\x00"...)
	var body bytes.Buffer
	body.Write(make([]byte, 64))
	offs := make([]uint64, len(secs))
	for i, s := range secs {
		for body.Len()%16 != 0 {
			body.WriteByte(0)
		}
		offs[i] = uint64(body.Len())
		body.Write(s.data)
	}
	strOff := uint64(body.Len())
	body.Write(shstr)
	for body.Len()%8 != 0 {
		body.WriteByte(0)
	}
	shoff := uint64(body.Len())
	le := binary.LittleEndian
	sh := func(name, typ uint32, flags, addr, off, size uint64) {
		var h [64]byte
		le.PutUint32(h[0:], name)
		le.PutUint32(h[4:], typ)
		le.PutUint64(h[8:], flags)
		le.PutUint64(h[16:], addr)
		le.PutUint64(h[24:], off)
		le.PutUint64(h[32:], size)
		le.PutUint64(h[48:], 1)
		body.Write(h[:])
	}
	sh(0, 0, 0, 0, 0, 0)
	for i, s := range secs {
		sh(names[i], uint32(elf.SHT_PROGBITS), uint64(s.flags), s.addr, offs[i], uint64(len(s.data)))
	}
	sh(shName, uint32(elf.SHT_STRTAB), 0, 0, strOff, uint64(len(shstr)))
	out := body.Bytes()
	copy(out, []byte{0x7f, 'E', 'L', 'F', 2, 1, 1})
	le.PutUint16(out[16:], uint16(elf.ET_EXEC))
	le.PutUint16(out[18:], uint16(elf.EM_X86_64))
	le.PutUint32(out[20:], 1)
	le.PutUint64(out[40:], shoff)
	le.PutUint16(out[52:], 64)
	le.PutUint16(out[58:], 64)
	le.PutUint16(out[60:], uint16(len(secs)+2))
	le.PutUint16(out[62:], uint16(len(secs)+1))
	return out
}

// buildFixture returns the image and its kallsyms text. pv_ops slots: 1
// enter, 2 leave, 3 flush, 4 set_pte, 5 ptep_modify_prot_start, 6 commit.
func buildFixture() ([]byte, string) {
	var f fixture
	f.fn("set_pte", false)
	setPTE := f.pc()
	f.raw(0xc3)
	f.fn("native_set_pte", false)
	nativeSet := f.pc()
	f.raw(0xc3)
	f.fn("__ptep_modify_prot_start", false)
	start := f.pc()
	f.raw(0xc3)
	f.fn("__ptep_modify_prot_commit", false)
	commit := f.pc()
	f.raw(0xc3)

	f.fn("paravirt_flush_lazy_mmu", true) // leave then enter
	f.pvcall(2)
	f.pvcall(1)
	f.raw(0xc3)

	f.fn("walker", true)
	f.pvcall(1)                                          // +0x05 enter
	loop := f.pc()                                       //
	f.raw(0xf0, 0x41, 0x80, 0x24, 0x24, 0xfd)            // +0x0b lock andb $0xfd,(%r12)
	f.raw(0x48, 0x87, 0x03)                              // +0x11 xchg %rax,(%rbx)
	f.raw(0x48, 0xc7, 0x03, 0, 0, 0, 0)                  // +0x14 movq $0,(%rbx)
	f.pvcall(4)                                          // +0x1b set_pte
	f.call(setPTE)                                       // +0x21 call set_pte
	f.pvcall(5)                                          // +0x26 ptep_modify_prot_start
	f.pvcall(6)                                          // +0x2c ptep_modify_prot_commit
	f.raw(0xf0, 0x80, 0x20, 0xfd)                        // +0x32 lock andb $0xfd,(%rax): not a pte pointer
	f.raw(0x48, 0x83, 0xc3, 0x08)                        // +0x36 add $8,%rbx
	f.raw(0x49, 0x83, 0xc4, 0x08)                        // +0x3a add $8,%r12
	f.raw(0x48, 0x39, 0xcb)                              // +0x3e cmp %rcx,%rbx
	f.raw(0x75, byte(int8(int64(loop)-int64(f.pc()+2)))) // +0x41 jne loop
	f.pvcall(2)                                          // +0x43 leave
	f.raw(0x48, 0x87, 0x03)                              // +0x49 xchg outside the section
	f.raw(0xc3)

	f.fn("notrace_fn", false)
	f.pvcall(4)
	f.call(setPTE)
	f.raw(0xc3)

	f.fn("unpaired_fn", true)
	f.pvcall(1) // +0x05 enter, then return
	f.raw(0xc3)
	f.pvcall(2) // +0x0c leave nobody reaches
	f.raw(0xc3)
	f.fn("_etext", false)
	f.raw(0xc3)

	data := make([]byte, 0x200)
	le := binary.LittleEndian
	for slot, a := range map[int]uint64{4: nativeSet, 5: start, 6: commit} {
		le.PutUint64(data[8*slot:], a)
	}
	for i, a := range f.mcount {
		le.PutUint64(data[0x100+8*i:], a)
	}
	f.syms = append(f.syms,
		fmt.Sprintf("%x T _text", uint64(fxText)),
		fmt.Sprintf("%x D pv_ops", uint64(fxPvOps)),
		fmt.Sprintf("%x D __start_mcount_loc", uint64(fxData+0x100)),
		fmt.Sprintf("%x D __stop_mcount_loc", uint64(fxData+0x100)+uint64(8*len(f.mcount))))
	img := elfFile([]fxSection{
		{".text", fxText, elf.SHF_ALLOC | elf.SHF_EXECINSTR, f.text},
		{".data", fxData, elf.SHF_ALLOC | elf.SHF_WRITE, data},
		{".parainstructions", fxPara, elf.SHF_ALLOC, f.para},
	})
	return img, strings.Join(f.syms, "\n") + "\n"
}

// discoverFiles runs discovery on a kernel image file (vmlinux, or a
// compressed image ExtractVmlinux unpacks) with its kallsyms file, as
// lazybench record probes does (DiscoverFile).
func discoverFiles(t *testing.T, imgPath, ksPath string) *Result {
	t.Helper()
	res, err := DiscoverFile(imgPath, ksPath, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestDiscoverFile: discovery from files (a gzip-compressed image) finds
// what discovery from the bytes finds.
func TestDiscoverFile(t *testing.T) {
	img, ks := buildFixture7x()
	dir := t.TempDir()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(img)
	zw.Close()
	imgPath, ksPath := filepath.Join(dir, "vmlinuz"), filepath.Join(dir, "kallsyms")
	if err := os.WriteFile(imgPath, z.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ksPath, []byte(ks), 0o644); err != nil {
		t.Fatal(err)
	}
	checkLines(t, discoverFiles(t, imgPath, ksPath).Lines(), discoverBytes(t, img, ks).Lines())
}

func discoverBytes(t *testing.T, img []byte, ks string) *Result {
	t.Helper()
	ef, err := elf.NewFile(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	syms, err := ParseKallsyms(strings.NewReader(ks), "kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	im, err := NewImage(ef, syms)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Discover(im)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// checkLines fails t unless got is want, line for line, and every line is
// one kprobe_events accepts.
func checkLines(t testing.TB, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	checkValidLines(t, got)
}

// checkValidLines fails t for every probe line kprobe_events would refuse.
func checkValidLines(t testing.TB, lines []string) {
	t.Helper()
	for _, l := range lines {
		if err := ValidateKprobeLine(l); err != nil {
			t.Errorf("probe line %q: %v", l, err)
		}
	}
}

func TestDiscoverFixture(t *testing.T) {
	img, ks := buildFixture()
	res := discoverBytes(t, img, ks)
	want := []string{
		"p:lazy/lazy_enter0 paravirt_flush_lazy_mmu+0xb",
		"p:lazy/lazy_enter1 walker+0x5",
		"p:lazy/lazy_enter2 unpaired_fn+0x5",
		"p:lazy/lazy_leave0 paravirt_flush_lazy_mmu+0x5",
		"p:lazy/lazy_leave1 walker+0x43",
		"p:lazy/lazy_leave2 unpaired_fn+0xc",
		"p:lazy/pte_set0 walker+0x1b ptep=%di val=%si old=+0(%di):x64",
		"p:lazy/pte_set1 walker+0x21 ptep=%di val=%si old=+0(%di):x64",
		"p:lazy/pte_getclear0 walker+0x11 ptep=%bx old=+0(%bx):x64",
		"p:lazy/pte_getclear_full0 walker+0x14 ptep=%bx old=+0(%bx):x64",
		"p:lazy/pte_commit0 walker+0x2c ptep=%dx addr=%si val=%cx",
		"p:lazy/pte_wrprotect0 walker+0xb ptep=%r12 old=+0(%r12):x64",
		"p:lazy/pte_start0 walker+0x26 ptep=%dx addr=%si old=+0(%dx):x64",
	}
	got := res.Lines()
	checkLines(t, got, want)
	wantSlots := map[string]int{"lazy_mode.enter": 1, "lazy_mode.leave": 2, "lazy_mode.flush": 3,
		"set_pte": 4, "ptep_modify_prot_start": 5, "ptep_modify_prot_commit": 6}
	for k, v := range wantSlots {
		if res.Slots[k] != v {
			t.Errorf("slot %s = %d, want %d", k, res.Slots[k], v)
		}
	}
	if !slices.Equal(res.Unpaired, []string{"unpaired_fn+0x5"}) {
		t.Errorf("Unpaired = %q, want [unpaired_fn+0x5]", res.Unpaired)
	}
	wantSkipped := map[string]int{
		"pte_set: notrace (no __mcount_loc entry)":                                      2,
		"pte_wrprotect: AND on a register the section never steps by one PTE (8 bytes)": 1,
	}
	if fmt.Sprint(res.Skipped) != fmt.Sprint(wantSkipped) {
		t.Errorf("Skipped = %v, want %v", res.Skipped, wantSkipped)
	}
	var b bytes.Buffer
	if err := res.WriteProbes(&b, "fixture"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"# probes: lazy_enter=3 lazy_leave=3 lazy_flush=0 lazy_pause=0 lazy_resume=0 pte_set=2", "# no lazy_flush probe found",
		"# no pte_clear probe found", "# tracepoint: sched/sched_switch", "follows a leave site"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("probes file lacks %q:\n%s", s, b.String())
		}
	}
}

// TestDiscoverKASLR feeds kallsyms of a randomised boot: every address moved
// by one slide. The probes are the same (func+off does not depend on it).
func TestDiscoverKASLR(t *testing.T) {
	img, ks := buildFixture()
	want := discoverBytes(t, img, ks).Lines()
	const slide = 0x1e00000
	var shifted []string
	for _, l := range strings.Split(strings.TrimSpace(ks), "\n") {
		a, rest, _ := strings.Cut(l, " ")
		v, err := strconv.ParseUint(a, 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		shifted = append(shifted, fmt.Sprintf("%x %s", v+slide, rest))
	}
	got := discoverBytes(t, img, strings.Join(shifted, "\n")).Lines()
	if !slices.Equal(got, want) || len(got) != 13 {
		t.Errorf("with KASLR slide:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDiscoverNoParavirt(t *testing.T) {
	img, ks := buildFixture()
	ks = strings.Replace(ks, " D pv_ops", " D not_pv_ops", 1)
	res := discoverBytes(t, img, ks)
	if len(res.Probes) != 0 || !strings.Contains(strings.Join(res.Notes, "\n"), "no pv_ops symbol") {
		t.Errorf("without pv_ops: %d probes, notes %q", len(res.Probes), res.Notes)
	}
}

func TestExtractVmlinuxGzip(t *testing.T) {
	img, _ := buildFixture()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(img)
	zw.Close()
	wrapped := append(append([]byte("bzImage-ish header"), z.Bytes()...), "trailer"...)
	out, how, err := ExtractVmlinux(wrapped)
	if err != nil || !bytes.Equal(out, img) || !strings.HasPrefix(how, "gzip payload") {
		t.Fatalf("ExtractVmlinux = %d bytes, %q, %v", len(out), how, err)
	}
	if _, _, err := ExtractVmlinux([]byte("not a kernel")); err == nil {
		t.Error("no error for a non-kernel")
	}
}

// debian12Kernel finds the Debian 12 (6.1) amd64 kernel that make record
// fetched (its work folder's kernel/boot/vmlinuz-VER) and the kallsyms it
// dumped from that kernel's nokaslr boot (kallsyms-VER.txt). The work folder
// is LAZYBENCH_DEBIAN12_WORK, which .ci/run sets to its make record's
// RECORD_WORK; the test fails when that folder lacks them. Without the
// variable it looks in work/ (make record's default RECORD_WORK) and skips
// when there is no 6.1 image there.
func debian12Kernel(t *testing.T) (string, string) {
	w, set := os.LookupEnv("LAZYBENCH_DEBIAN12_WORK")
	if !set {
		w = "work"
	}
	fail := t.Skipf
	if set {
		fail = t.Fatalf
	}
	imgs, _ := filepath.Glob(filepath.Join(w, "kernel", "boot", "vmlinuz-*"))
	if len(imgs) != 1 {
		fail("want one kernel image in %s/kernel/boot, found %d: run make record (it fetches Debian 12's 6.1 kernel there), or set LAZYBENCH_DEBIAN12_WORK to its RECORD_WORK", w, len(imgs))
	}
	img := imgs[0]
	ver := strings.TrimPrefix(filepath.Base(img), "vmlinuz-")
	if !strings.HasPrefix(ver, "6.1.") {
		fail("%s is not Debian 12's 6.1 kernel (make record ARCH=x86_64 fetches 7.x: TestDiscoverDebian7x)", img)
	}
	if _, err := exec.LookPath("xz"); err != nil {
		fail("xz is not installed; the Debian 6.1 kernel's payload is xz-compressed")
	}
	ks := filepath.Join(w, "kallsyms-"+ver+".txt")
	if _, err := os.Stat(ks); err != nil {
		fail("%s present but no symbol dump of it (%v): make record boots the kernel once with nokaslr to dump it", img, err)
	}
	return img, ks
}

// TestDiscoverDebian12 runs discovery on the Debian 12 6.1 amd64 kernel the
// shipped recorded_qemu_* traces come from: every enter site must have a
// leave site in its function, every kind the recorder relies on must be
// found, and every probe line must be valid.
func TestDiscoverDebian12(t *testing.T) {
	img, ksPath := debian12Kernel(t)
	res := discoverFiles(t, img, ksPath)
	if len(res.Unpaired) != 0 {
		t.Errorf("enter sites with no leave site in the same function: %q", res.Unpaired)
	}
	enters, leaves := map[string]int{}, map[string]int{}
	for _, p := range res.Probes {
		switch p.Kind {
		case KindEnter:
			enters[p.Func]++
		case KindLeave:
			leaves[p.Func]++
		}
	}
	for fn := range enters {
		if leaves[fn] == 0 && !strings.Contains(strings.Join(res.Notes, "\n"), fn+"+") {
			t.Errorf("%s has an enter site and no leave site", fn)
		}
	}
	for _, k := range []string{KindEnter, KindLeave, KindSet, KindGetClear, KindGetClearFull, KindWrprotect, KindCommit} {
		if res.Count(k) == 0 {
			t.Errorf("no %s probe in %s", k, img)
		}
	}
	checkValidLines(t, res.Lines())
	t.Logf("%s: %s", img, res.Summary()[0])
}
