//go:build !amd64 || purego

package traces

import "unsafe"

// haveAsm reports whether decodeFast is implemented in assembly.
const haveAsm = false

// hasBMI and fastBMI are decodefast_amd64.go's: no decodeFastBMI here.
const hasBMI, fastBMI = false, false

// decodeFast is only called when haveAsm.
func decodeFast(st *codecState, c *cpuState, w unsafe.Pointer, wn int, ev *Event, evn int, nstr int) (used, evBytes int) {
	panic("traces: decodeFast without assembly")
}

// decodeFastBMI is only called when hasBMI.
func decodeFastBMI(st *codecState, c *cpuState, w unsafe.Pointer, wn int, ev *Event, evn int, nstr int) (used, evBytes int) {
	panic("traces: decodeFastBMI without assembly")
}
