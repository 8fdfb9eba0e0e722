//go:build amd64 && !purego

package arm64

import (
	"unsafe"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/traces"
)

// deferLoop is deferLoopGo in assembly (deferloop_amd64.s): compiled, that
// loop kept too many values for the registers and spilled and reloaded
// them each time round (69 instructions per update).
//
//go:noescape
func deferLoop(evs []traces.Event, who uint64, room []arch.PendingEntry, s *deferLoopState) int

// The layouts deferloop_amd64.s assumes: traces.Event's fields, CPU and PID
// adjacent (read as one word), and arch.PendingEntry's (its fields are
// arch's, so arch checks their offsets; TestDeferLoop compares the entries).
var (
	_ = [1]int{}[unsafe.Sizeof(traces.Event{})-56]
	_ = [1]int{}[unsafe.Offsetof(traces.Event{}.Addr)-8]
	_ = [1]int{}[unsafe.Offsetof(traces.Event{}.CPU)-24]
	_ = [1]int{}[unsafe.Offsetof(traces.Event{}.PID)-28]
	_ = [1]int{}[unsafe.Offsetof(traces.Event{}.MM)-32]
	_ = [1]int{}[unsafe.Offsetof(traces.Event{}.Nr)-36]
	_ = [1]int{}[unsafe.Offsetof(traces.Event{}.Op)-48]
	_ = [1]int{}[unsafe.Offsetof(traces.Event{}.Flags)-49]
	_ = [1]int{}[unsafe.Offsetof(traces.Event{}.Shift)-50]
	_ = [1]int{}[unsafe.Sizeof(arch.PendingEntry{})-32]
	_ = [1]int{}[traces.FlagValid-1]
)
