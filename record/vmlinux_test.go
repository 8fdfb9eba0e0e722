package record

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// bzHeader returns a fake bzImage of size n whose setup header points at a
// payload of length pl at offset po (relative to the protected-mode code).
func bzHeader(n int, setup byte, po, pl uint32) []byte {
	b := make([]byte, n)
	b[0x1f1] = setup
	copy(b[0x202:], "HdrS")
	binary.LittleEndian.PutUint16(b[0x206:], 0x20f)
	binary.LittleEndian.PutUint32(b[0x248:], po)
	binary.LittleEndian.PutUint32(b[0x24c:], pl)
	return b
}

func TestBzImagePayload(t *testing.T) {
	tests := []struct {
		img    []byte
		off, n int
		ok     bool
	}{
		{bzHeader(0x2000, 3, 0x100, 0x80), 4*512 + 0x100, 0x80, true},
		{bzHeader(0x2000, 0, 0x100, 0x80), 5*512 + 0x100, 0x80, true}, // setup_sects 0 means 4
		{bzHeader(0x1000, 3, 0x100, 0x1000), 0, 0, false},             // runs past the end
		{bzHeader(0x1000, 3, 0, 0x10), 0, 0, false},                   // no payload offset
		{make([]byte, 0x1000), 0, 0, false},                           // no HdrS
		{[]byte("short"), 0, 0, false},
	}
	for i, tt := range tests {
		off, n, ok := bzImagePayload(tt.img)
		if off != tt.off || n != tt.n || ok != tt.ok {
			t.Errorf("case %d: bzImagePayload = %#x %#x %v, want %#x %#x %v", i, off, n, ok, tt.off, tt.n, tt.ok)
		}
	}
}

func FuzzBzImagePayload(f *testing.F) {
	f.Add(bzHeader(0x1000, 3, 0x10, 0x10))
	f.Add(bzHeader(0x300, 0, 0xffffffff, 0xffffffff))
	f.Fuzz(func(t *testing.T, img []byte) {
		off, n, ok := bzImagePayload(img)
		if ok && (off < 0 || n <= 0 || off+n > len(img)) {
			t.Fatalf("payload %#x+%#x outside an image of %d bytes", off, n, len(img))
		}
	})
}

// FuzzExtractVmlinux: any image gives an error or an ELF file, never a panic;
// an ELF input comes back unchanged.
func FuzzExtractVmlinux(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01\x01"))
	f.Add(append(bzHeader(0x1000, 3, 0x10, 0x20), "\x1f\x8b\x08garbage"...))
	f.Fuzz(func(t *testing.T, img []byte) {
		out, how, err := ExtractVmlinux(img)
		if err != nil {
			if out != nil {
				t.Fatalf("error %v with %d bytes of output", err, len(out))
			}
			return
		}
		if !bytes.HasPrefix(out, elfMagic) || how == "" {
			t.Fatalf("%q: %d bytes not starting with the ELF magic", how, len(out))
		}
		if bytes.HasPrefix(img, elfMagic) && !bytes.Equal(out, img) {
			t.Fatal("an ELF input was changed")
		}
	})
}

func TestLimitedBuffer(t *testing.T) {
	b := &limitedBuffer{max: 5}
	if n, err := b.Write([]byte("abc")); n != 3 || err != nil {
		t.Fatalf("first write: %d, %v", n, err)
	}
	if n, err := b.Write([]byte("def")); n != 0 || err == nil || !b.over {
		t.Fatalf("write past the limit: %d, %v, over %v", n, err, b.over)
	}
	if got := b.buf.String(); got != "abc" {
		t.Errorf("kept %q, want %q", got, "abc")
	}
}
