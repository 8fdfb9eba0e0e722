package arch

// Base holds what every backend keeps the same way: its counters and its set
// of deferred updates. Embed it to get the Stats and Pending methods of the
// Backend interface; a backend records a drained batch with Drain or
// RecordBatch so that Stats.Flushes and Stats.Batches stay consistent.
type Base struct {
	St   Stats
	Pend Pending
}

// Stats returns the counters; the pointer stays valid.
func (b *Base) Stats() *Stats { return &b.St }

// Pending returns the set of deferred updates.
func (b *Base) Pending() *Pending { return &b.Pend }

// Count adds n to counter c.
func (b *Base) Count(c Counter, n uint64) { b.St.Ops[c] += n }

// RecordBatch counts one drain of a batch of n arch entries (n < 1 records
// nothing): one flush and one sample of the batch-size histogram.
func (b *Base) RecordBatch(n int) {
	if n < 1 {
		return
	}
	if n > MaxBatch {
		n = MaxBatch
	}
	b.St.Flushes++
	b.St.Batches[n]++
}

// Drain makes every deferred update of owner take effect at now and records
// the drain as one batch of as many entries as there were Pending entries
// (one per update event). It returns that number. A backend whose batch is
// counted in other units (PTEs, hash entries) calls Pend.Drain and
// RecordBatch itself.
func (b *Base) Drain(owner int, now float64) int {
	n := b.Pend.Drain(owner, now)
	b.RecordBatch(n)
	return n
}

// ResetBase zeroes the counters and empties the pending set, keeping its
// capacity and Sink.
func (b *Base) ResetBase() {
	b.St = Stats{}
	b.Pend.Reset()
}
