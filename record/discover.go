package record

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"golang.org/x/arch/x86/x86asm"
)

// Probe kinds, named by lazybench's import contract (docs/contracts.md):
// the importer strips trailing digits and underscores from the event name.
const (
	KindEnter        = "lazy_enter"
	KindLeave        = "lazy_leave"
	KindFlush        = "lazy_flush"
	KindPause        = "lazy_pause"
	KindResume       = "lazy_resume"
	KindSet          = "pte_set"
	KindClear        = "pte_clear"
	KindGetClear     = "pte_getclear"
	KindGetClearFull = "pte_getclear_full"
	KindCommit       = "pte_commit"
	KindWrprotect    = "pte_wrprotect"
	KindStart        = "pte_start"
	probeGroup       = "lazy"
)

// Kinds lists every probe kind in output order.
var Kinds = []string{KindEnter, KindLeave, KindFlush, KindPause, KindResume, KindSet, KindClear, KindGetClear,
	KindGetClearFull, KindCommit, KindWrprotect, KindStart}

// Tracepoints are the static events enabled next to the probes (GROUP/EVENT).
var Tracepoints = []string{"sched/sched_switch", "irq/irq_handler_entry", "irq/irq_handler_exit",
	"irq/softirq_entry", "irq/softirq_exit"}

// Probe is one kprobe to define.
type Probe struct {
	Kind string
	Addr uint64
	Func string // containing function
	Off  uint64 // offset in Func
	Args string // kprobe fetch arguments, "" if none
	How  string // how it was found (for the summary)
}

// Result is what Discover found.
type Result struct {
	Probes []Probe
	// Slots are the pv_ops indexes found for the hooks (type of a
	// .parainstructions entry, or the slot an alternative's call goes
	// through), by hook name.
	Slots map[string]int
	// Notes are findings and gaps, one sentence each, for the summary.
	Notes []string
	// Unpaired lists functions with an enter site that reaches no leave site.
	Unpaired []string
	// Skipped counts candidate sites left out, by reason.
	Skipped map[string]int
	// KindList is the kinds in output order (nil: Kinds, x86-64's).
	KindList []string
	// AfterLoop counts probes placed on the first instruction after an
	// ldxr/stxr loop instead of on the update itself (arm64).
	AfterLoop int
}

func (r *Result) kinds() []string {
	if r.KindList != nil {
		return r.KindList
	}
	return Kinds
}

// Count returns the number of probes of a kind.
func (r *Result) Count(kind string) int {
	n := 0
	for i := range r.Probes {
		if r.Probes[i].Kind == kind {
			n++
		}
	}
	return n
}

// Image is a vmlinux ELF file with its symbol table from kallsyms.
type Image struct {
	elf  *elf.File
	syms *Symbols
	// loaded section contents by index
	data map[int][]byte
	// traceable holds the ftrace call sites (__mcount_loc), nil if unknown.
	traceable map[uint64]bool
	// blacklist holds function addresses in the kprobe blacklist.
	blacklist map[uint64]bool
	// Slide is how far the symbol table's addresses were above the image's
	// (KASLR); NewImage has already subtracted it from syms.
	Slide uint64
}

// NewImage wraps an ELF vmlinux and its symbols.
func NewImage(f *elf.File, syms *Symbols) (*Image, error) {
	if f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		return nil, fmt.Errorf("vmlinux is %v %v; probe discovery supports x86-64 only (see docs/recording.md for other arches)", f.Class, f.Machine)
	}
	im := &Image{elf: f, syms: syms, data: map[int][]byte{}}
	// KASLR: kallsyms of a randomised boot is shifted from the link
	// addresses by the same amount everywhere; _text marks the start of .text.
	if text := f.Section(".text"); text != nil {
		if a, ok := syms.Addr("_text"); ok && a != text.Addr {
			im.Slide = a - text.Addr
			syms.Rebase(im.Slide)
		}
	}
	if locs, err := im.addrArray("__start_mcount_loc", "__stop_mcount_loc"); err == nil {
		im.traceable = map[uint64]bool{}
		for _, a := range locs {
			im.traceable[a] = true
		}
	}
	if bl, err := im.addrArray("__start_kprobe_blacklist", "__stop_kprobe_blacklist"); err == nil {
		im.blacklist = map[uint64]bool{}
		for _, a := range bl {
			im.blacklist[a] = true
		}
	}
	return im, nil
}

// section returns the contents and address of the allocated section that
// holds addr.
func (im *Image) section(addr uint64) ([]byte, uint64, error) {
	for i, s := range im.elf.Sections {
		if s.Type != elf.SHT_PROGBITS || s.Flags&elf.SHF_ALLOC == 0 || addr < s.Addr || addr >= s.Addr+s.Size {
			continue
		}
		d, ok := im.data[i]
		if !ok {
			var err error
			d, err = s.Data()
			if err != nil {
				return nil, 0, fmt.Errorf("reading section %s: %v", s.Name, err)
			}
			im.data[i] = d
		}
		return d, s.Addr, nil
	}
	return nil, 0, fmt.Errorf("address %#x is in no section of the image", addr)
}

// read returns n bytes at addr.
func (im *Image) read(addr uint64, n int) ([]byte, error) {
	d, base, err := im.section(addr)
	if err != nil {
		return nil, err
	}
	off := addr - base
	if off+uint64(n) > uint64(len(d)) {
		return nil, fmt.Errorf("%d bytes at %#x run past the end of their section", n, addr)
	}
	return d[off : off+uint64(n)], nil
}

func (im *Image) u64(addr uint64) (uint64, error) {
	b, err := im.read(addr, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (im *Image) addrArray(start, stop string) ([]uint64, error) {
	a, ok1 := im.syms.Addr(start)
	b, ok2 := im.syms.Addr(stop)
	if !ok1 || !ok2 || b < a || (b-a)%8 != 0 {
		return nil, fmt.Errorf("no %s/%s", start, stop)
	}
	if b == a {
		return nil, nil
	}
	raw, err := im.read(a, int(b-a))
	if err != nil {
		return nil, err
	}
	out := make([]uint64, len(raw)/8)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(raw[8*i:])
	}
	return out, nil
}

// isText reports whether addr is in the section called .text (the
// runtime kernel text; .init.text is gone after boot).
func (im *Image) isText(addr uint64) bool {
	s := im.elf.Section(".text")
	return s != nil && addr >= s.Addr && addr < s.Addr+s.Size
}

// probeable reports whether a kprobe in fn can be defined: the kernel refuses
// functions without an ftrace entry (notrace, noinstr) unless
// KPROBE_EVENTS_ON_NOTRACE, and blacklisted ones.
func (im *Image) probeable(fn Symbol) (bool, string) {
	if !im.isText(fn.Addr) {
		return false, "not in .text"
	}
	if im.blacklist[fn.Addr] {
		return false, "kprobe blacklist"
	}
	if im.traceable != nil {
		for a := fn.Addr; a < fn.Addr+16 && a < fn.Addr+fn.Size; a++ {
			if im.traceable[a] {
				return true, ""
			}
		}
		return false, "notrace (no __mcount_loc entry)"
	}
	// No __mcount_loc: a traceable function starts (after an optional
	// endbr64) with the 5-byte NOP objtool leaves in place of call __fentry__.
	b, err := im.read(fn.Addr, 9)
	if err != nil {
		return false, "unreadable"
	}
	nop5 := []byte{0x0f, 0x1f, 0x44, 0x00, 0x00}
	if string(b[:5]) == string(nop5) || string(b[:4]) == "\xf3\x0f\x1e\xfa" && string(b[4:9]) == string(nop5) {
		return true, ""
	}
	return false, "notrace (no ftrace NOP at entry)"
}

// paraSite is one .parainstructions entry.
type paraSite struct {
	addr uint64
	typ  int
	len  int
}

// paraSites reads .parainstructions: struct paravirt_patch_site { u8 *instr;
// u8 type; u8 len; } aligned to 8 (16 bytes per entry, kernels up to 6.7).
func (im *Image) paraSites() ([]paraSite, error) {
	s := im.elf.Section(".parainstructions")
	if s == nil {
		return nil, errors.New("no .parainstructions section and no .altinstructions section: not an x86-64 kernel image with paravirt ops")
	}
	d, err := s.Data()
	if err != nil {
		return nil, err
	}
	if len(d)%16 != 0 {
		return nil, fmt.Errorf(".parainstructions is %d bytes, not a multiple of 16: unknown layout", len(d))
	}
	var out []paraSite
	bad := 0
	for i := 0; i+16 <= len(d); i += 16 {
		p := paraSite{addr: binary.LittleEndian.Uint64(d[i:]), typ: int(d[i+8]), len: int(d[i+9])}
		if p.len == 0 || p.len > 16 {
			bad++
			continue
		}
		out = append(out, p)
	}
	if bad*10 > len(d)/16 {
		return nil, fmt.Errorf(".parainstructions: %d of %d entries do not look like {instr, type, len}: unknown layout", bad, len(d)/16)
	}
	return out, nil
}

// decodeAt decodes one instruction at addr.
func (im *Image) decodeAt(addr uint64) (x86asm.Inst, error) {
	d, base, err := im.section(addr)
	if err != nil {
		return x86asm.Inst{}, err
	}
	off := addr - base
	end := min(off+16, uint64(len(d)))
	return x86asm.Decode(d[off:end], 64)
}

// pvSlot returns the pv_ops slot an indirect "call *pv_ops+off(%rip)" at
// addr goes through, or -1.
func (im *Image) pvSlot(addr, pvOps uint64) int {
	in, err := im.decodeAt(addr)
	if err != nil || in.Op != x86asm.CALL {
		return -1
	}
	m, ok := in.Args[0].(x86asm.Mem)
	if !ok || m.Base != x86asm.RIP || m.Index != 0 {
		return -1
	}
	target := ripTarget(addr, in, m)
	if target < pvOps || (target-pvOps)%8 != 0 {
		return -1
	}
	return int((target - pvOps) / 8)
}

// inst is one decoded instruction of a function.
type inst struct {
	addr uint64
	in   x86asm.Inst
}

// disasm decodes fn linearly; undecodable bytes are skipped one at a time.
func (im *Image) disasm(fn Symbol) ([]inst, error) {
	d, base, err := im.section(fn.Addr)
	if err != nil {
		return nil, err
	}
	start := fn.Addr - base
	end := min(start+fn.Size, uint64(len(d)))
	var out []inst
	for off := start; off < end; {
		in, err := x86asm.Decode(d[off:end], 64)
		if err != nil || in.Len == 0 {
			off++
			continue
		}
		out = append(out, inst{addr: base + off, in: in})
		off += uint64(in.Len)
	}
	return out, nil
}

// Discover finds the probe points in a vmlinux image. Kernels up to 6.7 list
// their paravirt call sites in .parainstructions; from 6.8 they are
// alternatives (.altinstructions) and the lazy MMU mode is the generic layer
// of include/linux/pgtable.h, whose counts are updated inline
// (discover_x86_7x.go). It fails when the image's tables cannot be understood
// (a call site's pv_ops slot differs from its entry's type); a kind of probe
// it cannot find, or a kernel without paravirt ops, is reported in
// Result.Notes instead.
func Discover(im *Image) (*Result, error) {
	res := &Result{Slots: map[string]int{}, Skipped: map[string]int{}}
	if im.traceable == nil {
		res.note("no __mcount_loc symbols: traceable functions recognised by their ftrace NOP instead")
	}
	pvOps, ok := im.syms.Addr("pv_ops")
	if !ok {
		res.note("no pv_ops symbol: the kernel has no PARAVIRT ops; lazy MMU hooks and pv PTE writes cannot be found this way")
		return res, nil
	}
	legacy := im.elf.Section(".parainstructions") != nil || im.elf.Section(".altinstructions") == nil
	var sites []paraSite
	var err error
	if legacy {
		sites, err = im.legacySites(res, pvOps)
	} else {
		sites, err = im.pvAltSites(res, pvOps)
	}
	if err != nil {
		return nil, err
	}
	if sites == nil { // why is in res.Notes
		return res, nil
	}
	im.findPTESlots(res, pvOps)
	byType := map[int][]paraSite{}
	for _, s := range sites {
		byType[s.typ] = append(byType[s.typ], s)
	}
	add := im.adder(res)
	pvKinds := []struct{ hook, kind, args string }{
		// set_pte(pte_t *ptep, pte_t pte)
		{"set_pte", KindSet, "ptep=%di val=%si old=+0(%di):x64"},
		// ptep_modify_prot_start(vma, addr, ptep)
		{"ptep_modify_prot_start", KindStart, "ptep=%dx addr=%si old=+0(%dx):x64"},
		// ptep_modify_prot_commit(vma, addr, ptep, pte)
		{"ptep_modify_prot_commit", KindCommit, "ptep=%dx addr=%si val=%cx"},
	}
	if legacy {
		pvKinds = append([]struct{ hook, kind, args string }{
			{"lazy_mode.enter", KindEnter, ""},
			{"lazy_mode.leave", KindLeave, ""},
			{"lazy_mode.flush", KindFlush, ""},
		}, pvKinds...)
	} else {
		im.findCountSites(res, byType, add)
	}
	for _, k := range pvKinds {
		slot, ok := res.Slots[k.hook]
		if !ok {
			continue
		}
		for _, s := range byType[slot] {
			add(k.kind, s.addr, k.args, "paravirt site of "+k.hook)
		}
	}

	// Direct calls to out-of-line copies of set_pte and other inline
	// helpers (notrace, so their own code cannot be probed).
	im.findDirectSetPTE(res, add)
	im.findInlineCopyCalls(res, add)

	// Lazy sections: pair enter and leave sites by control flow, and find the
	// inline atomic PTE updates inside them.
	im.findSections(res, add)

	for _, k := range Kinds {
		if res.Count(k) == 0 {
			res.note("no %s probe found", k)
		}
	}
	res.sortProbes()
	return res, nil
}

// note appends a finding to the summary.
func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// legacySites reads and checks .parainstructions (kernels up to 6.7) and
// finds the lazy_mode slots; nil sites (with a note) when there is none.
func (im *Image) legacySites(res *Result, pvOps uint64) ([]paraSite, error) {
	sites, err := im.paraSites()
	if err != nil {
		res.note("%v", err)
		return nil, nil
	}
	// Check that the entries' types are pv_ops indexes: a call site's
	// *pv_ops+off(%rip) must go through slot == type.
	calls, agree := 0, 0
	for _, s := range sites {
		if slot := im.pvSlot(s.addr, pvOps); slot >= 0 {
			calls++
			if slot == s.typ {
				agree++
			}
		}
	}
	if calls == 0 || agree*100 < calls*99 {
		return nil, fmt.Errorf(".parainstructions: %d of %d call sites go through pv_ops slot == type: layout not understood", agree, calls)
	}
	res.note("%d paravirt patch sites, %d of them calls through pv_ops; every call's slot equals its type", len(sites), calls)
	im.findLazySlots(res, sites, pvOps)
	return sites, nil
}

// adder returns the function that records a probe at addr if its function
// can be probed, counting the reason in res.Skipped otherwise.
func (im *Image) adder(res *Result) func(kind string, addr uint64, args, how string) bool {
	return func(kind string, addr uint64, args, how string) bool {
		fn, ok := im.syms.Func(addr)
		if !ok {
			res.Skipped["no containing function"]++
			return false
		}
		if ok, why := im.probeable(fn); !ok {
			res.Skipped[kind+": "+why]++
			return false
		}
		if !isSymbol(fn.Name) { // e.g. a name starting with a digit would be read as an address
			res.Skipped[kind+": function name not usable in kprobe_events"]++
			return false
		}
		res.Probes = append(res.Probes, Probe{Kind: kind, Addr: addr, Func: fn.Name, Off: addr - fn.Addr, Args: args, How: how})
		return true
	}
}

// sortProbes orders the probes by kind, then address, keeping one probe per
// address and kind.
func (r *Result) sortProbes() {
	sort.SliceStable(r.Probes, func(i, j int) bool {
		ki, kj := kindIndex(r.Probes[i].Kind), kindIndex(r.Probes[j].Kind)
		if ki != kj {
			return ki < kj
		}
		return r.Probes[i].Addr < r.Probes[j].Addr
	})
	out := r.Probes[:0]
	for i, p := range r.Probes {
		if i > 0 && p.Addr == r.Probes[i-1].Addr && p.Kind == r.Probes[i-1].Kind {
			continue
		}
		out = append(out, p)
	}
	r.Probes = out
}

func kindIndex(k string) int {
	for i, x := range Kinds {
		if x == k {
			return i
		}
	}
	return len(Kinds)
}

// findLazySlots finds the pv_ops indexes of mmu.lazy_mode.{enter,leave,flush}.
//
// Method 1: paravirt_flush_lazy_mmu (arch/x86/kernel/paravirt.c) calls
// arch_leave_lazy_mmu_mode() then arch_enter_lazy_mmu_mode(): its two patch
// sites are leave then enter. struct pv_lazy_ops is {enter, leave, flush}, so
// flush is the slot after leave.
// Method 2: Xen's initialiser xen_mmu_ops (a whole pv_ops, in .init.data)
// holds paravirt_enter_lazy_mmu, xen_leave_lazy_mmu and
// paravirt_flush_lazy_mmu in those three slots.
// Both are used when both are available, and must agree.
func (im *Image) findLazySlots(res *Result, sites []paraSite, pvOps uint64) {
	note := func(format string, args ...any) { res.Notes = append(res.Notes, fmt.Sprintf(format, args...)) }
	m1 := map[string]int{}
	if fl, ok := im.syms.Addr("paravirt_flush_lazy_mmu"); ok {
		if fn, ok := im.syms.Func(fl); ok {
			var in []paraSite
			for _, s := range sites {
				if s.addr >= fn.Addr && s.addr < fn.Addr+fn.Size && im.pvSlot(s.addr, pvOps) >= 0 {
					in = append(in, s)
				}
			}
			sort.Slice(in, func(i, j int) bool { return in[i].addr < in[j].addr })
			if len(in) == 2 && in[0].typ == in[1].typ+1 {
				m1["lazy_mode.leave"] = in[0].typ
				m1["lazy_mode.enter"] = in[1].typ
				m1["lazy_mode.flush"] = in[0].typ + 1
			} else {
				note("paravirt_flush_lazy_mmu has %d pv call sites, not the expected leave+enter pair", len(in))
			}
		}
	}
	m2 := map[string]int{}
	if base, ok := im.syms.Addr("xen_mmu_ops"); ok {
		for hook, target := range map[string]string{
			"lazy_mode.enter": "paravirt_enter_lazy_mmu",
			"lazy_mode.leave": "xen_leave_lazy_mmu",
			"lazy_mode.flush": "paravirt_flush_lazy_mmu",
		} {
			ta, ok := im.syms.Addr(target)
			if !ok {
				continue
			}
			if slot := im.findSlot(base, ta, 512); slot >= 0 {
				m2[hook] = slot
			}
		}
	}
	switch {
	case len(m1) == 3 && len(m2) == 3:
		for k := range m1 {
			if m1[k] != m2[k] {
				note("lazy slots disagree: paravirt_flush_lazy_mmu gives %v, xen_mmu_ops gives %v; using neither", m1, m2)
				return
			}
		}
		note("lazy_mode slots enter=%d leave=%d flush=%d (from paravirt_flush_lazy_mmu's call sites, confirmed by xen_mmu_ops)",
			m1["lazy_mode.enter"], m1["lazy_mode.leave"], m1["lazy_mode.flush"])
	case len(m1) == 3:
		note("lazy_mode slots enter=%d leave=%d flush=%d (from paravirt_flush_lazy_mmu's call sites)",
			m1["lazy_mode.enter"], m1["lazy_mode.leave"], m1["lazy_mode.flush"])
	case len(m2) > 0:
		m1 = m2
		note("lazy_mode slots %v (from xen_mmu_ops)", m2)
	default:
		note("cannot find the pv_ops slots of lazy_mode.enter/leave/flush")
		return
	}
	for k, v := range m1 {
		res.Slots[k] = v
	}
}

// findSlot returns the index of the 8-byte word equal to value in the n words
// at base, or -1 (also when it appears more than once).
func (im *Image) findSlot(base, value uint64, n int) int {
	found := -1
	for i := 0; i < n; i++ {
		v, err := im.u64(base + uint64(8*i))
		if err != nil {
			break
		}
		if v == value {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

// findPTESlots finds the pv_ops slots of set_pte and ptep_modify_prot_*
// from pv_ops's initialiser in the image: the slot holding the native
// implementation's address.
func (im *Image) findPTESlots(res *Result, pvOps uint64) {
	for _, hn := range [][2]string{
		{"set_pte", "native_set_pte"},
		{"ptep_modify_prot_start", "__ptep_modify_prot_start"},
		{"ptep_modify_prot_commit", "__ptep_modify_prot_commit"},
	} {
		hook, native := hn[0], hn[1]
		a, ok := im.syms.Addr(native)
		if !ok {
			res.Notes = append(res.Notes, fmt.Sprintf("no symbol %s: cannot find the pv_ops slot of %s", native, hook))
			continue
		}
		slot := im.findSlot(pvOps, a, 512)
		if slot < 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("pv_ops holds %s in no single slot: %s sites not probed", native, hook))
			continue
		}
		res.Slots[hook] = slot
		res.Notes = append(res.Notes, fmt.Sprintf("pv_ops slot %d is %s (initialised to %s)", slot, hook, native))
	}
}

// setPTECopy reports whether name is an out-of-line copy of set_pte whose
// arguments are still (ptep, pte) in %rdi, %rsi: GCC's .isra/.constprop
// clones may drop or reorder arguments, so they are left out.
func setPTECopy(name string) bool {
	return name == "set_pte" || name == "native_set_pte" || name == "set_pte.part.0"
}

// findDirectSetPTE finds "call set_pte" and "jmp set_pte" (tail call)
// instructions in traceable functions.
func (im *Image) findDirectSetPTE(res *Result, add func(kind string, addr uint64, args, how string) bool) {
	targets := map[uint64]string{}
	for _, s := range im.syms.TextSymbols(setPTECopy) {
		targets[s.Addr] = s.Name
	}
	for _, s := range im.syms.TextSymbols(func(n string) bool {
		return strings.HasPrefix(n, "set_pte.") || strings.HasPrefix(n, "native_set_pte.")
	}) {
		if !setPTECopy(s.Name) {
			res.Skipped["set_pte clone with changed arguments: "+s.Name]++
		}
	}
	if len(targets) == 0 {
		res.Notes = append(res.Notes, "no out-of-line set_pte copy in the symbol table")
		return
	}
	im.directCalls(targets, func(site uint64, target string) {
		add(KindSet, site, "ptep=%di val=%si old=+0(%di):x64", "direct call of "+target)
	})
}

// directCalls calls found for every "call" or "jmp" rel32 in .text whose
// target is one of targets (address -> name), outside the targets
// themselves: the bytes are scanned for E8/E9, and each hit is confirmed on
// an instruction boundary by disassembling its function.
func (im *Image) directCalls(targets map[uint64]string, found func(site uint64, target string)) {
	text := im.elf.Section(".text")
	if text == nil {
		return
	}
	d, base, err := im.section(text.Addr)
	if err != nil {
		return
	}
	cand := map[uint64][]uint64{} // function addr -> candidate addrs
	for i := 0; i+5 <= len(d); i++ {
		if d[i] != 0xe8 && d[i] != 0xe9 {
			continue
		}
		rel := int32(binary.LittleEndian.Uint32(d[i+1:]))
		target := base + uint64(i) + 5 + uint64(int64(rel))
		if _, ok := targets[target]; !ok {
			continue
		}
		fn, ok := im.syms.Func(base + uint64(i))
		if !ok {
			continue
		}
		cand[fn.Addr] = append(cand[fn.Addr], base+uint64(i))
	}
	fns := make([]uint64, 0, len(cand))
	for a := range cand {
		fns = append(fns, a)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i] < fns[j] })
	for _, fa := range fns {
		fn, _ := im.syms.Func(fa)
		if _, self := targets[fn.Addr]; self {
			continue
		}
		insts, err := im.disasm(fn)
		if err != nil {
			continue
		}
		want := map[uint64]bool{}
		for _, a := range cand[fa] {
			want[a] = true
		}
		for _, x := range insts {
			if !want[x.addr] || (x.in.Op != x86asm.CALL && x.in.Op != x86asm.JMP) {
				continue
			}
			found(x.addr, targets[x.addr+uint64(x.in.Len)+uint64(int64(x.in.Args[0].(x86asm.Rel)))])
		}
	}
}

// findSections walks the control flow of every function with a lazy enter
// site from each enter site to the leave sites it reaches, and looks for
// inline atomic PTE updates on the way:
//
//	lock and $~_PAGE_RW,(%reg) / lock btr $1,(%reg)   ptep_set_wrprotect
//	xchg %reg,(%reg)                                  ptep_get_and_clear
//	movq $0,(%reg)                                    ptep_get_and_clear_full's pte_clear
func (im *Image) findSections(res *Result, add func(kind string, addr uint64, args, how string) bool) {
	enters := map[uint64][]uint64{} // function -> enter sites
	leaves := map[uint64]bool{}
	names := map[uint64]string{}
	for _, p := range res.Probes {
		fn, _ := im.syms.Func(p.Addr)
		switch p.Kind {
		case KindEnter:
			enters[fn.Addr] = append(enters[fn.Addr], p.Addr)
			names[fn.Addr] = fn.Name
		case KindLeave:
			leaves[p.Addr] = true
		}
	}
	fns := make([]uint64, 0, len(enters))
	for a := range enters {
		fns = append(fns, a)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i] < fns[j] })
	for _, fa := range fns {
		fn, _ := im.syms.Func(fa)
		insts, err := im.disasm(fn)
		if err != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("%s: %v", fn.Name, err))
			continue
		}
		idx := map[uint64]int{}
		for i, x := range insts {
			idx[x.addr] = i
		}
		inSection := map[int]bool{}
		for _, e := range enters[fa] {
			start, ok := idx[e]
			if !ok {
				res.Unpaired = append(res.Unpaired, fmt.Sprintf("%s+%#x (enter site not on an instruction boundary)", fn.Name, e-fa))
				continue
			}
			if walk(insts, idx, start, leaves, inSection) > 0 {
				continue
			}
			// No leave after this enter. Two shapes are legitimate: a leave
			// then an enter in one function (paravirt_flush_lazy_mmu), and
			// an enter that resumes a section left in another function
			// (paravirt_end_context_switch after paravirt_start_context_switch).
			var fnLeaves []int
			for i, x := range insts {
				if leaves[x.addr] {
					fnLeaves = append(fnLeaves, i)
				}
			}
			site := fmt.Sprintf("%s+%#x", fn.Name, e-fa)
			switch {
			case len(fnLeaves) == 0:
				res.Notes = append(res.Notes, "enter site "+site+" has no leave in its function: it resumes a section left elsewhere")
			case reachesFrom(insts, idx, fnLeaves, start):
				res.Notes = append(res.Notes, "enter site "+site+" follows a leave site: it re-enters (flush by leave+enter)")
			default:
				res.Unpaired = append(res.Unpaired, site)
			}
		}
		stepped := steppedBy8(insts, inSection)
		for i := range insts {
			if !inSection[i] {
				continue
			}
			x := insts[i]
			kind, reg := atomicPTEUpdate(x.in)
			if kind == "" {
				kind, reg = cmpxchgWrprotect(insts, i)
			}
			if kind == "" {
				continue
			}
			if !stepped[reg] {
				res.Skipped[kind+": "+x.in.Op.String()+" on a register the section never steps by one PTE (8 bytes)"]++
				continue
			}
			r := kprobeReg(reg)
			if r == "" {
				res.Skipped[kind+": register without a kprobe name"]++
				continue
			}
			add(kind, x.addr, fmt.Sprintf("ptep=%%%s old=+0(%%%s):x64", r, r), "inline "+x.in.Op.String()+" in a lazy section")
		}
	}
}

// steppedBy8 returns the registers the section's loop advances by one PTE:
// "add $8,%reg", "sub $-8,%reg" or "lea 8(%reg),%reg". A walker's pte
// pointer moves this way (pte++); other pointers (struct page at 64 bytes)
// do not, which tells "lock and $0xfd,(%reg)" on a PTE (ptep_set_wrprotect)
// from the same instruction on page->flags (ClearPageReferenced).
func steppedBy8(insts []inst, in map[int]bool) map[x86asm.Reg]bool {
	out := map[x86asm.Reg]bool{}
	for i := range in {
		x := insts[i].in
		r, ok := x.Args[0].(x86asm.Reg)
		if !ok || r < x86asm.RAX || r > x86asm.R15 {
			continue
		}
		switch x.Op {
		case x86asm.ADD:
			if imm, ok := x.Args[1].(x86asm.Imm); ok && imm == 8 {
				out[r] = true
			}
		case x86asm.SUB:
			if imm, ok := x.Args[1].(x86asm.Imm); ok && imm == -8 {
				out[r] = true
			}
		case x86asm.LEA:
			if m, ok := x.Args[1].(x86asm.Mem); ok && m.Base == r && m.Index == 0 && m.Disp == 8 {
				out[r] = true
			}
		}
	}
	return out
}

// walk marks the instructions reachable from start without passing a leave
// site, and returns how many leave sites it reached.
func walk(insts []inst, idx map[uint64]int, start int, leaves map[uint64]bool, mark map[int]bool) int {
	seen := map[int]bool{}
	stack := []int{start}
	reached := 0
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if i < 0 || i >= len(insts) || seen[i] {
			continue
		}
		seen[i] = true
		x := insts[i]
		if leaves[x.addr] {
			reached++
			continue
		}
		mark[i] = true
		next := x.addr + uint64(x.in.Len)
		switch x.in.Op {
		case x86asm.RET, x86asm.UD2, x86asm.INT, x86asm.LRET, x86asm.IRET, x86asm.IRETQ:
			continue
		case x86asm.JMP:
			if rel, ok := x.in.Args[0].(x86asm.Rel); ok {
				if j, ok := idx[next+uint64(int64(rel))]; ok {
					stack = append(stack, j)
				}
			}
			continue
		}
		if isCondJump(x.in.Op) {
			if rel, ok := x.in.Args[0].(x86asm.Rel); ok {
				if j, ok := idx[next+uint64(int64(rel))]; ok {
					stack = append(stack, j)
				}
			}
		}
		if j, ok := idx[next]; ok {
			stack = append(stack, j)
		}
	}
	return reached
}

// reachesFrom reports whether instruction target is reachable from any of
// the starts by the control flow walk (not stopping at leave sites).
func reachesFrom(insts []inst, idx map[uint64]int, starts []int, target int) bool {
	for _, st := range starts {
		mark := map[int]bool{}
		walk(insts, idx, st, nil, mark)
		if mark[target] {
			return true
		}
	}
	return false
}

func isCondJump(op x86asm.Op) bool {
	switch op {
	case x86asm.JA, x86asm.JAE, x86asm.JB, x86asm.JBE, x86asm.JE, x86asm.JG, x86asm.JGE,
		x86asm.JL, x86asm.JLE, x86asm.JNE, x86asm.JNO, x86asm.JNP, x86asm.JNS, x86asm.JO,
		x86asm.JP, x86asm.JS, x86asm.JRCXZ, x86asm.JECXZ, x86asm.JCXZ:
		return true
	}
	return false
}

// pteMem returns the base register of a memory operand (%reg) with no index,
// no displacement and no segment, the shape of a *ptep access.
func pteMem(a x86asm.Arg) (x86asm.Reg, bool) {
	m, ok := a.(x86asm.Mem)
	if !ok || m.Index != 0 || m.Disp != 0 || m.Segment != 0 || m.Base == 0 || m.Base == x86asm.RIP {
		return 0, false
	}
	return m.Base, true
}

func hasLock(in x86asm.Inst) bool {
	for _, p := range in.Prefix {
		if p == 0 {
			break
		}
		if p&0xff == x86asm.PrefixLOCK {
			return true
		}
	}
	return false
}

// atomicPTEUpdate classifies an instruction as an inline PTE update.
func atomicPTEUpdate(in x86asm.Inst) (kind string, reg x86asm.Reg) {
	switch in.Op {
	case x86asm.AND:
		// lock and $imm,(%reg) clearing exactly bit 1 (_PAGE_RW) of the operand.
		if !hasLock(in) {
			return "", 0
		}
		r, ok := pteMem(in.Args[0])
		imm, ok2 := in.Args[1].(x86asm.Imm)
		if !ok || !ok2 {
			return "", 0
		}
		bits := uint(in.MemBytes * 8)
		if bits == 0 || bits > 64 {
			return "", 0
		}
		mask := uint64(1)<<bits - 1
		if bits == 64 {
			mask = ^uint64(0)
		}
		if uint64(imm)&mask == mask&^2 {
			return KindWrprotect, r
		}
	case x86asm.BTR:
		if !hasLock(in) {
			return "", 0
		}
		r, ok := pteMem(in.Args[0])
		imm, ok2 := in.Args[1].(x86asm.Imm)
		if ok && ok2 && imm == 1 {
			return KindWrprotect, r
		}
	case x86asm.XCHG:
		// xchg is atomic with or without lock; one operand is (%reg), 64-bit.
		for k := 0; k < 2; k++ {
			if r, ok := pteMem(in.Args[k]); ok && in.MemBytes == 8 {
				if _, isReg := in.Args[1-k].(x86asm.Reg); isReg {
					return KindGetClear, r
				}
			}
		}
	case x86asm.MOV:
		r, ok := pteMem(in.Args[0])
		imm, ok2 := in.Args[1].(x86asm.Imm)
		if ok && ok2 && imm == 0 && in.MemBytes == 8 {
			return KindGetClearFull, r
		}
	}
	return "", 0
}

// kprobeReg returns the kprobe name of a 64-bit general register.
func kprobeReg(r x86asm.Reg) string {
	switch r {
	case x86asm.RAX:
		return "ax"
	case x86asm.RBX:
		return "bx"
	case x86asm.RCX:
		return "cx"
	case x86asm.RDX:
		return "dx"
	case x86asm.RSI:
		return "si"
	case x86asm.RDI:
		return "di"
	case x86asm.RBP:
		return "bp"
	case x86asm.RSP:
		return "sp"
	}
	if r >= x86asm.R8 && r <= x86asm.R15 {
		return fmt.Sprintf("r%d", 8+int(r-x86asm.R8))
	}
	return ""
}

// Lines returns the kprobe_events lines, one per probe, numbered per kind:
// "p:lazy/pte_set0 copy_page_range+0x7af ptep=%di val=%si ...".
func (r *Result) Lines() []string {
	n := map[string]int{}
	out := make([]string, 0, len(r.Probes))
	for _, p := range r.Probes {
		line := fmt.Sprintf("p:%s/%s%d %s+%#x", probeGroup, p.Kind, n[p.Kind], p.Func, p.Off)
		n[p.Kind]++
		if p.Args != "" {
			line += " " + p.Args
		}
		out = append(out, line)
	}
	return out
}

// WriteProbes writes the probes file: a commented summary, one
// "# tracepoint: GROUP/EVENT" line per tracepoint to enable, and the
// kprobe_events lines.
func (r *Result) WriteProbes(w io.Writer, source string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# lazybench probes for %s\n", source)
	for _, s := range r.Summary() {
		fmt.Fprintf(&b, "# %s\n", s)
	}
	for _, t := range Tracepoints {
		fmt.Fprintf(&b, "# tracepoint: %s\n", t)
	}
	for _, l := range r.Lines() {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Summary returns human-readable lines: probes by kind, notes, unpaired
// enter sites, skipped candidates.
func (r *Result) Summary() []string {
	var out []string
	var counts []string
	for _, k := range r.kinds() {
		counts = append(counts, fmt.Sprintf("%s=%d", k, r.Count(k)))
	}
	out = append(out, "probes: "+strings.Join(counts, " "))
	fns := map[string]bool{}
	for _, p := range r.Probes {
		if p.Kind == KindEnter {
			fns[p.Func] = true
		}
	}
	var fl []string
	for f := range fns {
		fl = append(fl, f)
	}
	sort.Strings(fl)
	out = append(out, fmt.Sprintf("functions with lazy sections (%d): %s", len(fl), strings.Join(fl, " ")))
	out = append(out, r.Notes...)
	if r.AfterLoop > 0 {
		out = append(out, fmt.Sprintf("%d probes sit on the first instruction after an ldxr/stxr loop (an exclusive pair cannot be probed)", r.AfterLoop))
	}
	for _, u := range r.Unpaired {
		out = append(out, "enter site reaching no leave site: "+u)
	}
	var sk []string
	for k := range r.Skipped {
		sk = append(sk, k)
	}
	sort.Strings(sk)
	for _, k := range sk {
		out = append(out, fmt.Sprintf("skipped %d: %s", r.Skipped[k], k))
	}
	return out
}
