// Package atomicfile writes files so that readers see either the old content or
// the whole new content, never a half-written file: it writes to a temporary
// file in the same directory and renames it into place. What is not a
// regular file (a device, a FIFO, /dev/stdout) is written through instead,
// never replaced.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Write creates or replaces path with what fill writes. If fill or any step
// fails, or fill panics, path is left as it was and no temporary file
// remains. A symlink to a regular file stays a link: the file it leads to is
// replaced. If path is a device, a FIFO or a socket, or is reached through
// /proc (/dev/stdout, /dev/fd/N), fill writes through to it, appending, without a temporary
// file (what was written before an error stays written). A directory or a
// symlink to nothing is an error. Temporary files left by a process that no
// longer runs (killed during a Write of the same path) are removed.
func Write(path string, fill func(w io.Writer) error) (err error) {
	target, through, err := Resolve(path)
	if err != nil {
		return err
	}
	if through {
		return writeThrough(path, fill)
	}
	return replace(target, fill)
}

// Resolve returns the file Write replaces for path (path itself, or the
// regular file its symlinks lead to) or, with through, that path is to be
// written through (see Write). A directory or a symlink to nothing is an
// error.
func Resolve(path string) (target string, through bool, err error) {
	if viaProc(path) {
		return path, true, nil
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			return "", false, fmt.Errorf("%s: a symlink to a file that does not exist: not followed", path)
		}
		return path, false, nil
	case err != nil:
		return "", false, err
	case fi.IsDir():
		return "", false, &os.PathError{Op: "write", Path: path, Err: syscall.EISDIR}
	case !fi.Mode().IsRegular():
		return path, true, nil
	}
	target, err = filepath.EvalSymlinks(path)
	return target, false, err
}

// viaProc reports whether path, or a symlink it leads through, is in /proc
// (/dev/stdout -> /proc/self/fd/1 -> the shell's output file, which the
// shell opened and may have truncated or opened for appending).
func viaProc(path string) bool {
	p := filepath.Clean(path)
	for range 40 {
		if inProc(p) {
			return true
		}
		link, err := os.Readlink(p)
		if err != nil {
			return false
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		p = link
	}
	return false
}

// inProc reports whether p, its directory's symlinks resolved, is in /proc.
func inProc(p string) bool {
	dir, err := filepath.EvalSymlinks(filepath.Dir(p))
	if err != nil {
		dir = filepath.Dir(p)
	}
	abs, err := filepath.Abs(dir)
	return err == nil && (abs == "/proc" || strings.HasPrefix(abs, "/proc/"))
}

// writeThrough opens path for appending, without creating or truncating
// it, and lets fill write to it.
func writeThrough(path string, fill func(w io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	err = fill(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// replace writes a temporary file next to path and renames it over path.
func replace(path string, fill func(w io.Writer) error) (err error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	RemoveStale(dir, base)
	f, err := os.CreateTemp(dir, TempPrefix(base)+"*")
	if err != nil {
		// Name the file asked for, not the temporary one.
		if pe, ok := err.(*os.PathError); ok {
			return &os.PathError{Op: "create", Path: path, Err: pe.Err}
		}
		return err
	}
	tmp := f.Name()
	done := false
	defer func() { // also when fill panics
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = fill(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	done = true
	return nil
}

// TempPrefix is the start of the name of this process's temporary files for
// base: ".BASE.tmpPID-" (a random suffix follows), so that a later run can
// tell whose they are (RemoveStale).
func TempPrefix(base string) string {
	return "." + base + ".tmp" + strconv.Itoa(os.Getpid()) + "-"
}

// RemoveStale removes the temporary files and directories for base in dir
// (named by TempPrefix) whose process is gone, and returns how many it
// removed. Those of running processes stay; errors are ignored (a temporary
// that cannot be removed is left as it was).
func RemoveStale(dir, base string) int {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		pid, ok := tempPID(e.Name(), base)
		if !ok || pid == os.Getpid() || Alive(pid) {
			continue
		}
		if os.RemoveAll(filepath.Join(dir, e.Name())) == nil {
			n++
		}
	}
	return n
}

// tempPID returns the process id in name if name is a temporary of base
// (".BASE.tmpPID-..."), with ok.
func tempPID(name, base string) (pid int, ok bool) {
	rest, ok := strings.CutPrefix(name, "."+base+".tmp")
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	return pid, err == nil && pid > 0 && strconv.Itoa(pid) == digits
}
