package traces

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lazybench/lazybench/internal/atomicfile"
)

// Format is a trace file format.
type Format uint8

// The trace file formats.
const (
	FormatUnknown Format = iota
	FormatText           // the text format (.lmt.txt, .txt)
	FormatBinary         // the binary format (.lmt)
	FormatZstd           // the binary format compressed with zstd (.lmt.zst)
)

// String returns the format's name as accepted by ParseFormat.
func (f Format) String() string {
	switch f {
	case FormatText:
		return "text"
	case FormatBinary:
		return "binary"
	case FormatZstd:
		return "zstd"
	}
	return "unknown"
}

// ParseFormat returns the format named "text", "binary" or "zstd".
func ParseFormat(name string) (Format, error) {
	switch name {
	case "text":
		return FormatText, nil
	case "binary":
		return FormatBinary, nil
	case "zstd":
		return FormatZstd, nil
	}
	return FormatUnknown, fmt.Errorf("unknown trace format %q (want text, binary or zstd)", name)
}

// FormatFromName chooses a format from a file name: .lmt.zst or .zst is zstd,
// .lmt is binary, .lmt.txt or .txt is text. Anything else is FormatUnknown.
// Readers never use names: they detect the format by content.
func FormatFromName(path string) Format {
	switch {
	case strings.HasSuffix(path, ".zst"):
		return FormatZstd
	case strings.HasSuffix(path, ".lmt"):
		return FormatBinary
	case strings.HasSuffix(path, ".txt"):
		return FormatText
	}
	return FormatUnknown
}

// NewWriter returns a writer of format f to w, with the given metadata. Close
// the returned writer to finish the trace (the binary format writes its header,
// preamble and records at Close, spooling large bodies to a temporary file);
// it does not close w.
func NewWriter(w io.Writer, f Format, meta Meta) (Writer, error) {
	switch f {
	case FormatText:
		tw, err := NewTextWriter(w, meta)
		if err != nil {
			return nil, err
		}
		return tw, nil
	case FormatBinary:
		bw, err := NewBinaryWriter(w, meta)
		if err != nil {
			return nil, err
		}
		return bw, nil
	case FormatZstd:
		return NewZstdWriter(w, meta)
	}
	return nil, fmt.Errorf("traces: cannot write format %v", f)
}

// WriteFile writes a trace to path atomically: fill writes the events to the
// Writer it is given, and path is replaced only if fill and the writer's Close
// succeed. If f is FormatUnknown, the format is chosen from path's name.
func WriteFile(path string, f Format, meta Meta, fill func(w Writer) error) error {
	if f == FormatUnknown {
		if f = FormatFromName(path); f == FormatUnknown {
			return fmt.Errorf("%s: cannot tell the trace format from the name (want .lmt, .lmt.zst or .lmt.txt)", path)
		}
	}
	return atomicfile.Write(path, func(out io.Writer) error {
		w, err := NewWriter(out, f, meta)
		if err != nil {
			return err
		}
		if sw, ok := w.(interface{ SetSpoolDir(string) }); ok {
			// Large binary traces spool their records next to the output
			// (os.TempDir may be in memory), unless the output is written
			// through (a device or FIFO: its directory may be /dev).
			if target, through, err := atomicfile.Resolve(path); err == nil && !through {
				sw.SetSpoolDir(filepath.Dir(target))
			}
		}
		if err := fill(w); err != nil {
			return err
		}
		return w.Close()
	})
}

// Copy writes every event of r to w, translating string indexes, and returns
// the number of events copied. It does not close w. A reader error is returned
// as is.
func Copy(w Writer, r Reader) (int64, error) {
	var n int64
	var xlate []uint32 // reader string index -> writer string index
	for r.Next() {
		e := *r.Event()
		if e.Site != 0 || e.Extra != 0 {
			if m := max(e.Site, e.Extra); int(m) >= len(xlate) {
				strs := r.Strings()
				if int(m) >= len(strs) {
					return n, fmt.Errorf("traces: copy: event %d: string index %d beyond table of %d", n, m, len(strs))
				}
				for i := len(xlate); i < len(strs); i++ {
					xlate = append(xlate, w.AddString(strs[i]))
				}
			}
			e.Site, e.Extra = xlate[e.Site], xlate[e.Extra]
		}
		if err := w.Write(&e); err != nil {
			return n, err
		}
		n++
	}
	return n, r.Err()
}

// ConvertFile copies the trace at in (any format, detected from its
// content) with its metadata to the file out in format f, written
// atomically, and returns the number of events copied.
func ConvertFile(in, out string, f Format) (int64, error) {
	r, c, err := Open(in)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	var n int64
	err = WriteFile(out, f, r.Meta(), func(w Writer) error {
		var err error
		n, err = Copy(w, r)
		return err
	})
	return n, err
}

// Open opens the trace at path, detecting its format from its content, and
// returns a reader and the file to close when done.
func Open(path string) (Reader, io.Closer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if c, ok := r.(io.Closer); ok {
		return r, multiCloser{c, f}, nil
	}
	return r, f, nil
}

type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var first error
	for _, c := range m {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Detect returns the format of a trace from its first bytes (at least 8 for a
// sure answer): the binary magic, the zstd frame magic, or else text.
func Detect(head []byte) Format {
	switch {
	case bytes.HasPrefix(head, []byte(BinaryMagic)):
		return FormatBinary
	case bytes.HasPrefix(head, zstdMagic):
		return FormatZstd
	}
	return FormatText
}

var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// NewReader returns a reader of the trace in r, detecting text, binary or
// zstd-compressed content (of either) by its first bytes; name is used in
// error messages. An error is returned only for a bad binary header or zstd
// frame; text errors show up through Err. For zstd input the reader
// implements io.Closer: Close releases the decoder; a binary reader's Close
// ends SetWorkers' helpers (Open does both for you).
func NewReader(r io.Reader, name string) (Reader, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	head, _ := br.Peek(len(BinaryMagic))
	switch Detect(head) {
	case FormatBinary:
		bin, err := NewBinaryReader(br, name)
		if err != nil {
			return nil, err
		}
		return bin, nil
	case FormatZstd:
		zr, err := newZstdReader(br, name)
		if err != nil {
			return nil, err
		}
		inner, err := NewReader(zr, name)
		if err != nil {
			zr.Close()
			return nil, err
		}
		return &closingReader{Reader: inner, c: zr}, nil
	}
	return NewTextReader(br, name), nil
}

// closingReader is a Reader that owns a resource to release.
type closingReader struct {
	Reader
	c io.Closer
}

// Close ends the inner reader's goroutines, if it has any (SetWorkers), and
// releases the resource.
func (r *closingReader) Close() error {
	if c, ok := r.Reader.(io.Closer); ok {
		return multiCloser{c, r.c}.Close()
	}
	return r.c.Close()
}

// Line returns the text line of the current event, if the inner reader knows it.
func (r *closingReader) Line() int {
	if l, ok := r.Reader.(Liner); ok {
		return l.Line()
	}
	return 0
}
