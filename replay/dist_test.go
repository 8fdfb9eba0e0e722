package replay

import (
	"math"
	"slices"
	"testing"

	"github.com/lazybench/lazybench/arch"
	"github.com/montanaflynn/stats"
)

func TestType7(t *testing.T) {
	// Values checked against R: quantile(c(1,2,3,4,10), c(.5,.9,.99), type=7).
	s := []float64{1, 2, 3, 4, 10}
	for _, c := range []struct{ p, want float64 }{
		{0.5, 3}, {0.9, 7.6}, {0.99, 9.76}, {0, 1}, {1, 10}, {0.25, 2},
	} {
		if got := Type7(s, c.p); got < c.want-1e-9 || got > c.want+1e-9 {
			t.Errorf("Type7(%v) = %v, want %v", c.p, got, c.want)
		}
	}
}

func TestDistQuantilesAndReservoir(t *testing.T) {
	var d Dist
	for i := 1; i <= 101; i++ {
		d.Add(float64(i))
	}
	q := d.Quantiles()
	if q.P50 != 51 || q.P90 != 91 || q.Max != 101 || q.P99 != 100 {
		t.Fatalf("quantiles = %+v", q)
	}
	d.Reset()
	for i := 0; i < 3*MaxExact; i++ {
		d.Add(float64(i % 1000))
	}
	if d.Count() != 3*MaxExact || d.Exact() || len(d.Samples()) != MaxExact || d.Max() != 999 {
		t.Fatalf("count %d exact %v kept %d max %v", d.Count(), d.Exact(), len(d.Samples()), d.Max())
	}
	if p := d.Percentile(0.5); p < 450 || p > 550 {
		t.Fatalf("reservoir median %v far from 500", p)
	}
}

// Quantiles by selection (and, from radixMin samples, by buckets first)
// equal Percentile by sorting, on data with ties, sorted and reversed runs,
// random values, both signs over many binades, and one repeated value.
func TestQuantilesSelectionMatchesSort(t *testing.T) {
	var x uint64 = 1
	rnd := func() float64 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		return float64(x % 1000)
	}
	for _, n := range []int{63, 64, 65, 100, 1000, 4097, radixMin - 1, radixMin, radixMin + 1, 70001} {
		for kind := 0; kind < 6; kind++ {
			var a, b Dist
			for i := 0; i < n; i++ {
				v := rnd()
				switch kind {
				case 1:
					v = float64(i)
				case 2:
					v = float64(n - i)
				case 3:
					v = float64(i % 3)
				case 4: // negative and positive, many binades
					v = (v - 500) * float64(int(1)<<(i%40)) * 1e-6
				case 5:
					v = 42
				}
				a.Add(v)
				b.Add(v)
			}
			got := a.Quantiles()
			want := Quantiles{P50: b.Percentile(0.5), P90: b.Percentile(0.9), P99: b.Percentile(0.99), Max: b.Max()}
			if got != want {
				t.Errorf("n=%d kind=%d: selection %+v, sort %+v", n, kind, got, want)
			}
			if again := a.Quantiles(); again != want {
				t.Errorf("n=%d kind=%d: second call %+v", n, kind, again)
			}
		}
	}
}

// TestDrainedAsAdd checks deferredSink.Drained against Dist.Add one sample at
// a time, over drains of 1 to 700 entries that fill the kept samples and go
// on into the reservoir (2.5 MaxExact samples): the same kept samples in the
// same order, count, sum, min, max and generator state.
func TestDrainedAsAdd(t *testing.T) {
	var d, want Dist
	sink := deferredSink{&d}
	var x uint64 = 88172645463325252
	var drains, reservoir int
	for want.Count() < 5*MaxExact/2 {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		l := make([]arch.PendingEntry, 1+x%700)
		now := float64(x%100000) / 8
		for i := range l {
			l[i].T = now - float64((x>>20+uint64(i)*7919)%5000)/4
			if i%97 == 3 {
				l[i].T = now + 1 // a CPU whose clock is behind: 0
			}
			want.Add(l[i].Deferral(now))
		}
		if want.Count() > MaxExact && want.Count()-uint64(len(l)) < MaxExact {
			reservoir++ // a drain that crosses into the reservoir
		}
		sink.Drained(now, l)
		drains++
	}
	if d.n != want.n || d.sum != want.sum || d.min != want.min || d.max != want.max || d.rng != want.rng || !slices.Equal(d.samples, want.samples) {
		t.Fatalf("after %d drains: n %d sum %v min %v max %v rng %x, %d kept; Add: %d %v %v %v %x, %d",
			drains, d.n, d.sum, d.min, d.max, d.rng, len(d.samples), want.n, want.sum, want.min, want.max, want.rng, len(want.samples))
	}
	if reservoir != 1 || d.Exact() {
		t.Fatalf("%d drains crossed into the reservoir, exact %v", reservoir, d.Exact())
	}
}

// TestDrainedFullExactly is TestDrainedAsAdd for drains that fill the kept
// samples exactly, so that the reservoir's first sample comes with a drain
// of its own (the generator not yet seeded).
func TestDrainedFullExactly(t *testing.T) {
	var d, want Dist
	sink := deferredSink{&d}
	l := make([]arch.PendingEntry, 1024) // MaxExact is a multiple
	for k := 0; want.Count() < MaxExact+3*uint64(len(l)); k++ {
		now := float64(k)
		for i := range l {
			l[i].T = now - float64((k*7919+i*104729)%5000)/4
			want.Add(l[i].Deferral(now))
		}
		sink.Drained(now, l)
		if d.Count() == MaxExact && d.rng != 0 {
			t.Fatal("generator seeded before the reservoir's first sample")
		}
	}
	if d.n != want.n || d.sum != want.sum || d.min != want.min || d.max != want.max || d.rng != want.rng || !slices.Equal(d.samples, want.samples) {
		t.Fatalf("n %d sum %v rng %x; Add: %d %v %x", d.n, d.sum, d.rng, want.n, want.sum, want.rng)
	}
}

// stats.Percentile (github.com/montanaflynn/stats v0.14) is type 7 too: on a
// table of cases it gives Type7's value to the bit wherever the percent is
// a literal (percent/100 is then the p Type7 takes). The edge cases differ
// only in how they fail: an empty input is NaN for both (stats also
// returns an error), and p = 0 is the minimum for Type7 and an error for
// stats (its percent must be in (0, 100]).
func TestType7MatchesStats(t *testing.T) {
	inputs := [][]float64{
		{7},
		{1, 2, 3, 4, 10},
		{0, 0, 0, 5, 5, 5},
		{-3.5, -1, 0, 0.25, 1e-9, 2},
		{1, 1e6, 1e12, 1e18},
		{0.1, 0.2, 0.3, 0.7, 1.1, 1.3, 1.7, 2.9, 3.1, 11},
	}
	percents := []float64{1, 10, 25, 50, 75, 90, 99, 100}
	for _, in := range inputs {
		s := slices.Clone(in)
		slices.Sort(s)
		for _, pct := range percents {
			want := Type7(s, pct/100)
			got, err := stats.Percentile(in, pct)
			if err != nil || math.Float64bits(got) != math.Float64bits(want) {
				t.Errorf("%v at %v%%: stats %v (%v), Type7 %v", in, pct, got, err, want)
			}
		}
		if got, err := stats.Percentile(in, 0); err == nil || !math.IsNaN(got) || Type7(s, 0) != s[0] {
			t.Errorf("%v at 0: stats %v (%v), Type7 %v, want an error and the minimum", in, got, err, Type7(s, 0))
		}
	}
	if got, err := stats.Percentile(nil, 50); err == nil || !math.IsNaN(got) || !math.IsNaN(Type7(nil, 0.5)) {
		t.Errorf("empty input: stats %v (%v), Type7 %v, want NaN both", got, err, Type7(nil, 0.5))
	}
}

// BenchmarkPercentile compares Type7 on the kept samples of a full Dist
// (MaxExact, sorted once) with stats.Percentile, which sorts a copy on
// every call (see Type7).
func BenchmarkPercentile(b *testing.B) {
	s := make([]float64, MaxExact)
	for i := range s {
		s[i] = float64((i * 7919) % MaxExact)
	}
	sorted := slices.Sorted(slices.Values(s))
	b.Run("impl=Type7", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Type7(sorted, 0.99)
		}
	})
	b.Run("impl=stats", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			stats.Percentile(sorted, 99)
		}
	})
}
