package report

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/lazybench/lazybench/internal/atomicfile"
)

// MarkerFile is the file every report directory holds: Write replaces an
// existing non-empty directory only if it holds one (or Options.Force).
const MarkerFile = ".lazybench-report"

const markerText = "This directory is a lazybench report; lazybench report -o replaces it whole.\n"

// CheckDir returns an error if dir cannot take a report: it exists and is
// not a directory, or it is a non-empty directory without MarkerFile and
// force is false (a report replaces the whole directory).
func CheckDir(dir string, force bool) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("report: %s exists and is not a directory", dir)
	}
	if force {
		return nil
	}
	if _, err := os.Lstat(filepath.Join(dir, MarkerFile)); err == nil {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if len(ents) > 0 {
		return fmt.Errorf("report: %s is not empty and is not a lazybench report (no %s); a report replaces the whole directory: pass --force to replace it anyway", dir, MarkerFile)
	}
	return nil
}

// makeTemp creates the directory the report is built in, next to dir and
// named with this process's id (atomicfile.TempPrefix), after removing
// those that processes no longer running left behind.
func makeTemp(dir string) (string, error) {
	parent, base := filepath.Dir(filepath.Clean(dir)), filepath.Base(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	atomicfile.RemoveStale(parent, base)
	tmp, err := os.MkdirTemp(parent, atomicfile.TempPrefix(base)+"*")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	return tmp, os.WriteFile(filepath.Join(tmp, MarkerFile), []byte(markerText), 0o644)
}

// install puts the built report tmp in dir's place and removes what was
// there. An existing dir is exchanged with tmp in one step (exchange:
// renameat2 RENAME_EXCHANGE on Linux), so dir always exists; where that is
// not available it is moved aside first (a moment without dir). A dir that
// another run created meanwhile is exchanged in turn.
func install(tmp, dir string) error {
	for range 8 {
		err := exchange(tmp, dir)
		switch {
		case err == nil:
			return os.RemoveAll(tmp) // now the old report
		case errors.Is(err, fs.ErrNotExist):
			err = os.Rename(tmp, dir)
			if err == nil {
				return nil
			}
			if !errors.Is(err, syscall.EEXIST) && !errors.Is(err, syscall.ENOTEMPTY) {
				return err
			}
			// Another run put its report in place first: exchange.
		case errors.Is(err, errNoExchange):
			return moveAside(tmp, dir)
		default:
			return err
		}
	}
	return fmt.Errorf("report: %s keeps appearing and disappearing: not replaced", dir)
}

// errNoExchange is exchange's error where the system cannot exchange.
var errNoExchange = errors.New("exchange not supported")

// moveAside is install's fallback: two renames.
func moveAside(tmp, dir string) error {
	old := tmp + ".old" // named like tmp: a later run removes it if this one dies
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(old, dir)
		return err
	}
	return os.RemoveAll(old)
}
