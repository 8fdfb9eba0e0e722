//go:build amd64 && !purego

package traces

import (
	"encoding/binary"
	"unsafe"
)

// haveAsm reports whether decodeFast is implemented in assembly.
const haveAsm = true

// opInfo's size is what decodeFast's indexing assumes.
var _ = [1]int{}[unsafe.Sizeof(opInfo{})-72]

// decodeFast copies an event's CPU and PID as one word, from cpuState's cpu
// and pid.
var _ = [1]int{}[unsafe.Offsetof(cpuState{}.pid)-unsafe.Offsetof(cpuState{}.cpu)-4]
var _ = [1]int{}[unsafe.Offsetof(Event{}.PID)-unsafe.Offsetof(Event{}.CPU)-4]

// decodeFast copies an event's op and flags as one 16-bit word, from the
// op's default event.
var _ = [1]int{}[unsafe.Offsetof(Event{}.Flags)-unsafe.Offsetof(Event{}.Op)-1]

// decodeFast decodes the records decodeRun's two fast paths take (a head
// byte without an extension byte, or with one that only sets a known cpu
// below 128, an mm or an extra string; a time delta of one or two bytes;
// other varints of at most eight bytes), and also those whose extension
// sets an nr (opInfo.fastAsm), from w into ev, with the prediction state st
// and c (st.cpu's), exactly as decodeRun does, and sets st.cpu. A record
// may start at w[0:wn], at most evn events are written, and nstr is the
// number of strings. It stops before the first record it does not take,
// changing nothing of it, and returns the bytes and the bytes of events it
// used. decodefast_amd64.s, with its body in decodefast_amd64.h.
//
//go:noescape
func decodeFast(st *codecState, c *cpuState, w unsafe.Pointer, wn int, ev *Event, evn int, nstr int) (used, evBytes int)

// decodeFastBMI is decodeFast with BMI1 and BMI2 instructions (PEXT joins a
// varint's groups), for CPUs that have them: decodefastbmi_amd64.s.
//
//go:noescape
func decodeFastBMI(st *codecState, c *cpuState, w unsafe.Pointer, wn int, ev *Event, evn int, nstr int) (used, evBytes int)

// cpuid executes CPUID with EAX = leaf and ECX = sub (cpuid_amd64.s).
func cpuid(leaf, sub uint32) (a, b, c, d uint32)

// hasBMI reports whether the CPU has BMI1 and BMI2 (decodeFastBMI runs).
// fastBMI reports whether decodeFastBMI is the faster of the two there: not
// on AMD CPUs before family 19h (Zen 3) or on Hygon's, whose PEXT is
// microcoded (a cycle or more per mask bit, by published latencies), nor
// on a CPU of a vendor not checked. On a Zen 3 VM decodeFastBMI decoded the benchmark
// trace 11% faster (docs/replay.md, "Eighth round").
var hasBMI, fastBMI = cpuBMI()

func cpuBMI() (has, fast bool) {
	maxLeaf, b, c, d := cpuid(0, 0)
	if maxLeaf < 7 {
		return false, false
	}
	var vendor [12]byte
	for i, r := range [3]uint32{b, d, c} {
		binary.LittleEndian.PutUint32(vendor[4*i:], r)
	}
	_, b7, _, _ := cpuid(7, 0)
	if b7&(1<<3) == 0 || b7&(1<<8) == 0 { // BMI1, BMI2
		return false, false
	}
	a1, _, _, _ := cpuid(1, 0)
	family := a1 >> 8 & 0xf
	if family == 0xf {
		family += a1 >> 20 & 0xff
	}
	switch string(vendor[:]) {
	case "GenuineIntel":
		return true, true
	case "AuthenticAMD":
		return true, family >= 0x19
	}
	return true, false
}
