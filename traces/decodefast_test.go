package traces

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// TestOpInfoAddrOrArg checks what decodeFast's plain and extension paths
// assume of every op: an address or an arg, not both (they keep either in
// one register). The table builds ops from Ops' keys, so an op given both
// would pass every other test of the decoder.
func TestOpInfoAddrOrArg(t *testing.T) {
	n := 0
	for v := 1; v <= BinaryVersion; v++ {
		for op, in := range opInfos[v] {
			if in.kind != kindNone && in.hasArg {
				t.Errorf("version %d: %v has an address and an arg", v, Op(op))
			}
			if in.kind != kindNone || in.hasArg {
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no op with an address or an arg: the table is empty")
	}
}

// TestDecodeAsm checks that records decode the same with each assembly
// variant this CPU runs (checkDecodeAsm) as in Go: on the synthetic
// walkers, on every corpus trace (versions 1 and 3), and on records whose
// varints are too long for decodeFast (a time delta of three bytes or more,
// an address delta and an arg of nine or more), which it must leave to
// decodeRun untouched, and on updates with sites and extra strings. Without
// assembly only the long-varint trace's round trip is checked.
func TestDecodeAsm(t *testing.T) {
	walkers, strs := synthWalkers(20000, 5)
	inputs := map[string][]byte{"synth": encode(t, walkers, strs, FormatBinary)}
	files, err := filepath.Glob("../corpus/*.lmt")
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
			add(OpSet, func(e *Event) { e.Addr, e.Time = 0x1000, e.Time+1<<20 }) // 3-byte time, 7-byte address delta (and the next set's)
		case 3:
			add(OpClear, func(e *Event) { e.Addr = 1<<63 | uint64(i)<<12 }) // the first: a 10-byte address delta (too long for the assembly); later ones 3 bytes
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
	// Sites and extra strings on updates, which later plain records of
	// the op inherit (version 2's sticky extra; a site per op).
	var sticky []Event
	for i := range 64 {
		e := Defaults(OpSet)
		if i%3 == 0 {
			e.Op = OpGetClear
		}
		e.Time, e.Addr = uint64(10*i), 0x7f0000000000+uint64(i)<<12
		e.Extra = uint32(i/8) % 3
		e.Site = uint32(i/16) % 2 * 3
		sticky = append(sticky, e)
	}
	inputs["sticky extra"] = encode(t, sticky, []string{"", "a=1", "b=2", "site"}, FormatBinary)
	if haveAsm {
		for name, data := range inputs {
			t.Run(name, func(t *testing.T) { checkDecodeAsm(t, data) })
		}
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

// TestDecodeFastStops checks decodeFast (and decodeFastBMI) itself on the start of a chunk
// (pid 0 and mm 1 as predicted, so every record is one it takes): it takes
// no record of a cpu the state has no entry for yet (decodeGeneral
// grows the table), and once the cpu has one, takes the records up to the
// first with a three-byte time delta and stops before it, leaving the time
// of the last record it took.
func TestDecodeFastStops(t *testing.T) {
	if !haveAsm {
		t.Skip("no assembly on this build")
	}
	var evs []Event
	for i := range 4 {
		e := Defaults(OpSet)
		e.CPU, e.Time, e.Addr = 1, uint64(10*i), 0x7f0000000000+uint64(i)<<12
		if i == 3 {
			e.Time += 1 << 20 // a delta of three bytes
		}
		evs = append(evs, e)
	}
	data := encode(t, evs, []string{""}, FormatBinary)
	for _, m := range asmModes() {
		t.Run(m.String(), func(t *testing.T) { checkFastStops(t, m, data, evs) })
	}
}

func checkFastStops(t *testing.T, m asmMode, data []byte, evs []Event) {
	decode := decodeFast
	if m == asmBMI {
		decode = decodeFastBMI
	}
	r, err := NewBinaryBytesReader(data, "t")
	if err != nil {
		t.Fatal(err)
	}
	if !r.chunks || !r.chunkHead() {
		t.Fatalf("no version 3 chunk: %v", r.err)
	}
	buf := append(bytes.Clone(r.buf[r.p:]), make([]byte, recordWindow)...)
	out := make([]Event, len(evs))
	c := r.st.state(0)
	used, n := decode(&r.st, c, unsafe.Pointer(&buf[0]), 1, &out[0], len(out), len(r.strs))
	if used != 0 || n != 0 || r.st.cpu != 0 {
		t.Fatalf("cpu 1 not in the table: used %d bytes, %d event bytes, cpu %d; want none", used, n, r.st.cpu)
	}
	r.st.state(1)
	used, n = decode(&r.st, &r.st.cpus[0], unsafe.Pointer(&buf[0]), len(buf)-recordWindow, &out[0], len(out), len(r.strs))
	if k := n / int(unsafe.Sizeof(Event{})); k != 3 {
		t.Fatalf("took %d events, want 3", k)
	}
	for i := range 3 {
		if out[i] != evs[i] {
			t.Fatalf("event %d: got %+v, want %+v", i, out[i], evs[i])
		}
	}
	if r.st.cpu != 1 || r.st.cpus[1].time != evs[2].Time {
		t.Fatalf("state after: cpu %d, time %d; want 1, %d", r.st.cpu, r.st.cpus[1].time, evs[2].Time)
	}
	if h := buf[used]; h&headTime == 0 || buf[used+1] < 0x80 || buf[used+2] < 0x80 {
		t.Fatalf("stopped at bytes % x, want the record with a three-byte time", buf[used:used+4])
	}
}
