package traces

import (
	"fmt"
	"math/bits"
	"strings"
)

// MaxProblems is how many problems Validate reports; it counts the rest.
const MaxProblems = 20

// Problems is the list of problems found in a trace, in the order met. Its
// Error method prints one per line.
type Problems struct {
	List []*Error
	More int // problems found beyond MaxProblems, not listed
}

// Error lists the problems one per line.
func (p *Problems) Error() string {
	var b strings.Builder
	for i, e := range p.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	if p.More > 0 {
		fmt.Fprintf(&b, "\n... and %d more problems", p.More)
	}
	return b.String()
}

// Validator checks the order and balance of a trace's events, apart from
// decoding them: time is non-decreasing per CPU; irq_exit follows an irq_enter
// on the same CPU (irqs may nest) and every irq_enter is exited by the end;
// a switch names a next task that fits a pid; updates, access and tlbflush
// cover at least one page and do not wrap around the address space. Feed it
// events with Check, then call End.
type Validator struct {
	name  string
	index int64
	cpus  []valCPU
	probs Problems
}

type valCPU struct {
	seen     bool
	time     uint64
	irq      int   // irq nesting depth
	irqIndex int64 // event index of the outermost open irq_enter
	irqLine  int   // and its line, for text
}

// wraps reports whether nr pages of 1<<shift bytes (4 KiB if shift is 0) from
// addr run past the top of the address space. Ending exactly at 2^64 is fine.
func wraps(addr uint64, nr uint32, shift uint8) bool {
	if shift == 0 {
		shift = 12
	}
	hi, size := bits.Mul64(uint64(nr), 1<<(shift&63))
	end, carry := bits.Add64(addr, size, 0)
	return hi != 0 || (carry != 0 && end != 0)
}

// NewValidator returns a validator whose problems name the file name.
func NewValidator(name string) *Validator {
	return &Validator{name: name}
}

func (v *Validator) report(index int64, line int, format string, args ...any) {
	if len(v.probs.List) >= MaxProblems {
		v.probs.More++
		return
	}
	v.probs.List = append(v.probs.List, &Error{File: v.name, Line: line, Index: index, Msg: fmt.Sprintf(format, args...)})
}

// Check checks the next event; line is its text line, or 0.
func (v *Validator) Check(e *Event, line int) {
	idx := v.index
	v.index++
	if e.CPU >= MaxCPUs {
		v.report(idx, line, "cpu %d out of range (max %d)", e.CPU, MaxCPUs-1)
		return
	}
	for int(e.CPU) >= len(v.cpus) {
		v.cpus = append(v.cpus, valCPU{})
	}
	c := &v.cpus[e.CPU]
	if c.seen && e.Time < c.time {
		v.report(idx, line, "time %d goes back from %d on cpu %d", e.Time, c.time, e.CPU)
	}
	c.seen, c.time = true, max(c.time, e.Time)
	switch e.Op {
	case OpIRQEnter:
		if c.irq == 0 {
			c.irqIndex, c.irqLine = idx, line
		}
		c.irq++
	case OpIRQExit:
		if c.irq == 0 {
			v.report(idx, line, "irq_exit without irq_enter on cpu %d", e.CPU)
		} else {
			c.irq--
		}
	case OpSwitch:
		if e.Arg > 1<<32-1 {
			v.report(idx, line, "switch: next %d out of range", e.Arg)
		}
	case OpSet, OpClear, OpGetClear, OpModify, OpWrprotect, OpAccess, OpTLBFlush:
		if e.Nr == 0 {
			v.report(idx, line, "%s: nr=0 covers no page", e.Op)
		} else if e.Op.IsUpdate() && e.Nr > MaxUpdateNr {
			v.report(idx, line, "%s: nr=%d: an update covers at most %d pages (one page table)", e.Op, e.Nr, MaxUpdateNr)
		} else if wraps(e.Addr, e.Nr, e.Shift) {
			v.report(idx, line, "%s: range %#x + %d pages wraps around", e.Op, e.Addr, e.Nr)
		}
	}
}

// End reports irqs still open and returns the problems found, or nil.
func (v *Validator) End() error {
	for cpu, c := range v.cpus {
		if c.irq > 0 {
			v.report(c.irqIndex, c.irqLine, "irq_enter on cpu %d never exited (depth %d at the end)", cpu, c.irq)
		}
	}
	if len(v.probs.List) == 0 {
		return nil
	}
	return &v.probs
}

// Validate reads r to the end and checks its events (see Validator). It
// returns the number of events read and nil, or a *Problems listing up to
// MaxProblems problems; a decoding error (which stops reading) is the last.
// name is the file name for messages.
func Validate(r Reader, name string) (int64, error) {
	v := NewValidator(name)
	liner, _ := r.(Liner)
	var n int64
	for r.Next() {
		line := 0
		if liner != nil {
			line = liner.Line()
		}
		v.Check(r.Event(), line)
		n++
	}
	if err := r.Err(); err != nil {
		e, ok := err.(*Error)
		if !ok {
			e = &Error{File: name, Index: n, Msg: err.Error()}
		}
		v.End()
		if len(v.probs.List) >= MaxProblems {
			v.probs.List = v.probs.List[:MaxProblems-1]
		}
		v.probs.List = append(v.probs.List, e)
		return n, &v.probs
	}
	return n, v.End()
}

// ValidatingReader wraps a Reader and stops at the first problem a Validator
// finds, which Err then returns. Use it to refuse bad traces while streaming.
type ValidatingReader struct {
	Reader
	v     *Validator
	liner Liner
	err   error
}

// NewValidatingReader returns r wrapped with a validator; name is the file
// name for messages.
func NewValidatingReader(r Reader, name string) *ValidatingReader {
	l, _ := r.(Liner)
	return &ValidatingReader{Reader: r, v: NewValidator(name), liner: l}
}

// Next reads and checks the next event.
func (vr *ValidatingReader) Next() bool {
	if vr.err != nil {
		return false
	}
	if !vr.Reader.Next() {
		if vr.Reader.Err() == nil {
			if err := vr.v.End(); err != nil {
				vr.err = vr.v.probs.List[0]
			}
		}
		return false
	}
	line := 0
	if vr.liner != nil {
		line = vr.liner.Line()
	}
	vr.v.Check(vr.Reader.Event(), line)
	if len(vr.v.probs.List) > 0 {
		vr.err = vr.v.probs.List[0]
		return false
	}
	return true
}

// Err returns the reader's error or the first problem found.
func (vr *ValidatingReader) Err() error {
	if err := vr.Reader.Err(); err != nil {
		return err
	}
	if vr.err != nil {
		return vr.err
	}
	return nil
}
