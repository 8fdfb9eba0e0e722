package record

import (
	"bytes"
	"encoding/binary"
)

// The arches probe discovery knows. Each has its own file (discover.go for
// x86-64's paravirt sites, discover_aarch64.go for arm64 (not _arm64.go: that suffix is a GOARCH build constraint)'s generic lazy MMU
// layer); what they share is Result, Probe, the kinds and the probes file.
const (
	ArchX86_64 = "x86_64"
	ArchARM64  = "arm64"
)

// arm64ImageMagic is "ARM\x64" at offset 0x38 of an arm64 kernel Image
// (Documentation/arch/arm64/booting.rst, the image header).
var arm64ImageMagic = []byte{'A', 'R', 'M', 0x64}

// IsARM64Image reports whether img is an uncompressed arm64 kernel Image
// (what Debian's arm64 vmlinuz is since 7.x).
func IsARM64Image(img []byte) bool {
	return len(img) >= 64 && bytes.Equal(img[0x38:0x3c], arm64ImageMagic)
}

// ImageArch returns the arch of a kernel image: arm64 for an arm64 Image or
// an AArch64 ELF file, else x86_64 (a bzImage, or an x86-64 ELF vmlinux).
func ImageArch(img []byte) string {
	if IsARM64Image(img) {
		return ArchARM64
	}
	// ELF e_machine at 18: EM_AARCH64 = 183.
	if len(img) >= 20 && bytes.HasPrefix(img, elfMagic) && binary.LittleEndian.Uint16(img[18:]) == 183 {
		return ArchARM64
	}
	return ArchX86_64
}
