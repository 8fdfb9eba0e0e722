package arch

import "testing"

func TestBaseDrainRecordsBatches(t *testing.T) {
	var b Base
	s := &sinkRec{}
	b.Pend.Sink = s
	b.Pend.Add(1, 0, 0x1000, 1, 12, 10)
	b.Pend.Add(1, 0, 0x2000, 2, 12, 20)
	b.Pend.Add(0, 5, 0x1000, 1, 12, 30)
	if !b.Pend.Overlaps(0, 0x3000, 1, 12) || b.Pend.Overlaps(0, 0x4000, 1, 12) || b.Pend.Overlaps(1, 0x2000, 1, 12) {
		t.Error("Overlaps wrong")
	}
	if n := b.Drain(1, 50); n != 2 {
		t.Errorf("Drain = %d, want 2", n)
	}
	if len(s.got) != 2 || s.got[0] != 40 || s.got[1] != 30 {
		t.Errorf("deferral times %v, want [40 30]", s.got)
	}
	if b.Drain(1, 60) != 0 || b.St.Flushes != 1 || b.St.Batches[2] != 1 {
		t.Errorf("empty drain must not count: Flushes=%d Batches[2]=%d", b.St.Flushes, b.St.Batches[2])
	}
	b.RecordBatch(5000)
	if b.St.Batches[MaxBatch] != 1 || b.St.Flushes != 2 {
		t.Error("large batch not in the last bucket")
	}
	b.Count(Barriers, 3)
	if b.Stats().Ops[Barriers] != 3 || b.Pending().Total() != 1 {
		t.Error("Count/Pending")
	}
	b.ResetBase()
	if b.St != (Stats{}) || b.Pend.Total() != 0 || b.Pend.Sink != s {
		t.Error("ResetBase")
	}
}

type sinkRec struct{ got []float64 }

func (s *sinkRec) Drained(now float64, entries []PendingEntry) {
	for _, e := range entries {
		s.got = append(s.got, now-e.T)
	}
}

// A Sink gets each drain's entries in one call, in the order they were
// added; an empty drain does not call it.
func TestPendingSink(t *testing.T) {
	var p Pending
	s := &sinkRec{}
	p.Sink = s
	p.Add(2, 0, 0x1000, 1, 12, 10)
	p.Add(2, 0, 0x2000, 1, 12, 25)
	p.Add(0, 0, 0x3000, 1, 12, 5)
	if n := p.Drain(2, 30); n != 2 || len(s.got) != 2 || s.got[0] != 20 || s.got[1] != 5 {
		t.Errorf("Drain = %d, sink got %v, want 2 and [20 5]", n, s.got)
	}
	if p.Drain(1, 40) != 0 || p.Drain(2, 40) != 0 || len(s.got) != 2 {
		t.Errorf("empty drains reached the sink: %v", s.got)
	}
	if p.Total() != 1 || p.DrainAll(50) != 1 || s.got[2] != 45 {
		t.Errorf("DrainAll: total %d, sink %v", p.Total(), s.got)
	}
}
