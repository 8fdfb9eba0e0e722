package traces

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestDecodeFast checks that records decode the same with decodeFast as
// with decodeGeneral alone (checkDecodeFast): on the synthetic walkers, on
// every corpus trace (versions 1 and 3), on records with long varints (a
// time delta of three bytes or more, an address delta and an arg of nine or
// more, which varintWord leaves to varintSlow), and on updates with sites
// and extra strings.
func TestDecodeFast(t *testing.T) {
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
			add(OpClear, func(e *Event) { e.Addr = 1<<63 | uint64(i)<<12 }) // the first: a 10-byte address delta (varintSlow); later ones 3 bytes
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
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) { checkDecodeFast(t, data) })
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

// TestDecodeFastTakes checks which records decodeFast takes, one record at
// a time from the start of a chunk: those with no extension byte, or one
// that selects a cpu below 128 the state has already, a new mm, flags, a
// site or an extra string; it leaves every other record (a cpu not seen
// yet, a pid, nr or shift that is not the predicted one) to decodeGeneral,
// changing nothing of the state. Every record, whichever takes it, decodes
// to the event written.
func TestDecodeFastTakes(t *testing.T) {
	strs := []string{"", "a=1", "site"}
	var evs []Event
	var want []bool // decodeFast takes evs[i]
	add := func(fast bool, f func(*Event)) {
		e := Defaults(OpSet)
		if n := len(evs); n > 0 {
			e.CPU, e.PID, e.Time, e.MM = evs[n-1].CPU, evs[n-1].PID, evs[n-1].Time+5, evs[n-1].MM
		}
		e.Addr = 0x7f0000000000 + uint64(len(evs))<<12
		f(&e)
		if e.Op != OpSet {
			w := Defaults(e.Op)
			w.CPU, w.PID, w.Time, w.Arg = e.CPU, e.PID, e.Time, e.Arg
			e = w
		}
		evs, want = append(evs, e), append(want, fast)
	}
	add(false, func(e *Event) {})                                              // cpu 0 has no state yet
	add(true, func(e *Event) {})                                               // plain
	add(true, func(e *Event) { e.Time += 1 << 30 })                            // a five-byte time delta
	add(true, func(e *Event) { e.Addr = 1 << 62 })                             // an address delta too long for one word
	add(false, func(e *Event) { e.CPU = 1 })                                   // cpu 1 not seen yet
	add(true, func(e *Event) { e.CPU = 0 })                                    // back to cpu 0
	add(true, func(e *Event) { e.CPU = 1 })                                    // and to cpu 1
	add(true, func(e *Event) { e.MM = 5 })                                     // a new mm
	add(true, func(e *Event) { e.Extra = 1 })                                  // an extra string
	add(true, func(e *Event) { e.CPU, e.MM, e.Extra = 0, 6, 0 })               // cpu, mm and extra at once
	add(false, func(e *Event) { e.PID = 9 })                                   // a pid not predicted
	add(false, func(e *Event) { e.Nr = 4 })                                    // an nr
	add(true, func(e *Event) { e.Flags = 0 })                                  // flags
	add(true, func(e *Event) { e.Site = 2 })                                   // a site
	add(false, func(e *Event) { e.Shift = 21 })                                // a shift
	add(false, func(e *Event) { e.Time = 1 })                                  // an absolute time
	add(false, func(e *Event) { e.CPU = 200 })                                 // a cpu of two bytes
	add(false, func(e *Event) { e.CPU, e.PID, e.Op, e.Arg = 0, 3, OpWork, 7 }) // a cpu and a pid
	add(true, func(e *Event) { e.Op, e.Arg = OpWork, 1<<40 })                  // an arg of six bytes
	add(true, func(e *Event) { e.Op, e.Arg = OpSwitch, 12 })                   // a switch: the pid it gives
	add(true, func(e *Event) { e.PID = 12 })                                   // is predicted next
	data := encode(t, evs, strs, FormatBinary)
	r, err := NewBinaryBytesReader(data, "t")
	if err != nil {
		t.Fatal(err)
	}
	if !r.chunks || !r.chunkHead() || r.chunkLeft != uint64(len(evs)) {
		t.Fatalf("not one version 3 chunk of %d events: %v", len(evs), r.err)
	}
	buf := append(bytes.Clone(r.buf[r.p:]), make([]byte, recordWindow)...)
	nstr := uint64(len(r.strs))
	st := &r.st
	p := 0
	for i, e := range evs {
		w := (*[recordWindow]byte)(buf[p:])
		before := *st
		before.cpus = slices.Clone(st.cpus)
		var got Event
		n, code := st.decodeFast(w, &got, nstr)
		if took := n > 0; took != want[i] {
			t.Fatalf("event %d (%+v): decodeFast took it: %v, want %v", i, e, took, want[i])
		}
		if n == 0 {
			if st.cpu != before.cpu || !slices.Equal(st.cpus, before.cpus) {
				t.Fatalf("event %d: decodeFast left it but changed the state", i)
			}
			n, code = st.decodeGeneral(w, &got, nstr)
		}
		if code != decOK || got != e {
			t.Fatalf("event %d: code %d, got %+v, want %+v", i, code, got, e)
		}
		p += n
	}
	if p != len(buf)-recordWindow {
		t.Fatalf("records took %d bytes, the chunk has %d", p, len(buf)-recordWindow)
	}
}
