//go:build !amd64 || purego

package traces

import "unsafe"

// haveAsm reports whether decodePlain is implemented in assembly.
const haveAsm = false

// decodePlain is only called when haveAsm.
func decodePlain(st *codecState, c *cpuState, w unsafe.Pointer, wn int, ev *Event, evn int, nstr int) (used, evBytes int) {
	panic("traces: decodePlain without assembly")
}
