package traces

import (
	"bytes"
	"math/rand/v2"
	"sort"
	"testing"
)

// synthWalkers returns a realistic synthetic trace of about n events: two CPUs
// running page-table walkers, each section an enable, a run of 1..512 updates
// of consecutive addresses (as copy_pte_range, zap_pte_range, change_pte_range
// and vmap do), a disable, with work, switches, accesses and TLB flushes in
// between. The two CPUs' events are merged by time, as ftrace merges its
// per-CPU buffers.
func synthWalkers(n int, seed uint64) (events []Event, strs []string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	strs = []string{"", "copy_pte_range", "zap_pte_range", "change_pte_range", "vmap_pte_range", "schedule"}
	updOps := []Op{OpWrprotect, OpGetClear, OpModify, OpSet}
	var all []Event
	for cpu := uint32(0); cpu < 2; cpu++ {
		t := uint64(1000 + cpu*7)
		pid := 100 + cpu
		for len(all) < n*(int(cpu)+1)/2 {
			kind := rng.IntN(4)
			site := uint32(kind + 1)
			mm := pid
			var addr uint64 = 0x7f0000000000 + uint64(rng.IntN(1<<20))<<12
			if kind == 3 {
				mm, addr = 0, 0xffffc90000000000+uint64(rng.IntN(1<<16))<<12
			}
			run := 1 + rng.IntN(512)
			ev := func(op Op) Event {
				e := Defaults(op)
				e.Time, e.CPU, e.PID = t, cpu, pid
				return e
			}
			e := ev(OpEnable)
			e.Site = site
			all = append(all, e)
			for i := 0; i < run; i++ {
				t += 20 + uint64(rng.IntN(60))
				e := ev(updOps[kind])
				e.Addr, e.MM, e.Site = addr, mm, site
				if kind == 1 && rng.IntN(8) == 0 {
					e.Flags |= FlagFull
				}
				addr += 4096
				all = append(all, e)
			}
			t += 30
			e = ev(OpDisable)
			e.Site = site
			all = append(all, e)
			if kind == 1 {
				t += 200
				e = ev(OpTLBFlush)
				e.Addr, e.Nr, e.MM = addr-uint64(run)*4096, uint32(run), mm
				all = append(all, e)
			}
			if rng.IntN(4) == 0 {
				t += 100
				e = ev(OpAccess)
				e.Addr, e.MM = addr-4096, mm
				all = append(all, e)
			}
			t += 500 + uint64(rng.IntN(5000))
			e = ev(OpWork)
			e.Arg = uint64(rng.IntN(5000))
			all = append(all, e)
			if rng.IntN(8) == 0 {
				t += 1000
				e = ev(OpSwitch)
				next := 100 + uint32(rng.IntN(6))
				e.Arg, e.Site = uint64(next), 5
				all = append(all, e)
				pid = next
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time < all[j].Time })
	return all, strs
}

// encode writes events in format f.
func encode(t testing.TB, events []Event, strs []string, f Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, f, Meta{Workload: "synthetic walkers", PageSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range strs[1:] {
		w.AddString(s)
	}
	for i := range events {
		if err := w.Write(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestSynthRoundTrip checks the binary codec on a large realistic trace.
func TestSynthRoundTrip(t *testing.T) {
	events, strs := synthWalkers(50000, 1)
	bin := encode(t, events, strs, FormatBinary)
	r, err := NewBinaryBytesReader(bin, "synth")
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	for r.Next() {
		if *r.Event() != events[i] {
			t.Fatalf("event %d: got %+v, want %+v", i, *r.Event(), events[i])
		}
		i++
	}
	if r.Err() != nil || i != len(events) {
		t.Fatalf("read %d of %d events: %v", i, len(events), r.Err())
	}
	if per := float64(len(bin)) / float64(len(events)); per > 6 {
		t.Errorf("binary size %.2f bytes/event, want <= 6", per)
	}
}
