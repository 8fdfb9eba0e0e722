//go:build amd64 && !purego

package traces

import "unsafe"

// haveAsm reports whether decodePlain is implemented in assembly.
const haveAsm = true

// opInfo's size is what decodePlain's indexing assumes.
var _ = [1]int{}[unsafe.Sizeof(opInfo{})-72]

// decodePlain decodes plain records (a head byte without an extension byte,
// whose bits the op allows; a time delta of one or two bytes; an address
// delta or arg of at most eight) from w into ev, with the prediction state
// st and c (st.cpu's), exactly as decodeRun's plain path does. A record may
// start at w[0:wn] and at most evn events are written. It stops before the
// first record that is not such a record, changing nothing of it, and
// returns the bytes and the bytes of events it used. decode_amd64.s.
//
//go:noescape
func decodePlain(st *codecState, c *cpuState, w unsafe.Pointer, wn int, ev *Event, evn int) (used, evBytes int)
