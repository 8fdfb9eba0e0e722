//go:build unix

package atomicfile

import (
	"errors"
	"syscall"
)

// Alive reports whether a process with id pid exists (on this machine: a
// temporary on a shared file system may belong to another's).
func Alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
