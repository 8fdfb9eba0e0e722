package record

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os/exec"

	"github.com/klauspost/compress/zstd"
)

// maxVmlinux bounds the size of a decompressed kernel image.
const maxVmlinux = 1 << 30

var elfMagic = []byte{0x7f, 'E', 'L', 'F'}

// Compression magics of the payload inside an x86 bzImage, as the kernel's
// scripts/extract-vmlinux looks for them.
var (
	magicGzip = []byte{0x1f, 0x8b, 0x08}
	magicXZ   = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// SniffImage checks the first bytes of a kernel image read from a stream:
// it must hold the ELF magic at 0, or one of "MZ" (EFI), the x86 boot
// header's "HdrS" at 0x202, the arm64 Image magic or a gzip, xz or zstd
// magic in head. It is for
// streams, whose size is not known before reading them (/dev/zero).
func SniffImage(head []byte) error {
	switch {
	case bytes.HasPrefix(head, elfMagic), bytes.HasPrefix(head, []byte("MZ")), IsARM64Image(head),
		len(head) >= 0x206 && string(head[0x202:0x206]) == "HdrS":
		return nil
	}
	for _, m := range [][]byte{magicGzip, magicXZ, magicZstd} {
		if bytes.Contains(head, m) {
			return nil
		}
	}
	return fmt.Errorf("not a kernel image: no ELF header, boot header, arm64 Image magic or gzip, xz or zstd magic in its first %d bytes", len(head))
}

// ExtractVmlinux returns the ELF vmlinux inside a kernel image. An ELF input
// is returned as is. For an x86 bzImage it reads the payload's place from the
// boot protocol header (payload_offset, payload_length, protocol 2.08+) and
// falls back to scanning for a compression magic, as scripts/extract-vmlinux
// does. gzip and zstd are decompressed in Go; xz by running "xz -dc", which
// must be installed (Go's standard library has no xz reader). It reports which
// method it used in how.
func ExtractVmlinux(img []byte) (vmlinux []byte, how string, err error) {
	if bytes.HasPrefix(img, elfMagic) {
		return img, "already an ELF file", nil
	}
	var candidates []int
	if off, n, ok := bzImagePayload(img); ok {
		candidates = append(candidates, off)
		img = img[:off+n]
	}
	for _, m := range [][]byte{magicXZ, magicZstd, magicGzip} {
		for i, from := 0, 0; i < 8; i++ {
			k := bytes.Index(img[from:], m)
			if k < 0 {
				break
			}
			candidates = append(candidates, from+k)
			from += k + 1
		}
	}
	var errs []error
	for _, off := range candidates {
		out, method, err := decompress(img[off:])
		if err != nil {
			errs = append(errs, fmt.Errorf("at offset %#x: %w", off, err))
			continue
		}
		if bytes.HasPrefix(out, elfMagic) {
			return out, fmt.Sprintf("%s payload at offset %#x", method, off), nil
		}
		errs = append(errs, fmt.Errorf("at offset %#x: %s payload is not an ELF file", off, method))
	}
	if len(errs) == 0 {
		return nil, "", errors.New("not an ELF file and no gzip, xz or zstd payload found (is it a kernel image?)")
	}
	return nil, "", fmt.Errorf("no ELF vmlinux found: %w", errors.Join(errs...))
}

// bzImagePayload reads the x86 boot protocol header: setup_sects at 0x1f1,
// "HdrS" at 0x202, version at 0x206, payload_offset and payload_length at
// 0x248 and 0x24c, relative to the protected-mode code after the setup sectors.
func bzImagePayload(img []byte) (off, n int, ok bool) {
	if len(img) < 0x250 || string(img[0x202:0x206]) != "HdrS" {
		return 0, 0, false
	}
	if binary.LittleEndian.Uint16(img[0x206:]) < 0x208 {
		return 0, 0, false
	}
	setup := int(img[0x1f1])
	if setup == 0 {
		setup = 4
	}
	base := (setup + 1) * 512
	po := int(binary.LittleEndian.Uint32(img[0x248:]))
	pl := int(binary.LittleEndian.Uint32(img[0x24c:]))
	if po <= 0 || pl <= 0 || base+po+pl > len(img) || base+po < 0 {
		return 0, 0, false
	}
	return base + po, pl, true
}

func decompress(b []byte) ([]byte, string, error) {
	switch {
	case bytes.HasPrefix(b, magicGzip):
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, "gzip", err
		}
		zr.Multistream(false)
		out, err := readBounded(zr)
		return out, "gzip", err
	case bytes.HasPrefix(b, magicZstd):
		zr, err := zstd.NewReader(bytes.NewReader(b), zstd.WithDecoderMaxMemory(maxVmlinux))
		if err != nil {
			return nil, "zstd", err
		}
		defer zr.Close()
		out, err := readBounded(zr)
		if len(out) > 0 && bytes.HasPrefix(out, elfMagic) {
			// Trailing bytes after the frame (the kernel appends the size) are
			// not an error for us.
			err = nil
		}
		return out, "zstd", err
	case bytes.HasPrefix(b, magicXZ):
		out, err := unxz(b)
		return out, "xz (via the xz program)", err
	}
	return nil, "", errors.New("unknown compression")
}

func readBounded(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, maxVmlinux+1))
	if n > maxVmlinux {
		return nil, fmt.Errorf("decompressed image larger than %d bytes", maxVmlinux)
	}
	return buf.Bytes(), err
}

// unxz runs "xz -dc --single-stream" (the payload is followed by other data).
func unxz(b []byte) ([]byte, error) {
	path, err := exec.LookPath("xz")
	if err != nil {
		return nil, errors.New("the payload is xz-compressed and the xz program is not installed (apt-get install xz-utils)")
	}
	cmd := exec.Command(path, "-dc", "--single-stream")
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	out := &limitedBuffer{max: maxVmlinux}
	cmd.Stdout = out
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if out.over {
			return nil, fmt.Errorf("decompressed image larger than %d bytes", maxVmlinux)
		}
		return nil, fmt.Errorf("xz: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out.buf.Bytes(), nil
}

// limitedBuffer collects at most max bytes and fails the write past them, so
// that xz's output is bounded like the gzip and zstd readers'.
type limitedBuffer struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.buf.Len()+len(p) > b.max {
		b.over = true
		return 0, errors.New("output too large")
	}
	return b.buf.Write(p)
}
