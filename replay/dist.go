package replay

import (
	"math"

	"github.com/lazybench/lazybench/arch"
	"math/bits"
	"slices"
	"sort"
)

// MaxExact is how many samples a Dist keeps exactly. Past that it keeps a
// uniform reservoir of MaxExact samples (deterministic), so memory stays
// constant for traces of any length; Count, Max, Min and Sum stay exact.
const MaxExact = 1 << 18

// Dist is a distribution of modeled times (ns). Percentiles are R's type 7
// (linear interpolation between order statistics: h = (n-1)p), the single
// definition lazybench uses in tables, JSON and charts.
//
// It keeps its own statistics rather than github.com/montanaflynn/stats's:
// those take a slice of every sample, and a Dist streams (count, sum, min
// and max over every sample, at most MaxExact samples kept: 2 MiB whatever
// the trace's length), reads its percentiles from samples sorted once
// (Type7: BenchmarkPercentile), and finds Quantiles' three order statistics
// by selection without sorting.
type Dist struct {
	samples []float64
	n       uint64
	sum     float64
	min     float64
	max     float64
	rng     uint64
	sorted  bool
	// hist and scratch are Quantiles' working memory for large sample
	// sets, kept across Reset.
	hist    *[1 << 16]uint32
	scratch []float64
}

// Add records one sample.
func (d *Dist) Add(v float64) {
	if d.n == 0 {
		d.min, d.max = v, v
	}
	d.count(v)
	d.sorted = false
	if len(d.samples) < MaxExact {
		d.room(1)
		d.samples = append(d.samples, v)
		return
	}
	d.sample(v)
}

// room makes room for n more samples (up to MaxExact in all). The capacity
// grows fourfold, not twofold as append's would: a long trace's samples
// then leave a third of the garbage behind, whose pages the kernel must
// fault in (page faults were 7% of compare's CPU time).
func (d *Dist) room(n int) {
	if need := len(d.samples) + n; need > cap(d.samples) {
		c := min(max(need, 4*cap(d.samples), 1024), MaxExact)
		d.samples = append(make([]float64, 0, c), d.samples...)
	}
}

// count adds v to the count, sum, min and max of a Dist that has samples.
func (d *Dist) count(v float64) {
	if v < d.min {
		d.min = v
	}
	if v > d.max {
		d.max = v
	}
	d.n++
	d.sum += v
}

// sample keeps v in place of a random sample once MaxExact are kept:
// reservoir sampling (Algorithm R) with a fixed-seed xorshift generator.
func (d *Dist) sample(v float64) {
	if d.rng == 0 {
		d.rng = rngSeed
	}
	d.rng = xorshift(d.rng)
	// A uniform index in [0, n) by multiply-shift (no division).
	if j, _ := bits.Mul64(d.rng, d.n); j < MaxExact {
		d.samples[j] = v
	}
}

// rngSeed seeds the reservoir's generator (0 is never a state of it).
const rngSeed = 0x9E3779B97F4A7C15

// xorshift is the reservoir generator's step (xorshift64, 13/7/17).
func xorshift(x uint64) uint64 {
	x ^= x << 13
	x ^= x >> 7
	x ^= x << 17
	return x
}

// deferredSink is the engine's arch.Pending sink: each drained update's
// deferral time goes to the Dist.
type deferredSink struct{ d *Dist }

// Drained adds each entry's deferral time (PendingEntry.Deferral: 0 for a
// drain by a CPU whose clock is behind).
func (s deferredSink) Drained(now float64, entries []arch.PendingEntry) {
	d := s.d
	n0 := len(d.samples)
	if n0 == MaxExact {
		d.reservoir(now, entries)
		return
	}
	if d.n == 0 || n0+len(entries) > MaxExact {
		for i := range entries {
			d.Add(entries[i].Deferral(now))
		}
		return
	}
	// Add for each entry, written as one loop over locals (the common
	// case: min and max set, room for every sample): the samples are
	// stored in place and the sum taken in the same order as Add takes it.
	d.room(len(entries))
	d.samples = d.samples[:n0+len(entries)]
	out := d.samples[n0:]
	lo, hi, sum := d.min, d.max, d.sum
	for i := range entries {
		v := entries[i].Deferral(now)
		out[i] = v
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
		sum += v
	}
	d.min, d.max, d.sum = lo, hi, sum
	d.n += uint64(len(entries))
	d.sorted = false
}

// reservoir is Add for each entry's deferral time once the reservoir is
// full (Drained's common case on long traces), written as one loop over
// locals: count and sample for each, in the same order, so the sums, the
// generator and the samples kept are Add's.
func (d *Dist) reservoir(now float64, entries []arch.PendingEntry) {
	lo, hi, sum, n, rng := d.min, d.max, d.sum, d.n, d.rng
	if rng == 0 {
		rng = rngSeed
	}
	s := d.samples[:MaxExact]
	for i := range entries {
		v := entries[i].Deferral(now)
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
		n++
		sum += v
		rng = xorshift(rng)
		if j, _ := bits.Mul64(rng, n); j < MaxExact {
			s[j] = v
		}
	}
	d.min, d.max, d.sum, d.n, d.rng = lo, hi, sum, n, rng
	d.sorted = false
}

// Reset empties d, keeping its capacity.
func (d *Dist) Reset() { *d = Dist{samples: d.samples[:0], hist: d.hist, scratch: d.scratch[:0]} }

// Count returns the number of samples added.
func (d *Dist) Count() uint64 { return d.n }

// Exact reports whether every sample is kept (Count() <= MaxExact).
func (d *Dist) Exact() bool { return d.n <= MaxExact }

// Max returns the largest sample (0 if none).
func (d *Dist) Max() float64 { return d.max }

// Min returns the smallest sample (0 if none).
func (d *Dist) Min() float64 { return d.min }

// Mean returns the mean of all samples (0 if none).
func (d *Dist) Mean() float64 {
	if d.n == 0 {
		return 0
	}
	return d.sum / float64(d.n)
}

// Samples returns the kept samples in ascending order. The slice belongs to d.
func (d *Dist) Samples() []float64 {
	if !d.sorted {
		sort.Float64s(d.samples)
		d.sorted = true
	}
	return d.samples
}

// Percentile returns the p-th quantile (0 <= p <= 1) by type 7. It returns 0 for
// an empty distribution; p = 1 returns the exact maximum.
func (d *Dist) Percentile(p float64) float64 {
	if d.n == 0 {
		return 0
	}
	if p >= 1 {
		return d.max
	}
	if p <= 0 {
		return d.min
	}
	return Type7(d.Samples(), p)
}

// Quantiles returns p50, p90, p99 and max, the same values as Percentile.
// Unless the samples are already sorted, it finds the order statistics it
// needs by selection (linear time) instead of sorting them all; the samples
// are reordered.
func (d *Dist) Quantiles() Quantiles {
	if d.n == 0 {
		return Quantiles{}
	}
	if d.sorted || len(d.samples) < 64 {
		return Quantiles{P50: d.Percentile(0.5), P90: d.Percentile(0.9), P99: d.Percentile(0.99), Max: d.Max()}
	}
	// Select the order statistics left to right, each in what lies right
	// of the last: after selectNth(s, i), s[i+1:] holds exactly the larger
	// ones, so the next selection (and the min that gives the next order
	// statistic) only looks there. Order statistics do not depend on how
	// they are found: the values are those of a full sort.
	s := d.samples
	if len(s) >= radixMin {
		return d.radixQuantiles()
	}
	from := 0 // every element left of from is no larger than any right of it
	q := func(p float64) float64 {
		h := float64(len(s)-1) * p
		lo := math.Floor(h)
		i := int(lo)
		a := selectNth(s[from:], i-from)
		from = i
		if i >= len(s)-1 || h == lo {
			return a
		}
		// The next order statistic is the smallest value right of i.
		b := slices.Min(s[i+1:])
		return a + (h-lo)*(b-a)
	}
	r := Quantiles{Max: d.max}
	r.P50 = q(0.5)
	r.P90 = q(0.9)
	r.P99 = q(0.99)
	return r
}

// radixMin is the sample count from which Quantiles buckets the samples by
// their top 16 key bits first (two linear passes) and selects only inside
// the buckets that hold the wanted order statistics.
const radixMin = 1 << 14

// sortKey maps a float64 to a uint64 with the same order (negative values
// below positive ones).
func sortKey(v float64) uint64 {
	b := math.Float64bits(v)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// radixQuantiles is Quantiles for a large unsorted sample set: one pass
// counts the samples per bucket of the top 16 bits of sortKey, which names
// the bucket of each wanted order statistic (ranks i and i+1 for p50, p90,
// p99) and its rank inside; a second pass gathers the samples of those
// buckets (at most six), each bucket's in its own region, and each statistic
// is selected in its bucket's region. The values are the same order
// statistics as a full sort gives.
func (d *Dist) radixQuantiles() Quantiles {
	s := d.samples
	if d.hist == nil {
		d.hist = new([1 << 16]uint32)
	}
	h := d.hist
	clear(h[:])
	for _, v := range s {
		h[sortKey(v)>>48]++
	}
	ps := [3]float64{0.5, 0.9, 0.99}
	var ranks [6]int // ascending: lo and lo+1 of each p
	var frac [3]float64
	for j, p := range ps {
		x := float64(len(s)-1) * p
		lo := math.Floor(x)
		ranks[2*j] = int(lo)
		ranks[2*j+1] = min(int(lo)+1, len(s)-1)
		frac[j] = x - lo
	}
	// The wanted buckets, ascending: wb[t] holds n[t] samples, the first
	// of rank below[t]; rank j is in bucket of[j].
	var wb, n, below, pos [6]int
	var of [6]int
	m, j, seen := 0, 0, 0
	for b := 0; b < len(h) && j < len(ranks); b++ {
		c := int(h[b])
		if ranks[j] >= seen+c {
			seen += c
			continue
		}
		wb[m], n[m], below[m] = b, c, seen
		for j < len(ranks) && ranks[j] < seen+c {
			of[j] = m
			j++
		}
		m++
		seen += c
	}
	// Mark the wanted buckets in h (a count is at most MaxExact, far below
	// the marks), lay out their regions, and gather in one pass.
	total := 0
	for t := 0; t < m; t++ {
		h[wb[t]] = bucketMark + uint32(t)
		pos[t] = total
		total += n[t]
	}
	g := slices.Grow(d.scratch[:0], total)[:total]
	d.scratch = g
	for _, v := range s {
		if x := h[sortKey(v)>>48]; x >= bucketMark {
			t := int(x - bucketMark)
			g[pos[t]] = v
			pos[t]++
		}
	}
	// Bucket t's region now ends at pos[t].
	var stat [6]float64
	for k, rank := range ranks {
		t := of[k]
		stat[k] = selectNth(g[pos[t]-n[t]:pos[t]], rank-below[t])
	}
	r := Quantiles{Max: d.max}
	out := [3]*float64{&r.P50, &r.P90, &r.P99}
	for k := range ps {
		a, b := stat[2*k], stat[2*k+1]
		if frac[k] == 0 {
			*out[k] = a
		} else {
			*out[k] = a + frac[k]*(b-a)
		}
	}
	return r
}

// bucketMark marks a wanted bucket in radixQuantiles' histogram: mark + t for
// the t-th wanted bucket.
const bucketMark = 1 << 31

// selectNth reorders s so that s[k] is the k-th smallest element, every
// element before it no larger and every element after it no smaller
// (Hoare's quickselect with median-of-three pivots), and returns s[k].
func selectNth(s []float64, k int) float64 {
	lo, hi := 0, len(s)-1
	for hi > lo {
		mid := lo + (hi-lo)/2
		if s[mid] < s[lo] {
			s[mid], s[lo] = s[lo], s[mid]
		}
		if s[hi] < s[lo] {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if s[hi] < s[mid] {
			s[hi], s[mid] = s[mid], s[hi]
		}
		pivot := s[mid]
		i, j := lo, hi
		for i <= j {
			for s[i] < pivot {
				i++
			}
			for s[j] > pivot {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return s[k]
		}
	}
	return s[k]
}

// Type7 returns the p-th quantile of sorted (ascending) by R's type 7
// definition. It is github.com/montanaflynn/stats's Percentile (also type
// 7; TestType7MatchesStats: the same to the bit at literal percents) for
// input already sorted: stats.Percentile sorts a copy on every call, and a
// Dist's kept samples are sorted once and then read at many percentiles (a
// CDF chart reads plots.CDFPoints of them). BenchmarkPercentile, the 99th
// percentile of MaxExact samples: Type7 7-21 ns and no allocation,
// stats.Percentile 1.6-4.8 ms and 2 MiB per call (three runs each).
func Type7(sorted []float64, p float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := float64(n-1) * p
	lo := math.Floor(h)
	i := int(lo)
	if i >= n-1 {
		return sorted[n-1]
	}
	if i < 0 {
		return sorted[0]
	}
	return sorted[i] + (h-lo)*(sorted[i+1]-sorted[i])
}

// clone returns a copy of d that shares nothing with it.
func (d *Dist) clone() *Dist {
	c := *d
	c.samples = append([]float64(nil), d.samples...)
	return &c
}
