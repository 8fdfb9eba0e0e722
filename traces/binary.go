package traces

import (
	"errors"
	"io"
)

// BinaryMagic starts every binary trace.
const BinaryMagic = "\x8aLMT\r\n\x1a\n"

// NewBinaryWriter is not written yet.
func NewBinaryWriter(w io.Writer, meta Meta) (Writer, error) { return nil, errors.New("todo") }

// NewZstdWriter is not written yet.
func NewZstdWriter(w io.Writer, meta Meta) (Writer, error) { return nil, errors.New("todo") }

// NewBinaryReader is not written yet.
func NewBinaryReader(r io.Reader, name string) (Reader, error) { return nil, errors.New("todo") }

func newZstdReader(r io.Reader, name string) (io.ReadCloser, error) { return nil, errors.New("todo") }
