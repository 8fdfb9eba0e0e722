package replay

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// blockReader hands out events in blocks of n (BlockReader), reusing one
// buffer as traces.BinaryReader does, so a block is overwritten by the next.
type blockReader struct {
	sliceReader
	n   int
	buf []traces.Event
}

func (r *blockReader) Block() []traces.Event {
	if r.i >= len(r.ev) {
		return nil
	}
	k := min(r.n, len(r.ev)-r.i)
	r.buf = append(r.buf[:0], r.ev[r.i:r.i+k]...)
	r.i += k
	return r.buf
}

// midTrace: task 1's enable is preempted (mid=1) after pre events on CPU 0
// and gap events on CPU 1 between the enable and the switch.
func midTrace(pre, gap int) string {
	var b strings.Builder
	for i := 0; i < pre; i++ {
		b.WriteString("0 0 1 work ns=1\n")
	}
	b.WriteString("0 0 1 enable\n")
	for i := 0; i < gap; i++ {
		b.WriteString("0 1 9 work ns=1\n")
	}
	b.WriteString("0 0 1 switch next=2 mid=1\n0 0 2 work ns=5\n0 0 2 switch next=1\n0 0 1 set addr=1000\n0 0 1 disable\n")
	return b.String()
}

// The mid=1 lookahead gives the same answer wherever the block boundaries
// fall (the enable last in a block, the switch blocks later) and whether the
// reader has blocks or not (blocks longer than the ownChunk events the
// lookahead copies of the next one leave the rest of it to be replayed in
// place): the held enter makes the fake's nested-enter
// when the switch is within lookahead events of the enable, and not past it.
func TestLookaheadAcrossBlocks(t *testing.T) {
	for _, c := range []struct{ pre, gap int }{
		{0, 0}, {126, 0}, {127, 0}, {128, 0}, {255, 0}, {300, 0},
		{120, 200}, {0, 254}, {0, 255}, {0, 256}, {0, 300}, {127, 255}, {127, 256},
		{299, 0}, {299, 255}, {299, 256}, {599, 300},
	} {
		want := uint64(0)
		if c.gap < lookahead {
			want = 1
		}
		evs := repeated(t, midTrace(c.pre, c.gap), 1)
		var first *Result
		for _, n := range []int{0, 1, 3, 128, 300, 600, 1 << 20} {
			var r traces.Reader = &sliceReader{ev: evs}
			if n > 0 {
				r = &blockReader{sliceReader: sliceReader{ev: evs}, n: n}
			}
			e, err := New(Config{Trace: "t", Backend: &fake{}, Info: fakeInfo, Strategy: lazymmu.Upstream})
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.Run(r)
			if err != nil {
				t.Fatal(err)
			}
			name := fmt.Sprintf("pre=%d gap=%d block=%d", c.pre, c.gap, n)
			if got := res.Violations["nested-enter"]; got != want {
				t.Errorf("%s: nested-enter %d, want %d", name, got, want)
			}
			if res.Events != uint64(len(evs)) {
				t.Errorf("%s: events %d, want %d", name, res.Events, len(evs))
			}
			if first == nil {
				first = res
			} else if fmt.Sprint(*res) != fmt.Sprint(*first) {
				t.Errorf("%s: result differs from the reader without blocks:\n%+v\n%+v", name, *res, *first)
			}
		}
	}
}
