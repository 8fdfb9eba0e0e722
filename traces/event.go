// Package traces is lazybench's trace model: the page-table-update events the
// kernel's walkers make, the table that specifies every op and its keys, the text
// (.lmt.txt) and binary (.lmt, .lmt.zst) codecs driven by that table, streaming
// readers and writers, validation, importers and synthetic generators.
//
// The text format is the contract of docs/contracts.md:
//
//	<time_ns> <cpu> <pid> <op> [key=value ...]
//
// Every op, its keys, their defaults and which are required are listed once, in
// the Ops table below; both codecs read that table.
package traces

import "fmt"

// Op is the kind of one trace event.
type Op uint8

// The ops of the trace format. Values are part of the binary format: append
// new ops at the end, never renumber.
const (
	OpInvalid   Op = iota // not a valid op; the zero value
	OpEnable              // lazy_mmu_mode_enable()
	OpDisable             // lazy_mmu_mode_disable()
	OpPause               // lazy_mmu_mode_pause()
	OpResume              // lazy_mmu_mode_resume()
	OpFlush               // an explicit arch_flush_lazy_mmu_mode()
	OpSet                 // set_pte / set_ptes
	OpClear               // pte_clear
	OpGetClear            // ptep_get_and_clear(_full)
	OpModify              // ptep_modify_prot_commit
	OpWrprotect           // ptep_set_wrprotect
	OpAccess              // the workload uses these addresses now (oracle point)
	OpTLBFlush            // a TLB flush of a range
	OpIRQEnter            // interrupt context begins on this CPU
	OpIRQExit             // interrupt context ends on this CPU
	OpSwitch              // context switch on this CPU to task Next
	OpWork                // time spent on other work (Arg ns)
	OpMark                // a phase marker (Site holds its name); lazybench extension
	NumOps                // number of ops, including OpInvalid
)

// Flag bits of Event.Flags.
const (
	FlagValid uint8 = 1 << iota // the new entry is valid (valid=1)
	FlagWas                     // the old entry was valid (was=1)
	FlagFull                    // exit teardown, ptep_get_and_clear_full (full=1)
	FlagMid                     // switch: preempted inside the outgoing task's last API call, between its counter update and its arch callback (mid=1); lazybench extension
)

// Event is one trace event. It has no pointers, so a slice of events or a reader
// reusing one Event allocates nothing per event. Strings (call sites, marker
// names, unknown keys) are indexes into the trace's string table (Strings), 0
// meaning none.
type Event struct {
	Time  uint64 // time_ns
	Addr  uint64 // addr= (updates, access, tlbflush)
	Arg   uint64 // next= for switch, ns= for work
	CPU   uint32
	PID   uint32
	MM    uint32 // mm=; 0 is init_mm (the kernel's address space)
	Nr    uint32 // nr=, number of consecutive pages
	Site  uint32 // site= (or name= for mark): string table index, 0 = none
	Extra uint32 // unknown key=value pairs, kept verbatim: string table index, 0 = none
	Op    Op
	Flags uint8 // FlagValid, FlagWas, FlagFull, FlagMid
	Shift uint8 // shift=, page size log2
}

// Valid reports whether the new entry is valid (valid=1).
func (e *Event) Valid() bool { return e.Flags&FlagValid != 0 }

// Was reports whether the old entry was valid (was=1).
func (e *Event) Was() bool { return e.Flags&FlagWas != 0 }

// Full reports whether an update belongs to exit teardown (full=1).
func (e *Event) Full() bool { return e.Flags&FlagFull != 0 }

// Kernel reports whether the event concerns the kernel's address space (mm=0).
func (e *Event) Kernel() bool { return e.MM == 0 }

// IsUpdate reports whether the op is a PTE update.
func (op Op) IsUpdate() bool { return op >= OpSet && op <= OpWrprotect }

// IsAPI reports whether the op is one of the four generic API calls.
func (op Op) IsAPI() bool { return op >= OpEnable && op <= OpResume }

// Valid reports whether op is a known op.
func (op Op) Valid() bool { return op > OpInvalid && op < NumOps }

// String returns the op's name in the text format.
func (op Op) String() string {
	if op.Valid() {
		return Ops[op].Name
	}
	return fmt.Sprintf("op(%d)", uint8(op))
}

// ParseOp returns the op named name, or OpInvalid.
func ParseOp(name string) Op {
	for i := OpInvalid + 1; i < NumOps; i++ {
		if Ops[i].Name == name {
			return i
		}
	}
	return OpInvalid
}

// Field names one field of Event that a key fills.
type Field uint8

// The fields a key can fill.
const (
	FieldNone  Field = iota
	FieldAddr        // Addr, hex (with or without 0x)
	FieldNr          // Nr, decimal
	FieldMM          // MM, decimal
	FieldValid       // FlagValid, 0 or 1
	FieldWas         // FlagWas, 0 or 1
	FieldFull        // FlagFull, 0 or 1
	FieldMid         // FlagMid, 0 or 1
	FieldShift       // Shift, decimal
	FieldSite        // Site, a string without spaces
	FieldArg         // Arg, decimal
)

// Key specifies one key of an op.
type Key struct {
	Name     string
	Field    Field
	Default  uint64 // value when absent (for FieldSite: ignored)
	Required bool
}

// OpSpec specifies one op: its text name and its keys in canonical order (the
// order the text writer prints them).
type OpSpec struct {
	Name string
	Keys []Key
}

func updateKeys(valid, was uint64, full bool) []Key {
	k := []Key{
		{Name: "addr", Field: FieldAddr, Required: true},
		{Name: "nr", Field: FieldNr, Default: 1},
		{Name: "mm", Field: FieldMM, Default: 1},
		{Name: "valid", Field: FieldValid, Default: valid},
		{Name: "was", Field: FieldWas, Default: was},
		{Name: "shift", Field: FieldShift, Default: 12},
	}
	if full {
		k = append(k, Key{Name: "full", Field: FieldFull})
	}
	return append(k, Key{Name: "site", Field: FieldSite})
}

var siteKey = []Key{{Name: "site", Field: FieldSite}}

// Ops specifies every op of the trace format, indexed by Op. It is the single
// source of truth for both codecs and for documentation.
var Ops = [NumOps]OpSpec{
	OpInvalid:   {Name: ""},
	OpEnable:    {Name: "enable", Keys: siteKey},
	OpDisable:   {Name: "disable", Keys: siteKey},
	OpPause:     {Name: "pause", Keys: siteKey},
	OpResume:    {Name: "resume", Keys: siteKey},
	OpFlush:     {Name: "flush", Keys: siteKey},
	OpSet:       {Name: "set", Keys: updateKeys(1, 0, false)},
	OpClear:     {Name: "clear", Keys: updateKeys(0, 1, false)},
	OpGetClear:  {Name: "getclear", Keys: updateKeys(0, 1, true)},
	OpModify:    {Name: "modify", Keys: updateKeys(1, 1, false)},
	OpWrprotect: {Name: "wrprotect", Keys: updateKeys(1, 1, false)},
	OpAccess: {Name: "access", Keys: []Key{
		{Name: "addr", Field: FieldAddr, Required: true},
		{Name: "nr", Field: FieldNr, Default: 1},
		{Name: "mm", Field: FieldMM, Default: 1},
		{Name: "site", Field: FieldSite},
	}},
	OpTLBFlush: {Name: "tlbflush", Keys: []Key{
		{Name: "addr", Field: FieldAddr, Required: true},
		{Name: "nr", Field: FieldNr, Required: true},
		{Name: "mm", Field: FieldMM, Default: 1},
		{Name: "site", Field: FieldSite},
	}},
	OpIRQEnter: {Name: "irq_enter", Keys: siteKey},
	OpIRQExit:  {Name: "irq_exit", Keys: siteKey},
	OpSwitch: {Name: "switch", Keys: []Key{
		{Name: "next", Field: FieldArg, Required: true},
		{Name: "mid", Field: FieldMid},
		{Name: "site", Field: FieldSite},
	}},
	OpWork: {Name: "work", Keys: []Key{
		{Name: "ns", Field: FieldArg, Required: true},
		{Name: "site", Field: FieldSite},
	}},
	OpMark: {Name: "mark", Keys: []Key{{Name: "name", Field: FieldSite, Required: true}}},
}

// Defaults returns an event of op with every key at its default value.
func Defaults(op Op) Event {
	e := Event{Op: op}
	if !op.Valid() {
		return e
	}
	for _, k := range Ops[op].Keys {
		e.Set(k.Field, k.Default)
	}
	return e
}

// Set stores v into the field f of e. Site values are string indexes.
func (e *Event) Set(f Field, v uint64) {
	switch f {
	case FieldAddr:
		e.Addr = v
	case FieldNr:
		e.Nr = uint32(v)
	case FieldMM:
		e.MM = uint32(v)
	case FieldValid:
		e.setFlag(FlagValid, v)
	case FieldWas:
		e.setFlag(FlagWas, v)
	case FieldFull:
		e.setFlag(FlagFull, v)
	case FieldMid:
		e.setFlag(FlagMid, v)
	case FieldShift:
		e.Shift = uint8(v)
	case FieldSite:
		e.Site = uint32(v)
	case FieldArg:
		e.Arg = v
	}
}

// Get returns the value of the field f of e.
func (e *Event) Get(f Field) uint64 {
	switch f {
	case FieldAddr:
		return e.Addr
	case FieldNr:
		return uint64(e.Nr)
	case FieldMM:
		return uint64(e.MM)
	case FieldValid:
		return uint64(e.Flags & FlagValid)
	case FieldWas:
		return uint64(e.Flags&FlagWas) >> 1
	case FieldFull:
		return uint64(e.Flags&FlagFull) >> 2
	case FieldMid:
		return uint64(e.Flags&FlagMid) >> 3
	case FieldShift:
		return uint64(e.Shift)
	case FieldSite:
		return uint64(e.Site)
	case FieldArg:
		return e.Arg
	}
	return 0
}

func (e *Event) setFlag(bit uint8, v uint64) {
	if v != 0 {
		e.Flags |= bit
	} else {
		e.Flags &^= bit
	}
}

// Meta is where a trace came from. The binary header stores it; the text format
// keeps it in comment lines of the form "# @key: value" before the first event.
type Meta struct {
	Kernel   string `json:"kernel,omitempty"`    // kernel version, e.g. "6.1.0-56-amd64"
	Machine  string `json:"machine,omitempty"`   // machine or emulator, e.g. "qemu-system-x86_64 7.2 TCG, 2 vCPU"
	Arch     string `json:"arch,omitempty"`      // recording arch, e.g. "x86_64"
	Workload string `json:"workload,omitempty"`  // workload name and parameters
	PageSize uint32 `json:"page_size,omitempty"` // base page size in bytes (0 = unknown)
	Recorder string `json:"recorder,omitempty"`  // recorder or generator command line
	Date     string `json:"date,omitempty"`      // when it was recorded or generated (RFC 3339), may be empty
}

// MetaKeys lists the "# @key:" names of the text format, in the order written.
var MetaKeys = []string{"kernel", "machine", "arch", "workload", "page_size", "recorder", "date"}

// Limits bound what a decoder allocates from its input.
const (
	MaxStrings   = 1 << 16 // distinct strings in one trace's string table
	MaxStringLen = 1024    // bytes in one string
	MaxLineLen   = 64 << 10
	MaxCPUs      = 4096 // cpu numbers must be below this
	// MaxUpdateNr is the most pages one PTE update may cover (its nr):
	// 8192, PTRS_PER_PTE of an arm64 kernel with 64 KiB pages
	// (arch/arm64/include/asm/pgtable-hwdef.h: PTRS_PER_PTE = 1 <<
	// (PAGE_SHIFT - 3)), the largest page table of lazybench's backends; a
	// batch of PTE updates (set_ptes, clear_full_ptes, wrprotect_ptes) stays
	// within one page table. The replay engine and the validator reject
	// larger ones: backends that model the kernel page by page (s390,
	// ppc64-hash, sparc64) would loop 2^32 times on one event.
	MaxUpdateNr = 8192
)
