//go:build amd64

package arch

import "unsafe"

// PendingEntry's layout on amd64 is what arch/arm64's assembly writes
// (deferloop_amd64.s): addr 0, T 8, mm 16, nr 20, shift 24, size 32. (On
// 32-bit arches the struct is 28 bytes; no assembly writes it there.)
var (
	_ = [1]int{}[unsafe.Offsetof(PendingEntry{}.T)-8]
	_ = [1]int{}[unsafe.Offsetof(PendingEntry{}.mm)-16]
	_ = [1]int{}[unsafe.Offsetof(PendingEntry{}.nr)-20]
	_ = [1]int{}[unsafe.Offsetof(PendingEntry{}.shift)-24]
	_ = [1]int{}[unsafe.Sizeof(PendingEntry{})-32]
)
