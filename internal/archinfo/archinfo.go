// Package archinfo answers, from arch.Info, what the report and the charts
// show about a backend besides its name: its label when it models an
// unmerged proposal, and whether a trace's base page size is one its kernel
// supports.
package archinfo

import "github.com/lazybench/lazybench/arch"

// Label returns the label a backend carries wherever it is shown
// (arch.Info.Label, "" for a merged one or an unknown name).
func Label(name string) string {
	if info, ok := arch.Lookup(name); ok {
		return info.Label
	}
	return ""
}

// Title returns a backend's name with its label (arch.Title).
func Title(name string) string { return arch.Title(name) }

// PageShifts returns the base page sizes (log2 bytes) the kernel of backend
// name supports (arch.Info.PageShifts; nil for an unknown name).
func PageShifts(name string) []uint8 {
	if info, ok := arch.Lookup(name); ok {
		return info.PageShifts
	}
	return nil
}

// Fits reports whether a trace of base page size pageSize (bytes; 0
// unknown) could come from a kernel of backend name. Unknown sizes and
// backends fit.
func Fits(name string, pageSize uint32) bool {
	shifts := PageShifts(name)
	if len(shifts) == 0 || pageSize == 0 {
		return true
	}
	for _, s := range shifts {
		if uint32(1)<<s == pageSize {
			return true
		}
	}
	return false
}
