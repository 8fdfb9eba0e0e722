package arch

// Pending is the set of updates a backend has deferred and that have not taken
// effect yet, grouped by owner: the CPU index for per-CPU batches (powerpc,
// sparc64, Xen, s390), the task index for per-task state (arm64). The hazard
// oracle asks it whether an address still has a deferred update; draining an
// owner hands its entries to Sink.
//
// Entries are kept one per update; slices are reused, so a steady-state replay
// allocates nothing.
type Pending struct {
	lists [][]PendingEntry
	total int
	// Sink, if set, is given the entries of each drain (one call per
	// drain, none for an empty one).
	Sink DrainSink
}

// DrainSink receives the entries of one drain: they took effect at now
// (each one's deferral time is now minus its T; they come in the order they
// were added). The slice is only valid during the call.
type DrainSink interface {
	Drained(now float64, entries []PendingEntry)
}

// PendingEntry is one deferred update. It keeps the update's fields as
// given; the oracle computes their byte range (span) when it asks, which is
// rare next to adding.
type PendingEntry struct {
	addr  uint64
	T     float64 // modeled time it was deferred
	mm    uint32
	nr    uint32
	shift uint8
}

// Deferral returns how long the entry was deferred if it takes effect at
// now: now minus T, or 0 for a drain by a CPU whose clock is behind the one
// that deferred it.
func (x *PendingEntry) Deferral(now float64) float64 {
	v := now - x.T
	if v < 0 {
		v = 0
	}
	return v
}

func span(addr uint64, nr uint32, shift uint8) (uint64, uint64) {
	if nr == 0 {
		nr = 1
	}
	if shift == 0 || shift > 40 {
		shift = 12
	}
	return addr, addr + uint64(nr)<<shift
}

// Add records an update of nr pages of 1<<shift bytes at addr in mm, deferred
// by owner at modeled time now.
func (p *Pending) Add(owner int, mm uint32, addr uint64, nr uint32, shift uint8, now float64) {
	for owner >= len(p.lists) {
		p.lists = append(p.lists, nil)
	}
	// The fields are stored in place: appending a composite literal built
	// it on the stack and copied it with wider loads than its stores, a
	// store-forwarding stall that cost 18% of compare's CPU time.
	l := append(p.lists[owner], PendingEntry{})
	x := &l[len(l)-1]
	x.addr, x.T, x.mm, x.nr, x.shift = addr, now, mm, nr, shift
	p.lists[owner] = l
	p.total++
}

// Len returns the number of entries owner has deferred.
func (p *Pending) Len(owner int) int {
	if owner < 0 || owner >= len(p.lists) {
		return 0
	}
	return len(p.lists[owner])
}

// Total returns the number of deferred entries of every owner.
func (p *Pending) Total() int { return p.total }

// Drain makes every entry of owner take effect at time now and returns how many
// there were.
func (p *Pending) Drain(owner int, now float64) int {
	if owner < 0 || owner >= len(p.lists) {
		return 0
	}
	l := p.lists[owner]
	if len(l) == 0 {
		return 0
	}
	if p.Sink != nil {
		p.Sink.Drained(now, l)
	}
	p.lists[owner] = l[:0]
	p.total -= len(l)
	return len(l)
}

// DrainAll drains every owner and returns how many entries there were.
func (p *Pending) DrainAll(now float64) int {
	n := 0
	for o := range p.lists {
		n += p.Drain(o, now)
	}
	return n
}

// Overlaps reports whether any owner has a deferred update of mm overlapping
// nr pages of 1<<shift bytes at addr.
func (p *Pending) Overlaps(mm uint32, addr uint64, nr uint32, shift uint8) bool {
	return p.OverlapOwner(mm, addr, nr, shift) >= 0
}

// OverlapOwner returns the first owner with a deferred update of mm
// overlapping nr pages of 1<<shift bytes at addr, or -1 if there is none.
func (p *Pending) OverlapOwner(mm uint32, addr uint64, nr uint32, shift uint8) int {
	if p.total == 0 {
		return -1
	}
	s, e := span(addr, nr, shift)
	for o, l := range p.lists {
		for i := range l {
			if x := &l[i]; x.mm == mm {
				if xs, xe := span(x.addr, x.nr, x.shift); xs < e && s < xe {
					return o
				}
			}
		}
	}
	return -1
}

// Reset empties the set, keeping its capacity and Sink.
func (p *Pending) Reset() {
	for o := range p.lists {
		p.lists[o] = p.lists[o][:0]
	}
	p.total = 0
}
