// Package readmax reads a file whole into memory, up to a bound, so that a
// command given a huge file or an endless stream fails naming it instead of
// allocating without bound.
package readmax

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// InputFile bounds what the record commands read whole into memory: a
// kernel image or a corpus trace (a distribution's vmlinuz is about 10 MiB,
// a vmlinux a few hundred).
const InputFile = 1 << 30

// File reads path whole, or fails naming it if it holds more than max
// bytes, instead of allocating without bound. A regular file's size is
// checked before reading (and read into one allocation); a stream (a device,
// a FIFO) is read up to max+1 bytes, after its first bytes pass sniff (nil:
// no check), so that /dev/zero is refused at once: it was read to the cap,
// 1 GiB in 34 s with 2.1 GB of memory.
func File(path string, max int64, sniff func(head []byte) error) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().IsRegular() {
		if fi.Size() > max {
			return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
		}
		data := make([]byte, fi.Size())
		if _, err := io.ReadFull(f, data); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return data, nil
	}
	br := bufio.NewReaderSize(f, 64<<10)
	if sniff != nil {
		head, _ := br.Peek(64 << 10)
		if err := sniff(head); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	data, err := io.ReadAll(io.LimitReader(br, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return data, nil
}
