package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/arch/arm64/arm64asm"
)

// arm64 probe kinds beyond the shared ones: the barrier pairs the lazy
// paths emit (counted, not replayed: they are the kernel's own count to
// check the model against).
const (
	KindBarrierFlush = "barrier_flush" // dsb ishst; isb after clearing TIF_LAZY_MMU_PENDING (flush, leave)
	KindBarrierNow   = "barrier_now"   // any other dsb ishst; isb: queue_pte_barriers outside lazy mode
	// KindBarrierRet sits after a call of an out-of-line (notrace)
	// lazy_mmu_mode_disable copy, which returns the thread flags its flush
	// cleared: flags= has TIF_LAZY_MMU_PENDING set iff the copy emitted the pair.
	KindBarrierRet = "barrier_ret"
)

// KindsARM64 lists the arm64 probe kinds in output order.
var KindsARM64 = []string{KindEnter, KindLeave, KindPause, KindResume, KindSet, KindGetClear,
	KindCommit, KindWrprotect, KindStart, KindBarrierFlush, KindBarrierRet, KindBarrierNow}

// Instruction encodings matched before decoding (Arm ARM, A64).
const (
	a64NOP    = 0xd503201f
	a64BTIC   = 0xd503245f
	a64DSBST  = 0xd5033a9f // dsb ishst
	a64ISB    = 0xd5033fdf
	a64MRSSP0 = 0xd5384100 // mrs xN, sp_el0 (current task), with Rt in bits 0-4
)

// ARM64Image is an arm64 kernel Image (raw, as booted) with its symbols.
type ARM64Image struct {
	img  []byte
	syms *Symbols
	base uint64 // address of img[0] (_text)
	// text is [start, end) of the kernel's runtime text (_stext.._etext).
	textStart, textEnd uint64
}

// NewARM64Image wraps a raw arm64 Image and the kallsyms of the same kernel
// booted with nokaslr (a KASLR boot is also fine: everything is relative to
// _text).
func NewARM64Image(img []byte, syms *Symbols) (*ARM64Image, error) {
	if !IsARM64Image(img) {
		return nil, errors.New("not an arm64 kernel Image (no ARM\\x64 magic at 0x38)")
	}
	base, ok := syms.Addr("_text")
	if !ok {
		return nil, errors.New("kallsyms has no _text")
	}
	st, ok1 := syms.Addr("_stext")
	et, ok2 := syms.Addr("_etext")
	if !ok1 || !ok2 || st < base || et <= st || et-base > uint64(len(img)) {
		return nil, fmt.Errorf("kallsyms's _stext/_etext do not fit the %d-byte image (is it the same kernel?)", len(img))
	}
	return &ARM64Image{img: img, syms: syms, base: base, textStart: st, textEnd: et}, nil
}

// word returns the instruction word at addr, ok false outside the text.
func (im *ARM64Image) word(addr uint64) (uint32, bool) {
	if addr < im.textStart || addr+4 > im.textEnd || addr&3 != 0 {
		return 0, false
	}
	off := addr - im.base
	return binary.LittleEndian.Uint32(im.img[off:]), true
}

// decode decodes the instruction at addr with arm64asm.
func (im *ARM64Image) decode(addr uint64) (arm64asm.Inst, bool) {
	w, ok := im.word(addr)
	if !ok {
		return arm64asm.Inst{}, false
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], w)
	in, err := arm64asm.Decode(b[:])
	return in, err == nil
}

// traceable reports whether a kprobe can be put in fn: the kernel refuses
// functions without an ftrace location (KPROBE_EVENTS_ON_NOTRACE=n). With
// arm64's DYNAMIC_FTRACE_WITH_ARGS every traceable function starts with the
// two NOPs of -fpatchable-function-entry (after a BTI C where BTI is on).
func (im *ARM64Image) traceable(fn Symbol) bool {
	a := fn.Addr
	if w, _ := im.word(a); w == a64BTIC {
		a += 4
	}
	w0, ok0 := im.word(a)
	w1, ok1 := im.word(a + 4)
	return ok0 && ok1 && w0 == a64NOP && w1 == a64NOP
}

// functions returns the text symbols whose name is name or name.SUFFIX
// (GCC's .isra.0, .constprop.0 copies of an inline function).
func (im *ARM64Image) functions(name string) []Symbol {
	return im.syms.TextSymbols(func(n string) bool { return n == name || strings.HasPrefix(n, name+".") })
}

// arm64Disc is the state of one arm64 discovery.
type arm64Disc struct {
	im  *ARM64Image
	res *Result
	// countOff is the offset of lazy_mmu_state.enable_count in task_struct
	// (pause_count is the next byte); pendingBit is TIF_LAZY_MMU_PENDING.
	countOff   uint32
	pendingBit int
	lazyFns    map[uint64]bool // functions with an inline enable site
	// retFlags holds the lazy_mmu_mode_disable copies that return the
	// cleared thread flags in x0 (checkDisableReturnsFlags).
	retFlags map[uint64]bool
}

func (d *arm64Disc) note(format string, args ...any) {
	d.res.Notes = append(d.res.Notes, fmt.Sprintf(format, args...))
}

// add records a probe at addr if its function is probeable.
func (d *arm64Disc) add(kind string, addr uint64, args, how string) bool {
	fn, ok := d.im.syms.Func(addr)
	if !ok {
		d.res.Skipped[kind+": no containing function"]++
		return false
	}
	if !d.im.traceable(fn) {
		d.res.Skipped[kind+": notrace (no ftrace NOPs at entry)"]++
		return false
	}
	if !isSymbol(fn.Name) {
		d.res.Skipped[kind+": function name not usable in kprobe_events"]++
		return false
	}
	d.res.Probes = append(d.res.Probes, Probe{Kind: kind, Addr: addr, Func: fn.Name, Off: addr - fn.Addr, Args: args, How: how})
	return true
}

// DiscoverARM64 finds the probe points of the generic lazy MMU layer (Linux
// 7.x, include/linux/pgtable.h: lazy_mmu_mode_enable/disable/pause/resume on
// current->lazy_mmu_state) and of arm64's PTE writes and barrier pairs in a
// raw Image. Everything is found from the code: the count's offset from the
// out-of-line lazy_mmu_mode_disable copies, the sites by instruction shape.
// It fails only when the offset cannot be found (not a 7.x kernel with the
// generic layer); a kind it cannot find is a note.
func DiscoverARM64(im *ARM64Image) (*Result, error) {
	d := &arm64Disc{im: im, res: &Result{Slots: map[string]int{}, Skipped: map[string]int{}, KindList: KindsARM64}, lazyFns: map[uint64]bool{}, retFlags: map[uint64]bool{}}
	if err := d.findCountOffset(); err != nil {
		return nil, err
	}
	d.findCountStores()
	d.findCalls()
	d.findEntryProbes()
	d.findXchgLoops()
	d.findCasWrprotect()
	d.findInlineSets()
	d.findBarriers()
	for _, k := range KindsARM64 {
		if d.res.Count(k) == 0 {
			d.note("no %s probe found", k)
		}
	}
	sortProbes(d.res, KindsARM64)
	return d.res, nil
}

// sortProbes orders probes by kind (in kinds' order), then address, and
// drops duplicates of one kind at one address.
func sortProbes(res *Result, kinds []string) {
	idx := func(k string) int {
		for i, x := range kinds {
			if x == k {
				return i
			}
		}
		return len(kinds)
	}
	sort.SliceStable(res.Probes, func(i, j int) bool {
		ki, kj := idx(res.Probes[i].Kind), idx(res.Probes[j].Kind)
		if ki != kj {
			return ki < kj
		}
		return res.Probes[i].Addr < res.Probes[j].Addr
	})
	out := res.Probes[:0]
	for i, p := range res.Probes {
		if i > 0 && p.Addr == res.Probes[i-1].Addr && p.Kind == res.Probes[i-1].Kind {
			continue
		}
		out = append(out, p)
	}
	res.Probes = out
}

// Raw fields of the instructions matched below.
func strbImm(w uint32) (rt, rn, off uint32, ok bool) { // STRB Wt, [Xn, #imm12]
	return w & 31, w >> 5 & 31, w >> 10 & 0xfff, w&0xffc00000 == 0x39000000
}

func addSubImm32(w uint32) (rd, rn, imm uint32, sub, ok bool) { // ADD/SUB Wd, Wn, #imm12 (no shift, no flags)
	switch w & 0xffc00000 {
	case 0x11000000:
		return w & 31, w >> 5 & 31, w >> 10 & 0xfff, false, true
	case 0x51000000:
		return w & 31, w >> 5 & 31, w >> 10 & 0xfff, true, true
	}
	return 0, 0, 0, false, false
}

func blTarget(addr uint64, w uint32) (uint64, bool) { // BL imm26
	if w&0xfc000000 != 0x94000000 {
		return 0, false
	}
	off := int64(int32(w<<6)>>6) * 4
	return addr + uint64(off), true
}

func tbBit(w uint32) (rt uint32, bit int, ok bool) { // TBZ/TBNZ
	if w&0x7e000000 != 0x36000000 {
		return 0, 0, false
	}
	return w & 31, int(w>>31)<<5 | int(w>>19&31), true
}

// findCountOffset reads the out-of-line lazy_mmu_mode_disable copies (the
// inline function of include/linux/pgtable.h that GCC did not inline
// everywhere): each loads current (mrs xN, sp_el0), decrements a byte of it
// (sub wM, wM, #1) and stores it back (strb wM, [xN, #off]): off is
// lazy_mmu_state.enable_count in task_struct. After the store, the flush
// clears TIF_LAZY_MMU_PENDING atomically and tests its old value with
// tbz/tbnz: the bit tested is the flag.
func (d *arm64Disc) findCountOffset() error {
	copies := d.im.functions("lazy_mmu_mode_disable")
	offs := map[uint32]int{}
	bits := map[int]int{}
	for _, fn := range copies {
		cur := map[uint32]bool{}
		for a := fn.Addr; a < fn.Addr+fn.Size; a += 4 {
			w, ok := d.im.word(a)
			if !ok {
				break
			}
			if w&0xffffffe0 == a64MRSSP0 {
				cur[w&31] = true
			}
			if rt, rn, off, ok := strbImm(w); ok && cur[rn] {
				if p, ok := d.im.word(a - 4); ok {
					if p2, ok := d.im.word(a - 8); ok {
						if d.decrements(p, rt) || p&0xfffffc00 == 0x12001c00 && d.decrements(p2, rt) { // and wM, wM, #0xff
							offs[off]++
						}
					}
				}
			}
			if _, bit, ok := tbBit(w); ok {
				if n, ok := d.im.word(a + 4); ok && n == a64DSBST {
					bits[bit]++
				}
			}
		}
	}
	if len(copies) == 0 {
		return errors.New("no lazy_mmu_mode_disable in kallsyms: not a kernel with the generic lazy MMU layer (7.0+); nothing to find the enable_count offset from")
	}
	off, n := majority(offs)
	if n == 0 || len(offs) > 1 {
		return fmt.Errorf("the %d lazy_mmu_mode_disable copies do not agree on enable_count's offset (found %v)", len(copies), offs)
	}
	d.countOff = off
	d.note("lazy_mmu_state.enable_count at task_struct+%d (from %d out-of-line lazy_mmu_mode_disable copies; pause_count next)", off, len(copies))
	if b, n := majorityInt(bits); n > 0 && len(bits) == 1 {
		d.pendingBit = b
		d.note("TIF_LAZY_MMU_PENDING is bit %d (tested before the flush's dsb ishst in %d copies)", b, n)
	} else {
		d.pendingBit = -1
		d.note("TIF_LAZY_MMU_PENDING's bit not found (%v): every barrier pair counts as barrier_now", bits)
	}
	return nil
}

// decrements reports whether w is sub wRT, wX, #1.
func (d *arm64Disc) decrements(w, rt uint32) bool {
	rd, _, imm, sub, ok := addSubImm32(w)
	return ok && sub && rd == rt && imm == 1
}

func majority(m map[uint32]int) (uint32, int) {
	var best uint32
	n := 0
	for k, v := range m {
		if v > n || v == n && k < best {
			best, n = k, v
		}
	}
	return best, n
}

func majorityInt(m map[int]int) (int, int) {
	best, n := 0, 0
	for k, v := range m {
		if v > n || v == n && k < best {
			best, n = k, v
		}
	}
	return best, n
}

// findCountStores finds the inline enable, disable, pause and resume sites:
// strb wN, [xM, #enable_count] (or #pause_count) whose value is the loaded
// count plus or minus one (add/sub #1, optionally followed by and #0xff).
// The probe sits on the strb with the new count as depth=.
func (d *arm64Disc) findCountStores() {
	for a := d.im.textStart; a < d.im.textEnd; a += 4 {
		w, _ := d.im.word(a)
		rt, _, off, ok := strbImm(w)
		if !ok || off != d.countOff && off != d.countOff+1 {
			continue
		}
		sub, ok := d.countStep(a, rt)
		if !ok {
			d.res.Skipped["count store: value not the count plus or minus one"]++
			continue
		}
		kind := map[[2]bool]string{{false, false}: KindEnter, {false, true}: KindLeave, {true, false}: KindPause, {true, true}: KindResume}[[2]bool{off != d.countOff, sub}]
		in, ok := d.im.decode(a)
		if !ok || in.Op != arm64asm.STRB {
			d.res.Skipped[kind+": arm64asm does not decode the strb"]++
			continue
		}
		if d.add(kind, a, fmt.Sprintf("depth=%%x%d:u8", rt), "inline strb of lazy_mmu_state") && kind == KindEnter {
			fn, _ := d.im.syms.Func(a)
			d.lazyFns[fn.Addr] = true
		}
	}
}

// countStep finds the add/sub #1 that computed the stored register, within
// three instructions before the strb: sub is true for a decrement.
func (d *arm64Disc) countStep(a uint64, rt uint32) (sub, ok bool) {
	for k := uint64(1); k <= 3; k++ {
		p, ok := d.im.word(a - 4*k)
		if !ok {
			return false, false
		}
		if rd, _, imm, s, ok := addSubImm32(p); ok && rd == rt {
			return s, imm == 1
		}
		if p&0xfffffc00 == 0x12001c00 && p&31 == rt { // and wRT, wX, #0xff
			continue
		}
		if p&31 == rt { // another write of the register (approximately: Rd field)
			return false, false
		}
	}
	return false, false
}

// callKind is one out-of-line function whose call sites are probed.
type callKind struct {
	name string // function (and its .suffix copies)
	kind string
	args string
	// check returns "" if the copy takes the arguments as args says, and
	// may change args for this copy (nil: no check).
	check func(d *arm64Disc, fn Symbol, args *string) string
}

// calls are the out-of-line copies that Debian's 7.x arm64 kernel has and
// kprobes refuse (notrace): their call sites are probed instead.
var arm64Calls = []callKind{
	// static inline void lazy_mmu_mode_disable(void): no arguments.
	{"lazy_mmu_mode_disable", KindLeave, "", nil},
	{"lazy_mmu_mode_enable", KindEnter, "", nil},
	// __set_ptes_anysz(mm, addr, ptep, pte, nr, pgsize) as compiled (isra,
	// constprop): ptep in x0, pte in x1, nr in w2 or folded to 1 (checked
	// per copy).
	{"__set_ptes_anysz", KindSet, "ptep=%x0 val=%x1 nr=%x2:u32 old=+0(%x0):x64", checkSetPtes},
	// __xchg_case_64(x, ptr) with x = 0 folded in (constprop): ptr in x0:
	// __ptep_get_and_clear's xchg(ptep, 0).
	{"__xchg_case_64", KindGetClear, "ptep=%x0 old=+0(%x0):x64", checkXchgZero},
	{"__xchg_case_mb_64", KindGetClear, "ptep=%x0 old=+0(%x0):x64", checkXchgZero},
	// ___ptep_set_wrprotect(ptep, pte): a cas loop on [x0].
	{"___ptep_set_wrprotect", KindWrprotect, "ptep=%x0 old=+0(%x0):x64", checkCasX0},
}

// checkSetPtes wants the copy to keep x0 and x1 (mov xA, x0; mov xB, x1)
// and test x1's valid bit (tbnz w1, #0). If it compares a copy of w2 with 1
// (the nr == 1 case of the loop), nr is w2; otherwise the copy was made with
// nr folded to 1 and the probe records no nr= (one entry, the importer's
// default).
func checkSetPtes(d *arm64Disc, fn Symbol, args *string) string {
	valid, nr, keep0, keep1 := false, false, false, false
	nrReg := uint32(2)
	for a := fn.Addr; a < fn.Addr+min(fn.Size, 4*24); a += 4 {
		w, _ := d.im.word(a)
		if rt, bit, ok := tbBit(w); ok && rt == 1 && bit == 0 {
			valid = true
		}
		if w&0xffe0ffe0 == 0xaa0003e0 { // mov xD, xM (orr xD, xzr, xM)
			keep0 = keep0 || w>>16&31 == 0
			keep1 = keep1 || w>>16&31 == 1
		}
		if w&0xffe0ffe0 == 0x2a0003e0 && w>>16&31 == 2 { // mov wD, w2 (orr wD, wzr, w2)
			nrReg = w & 31
		}
		if w&0xfffffc1f == 0x7100041f && w>>5&31 == nrReg { // cmp wN, #1
			nr = true
		}
	}
	if !valid || !keep0 || !keep1 {
		return "arguments not (ptep x0, pte x1)"
	}
	if !nr {
		*args = strings.Replace(*args, " nr=%x2:u32", "", 1)
		d.res.Skipped[KindSet+": "+fn.Name+" has nr folded to 1: its call sites record no nr= (kept, not skipped)"]++
	}
	return ""
}

// checkXchgZero wants an exclusive load from [x0] whose store writes a
// register set to zero (mov xN, #0), or an LSE swp of xzr.
func checkXchgZero(d *arm64Disc, fn Symbol, _ *string) string {
	zero := map[uint32]bool{31: true}
	for a := fn.Addr; a < fn.Addr+min(fn.Size, 64); a += 4 {
		w, _ := d.im.word(a)
		if w&0xffffffe0 == 0xd2800000 { // movz xN, #0
			zero[w&31] = true
		}
		if w&0xffe07c00 == 0xc8007c00 && w>>5&31 == 0 && zero[w&31] { // st(l)xr wS, xT, [x0]
			return ""
		}
	}
	return "not an exchange of 0 with [x0]"
}

// checkCasX0 wants a compare-and-swap (cas, casa, casl, casal) or an
// exclusive store (stxr, stlxr) of 64 bits on [x0]. arm64asm has no LSE
// opcodes, so the encodings are matched directly.
func checkCasX0(d *arm64Disc, fn Symbol, _ *string) string {
	for a := fn.Addr; a < fn.Addr+min(fn.Size, 4*40); a += 4 {
		w, _ := d.im.word(a)
		if w>>5&31 != 0 {
			continue
		}
		if w&0xffa07c00 == 0xc8a07c00 || w&0xffe07c00 == 0xc8007c00 {
			return ""
		}
	}
	return "no cas or exclusive store on [x0]"
}

// findCalls probes every bl to an out-of-line copy in arm64Calls.
func (d *arm64Disc) findCalls() {
	targets := map[uint64]callKind{}
	for _, fn := range d.im.functions("lazy_mmu_mode_disable") {
		if d.checkDisableReturnsFlags(fn) {
			d.retFlags[fn.Addr] = true
		} else {
			d.res.Skipped[KindBarrierRet+": "+fn.Name+" does not return the cleared flags in x0"]++
		}
	}
	for _, c := range arm64Calls {
		for _, fn := range d.im.functions(c.name) {
			cc := c
			if c.check != nil {
				if why := c.check(d, fn, &cc.args); why != "" {
					d.res.Skipped[c.kind+": "+fn.Name+": "+why]++
					continue
				}
			}
			targets[fn.Addr] = cc
		}
	}
	for a := d.im.textStart; a < d.im.textEnd; a += 4 {
		w, _ := d.im.word(a)
		t, ok := blTarget(a, w)
		if !ok {
			continue
		}
		c, ok := targets[t]
		if !ok {
			continue
		}
		if c.kind == KindGetClear {
			// xchg(ptr, 0) is not only a PTE clear: keep the ones in
			// functions with a lazy section (the page-table walkers).
			fn, _ := d.im.syms.Func(a)
			if !d.lazyFns[fn.Addr] {
				d.res.Skipped[c.kind+": call outside a function with a lazy section"]++
				continue
			}
		}
		if d.add(c.kind, a, c.args, "call of "+c.name) && d.retFlags[t] {
			d.addAfterCall(a)
		}
	}
}

// addAfterCall probes the return address of a call of a flag-returning
// lazy_mmu_mode_disable copy (barrier_ret, flags=%x0), unless another
// branch of the function also lands there (the probe would fire for it).
func (d *arm64Disc) addAfterCall(a uint64) {
	fn, _ := d.im.syms.Func(a)
	for b := fn.Addr; b < fn.Addr+fn.Size; b += 4 {
		if b == a {
			continue
		}
		if in, ok := d.im.decode(b); ok {
			for _, arg := range in.Args {
				if rel, ok := arg.(arm64asm.PCRel); ok && b+uint64(int64(rel)) == a+4 {
					d.res.Skipped[KindBarrierRet+": return address is also a branch target"]++
					return
				}
			}
		}
	}
	d.add(KindBarrierRet, a+4, "flags=%x0:x64", "return from an out-of-line lazy_mmu_mode_disable (x0 = the thread flags its flush cleared)")
}

// checkDisableReturnsFlags reports whether a lazy_mmu_mode_disable copy
// returns the flags its flush cleared: its only barrier pair is
// "mov x0, xOld; tbz w0, #PENDING, ret; dsb ishst; isb; ret", so at the
// return x0 holds the old thread flags on the path that flushed. (The early
// returns, in interrupt context or while paused, leave another value in x0;
// no lazy section is left from those.)
func (d *arm64Disc) checkDisableReturnsFlags(fn Symbol) bool {
	pairs, good := 0, 0
	for a := fn.Addr; a+12 <= fn.Addr+fn.Size; a += 4 {
		w, _ := d.im.word(a)
		if w != a64DSBST {
			continue
		}
		pairs++
		tb, _ := d.im.word(a - 4)
		mov, _ := d.im.word(a - 8)
		isb, _ := d.im.word(a + 4)
		ret, _ := d.im.word(a + 8)
		rt, bit, ok := tbBit(tb)
		if ok && rt == 0 && bit == d.pendingBit && mov&0xffe0ffff == 0xaa0003e0 && isb == a64ISB && ret == 0xd65f03c0 {
			// tbz's target must be the ret after the pair.
			if in, ok := d.im.decode(a - 4); ok {
				if rel, ok := in.Args[2].(arm64asm.PCRel); ok && a-4+uint64(int64(rel)) == a+8 {
					good++
				}
			}
		}
	}
	return pairs == 1 && good == 1
}

// findEntryProbes probes traceable arch functions at their entry:
// modify_prot_start_ptes(vma, addr, ptep, nr) and
// modify_prot_commit_ptes(vma, addr, ptep, old_pte, pte, nr)
// (arch/arm64/mm/mmu.c, 7.x).
func (d *arm64Disc) findEntryProbes() {
	for _, e := range []struct{ name, kind, args string }{
		{"modify_prot_start_ptes", KindStart, "ptep=%x2 addr=%x1 nr=%x3:u32"},
		{"modify_prot_commit_ptes", KindCommit, "ptep=%x2 addr=%x1 old=%x3 val=%x4 nr=%x5:u32"},
	} {
		a, ok := d.im.syms.Addr(e.name)
		if !ok {
			d.note("no %s symbol", e.name)
			continue
		}
		d.add(e.kind, a, e.args, "entry of "+e.name)
	}
}

// findXchgLoops finds inline get-and-clear loops in the functions with a
// lazy section: ldxr xOld, [xP]; stxr wS, xZero, [xP]; cbnz wS, back, where
// xZero was set to 0. kprobes cannot be put inside an exclusive pair (it
// would clear the monitor), so the probe sits on the first instruction
// after the loop, where xOld and xP still hold the old entry and ptep (with
// LSE the boot-time alternative replaces the loop by a swp with the same
// registers).
func (d *arm64Disc) findXchgLoops() {
	for fa := range d.lazyFns {
		fn, _ := d.im.syms.Func(fa)
		zero := map[uint32]bool{31: true}
		for a := fn.Addr; a+12 <= fn.Addr+fn.Size; a += 4 {
			w, _ := d.im.word(a)
			if w&0xffffffe0 == 0xd2800000 {
				zero[w&31] = true
			}
			if w&0xfffffc00 != 0xc85f7c00 { // ldxr xT, [xN]
				continue
			}
			old, p := w&31, w>>5&31
			st, _ := d.im.word(a + 4)
			br, _ := d.im.word(a + 8)
			if st&0xffe0fc00 != 0xc8007c00 || st>>5&31 != p || !zero[st&31] { // stxr wS, xZ, [xP]
				continue
			}
			if br&0xff000000 != 0x35000000 || br&31 != st>>16&31 { // cbnz wS, ...
				continue
			}
			if d.add(KindGetClear, a+12, fmt.Sprintf("ptep=%%x%d old=%%x%d", p, old), "after an ldxr/stxr get-and-clear loop (the loop itself cannot be probed)") {
				d.res.AfterLoop++
			}
		}
	}
}

// PTE bits ptep_set_wrprotect changes (arch/arm64/include/asm/pgtable.h,
// pte_wrprotect: set PTE_RDONLY, clear PTE_WRITE; pgtable-hwdef.h,
// pgtable-prot.h, 7.3).
const (
	pteRdonly = 1 << 7
	pteWrite  = 1 << 51
)

// findCasWrprotect finds the inline write-protects in the functions with a
// lazy section: ptep_set_wrprotect's try_cmpxchg loop is, with LSE, a
// "cas xOld, xNew, [xP]" whose new value was made by "orr xNew, ..., #PTE_RDONLY"
// after an "and ..., #~PTE_WRITE" within the eight instructions before. The
// probe sits on the cas (ptep=%xP old=%xOld); it fires once per attempt, so
// a retried cmpxchg (a concurrent access-flag update) counts twice. The
// ll/sc fallback (CPUs without LSE) is not probed.
func (d *arm64Disc) findCasWrprotect() {
	for fa := range d.lazyFns {
		fn, _ := d.im.syms.Func(fa)
		for a := fn.Addr; a < fn.Addr+fn.Size; a += 4 {
			w, _ := d.im.word(a)
			if w&0xffa07c00 != 0xc8a07c00 { // cas{,a,l,al} xS, xT, [xN]
				continue
			}
			rs, rn, rt := w>>16&31, w>>5&31, w&31
			if d.makesWrprotect(a, rt) {
				d.add(KindWrprotect, a, fmt.Sprintf("ptep=%%x%d old=%%x%d", rn, rs), "inline cas of ptep_set_wrprotect")
			}
		}
	}
}

// makesWrprotect reports whether register rt was made, in the eight
// instructions before a, by setting PTE_RDONLY after clearing PTE_WRITE.
func (d *arm64Disc) makesWrprotect(a uint64, rt uint32) bool {
	reg := fmt.Sprintf("X%d", rt)
	rdonly, write := false, false
	for k := uint64(1); k <= 8; k++ {
		in, ok := d.im.decode(a - 4*k)
		if !ok || in.Args[0] == nil || in.Args[0].String() != reg {
			continue
		}
		imm, ok := in.Args[2].(arm64asm.Imm64)
		switch {
		case ok && in.Op == arm64asm.ORR && imm.Imm == pteRdonly:
			rdonly = true
		case ok && in.Op == arm64asm.AND && imm.Imm == ^uint64(pteWrite) && rdonly:
			write = true
		}
	}
	return rdonly && write
}

// validNotUserMask is PTE_VALID | PTE_USER | PTE_UXN, the mask of
// pte_valid_not_user() (arch/arm64/include/asm/pgtable.h, 7.3), which
// __set_pte_complete() tests right after __set_pte()'s store.
const validNotUserMask = 1<<0 | 1<<6 | 1<<54

var _ = [1]struct{}{}[validNotUserMask-(0x41|0x40<<48)] // the constant matched below

// findInlineSets finds __set_pte() inlined into the functions with a lazy
// section: a 64-bit "str xV, [xP]" within four instructions of the
// building of pte_valid_not_user's mask (mov xM, #0x41; movk xM, #0x40,
// lsl #48), the test __set_pte_complete() makes of the value just stored.
// The probe sits on the str: pte_set ptep=%xP val=%xV old=+0(%xP):x64. A
// mask with no single such store next to it is left out and counted.
func (d *arm64Disc) findInlineSets() {
	for fa := range d.lazyFns {
		fn, _ := d.im.syms.Func(fa)
		for a := fn.Addr; a+4 < fn.Addr+fn.Size; a += 4 {
			w, _ := d.im.word(a)
			if w&0xffffffe0 != 0xd2800820 { // mov xM, #0x41
				continue
			}
			m := w & 31
			if !d.buildsMask(a, m) {
				continue
			}
			var stores []uint64
			for b := a - 16; b <= a+32; b += 4 {
				if sw, ok := d.im.word(b); ok && sw&0xfffffc00 == 0xf9000000 && b >= fn.Addr && b < fn.Addr+fn.Size { // str xV, [xP]
					stores = append(stores, b)
				}
			}
			if len(stores) != 1 {
				d.res.Skipped[fmt.Sprintf("%s: pte_valid_not_user test with %d plain stores next to it", KindSet, len(stores))]++
				continue
			}
			sw, _ := d.im.word(stores[0])
			d.add(KindSet, stores[0], fmt.Sprintf("ptep=%%x%d val=%%x%d old=+0(%%x%d):x64", sw>>5&31, sw&31, sw>>5&31), "inline __set_pte (str before pte_valid_not_user's test)")
		}
	}
}

// buildsMask reports whether a movk xM, #0x40, lsl #48 follows the mov at a
// within four instructions, making validNotUserMask in xM.
func (d *arm64Disc) buildsMask(a uint64, m uint32) bool {
	for k := uint64(1); k <= 4; k++ {
		if w, ok := d.im.word(a + 4*k); ok && w == 0xf2e00800|m {
			return true
		}
	}
	return false
}

// findBarriers probes every dsb ishst; isb pair in traceable text. A pair
// reached from a tbz/tbnz of TIF_LAZY_MMU_PENDING just before it is the
// flush/leave pair of arch_flush/leave_lazy_mmu_mode; every other pair is
// barrier_now (emit_pte_barriers outside lazy mode: a kernel PTE, PMD or PUD
// write).
func (d *arm64Disc) findBarriers() {
	for a := d.im.textStart; a+4 < d.im.textEnd; a += 4 {
		w, _ := d.im.word(a)
		n, _ := d.im.word(a + 4)
		if w != a64DSBST || n != a64ISB {
			continue
		}
		kind := KindBarrierNow
		if p, ok := d.im.word(a - 4); ok {
			if _, bit, ok := tbBit(p); ok && bit == d.pendingBit {
				kind = KindBarrierFlush
			}
		}
		d.add(kind, a, "", "dsb ishst; isb")
	}
}
