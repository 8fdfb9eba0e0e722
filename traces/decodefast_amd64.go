//go:build amd64 && !purego

package traces

import "unsafe"

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
// other varints of at most eight bytes) from w into ev, with the prediction
// state st and c (st.cpu's), exactly as decodeRun does, and sets st.cpu. A
// record may start at w[0:wn], at most evn events are written, and nstr is
// the number of strings. It stops before the first record it does not take,
// changing nothing of it, and returns the bytes and the bytes of events it
// used. decodefast_amd64.s.
//
//go:noescape
func decodeFast(st *codecState, c *cpuState, w unsafe.Pointer, wn int, ev *Event, evn int, nstr int) (used, evBytes int)
