package bench

import (
	"bytes"
	"testing"

	"github.com/lazybench/lazybench/traces"
)

// synth writes a deterministic mixed workload of about n events to w: tasks
// on two CPUs running kernel (vmalloc-like, mm=0) and user (mm>0) sections of
// 1..64 updates, nested sections, pauses, accesses after disables, TLB
// flushes after user sections, interrupts with updates and context switches.
// It stands in for the corpus where a trace of a chosen length is needed.
func synth(w traces.Writer, n int64) error {
	var x uint64 = 0x9E3779B97F4A7C15
	rnd := func(k uint64) uint64 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return x % k
	}
	site := w.AddString("synth")
	var count int64
	var now [2]uint64
	pids := [2]uint32{100, 200}
	emit := func(e traces.Event) error {
		now[e.CPU] += 50
		e.Time = now[e.CPU]
		count++
		return w.Write(&e)
	}
	ev := func(cpu int, op traces.Op) traces.Event {
		e := traces.Defaults(op)
		e.CPU, e.PID = uint32(cpu), pids[cpu]
		return e
	}
	for count < n {
		cpu := int(rnd(2))
		kernel := rnd(3) == 0
		mm := uint32(1 + rnd(4))
		if kernel {
			mm = 0
		}
		base := 0x7f0000000000 + rnd(1<<20)<<21
		if kernel {
			base = 0xffffc90000000000 + rnd(1<<20)<<21
		}
		en := ev(cpu, traces.OpEnable)
		en.Site = site
		if err := emit(en); err != nil {
			return err
		}
		k := 1 + rnd(64)
		nested := rnd(8) == 0
		for i := uint64(0); i < k; i++ {
			if nested && i == k/2 {
				if err := emit(ev(cpu, traces.OpEnable)); err != nil {
					return err
				}
				for j := 0; j < 4; j++ {
					u := ev(cpu, traces.OpSet)
					u.MM, u.Addr = 0, 0xffff800000000000+uint64(j)<<12
					if err := emit(u); err != nil {
						return err
					}
				}
				if err := emit(ev(cpu, traces.OpDisable)); err != nil {
					return err
				}
				a := ev(cpu, traces.OpAccess)
				a.MM, a.Addr = 0, 0xffff800000000000
				if err := emit(a); err != nil {
					return err
				}
			}
			op := traces.OpSet
			switch rnd(4) {
			case 1:
				op = traces.OpGetClear
			case 2:
				op = traces.OpModify
			}
			u := ev(cpu, op)
			u.MM, u.Addr = mm, base+i<<12
			if err := emit(u); err != nil {
				return err
			}
		}
		if rnd(16) == 0 {
			if err := emit(ev(cpu, traces.OpPause)); err != nil {
				return err
			}
			if err := emit(ev(cpu, traces.OpResume)); err != nil {
				return err
			}
		}
		if err := emit(ev(cpu, traces.OpDisable)); err != nil {
			return err
		}
		if !kernel {
			f := ev(cpu, traces.OpTLBFlush)
			f.MM, f.Addr, f.Nr = mm, base, uint32(k)
			if err := emit(f); err != nil {
				return err
			}
		}
		a := ev(cpu, traces.OpAccess)
		a.MM, a.Addr = mm, base
		if err := emit(a); err != nil {
			return err
		}
		wk := ev(cpu, traces.OpWork)
		wk.Arg = 200 + rnd(2000)
		if err := emit(wk); err != nil {
			return err
		}
		switch rnd(32) {
		case 0:
			if err := emit(ev(cpu, traces.OpIRQEnter)); err != nil {
				return err
			}
			u := ev(cpu, traces.OpSet)
			u.MM, u.Addr = 0, 0xffffc80000000000+rnd(512)<<12
			if err := emit(u); err != nil {
				return err
			}
			if err := emit(ev(cpu, traces.OpIRQExit)); err != nil {
				return err
			}
		case 1:
			s := ev(cpu, traces.OpSwitch)
			next := 100 + uint32(rnd(8))*100
			if next == pids[cpu] || next == pids[1-cpu] {
				break
			}
			s.Arg = uint64(next)
			if err := emit(s); err != nil {
				return err
			}
			pids[cpu] = next
		}
	}
	return nil
}

// synthBinary returns the binary encoding of synth(n).
func synthBinary(tb testing.TB, n int64) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := traces.NewBinaryWriter(&buf, traces.Meta{Workload: "synth", Recorder: "bench/synth_test.go"})
	if err != nil {
		tb.Fatal(err)
	}
	if err := synth(w, n); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
