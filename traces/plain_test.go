package traces

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPlainAsm checks that decodeRun's plain records decode the same with
// decodePlain (assembly, on amd64) as in Go: on the synthetic walkers, on
// every corpus trace (versions 1 and 3), and on records whose varints are
// too long for decodePlain (a time delta of three bytes or more, an address
// delta and an arg of nine or more), which it must leave to decodeRun
// untouched. Without assembly both reads take the Go path.
func TestPlainAsm(t *testing.T) {
	walkers, strs := synthWalkers(20000, 5)
	inputs := map[string][]byte{"synth": encode(t, walkers, strs, FormatBinary)}
	files, err := filepath.Glob("corpus/*.lmt")
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus: %v, %d files", err, len(files))
	}
	files = append(files, "testdata/all_ops.v1.lmt")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = b
	}
	// Long varints, each between plain records.
	var long []Event
	add := func(op Op, f func(*Event)) {
		e := Defaults(op)
		e.CPU, e.PID = 1, 7
		if n := len(long); n > 0 {
			e.Time = long[n-1].Time + 3
		}
		f(&e)
		long = append(long, e)
	}
	for i := range 40 {
		add(OpSet, func(e *Event) { e.Addr = 0x7f0000000000 + uint64(i)<<12 })
		switch i % 8 {
		case 1:
			add(OpSet, func(e *Event) { e.Addr, e.Time = 0x1000, e.Time+1<<20 }) // 3-byte time, 5-byte address
		case 3:
			add(OpClear, func(e *Event) { e.Addr = 1<<63 | uint64(i)<<12 }) // 9-byte address delta
		case 5:
			add(OpWork, func(e *Event) { e.Arg = 1<<60 + uint64(i) }) // 9-byte arg
		case 7:
			add(OpSwitch, func(e *Event) { e.Arg = 1<<31 + uint64(i) }) // 5-byte arg, new pid
		}
		if long[len(long)-1].Op == OpSwitch {
			// The next events run as the switched-to task.
			pid := uint32(long[len(long)-1].Arg)
			add(OpAccess, func(e *Event) { e.PID, e.Addr = pid, 0x2000 })
			add(OpSwitch, func(e *Event) { e.PID, e.Arg = pid, 7 })
		}
	}
	inputs["long varints"] = encode(t, long, []string{""}, FormatBinary)
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) { checkPlainAsm(t, data) })
	}
	// The long-varint trace round-trips, so both paths are also right.
	r, err := NewBinaryBytesReader(inputs["long varints"], "long")
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := events(r)
	if err != nil || len(got) != len(long) {
		t.Fatalf("long varints: %d of %d events: %v", len(got), len(long), err)
	}
	for i := range long {
		if got[i] != long[i] {
			t.Fatalf("long varints: event %d: got %+v, want %+v", i, got[i], long[i])
		}
	}
}
