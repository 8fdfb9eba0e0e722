package arch

import "testing"

func TestBaseDrainRecordsBatches(t *testing.T) {
	var b Base
	var deferred []float64
	b.Pend.OnDrain = func(ns float64) { deferred = append(deferred, ns) }
	b.Pend.Add(1, 0, 0x1000, 1, 12, 10)
	b.Pend.Add(1, 0, 0x2000, 2, 12, 20)
	b.Pend.Add(0, 5, 0x1000, 1, 12, 30)
	if !b.Pend.Overlaps(0, 0x3000, 1, 12) || b.Pend.Overlaps(0, 0x4000, 1, 12) || b.Pend.Overlaps(1, 0x2000, 1, 12) {
		t.Error("Overlaps wrong")
	}
	if n := b.Drain(1, 50); n != 2 {
		t.Errorf("Drain = %d, want 2", n)
	}
	if len(deferred) != 2 || deferred[0] != 40 || deferred[1] != 30 {
		t.Errorf("deferral times %v, want [40 30]", deferred)
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
	if b.St != (Stats{}) || b.Pend.Total() != 0 || b.Pend.OnDrain == nil {
		t.Error("ResetBase")
	}
}
