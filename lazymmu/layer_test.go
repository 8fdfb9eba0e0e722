package lazymmu

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// A step is written "CALL" or "CALLi" (i: in interrupt context) and its
// expectation "CB ENABLE/PAUSE on|off [+violation ...]", where on|off is Active
// outside interrupt context after the call.
type step struct {
	call string
	want string
}

var callNames = map[string]Call{"E": Enable, "D": Disable, "P": Pause, "R": Resume}

func parseCall(t *testing.T, s string) (Call, bool) {
	t.Helper()
	irq := strings.HasSuffix(s, "i")
	c, ok := callNames[strings.TrimSuffix(s, "i")]
	if !ok {
		t.Fatalf("bad call %q", s)
	}
	return c, irq
}

func describe(l Layer, s *State, cb Callback, v ViolationSet) string {
	act := "off"
	if l.Active(s, false) {
		act = "on"
	}
	out := fmt.Sprintf("%s %d/%d %s", cb, s.Enable(), s.Pause(), act)
	for i := Violation(0); i < NumViolations; i++ {
		if v.Has(i) {
			out += " +" + i.String()
		}
	}
	return out
}

// run applies the steps and checks every expectation; end is the expected
// result of End ("" or "unbalanced-at-end").
func run(t *testing.T, l Layer, steps []step, end string) {
	t.Helper()
	var s State
	for i, st := range steps {
		c, irq := parseCall(t, st.call)
		cb, v := l.Do(&s, c, irq)
		if got := describe(l, &s, cb, v); got != st.want {
			t.Errorf("%s step %d (%s): got %q, want %q", l.Strategy, i, st.call, got, st.want)
		}
	}
	got := ""
	if l.End(&s).Has(UnbalancedAtEnd) {
		got = "unbalanced-at-end"
	}
	if got != end {
		t.Errorf("%s End: got %q, want %q", l.Strategy, got, end)
	}
}

func seq(calls string, wants ...string) []step {
	cs := strings.Fields(calls)
	if len(cs) != len(wants) {
		panic(fmt.Sprintf("seq: %d calls, %d wants", len(cs), len(wants)))
	}
	out := make([]step, len(cs))
	for i := range cs {
		out[i] = step{cs[i], wants[i]}
	}
	return out
}

var (
	noRules  = Rules{}
	x86Rules = Rules{NestedEnterCrashes: true, LeaveInactiveCrashes: true}
)

// The reference sequence of the series' commit message (v6 09/14).
const refCalls = "E E P R D D"

// The KUnit test lazy_mmu_mode_active (mm/tests/lazy_mmu_mode_kunit.c).
const kunitCalls = "E E D P E D P R R D"

func TestSequences(t *testing.T) {
	tests := []struct {
		name  string
		layer Layer
		steps []step
		end   string
	}{
		{"upstream/ref", Layer{Upstream, noRules}, seq(refCalls,
			"enter 1/0 on", "- 2/0 on", "leave 2/1 off", "enter 2/0 on", "flush 1/0 on", "leave 0/0 off"), ""},
		{"upstream/kunit", Layer{Upstream, noRules}, seq(kunitCalls,
			"enter 1/0 on", "- 2/0 on", "flush 1/0 on", "leave 1/1 off", "- 1/1 off", "- 1/1 off",
			"- 1/2 off", "- 1/1 off", "enter 1/0 on", "leave 0/0 off"), ""},
		// The x86 rules change nothing under upstream: it never calls out of turn.
		{"upstream/kunit/x86", Layer{Upstream, x86Rules}, seq(kunitCalls,
			"enter 1/0 on", "- 2/0 on", "flush 1/0 on", "leave 1/1 off", "- 1/1 off", "- 1/1 off",
			"- 1/2 off", "- 1/1 off", "enter 1/0 on", "leave 0/0 off"), ""},
		{"noflush/ref", Layer{NoFlush, noRules}, seq(refCalls,
			"enter 1/0 on", "- 2/0 on", "leave 2/1 off", "enter 2/0 on", "- 1/0 on", "leave 0/0 off"), ""},
		{"noflush/kunit", Layer{NoFlush, noRules}, seq(kunitCalls,
			"enter 1/0 on", "- 2/0 on", "- 1/0 on", "leave 1/1 off", "- 1/1 off", "- 1/1 off",
			"- 1/2 off", "- 1/1 off", "enter 1/0 on", "leave 0/0 off"), ""},
		{"ideal/ref", Layer{Ideal, noRules}, seq(refCalls,
			"- 1/0 on", "- 2/0 on", "- 2/1 on", "- 2/0 on", "- 1/0 on", "- 0/0 on"), ""},
		{"ideal/kunit", Layer{Ideal, noRules}, seq(kunitCalls,
			"- 1/0 on", "- 2/0 on", "- 1/0 on", "- 1/1 on", "- 1/1 on", "- 1/1 on",
			"- 1/2 on", "- 1/1 on", "- 1/0 on", "- 0/0 on"), ""},
		{"none/ref", Layer{None, x86Rules}, seq(refCalls,
			"- 0/0 off", "- 0/0 off", "- 0/0 off", "- 0/0 off", "- 0/0 off", "- 0/0 off"), ""},
		{"none/kunit", Layer{None, noRules}, seq(kunitCalls,
			"- 0/0 off", "- 0/0 off", "- 0/0 off", "- 0/0 off", "- 0/0 off", "- 0/0 off",
			"- 0/0 off", "- 0/0 off", "- 0/0 off", "- 0/0 off"), ""},
		// flat (<= 6.19): the inner leave turns batching off for the rest of the
		// outer section (arm64 1ef3095b1405).
		{"flat/ref", Layer{Flat, noRules}, seq(refCalls,
			"enter 1/0 on", "enter 2/0 on", "leave 2/1 off", "enter 2/0 on", "leave 1/0 off", "leave 0/0 off"), ""},
		{"flat/ref/x86", Layer{Flat, x86Rules}, seq(refCalls,
			"enter 1/0 on", "enter 2/0 on +nested-enter", "leave 2/1 off", "enter 2/0 on", "leave 1/0 off",
			"leave 0/0 off +leave-while-inactive"), ""},
		{"flat/kunit", Layer{Flat, noRules}, seq(kunitCalls,
			"enter 1/0 on", "enter 2/0 on", "leave 1/0 off", "leave 1/1 off", "enter 2/1 on", "leave 1/1 off",
			"leave 1/2 off", "enter 1/1 on", "enter 1/0 on", "leave 0/0 off"), ""},
		{"flat/kunit/x86", Layer{Flat, x86Rules}, seq(kunitCalls,
			"enter 1/0 on", "enter 2/0 on +nested-enter", "leave 1/0 off", "leave 1/1 off +leave-while-inactive",
			"enter 2/1 on", "leave 1/1 off", "leave 1/2 off +leave-while-inactive", "enter 1/1 on",
			"enter 1/0 on +nested-enter", "leave 0/0 off"), ""},
		// typed (v1/v2): enter returns NESTED when lazy mode is on; leave(NESTED)
		// flushes; pause = leave(DEFAULT), resume = enter() thrown away.
		{"typed/ref", Layer{Typed, x86Rules}, seq(refCalls,
			"enter 1/0 on", "- 2/0 on", "leave 2/1 off", "enter 2/0 on", "flush 1/0 on", "leave 0/0 off"), ""},
		{"typed/kunit", Layer{Typed, noRules}, seq(kunitCalls,
			"enter 1/0 on", "- 2/0 on", "flush 1/0 on", "leave 1/1 off", "enter 2/1 on", "leave 1/1 off",
			"leave 1/2 off", "enter 1/1 on", "- 1/0 on", "leave 0/0 off"), ""},
		{"typed/kunit/x86", Layer{Typed, x86Rules}, seq(kunitCalls,
			"enter 1/0 on", "- 2/0 on", "flush 1/0 on", "leave 1/1 off", "enter 2/1 on", "leave 1/1 off",
			"leave 1/2 off +leave-while-inactive", "enter 1/1 on", "- 1/0 on", "leave 0/0 off"), ""},
		// countbool (v3/v4): pauses do not nest; the KUnit body inside the pause
		// trips every v4 check, and the calls still run.
		{"countbool/ref", Layer{CountBool, x86Rules}, seq(refCalls,
			"enter 1/0 on", "- 2/0 on", "leave 2/1 off", "enter 2/0 on", "flush 1/0 on", "leave 0/0 off"), ""},
		{"countbool/kunit", Layer{CountBool, noRules}, seq(kunitCalls,
			"enter 1/0 on", "- 2/0 on", "flush 1/0 on", "leave 1/1 off",
			"- 2/1 off +enable-while-paused", "flush 1/1 off +disable-while-inactive",
			"leave 1/1 off +pause-while-inactive", "enter 1/0 on", "enter 1/0 on +resume-while-active",
			"leave 0/0 off"), ""},
		{"countbool/kunit/x86", Layer{CountBool, x86Rules}, seq(kunitCalls,
			"enter 1/0 on", "- 2/0 on", "flush 1/0 on", "leave 1/1 off",
			"- 2/1 off +enable-while-paused", "flush 1/1 off +disable-while-inactive",
			"leave 1/1 off +pause-while-inactive +leave-while-inactive", "enter 1/0 on",
			"enter 1/0 on +resume-while-active +nested-enter", "leave 0/0 off"), ""},

		// Nested sections: only the outermost pair reaches enter/leave; upstream
		// flushes at every nested disable.
		{"upstream/nested", Layer{Upstream, noRules}, seq("E E E D D D",
			"enter 1/0 on", "- 2/0 on", "- 3/0 on", "flush 2/0 on", "flush 1/0 on", "leave 0/0 off"), ""},
		{"typed/nested", Layer{Typed, noRules}, seq("E E E D D D",
			"enter 1/0 on", "- 2/0 on", "- 3/0 on", "flush 2/0 on", "flush 1/0 on", "leave 0/0 off"), ""},
		{"countbool/nested", Layer{CountBool, noRules}, seq("E E E D D D",
			"enter 1/0 on", "- 2/0 on", "- 3/0 on", "flush 2/0 on", "flush 1/0 on", "leave 0/0 off"), ""},
		{"flat/nested", Layer{Flat, noRules}, seq("E E E D D D",
			"enter 1/0 on", "enter 2/0 on", "enter 3/0 on", "leave 2/0 off", "leave 1/0 off", "leave 0/0 off"), ""},

		// Pause outside any section.
		{"upstream/pause-outside", Layer{Upstream, noRules}, seq("P R",
			"- 0/1 off", "- 0/0 off"), ""},
		{"countbool/pause-outside", Layer{CountBool, noRules}, seq("P R",
			"leave 0/1 off +pause-while-inactive", "enter 0/0 on +resume-while-active"), "unbalanced-at-end"},
		{"typed/pause-outside/x86", Layer{Typed, x86Rules}, seq("P R",
			"leave 0/1 off +leave-while-inactive", "enter 0/0 on"), "unbalanced-at-end"},
		{"flat/pause-outside/x86", Layer{Flat, x86Rules}, seq("P R",
			"leave 0/1 off +leave-while-inactive", "enter 0/0 on"), "unbalanced-at-end"},

		// Pause inside a pause: upstream nests them; countbool does not.
		{"upstream/pause-in-pause", Layer{Upstream, noRules}, seq("E P P R R D",
			"enter 1/0 on", "leave 1/1 off", "- 1/2 off", "- 1/1 off", "enter 1/0 on", "leave 0/0 off"), ""},
		{"countbool/pause-in-pause", Layer{CountBool, noRules}, seq("E P P R R D",
			"enter 1/0 on", "leave 1/1 off", "leave 1/1 off +pause-while-inactive", "enter 1/0 on",
			"enter 1/0 on +resume-while-active", "leave 0/0 off"), ""},

		// Enable/disable while paused: a pair both inside one pause is legal; a
		// disable of a section opened before the pause is dropped.
		{"upstream/legal-pair-in-pause", Layer{Upstream, noRules}, seq("E P E D R D",
			"enter 1/0 on", "leave 1/1 off", "- 1/1 off", "- 1/1 off", "enter 1/0 on", "leave 0/0 off"), ""},
		{"upstream/dropped-disable", Layer{Upstream, noRules}, seq("E P D R",
			"enter 1/0 on", "leave 1/1 off", "- 1/1 off +dropped-disable", "enter 1/0 on"), "unbalanced-at-end"},
		{"upstream/pair-then-dropped", Layer{Upstream, noRules}, seq("E P E D D R",
			"enter 1/0 on", "leave 1/1 off", "- 1/1 off", "- 1/1 off", "- 1/1 off +dropped-disable", "enter 1/0 on"),
			"unbalanced-at-end"},
		// Enables ignored inside an outer and an inner pause are matched across
		// the inner resume (the count belongs to the whole pause).
		{"upstream/pair-across-inner-pause", Layer{Upstream, noRules}, seq("E P E P R D R D",
			"enter 1/0 on", "leave 1/1 off", "- 1/1 off", "- 1/2 off", "- 1/1 off", "- 1/1 off", "enter 1/0 on",
			"leave 0/0 off"), ""},
		// The ignored count is reset by the outermost resume: a later disable
		// inside a new pause is dropped again.
		{"upstream/ignored-reset", Layer{Upstream, noRules}, seq("E P E R P D R D",
			"enter 1/0 on", "leave 1/1 off", "- 1/1 off", "enter 1/0 on", "leave 1/1 off",
			"- 1/1 off +dropped-disable", "enter 1/0 on", "leave 0/0 off"), ""},
		// A disable while paused with no section open is ignored and not counted.
		{"upstream/disable-paused-no-section", Layer{Upstream, noRules}, seq("P D R",
			"- 0/1 off", "- 0/1 off", "- 0/0 off"), ""},
		{"countbool/disable-while-paused", Layer{CountBool, x86Rules}, seq("E P D R",
			"enter 1/0 on", "leave 1/1 off", "leave 0/1 off +disable-while-inactive +leave-while-inactive",
			"enter 0/0 on +resume-while-active"), "unbalanced-at-end"},

		// Interrupt context: upstream and countbool ignore every call; Active is
		// false in interrupt context (checked in TestActiveIRQ).
		{"upstream/irq", Layer{Upstream, noRules}, seq("Ei E Ei Di Pi Ri D Di",
			"- 0/0 off", "enter 1/0 on", "- 1/0 on", "- 1/0 on", "- 1/0 on", "- 1/0 on", "leave 0/0 off", "- 0/0 off"), ""},
		{"countbool/irq", Layer{CountBool, noRules}, seq("Ei E Pi D",
			"- 0/0 off", "enter 1/0 on", "- 1/0 on", "leave 0/0 off"), ""},
		// Before 7.0 the generic layer did not bail out: flat/typed pass the call
		// to the arch unless its hooks return in interrupt context (arm64).
		{"flat/irq", Layer{Flat, x86Rules}, seq("E Ei Di D",
			"enter 1/0 on", "enter 2/0 on +nested-enter", "leave 1/0 off", "leave 0/0 off +leave-while-inactive"), ""},
		{"flat/irq/arm64", Layer{Flat, Rules{IgnoresIRQ: true}}, seq("E Ei Di D",
			"enter 1/0 on", "- 1/0 on", "- 1/0 on", "leave 0/0 off"), ""},
		{"typed/irq", Layer{Typed, noRules}, seq("E Ei Di D",
			"enter 1/0 on", "- 2/0 on", "flush 1/0 on", "leave 0/0 off"), ""},
		{"typed/irq/arm64", Layer{Typed, Rules{IgnoresIRQ: true}}, seq("Ei E Pi Di D",
			"- 0/0 off", "enter 1/0 on", "- 1/0 on", "- 1/0 on", "leave 0/0 off"), ""},

		// 8-bit wrap at 0.
		{"upstream/wrap-0", Layer{Upstream, noRules}, seq("D E R P",
			"flush 255/0 on +disable-underflow", "- 0/0 off +enable-overflow",
			"- 0/255 off +resume-underflow", "- 0/0 off +pause-overflow"), ""},
		{"noflush/wrap-0", Layer{NoFlush, noRules}, seq("D",
			"- 255/0 on +disable-underflow"), "unbalanced-at-end"},
		{"countbool/wrap-0", Layer{CountBool, noRules}, seq("D",
			"flush 255/0 off +disable-underflow +disable-while-inactive"), "unbalanced-at-end"},
		{"typed/underflow/x86", Layer{Typed, x86Rules}, seq("D",
			"leave 0/0 off +disable-underflow +leave-while-inactive"), ""},
		{"flat/underflow", Layer{Flat, x86Rules}, seq("D",
			"leave 0/0 off +leave-while-inactive"), ""},

		// Unbalanced at end.
		{"upstream/open-section", Layer{Upstream, noRules}, seq("E", "enter 1/0 on"), "unbalanced-at-end"},
		{"upstream/open-pause", Layer{Upstream, noRules}, seq("P", "- 0/1 off"), "unbalanced-at-end"},
		{"none/open-section", Layer{None, noRules}, seq("E", "- 0/0 off"), ""},
		{"ideal/open-section", Layer{Ideal, noRules}, seq("E", "- 1/0 on"), "unbalanced-at-end"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { run(t, tc.layer, tc.steps, tc.end) })
	}
}

// repeat returns n copies of the call c with the given expectation function.
func repeat(n int, c string, want func(i int) string) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = step{c, want(i)}
	}
	return out
}

func TestWrap255(t *testing.T) {
	// Upstream: 255 enables, then one more warns and wraps to 0 without enter;
	// 255 pauses, then one more warns and wraps to 0 without leave.
	steps := repeat(255, "E", func(i int) string {
		if i == 0 {
			return "enter 1/0 on"
		}
		return "- " + strconv.Itoa(i+1) + "/0 on"
	})
	steps = append(steps, step{"E", "- 0/0 off +enable-overflow"})
	run(t, Layer{Upstream, noRules}, steps, "")

	steps = repeat(255, "P", func(i int) string { return "- 0/" + strconv.Itoa(i+1) + " off" })
	steps = append(steps, step{"P", "- 0/0 off +pause-overflow"})
	run(t, Layer{Upstream, noRules}, steps, "")

	// Inside a section: pause 255 wraps to 0 and lazy mode is active again
	// without an enter callback (faithful to the kernel's u8).
	steps = []step{{"E", "enter 1/0 on"}}
	steps = append(steps, repeat(255, "P", func(i int) string {
		if i == 0 {
			return "leave 1/1 off"
		}
		return "- 1/" + strconv.Itoa(i+1) + " off"
	})...)
	steps = append(steps, step{"P", "- 1/0 on +pause-overflow"})
	run(t, Layer{Upstream, noRules}, steps, "unbalanced-at-end")

	// countbool: count wraps to 0 on the 256th enable (v3 VM_BUG_ON) without
	// enter; active stays set.
	steps = repeat(255, "E", func(i int) string {
		if i == 0 {
			return "enter 1/0 on"
		}
		return "- " + strconv.Itoa(i+1) + "/0 on"
	})
	steps = append(steps, step{"E", "- 0/0 on +enable-overflow"})
	run(t, Layer{CountBool, x86Rules}, steps, "unbalanced-at-end")
}

func TestTypedStackOverflow(t *testing.T) {
	// 256 enables: 255 values fit, the 256th is lost (enable-overflow). The 256
	// disables then pop 254 NESTED (flush), the DEFAULT (leave), and the last
	// finds an empty stack (disable-underflow, leave(DEFAULT) while off).
	steps := repeat(255, "E", func(i int) string {
		if i == 0 {
			return "enter 1/0 on"
		}
		return "- " + strconv.Itoa(i+1) + "/0 on"
	})
	steps = append(steps, step{"E", "- 255/0 on +enable-overflow"})
	steps = append(steps, repeat(254, "D", func(i int) string { return "flush " + strconv.Itoa(254-i) + "/0 on" })...)
	steps = append(steps, step{"D", "leave 0/0 off"})
	steps = append(steps, step{"D", "leave 0/0 off +disable-underflow +leave-while-inactive"})
	run(t, Layer{Typed, x86Rules}, steps, "")

	// The stack keeps every bit: DEFAULT values pushed inside pauses at depth
	// 100 and 200 come back in order.
	l := Layer{Typed, noRules}
	var s State
	var cbs []Callback
	do := func(c Call) {
		cb, _ := l.Do(&s, c, false)
		cbs = append(cbs, cb)
	}
	for i := 0; i < 250; i++ {
		if i == 100 || i == 200 {
			do(Pause)
			do(Enable) // DEFAULT: the arch is off inside the pause
			do(Resume) // enter() thrown away: already on
		} else {
			do(Enable)
		}
	}
	cbs = cbs[:0]
	for i := 0; i < 250; i++ {
		do(Disable)
	}
	for i, cb := range cbs {
		depth := 249 - i // the depth popped
		want := CbFlush
		if depth == 0 || depth == 100 || depth == 200 {
			want = CbLeave
		}
		if cb != want {
			t.Errorf("disable popping depth %d: got %s, want %s", depth, cb, want)
		}
	}
}

func TestActiveIRQ(t *testing.T) {
	for _, st := range Strategies() {
		l := Layer{st, noRules}
		var s State
		l.Do(&s, Enable, false)
		if l.Active(&s, true) {
			t.Errorf("%s: active in interrupt context", st)
		}
		want := st != None
		if got := l.Active(&s, false); got != want {
			t.Errorf("%s: active after enable = %v, want %v", st, got, want)
		}
	}
}

func TestUnknownStrategy(t *testing.T) {
	l := Layer{Strategy: NumStrategies}
	var s State
	if cb, v := l.Do(&s, Enable, false); cb != CbNone || v != 0 {
		t.Errorf("unknown strategy: got %s %b", cb, v)
	}
	if l.Active(&s, false) {
		t.Error("unknown strategy active")
	}
}
