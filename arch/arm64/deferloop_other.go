//go:build !amd64 || purego

package arm64

import (
	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/traces"
)

// deferLoop is deferLoopGo (deferloop_amd64.s has it in assembly).
func deferLoop(evs []traces.Event, who uint64, room []arch.PendingEntry, s *deferLoopState) int {
	return deferLoopGo(evs, who, room, s)
}
