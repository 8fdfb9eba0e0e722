//go:build !amd64 || purego

package traces

import "unsafe"

// haveAsm reports whether decodeFast is implemented in assembly.
const haveAsm = false

// decodeFast is only called when haveAsm.
func decodeFast(st *codecState, c *cpuState, w unsafe.Pointer, wn int, ev *Event, evn int, nstr int) (used, evBytes int) {
	panic("traces: decodeFast without assembly")
}
