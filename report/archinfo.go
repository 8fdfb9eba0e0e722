package report

import (
	"strings"

	"github.com/lazybench/lazybench/arch"
)

// This file is the report's only view of what a backend is besides
// arch.Info: its label when it models an unmerged proposal and the base page
// sizes its kernel supports. Both move to arch.Info (Label, PageShifts) when
// it carries them; then these functions read it.

// archLabel returns the label a backend carries wherever it is shown ("" for
// a merged one): "unmerged proposal" when its description says it models a
// proposal that is not merged.
func archLabel(name string) string {
	info, ok := arch.Lookup(name)
	if !ok {
		return ""
	}
	doc := strings.ToLower(info.Doc)
	if strings.Contains(doc, "not merged") || strings.Contains(doc, "unmerged") {
		return "unmerged proposal"
	}
	return ""
}

// archTitle returns a backend's name with its label: "s390 (unmerged
// proposal)".
func archTitle(name string) string {
	if l := archLabel(name); l != "" {
		return name + " (" + l + ")"
	}
	return name
}

// archPageShifts lists the base page sizes (log2 bytes) the kernel supports
// on each backend's arch: arch/arm64/Kconfig (ARM64_{4K,16K,64K}_PAGES),
// arch/powerpc/Kconfig (PPC_{4K,64K}_PAGES), arch/sparc/include/asm/page_64.h
// (PAGE_SHIFT 13), x86 and s390 4 KiB only (Linux 7.3).
var archPageShifts = map[string][]uint8{
	"arm64":      {12, 14, 16},
	"ppc64-hash": {12, 16},
	"sparc64":    {13},
	"x86-xen":    {12},
	"x86":        {12},
	"s390":       {12},
}

// pageSizeFits reports whether a trace of base page size pageSize (bytes; 0
// unknown) could come from a kernel of backend name. Unknown sizes and
// backends fit.
func pageSizeFits(name string, pageSize uint32) bool {
	shifts, ok := archPageShifts[name]
	if !ok || pageSize == 0 {
		return true
	}
	for _, s := range shifts {
		if uint32(1)<<s == pageSize {
			return true
		}
	}
	return false
}
