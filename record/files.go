package record

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"

	"github.com/lazybench/lazybench/internal/readmax"
)

// LoadVmlinux reads a vmlinux ELF or a compressed kernel image from path
// (at most readmax.InputFile bytes) and returns the vmlinux, passing note
// a line that says where it came from.
func LoadVmlinux(path string, note func(string)) ([]byte, error) {
	img, err := readmax.File(path, readmax.InputFile, SniffImage)
	if err != nil {
		return nil, err
	}
	return vmlinuxOf(path, img, note)
}

// vmlinuxOf returns the vmlinux in img, the kernel image read from path
// (ExtractVmlinux), passing note a line that says where it came from.
func vmlinuxOf(path string, img []byte, note func(string)) ([]byte, error) {
	vm, how, err := ExtractVmlinux(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	note(fmt.Sprintf("%s: vmlinux from %s (%d bytes)", path, how, len(vm)))
	return vm, nil
}

// readKallsyms parses a kallsyms file.
func readKallsyms(path string) (*Symbols, error) {
	kf, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer kf.Close()
	return ParseKallsyms(kf, path)
}

// DiscoverFile runs the probe discovery of the image's arch on the kernel
// image at path, with the symbols of the kallsyms file (/proc/kallsyms text
// or System.map): arm64's on a raw arm64 Image, x86-64's on a bzImage or ELF
// vmlinux. The image is read (at most readmax.InputFile bytes, and
// unpacked) before the symbols; note gets a line saying what the image is.
func DiscoverFile(path, kallsyms string, note func(string)) (*Result, error) {
	img, err := readmax.File(path, readmax.InputFile, SniffImage)
	if err != nil {
		return nil, err
	}
	if IsARM64Image(img) {
		syms, err := readKallsyms(kallsyms)
		if err != nil {
			return nil, err
		}
		note(fmt.Sprintf("%s: arm64 Image (%d bytes)", path, len(img)))
		im, err := NewARM64Image(img, syms)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		res, err := DiscoverARM64(im)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return res, nil
	}
	vm, err := vmlinuxOf(path, img, note)
	if err != nil {
		return nil, err
	}
	ef, err := elf.NewFile(bytes.NewReader(vm))
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid ELF file: %v", path, err)
	}
	syms, err := readKallsyms(kallsyms)
	if err != nil {
		return nil, err
	}
	im, err := NewImage(ef, syms)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	res, err := Discover(im)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return res, nil
}
