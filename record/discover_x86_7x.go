package record

import (
	"encoding/binary"
	"fmt"
	"sort"

	"golang.org/x/arch/x86/x86asm"
)

// Discovery for x86-64 kernels from 6.8 on (checked against Debian's 7.3.4):
// .parainstructions is gone, a paravirt call is an alternative with
// ALT_FLAG_DIRECT_CALL (arch/x86/include/asm/paravirt_types.h ____PVOP_CALL),
// and the lazy MMU mode is the generic layer of include/linux/pgtable.h
// (lazy_mmu_mode_enable/disable/pause/resume, 7.0+): inline updates of
// current->lazy_mmu_state { u8 enable_count; u8 pause_count; }. On x86
// arch_enter_lazy_mmu_mode() is empty and arch_leave_lazy_mmu_mode() is
// arch_flush_lazy_mmu_mode(), the one paravirt call left,
// PVOP_VCALL0(pv_ops, mmu.lazy_mode_flush) (arch/x86/include/asm/paravirt.h).

// altEntry is one struct alt_instr (arch/x86/include/asm/alternative.h,
// 7.3): s32 instr_offset, s32 repl_offset (both relative to the field),
// u32 ft_flags (cpuid in the low 16 bits, flags in the high 16), u8 instrlen,
// u8 replacementlen; packed, 14 bytes.
type altEntry struct {
	addr, repl  uint64
	cpuid, flag uint16
	ilen, rlen  uint8
}

const (
	altEntrySize      = 14
	altFlagDirectCall = 1 << 1 // ALT_FLAG_DIRECT_CALL
	maxPvSlots        = 512
)

// altEntries reads .altinstructions.
func (im *Image) altEntries() ([]altEntry, uint64, error) {
	s := im.elf.Section(".altinstructions")
	if s == nil {
		return nil, 0, fmt.Errorf("no .altinstructions section")
	}
	d, err := s.Data()
	if err != nil {
		return nil, 0, fmt.Errorf(".altinstructions: %v", err)
	}
	if len(d)%altEntrySize != 0 {
		return nil, 0, fmt.Errorf(".altinstructions is %d bytes, not a multiple of %d: unknown layout", len(d), altEntrySize)
	}
	out := make([]altEntry, 0, len(d)/altEntrySize)
	le := binary.LittleEndian
	for i := 0; i+altEntrySize <= len(d); i += altEntrySize {
		at := s.Addr + uint64(i)
		ft := le.Uint32(d[i+8:])
		out = append(out, altEntry{
			addr:  at + uint64(int64(int32(le.Uint32(d[i:])))),
			repl:  at + 4 + uint64(int64(int32(le.Uint32(d[i+4:])))),
			cpuid: uint16(ft), flag: uint16(ft >> 16),
			ilen: d[i+12], rlen: d[i+13],
		})
	}
	return out, s.Addr, nil
}

// pvAltSites returns the paravirt call sites of a 6.8+ image: the
// alternatives with ALT_FLAG_DIRECT_CALL whose original instruction is
// "call *pv_ops+8*slot(%rip)" (6 bytes), typ set to the slot. Every
// direct-call entry must be such a call through some table (pv_ops or
// pv_ops_lock), or the layout is not understood.
func (im *Image) pvAltSites(res *Result, pvOps uint64) ([]paraSite, error) {
	alts, _, err := im.altEntries()
	if err != nil {
		return nil, err
	}
	var sites []paraSite
	direct, other, bad := 0, 0, 0
	for _, a := range alts {
		if a.flag&altFlagDirectCall == 0 {
			continue
		}
		direct++
		in, err := im.decodeAt(a.addr)
		m, ok := in.Args[0].(x86asm.Mem)
		if err != nil || a.ilen != 6 || in.Op != x86asm.CALL || !ok || m.Base != x86asm.RIP || m.Index != 0 {
			bad++
			continue
		}
		target := ripTarget(a.addr, in, m)
		if owner, ok := im.syms.dataAt(target); !ok || owner.Name != "pv_ops" {
			other++ // pv_ops_lock and friends
			continue
		}
		slot := int((target - pvOps) / 8)
		if (target-pvOps)%8 != 0 || slot >= maxPvSlots {
			bad++
			continue
		}
		sites = append(sites, paraSite{addr: a.addr, typ: slot, len: int(a.ilen)})
	}
	if direct == 0 || bad*100 > direct {
		return nil, fmt.Errorf(".altinstructions: %d of %d direct-call alternatives are not 6-byte \"call *table(%%rip)\": layout not understood", bad, direct)
	}
	res.note("%d alternatives, %d paravirt direct-call sites: %d through pv_ops, %d through other tables, %d not understood",
		len(alts), direct, len(sites), other, bad)
	if sites == nil {
		sites = []paraSite{}
	}
	return sites, nil
}

// ripTarget returns the address a RIP-relative operand of the instruction at
// addr refers to. x86asm keeps the 32-bit displacement unsigned.
func ripTarget(addr uint64, in x86asm.Inst, m x86asm.Mem) uint64 {
	return addr + uint64(in.Len) + uint64(int64(int32(m.Disp)))
}

// dataAt returns the symbol at or below addr (any type): the object a data
// address belongs to, assuming objects are contiguous.
func (s *Symbols) dataAt(addr uint64) (Symbol, bool) {
	k := sort.Search(len(s.all), func(k int) bool { return s.all[k].Addr > addr }) - 1
	if k < 0 {
		return Symbol{}, false
	}
	return s.all[k], true
}

// lazyFlushSlot finds the pv_ops slot of mmu.lazy_mode_flush: Xen's
// xen_init_mmu_ops (arch/x86/xen/mmu_pv.c) stores xen_flush_lazy_mmu there,
// "movq $xen_flush_lazy_mmu,pv_ops+8*slot(%rip)" (or through a register
// loaded by lea). -1 when the image has no Xen PV code.
func (im *Image) lazyFlushSlot(res *Result, pvOps uint64) int {
	target, ok1 := im.syms.Addr("xen_flush_lazy_mmu")
	initFn, ok2 := im.syms.Addr("xen_init_mmu_ops")
	fn, ok3 := im.syms.Func(initFn)
	if !ok1 || !ok2 || !ok3 {
		res.note("no xen_flush_lazy_mmu/xen_init_mmu_ops (CONFIG_XEN_PV=n): the pv_ops slot of lazy_mode_flush is unknown")
		return -1
	}
	insts, err := im.disasm(fn)
	if err != nil {
		res.note("xen_init_mmu_ops: %v", err)
		return -1
	}
	regVal := map[x86asm.Reg]uint64{}
	slots := map[int]bool{}
	for _, x := range insts {
		if x.in.Op == x86asm.LEA {
			if r, ok := x.in.Args[0].(x86asm.Reg); ok {
				if m, ok := x.in.Args[1].(x86asm.Mem); ok && m.Base == x86asm.RIP && m.Index == 0 {
					regVal[r] = ripTarget(x.addr, x.in, m)
				}
			}
			continue
		}
		if x.in.Op != x86asm.MOV || x.in.MemBytes != 8 {
			continue
		}
		m, ok := x.in.Args[0].(x86asm.Mem)
		if !ok || m.Base != x86asm.RIP || m.Index != 0 {
			continue
		}
		var v uint64
		switch src := x.in.Args[1].(type) {
		case x86asm.Imm:
			v = uint64(int64(src))
		case x86asm.Reg:
			v = regVal[src]
		}
		dst := ripTarget(x.addr, x.in, m)
		if v == target && dst >= pvOps && (dst-pvOps)%8 == 0 && (dst-pvOps)/8 < maxPvSlots {
			slots[int((dst-pvOps)/8)] = true
		}
	}
	if len(slots) != 1 {
		res.note("xen_init_mmu_ops stores xen_flush_lazy_mmu into %d pv_ops slots, not one: lazy_mode_flush slot unknown", len(slots))
		return -1
	}
	for s := range slots {
		res.Slots["lazy_mode_flush"] = s
		res.note("pv_ops slot %d is lazy_mode_flush (xen_init_mmu_ops stores xen_flush_lazy_mmu there)", s)
		return s
	}
	return -1
}

// countUpdate is one inline update of a lazy_mmu_state count.
type countUpdate struct {
	i     int        // instruction index of the store
	field int        // 0 enable_count, 1 pause_count
	delta int        // +1 or -1
	base  x86asm.Reg // the task pointer
	src   x86asm.Reg // the register holding the new count (MOV form), or 0
}

// countUpdateAt classifies insts[i] as a byte update at disp off or off+1
// from a register: "addb/subb $1,off(%r)", "incb/decb off(%r)", or "mov
// %Rb,off(%r)" whose source was computed as "lea ±1(%S)" or "add/sub $1"
// from a load of the same field (GCC's form when it needs the old count).
func countUpdateAt(insts []inst, i int, off int64) (countUpdate, bool) {
	in := insts[i].in
	m, ok := in.Args[0].(x86asm.Mem)
	if !ok || in.MemBytes != 1 || m.Index != 0 || m.Segment != 0 || m.Base == 0 || m.Base == x86asm.RIP ||
		(m.Disp != off && m.Disp != off+1) {
		return countUpdate{}, false
	}
	u := countUpdate{i: i, field: int(m.Disp - off), base: m.Base}
	switch in.Op {
	case x86asm.ADD, x86asm.SUB:
		imm, ok := in.Args[1].(x86asm.Imm)
		if !ok || (imm != 1 && imm != -1) {
			return countUpdate{}, false
		}
		u.delta = int(imm)
		if in.Op == x86asm.SUB {
			u.delta = -u.delta
		}
	case x86asm.INC:
		u.delta = 1
	case x86asm.DEC:
		u.delta = -1
	case x86asm.MOV:
		r, ok := in.Args[1].(x86asm.Reg)
		if !ok {
			return countUpdate{}, false
		}
		u.src = r
		u.delta = movDelta(insts, i, reg64(r))
		if u.delta == 0 {
			return countUpdate{}, false
		}
	default:
		return countUpdate{}, false
	}
	return u, true
}

// movDelta looks back up to four instructions for how the 64-bit register
// r got the value a MOV stores: lea ±1(%s), add/sub $1 or inc/dec on it.
func movDelta(insts []inst, i int, r x86asm.Reg) int {
	for k := i - 1; k >= 0 && k >= i-4; k-- {
		in := insts[k].in
		dst, ok := in.Args[0].(x86asm.Reg)
		if !ok || reg64(dst) != r {
			continue
		}
		switch in.Op {
		case x86asm.LEA:
			if m, ok := in.Args[1].(x86asm.Mem); ok && m.Index == 0 && (m.Disp == 1 || m.Disp == -1) {
				return int(m.Disp)
			}
		case x86asm.ADD, x86asm.SUB:
			if imm, ok := in.Args[1].(x86asm.Imm); ok && (imm == 1 || imm == -1) {
				if in.Op == x86asm.SUB {
					return -int(imm)
				}
				return int(imm)
			}
		case x86asm.INC:
			return 1
		case x86asm.DEC:
			return -1
		}
		return 0
	}
	return 0
}

// reg64 maps a general register of any width to its 64-bit name.
func reg64(r x86asm.Reg) x86asm.Reg {
	switch {
	case r >= x86asm.AL && r <= x86asm.BL:
		return x86asm.RAX + (r - x86asm.AL)
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return x86asm.RSP + (r - x86asm.SPB)
	case r >= x86asm.AX && r <= x86asm.R15W:
		return x86asm.RAX + (r - x86asm.AX)
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return x86asm.RAX + (r - x86asm.EAX)
	}
	return r
}

// flushCallsAfter returns the indexes of the calls through slot reached from
// instruction i within n instructions, following jumps and both ways of a
// conditional one: the arch_leave/flush_lazy_mmu_mode() call that belongs to
// a disable or pause.
func (im *Image) flushCallsAfter(insts []inst, idx map[uint64]int, i, n int, pvOps uint64, slot int) []int {
	type st struct{ i, left int }
	var out []int
	seen := map[int]bool{}
	stack := []st{{i + 1, n}}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if s.left == 0 || s.i < 0 || s.i >= len(insts) || seen[s.i] {
			continue
		}
		seen[s.i] = true
		x := insts[s.i]
		if x.in.Op == x86asm.CALL && im.pvSlot(x.addr, pvOps) == slot {
			out = append(out, s.i)
			continue
		}
		next := x.addr + uint64(x.in.Len)
		if rel, ok := x.in.Args[0].(x86asm.Rel); ok && (x.in.Op == x86asm.JMP || isCondJump(x.in.Op)) {
			if j, ok := idx[next+uint64(int64(rel))]; ok {
				stack = append(stack, st{j, s.left - 1})
			}
			if x.in.Op == x86asm.JMP {
				continue
			}
		}
		switch x.in.Op {
		case x86asm.RET, x86asm.UD2, x86asm.JMP:
			continue
		}
		stack = append(stack, st{s.i + 1, s.left - 1})
	}
	return out
}

// findCountSites finds the lazy MMU mode's inline count updates in a 6.8+
// image and records them as lazy_enter/lazy_leave/lazy_pause/lazy_resume
// probes, and the arch_flush_lazy_mmu_mode() calls that belong to none of
// them as lazy_flush:
//
//  1. the lazy_mode_flush slot (lazyFlushSlot);
//  2. the offset of lazy_mmu_state in task_struct: the byte store right
//     before most flush calls is lazy_mmu_mode_disable()'s "--enable_count"
//     (the disable, then arch_leave or arch_flush, both the flush call);
//  3. every byte update by one of that offset (enable_count) or the next
//     (pause_count), on a register loaded from current_task for
//     enable_count: the probe fetches the new count.
func (im *Image) findCountSites(res *Result, byType map[int][]paraSite, add func(kind string, addr uint64, args, how string) bool) {
	pvOps, _ := im.syms.Addr("pv_ops")
	slot := im.lazyFlushSlot(res, pvOps)
	if slot < 0 {
		return
	}
	flushes := byType[slot]
	off, ok := im.lazyStateOffset(res, flushes)
	if !ok {
		return
	}
	cur := map[uint64]bool{}
	for _, n := range []string{"current_task", "const_current_task"} {
		if a, ok := im.syms.Addr(n); ok {
			cur[a] = true
		}
	}
	claimed := map[uint64]bool{}
	for _, fa := range im.funcsWithDisp(off, off+1) {
		fn, _ := im.syms.Func(fa)
		insts, err := im.disasm(fn)
		if err != nil {
			continue
		}
		idx := map[uint64]int{}
		for i, x := range insts {
			idx[x.addr] = i
		}
		targets := branchTargets(insts, idx)
		for i := range insts {
			u, ok := countUpdateAt(insts, i, off)
			if !ok {
				continue
			}
			im.addCountProbe(res, insts, targets, u, off, cur, add)
			for _, c := range im.flushCallsAfter(insts, idx, i, 8, pvOps, slot) {
				claimed[insts[c].addr] = true
			}
		}
	}
	standalone := 0
	for _, s := range flushes {
		if !claimed[s.addr] && add(KindFlush, s.addr, "", "arch_flush_lazy_mmu_mode() call (pv lazy_mode_flush) after no count update") {
			standalone++
		}
	}
	res.note("%d lazy_mode_flush call sites: %d follow a disable or pause (its arch_leave/arch_flush), %d stand alone (lazy_flush)",
		len(flushes), len(flushes)-standalone, standalone)
}

// lazyStateOffset returns the displacement of the byte store found right
// before (within four instructions of) most lazy_mode_flush calls: the
// enable_count of struct lazy_mmu_state in task_struct.
func (im *Image) lazyStateOffset(res *Result, flushes []paraSite) (int64, bool) {
	votes := map[int64]int{}
	byFn := map[uint64][]uint64{}
	for _, s := range flushes {
		if fn, ok := im.syms.Func(s.addr); ok {
			byFn[fn.Addr] = append(byFn[fn.Addr], s.addr)
		}
	}
	for fa, calls := range byFn {
		fn, _ := im.syms.Func(fa)
		insts, err := im.disasm(fn)
		if err != nil {
			continue
		}
		want := map[uint64]bool{}
		for _, c := range calls {
			want[c] = true
		}
		for i, x := range insts {
			if !want[x.addr] {
				continue
			}
			for k := i - 1; k >= 0 && k >= i-4; k-- {
				m, ok := insts[k].in.Args[0].(x86asm.Mem)
				if ok && insts[k].in.MemBytes == 1 && m.Base != x86asm.RIP && m.Base != 0 && m.Disp > 0 && isByteUpdate(insts[k].in) {
					votes[m.Disp]++
					break
				}
			}
		}
	}
	best, n := int64(0), 0
	for d, v := range votes {
		if v > n || v == n && d < best {
			best, n = d, v
		}
	}
	if n*2 < len(flushes) || n == 0 {
		res.note("no byte store precedes most of the %d lazy_mode_flush calls (best: %d at %#x): lazy_mmu_state offset unknown", len(flushes), n, best)
		return 0, false
	}
	res.note("lazy_mmu_state.enable_count at task_struct+%#x (the byte store before %d of %d lazy_mode_flush calls)", best, n, len(flushes))
	return best, true
}

func isByteUpdate(in x86asm.Inst) bool {
	switch in.Op {
	case x86asm.ADD, x86asm.SUB, x86asm.INC, x86asm.DEC, x86asm.MOV:
		return true
	}
	return false
}

// funcsWithDisp returns the functions in .text whose bytes hold one of the
// displacements as a little-endian 32-bit value (a superset of those with an
// instruction using them), in address order.
func (im *Image) funcsWithDisp(disps ...int64) []uint64 {
	text := im.elf.Section(".text")
	if text == nil {
		return nil
	}
	d, base, err := im.section(text.Addr)
	if err != nil {
		return nil
	}
	pats := make([]uint32, len(disps))
	for i, v := range disps {
		pats[i] = uint32(int32(v))
	}
	seen := map[uint64]bool{}
	var out []uint64
	for i := 0; i+4 <= len(d); i++ {
		v := binary.LittleEndian.Uint32(d[i:])
		for _, p := range pats {
			if v != p {
				continue
			}
			if fn, ok := im.syms.Func(base + uint64(i)); ok && !seen[fn.Addr] {
				seen[fn.Addr] = true
				out = append(out, fn.Addr)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// branchTargets returns the instruction indexes some jump of the function
// goes to.
func branchTargets(insts []inst, idx map[uint64]int) map[int]bool {
	out := map[int]bool{}
	for _, x := range insts {
		if x.in.Op != x86asm.JMP && !isCondJump(x.in.Op) {
			continue
		}
		if rel, ok := x.in.Args[0].(x86asm.Rel); ok {
			if j, ok := idx[x.addr+uint64(x.in.Len)+uint64(int64(rel))]; ok {
				out[j] = true
			}
		}
	}
	return out
}

// loadsCurrent reports whether the nearest earlier instruction (in address
// order, up to 32 back) that writes r is "mov %gs:current_task(%rip),r".
func loadsCurrent(insts []inst, i int, r x86asm.Reg, cur map[uint64]bool) bool {
	for k := i - 1; k >= 0 && k >= i-32; k-- {
		in := insts[k].in
		dst, ok := in.Args[0].(x86asm.Reg)
		if !ok || reg64(dst) != r || in.Op == x86asm.CMP || in.Op == x86asm.TEST {
			continue
		}
		m, ok := in.Args[1].(x86asm.Mem)
		return in.Op == x86asm.MOV && ok && m.Segment == x86asm.GS && m.Base == x86asm.RIP &&
			cur[ripTarget(insts[k].addr, in, m)]
	}
	return false
}

// addCountProbe records one count update, probed at the instruction that
// stores it. A MOV store fetches the new count from its source register
// (depth= or paused=); a read-modify-write ("addb $1,off(%r)") fetches the
// count before it (prev_depth=, prev_paused=): the instruction after it is
// usually where the skipped path joins, so a probe there would fire on both.
func (im *Image) addCountProbe(res *Result, insts []inst, targets map[int]bool, u countUpdate, off int64, cur map[uint64]bool,
	add func(kind string, addr uint64, args, how string) bool) {
	kind := map[[2]int]string{{0, 1}: KindEnter, {0, -1}: KindLeave, {1, 1}: KindPause, {1, -1}: KindResume}[[2]int{u.field, u.delta}]
	onCurrent := loadsCurrent(insts, u.i, u.base, cur) || checksPause(insts, u.i, u.base, off)
	if !onCurrent && u.field == 0 {
		res.Skipped[kind+": enable_count update on a register neither loaded from current_task nor checked for a pause"]++
		return
	}
	name := map[int]string{0: "depth", 1: "paused"}[u.field]
	how := fmt.Sprintf("inline %s of lazy_mmu_state at task_struct+%#x", insts[u.i].in.Op, off+int64(u.field))
	if !onCurrent {
		how += " (of a task argument, not current)"
	}
	if u.src != 0 {
		if r := kprobeReg(reg64(u.src)); r != "" {
			add(kind, insts[u.i].addr, fmt.Sprintf("%s=%%%s:u8", name, r), how)
			return
		}
	}
	b := kprobeReg(u.base)
	if b == "" {
		res.Skipped[kind+": task pointer in a register without a kprobe name"]++
		return
	}
	add(kind, insts[u.i].addr, fmt.Sprintf("prev_%s=+%d(%%%s):u8", name, off+int64(u.field), b), how)
}

// checksPause reports whether one of the six instructions before i compares
// pause_count (off+1 from the same register) with 0: the "state->pause_count
// > 0" test lazy_mmu_mode_enable/disable make before updating enable_count.
func checksPause(insts []inst, i int, base x86asm.Reg, off int64) bool {
	for k := i - 1; k >= 0 && k >= i-6; k-- {
		in := insts[k].in
		m, ok := in.Args[0].(x86asm.Mem)
		if in.Op == x86asm.CMP && ok && m.Base == base && m.Disp == off+1 && in.MemBytes == 1 {
			if imm, ok := in.Args[1].(x86asm.Imm); ok && imm == 0 {
				return true
			}
		}
	}
	return false
}

// cmpxchgWrprotect matches 6.6+'s ptep_set_wrprotect (and wrprotect_ptes),
// a cmpxchg loop (arch/x86/include/asm/pgtable.h, 7.3: "Use cmpxchg() to
// prevent races with the hardware setting Dirty=1"): "lock cmpxchg
// %new,(%ptep)", 8 bytes, where new was made by an "and $imm" that clears
// _PAGE_RW (bit 1) within the eight instructions before.
func cmpxchgWrprotect(insts []inst, i int) (string, x86asm.Reg) {
	in := insts[i].in
	if in.Op != x86asm.CMPXCHG || !hasLock(in) || in.MemBytes != 8 {
		return "", 0
	}
	ptr, ok := pteMem(in.Args[0])
	src, ok2 := in.Args[1].(x86asm.Reg)
	if !ok || !ok2 {
		return "", 0
	}
	for k := i - 1; k >= 0 && k >= i-8; k-- {
		x := insts[k].in
		dst, ok := x.Args[0].(x86asm.Reg)
		if x.Op != x86asm.AND || !ok || reg64(dst) != reg64(src) {
			continue
		}
		if imm, ok := x.Args[1].(x86asm.Imm); ok && imm < 0 && imm&2 == 0 {
			return KindWrprotect, ptr
		}
	}
	return "", 0
}

// inlineCopies are static inline PTE helpers GCC may emit out of line. An
// inline function is notrace in the kernel (include/linux/compiler_types.h:
// "#define inline inline __gnu_inline ... notrace"), so the copy itself
// refuses kprobes: its call sites are probed with the arguments still in
// the argument registers. Only the exact name (a .isra or .constprop clone
// may have dropped or reordered arguments).
var inlineCopies = []struct{ name, kind, args string }{
	// modify_prot_commit_ptes(vma, addr, ptep, old_pte, pte, nr),
	// include/linux/pgtable.h (7.3): mprotect's batched commit.
	{"modify_prot_commit_ptes", KindCommit, "ptep=%dx addr=%si val=%r8 nr=%r9:u32"},
}

// findInlineCopyCalls probes the call sites of the inlineCopies present.
func (im *Image) findInlineCopyCalls(res *Result, add func(kind string, addr uint64, args, how string) bool) {
	for _, c := range inlineCopies {
		targets := map[uint64]string{}
		for _, s := range im.syms.All(c.name) {
			if s.IsText() {
				targets[s.Addr] = s.Name
			}
		}
		if len(targets) == 0 {
			continue
		}
		n := 0
		im.directCalls(targets, func(site uint64, target string) {
			if add(c.kind, site, c.args, "direct call of the out-of-line "+target) {
				n++
			}
		})
		res.note("%s: %d out-of-line copies, %d call sites probed", c.name, len(targets), n)
	}
}
