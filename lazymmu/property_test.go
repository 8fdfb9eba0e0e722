package lazymmu

import (
	"math/rand/v2"
	"testing"
)

// genBalanced decodes b into a balanced call sequence without interrupt
// context, of the grammar
//
//	Top := Section*   Section := E Body D   Body := (Section | P R)*
//
// (pauses only inside a section and never nested: the use the three designs
// agree on). Nesting depth stays below 64. It also returns, for each call, the
// section depth before the call.
func genBalanced(b []byte) (calls []Call, depths []int) {
	depth := 0
	add := func(c Call) {
		calls = append(calls, c)
		depths = append(depths, depth)
	}
	for _, x := range b {
		switch x % 4 {
		case 0:
			if depth < 63 {
				add(Enable)
				depth++
			}
		case 1:
			if depth > 0 {
				add(Disable)
				depth--
			}
		case 2:
			if depth > 0 {
				add(Pause)
				add(Resume)
			}
		case 3:
			add(Enable)
			depth++
			add(Disable)
			depth--
		}
	}
	for depth > 0 {
		add(Disable)
		depth--
	}
	return calls, depths
}

// checkBalanced checks the properties on one balanced sequence: upstream, typed
// and countbool make the same callbacks (enter/leave at the outermost level and
// at pause/resume, flush at nested disables), with no violation and nothing left
// open; upstream flushes at every nested disable and nowhere else; noflush is
// upstream without those flushes.
func checkBalanced(t *testing.T, b []byte) {
	t.Helper()
	calls, depths := genBalanced(b)
	layers := []Layer{{Upstream, x86Rules}, {Typed, x86Rules}, {CountBool, x86Rules}}
	var states [3]State
	var nf State
	noflush := Layer{NoFlush, x86Rules}
	for i, c := range calls {
		var cbs [3]Callback
		for j, l := range layers {
			cb, v := l.Do(&states[j], c, false)
			if v != 0 {
				t.Fatalf("%s call %d (%d): violations %b on a balanced sequence", l.Strategy, i, c, v)
			}
			cbs[j] = cb
		}
		if cbs[0] != cbs[1] || cbs[0] != cbs[2] {
			t.Fatalf("call %d (%d) at depth %d: upstream %s, typed %s, countbool %s", i, c, depths[i], cbs[0], cbs[1], cbs[2])
		}
		var want Callback
		switch {
		case c == Enable && depths[i] == 0, c == Resume:
			want = CbEnter
		case c == Disable && depths[i] == 1, c == Pause:
			want = CbLeave
		case c == Disable:
			want = CbFlush
		}
		if cbs[0] != want {
			t.Fatalf("upstream call %d (%d) at depth %d: %s, want %s", i, c, depths[i], cbs[0], want)
		}
		cb, _ := noflush.Do(&nf, c, false)
		if want == CbFlush {
			want = CbNone
		}
		if cb != want {
			t.Fatalf("noflush call %d (%d) at depth %d: %s, want %s", i, c, depths[i], cb, want)
		}
		for j, l := range layers {
			if got, want := l.Active(&states[j], false), c != Pause && depths[i]+depthDelta(c) > 0; got != want {
				t.Fatalf("%s call %d: active %v, want %v", l.Strategy, i, got, want)
			}
		}
	}
	for j, l := range layers {
		if v := l.End(&states[j]); v != 0 {
			t.Fatalf("%s: End %b on a balanced sequence", l.Strategy, v)
		}
	}
}

func depthDelta(c Call) int {
	switch c {
	case Enable:
		return 1
	case Disable:
		return -1
	}
	return 0
}

func TestBalancedRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 2000; n++ {
		b := make([]byte, r.IntN(200))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		checkBalanced(t, b)
	}
}

func TestGenBalanced(t *testing.T) {
	// The decoder itself: "0 0 2 1 3" -> E E P R D E D D.
	calls, depths := genBalanced([]byte{0, 0, 2, 1, 3})
	want := []Call{Enable, Enable, Pause, Resume, Disable, Enable, Disable, Disable}
	wantDepths := []int{0, 1, 2, 2, 2, 1, 2, 1}
	if len(calls) != len(want) {
		t.Fatalf("got %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] || depths[i] != wantDepths[i] {
			t.Fatalf("call %d: got %d at %d, want %d at %d", i, calls[i], depths[i], want[i], wantDepths[i])
		}
	}
}

func FuzzBalanced(f *testing.F) {
	f.Add([]byte{0, 0, 2, 1, 1})
	f.Add([]byte{0, 2, 0, 2, 1, 3, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 4096 {
			b = b[:4096]
		}
		checkBalanced(t, b)
	})
}

// FuzzDo checks that any call sequence, in and out of interrupt context, under
// every strategy and rule set, keeps the state machine's invariants: Active is
// false in interrupt context, ideal never calls back, none never changes.
func FuzzDo(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7})
	f.Add([]byte{1, 1, 3, 3, 0, 2, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		for st := Strategy(0); st < NumStrategies; st++ {
			for r := 0; r < 8; r++ {
				l := Layer{st, Rules{r&1 != 0, r&2 != 0, r&4 != 0}}
				var s State
				for _, x := range b {
					cb, _ := l.Do(&s, Call(x&3), x&4 != 0)
					if l.Active(&s, true) {
						t.Fatalf("%s: active in interrupt context", st)
					}
					if (st == Ideal || st == None) && cb != CbNone {
						t.Fatalf("%s: callback %s", st, cb)
					}
					if st == None && s != (State{}) {
						t.Fatalf("none changed state")
					}
				}
				l.End(&s)
			}
		}
	})
}

func BenchmarkDo(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	calls, _ := genBalanced(func() []byte {
		x := make([]byte, 4096)
		for i := range x {
			x[i] = byte(r.Uint32())
		}
		return x
	}())
	// A power-of-two ring of calls (the balanced sequence repeated) so that the
	// loop's indexing costs one AND.
	ring := make([]Call, 1<<12)
	for i := range ring {
		ring[i] = calls[i%len(calls)]
	}
	const mask = 1<<12 - 1
	for _, st := range Strategies() {
		b.Run("strategy="+st.String(), func(b *testing.B) {
			l := Layer{st, x86Rules}
			var s State
			var n int
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				cb, v := l.Do(&s, ring[i&mask], false)
				n += int(cb) + int(v)
			}
			if n < 0 {
				b.Fatal(n)
			}
		})
	}
}
