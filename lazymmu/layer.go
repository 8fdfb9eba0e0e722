package lazymmu

// State is one task's generic lazy MMU state under any strategy; the zero value
// is a fresh task (nothing enabled, nothing paused). It holds no pointers and is
// small enough to copy and to keep in a flat per-task table.
//
// Which fields mean what depends on the strategy (see docs/strategies.md):
//
//   - upstream, noflush, ideal: enable = enable_count, pause = pause_count (the
//     kernel's two u8 counters), ignored = enables ignored inside the current
//     pause (to tell a dropped disable from a legal ignored pair).
//   - flat: enable = enables not yet disabled (the sections the callers have
//     open; saturating), pause = pauses not yet resumed (saturating),
//     flagArch = the arch's lazy mode is on.
//   - typed: enable = depth of the stack of values returned by enter (bit i of
//     stack set means the i-th value is LAZY_MMU_NESTED), pause = pauses not yet
//     resumed, flagArch as flat.
//   - countbool: enable = count, flagActive = active, pause = 1 while a pause is
//     open, flagArch as flat.
type State struct {
	stack   [4]uint64 // typed: bit i set = the i-th enter returned NESTED (depth <= 255)
	enable  uint8
	pause   uint8
	ignored uint8
	flags   uint8
}

const (
	flagArch   uint8 = 1 << iota // the arch's own lazy mode is on (flat, typed, countbool)
	flagActive                   // countbool's "active" bool
)

// Enable returns the enable counter that --steps shows: enable_count under
// upstream, noflush and ideal; the stack depth under typed; count under
// countbool; under flat the number of enables not yet disabled (sections open;
// counting the enter callbacks of resume too would drift: see
// docs/strategies.md); 0 under none.
func (s *State) Enable() int { return int(s.enable) }

// Pause returns the pause counter that --steps shows: pause_count under
// upstream, noflush and ideal; pauses not yet resumed under flat and typed; 1
// while paused under countbool (pauses do not nest there); 0 under none.
func (s *State) Pause() int { return int(s.pause) }

// Layer is one strategy of the generic layer combined with an arch's Rules.
type Layer struct {
	Strategy Strategy
	Rules    Rules
}

// Do applies one API call made by the task whose state is s (inIRQ: the CPU is
// in interrupt context) and returns the arch callback the kernel would make and
// the violations that fired. It never fails: a violation is counted and the
// state machine continues as the kernel would (8-bit counters wrap).
func (l Layer) Do(s *State, c Call, inIRQ bool) (Callback, ViolationSet) {
	switch l.Strategy {
	case Upstream:
		return doUpstream(s, c, inIRQ, true)
	case NoFlush:
		return doUpstream(s, c, inIRQ, false)
	case Ideal:
		// The counters are kept (for --steps and for the checks) but the
		// oracle makes no callback: the engine flushes where an access needs it.
		_, v := doUpstream(s, c, inIRQ, true)
		return CbNone, v
	case Flat:
		return l.doFlat(s, c, inIRQ)
	case Typed:
		return l.doTyped(s, c, inIRQ)
	case CountBool:
		return l.doCountBool(s, c, inIRQ)
	}
	return CbNone, 0 // None, or an unknown strategy
}

// Active reports whether lazy mode is active for the task now: what the arch's
// batching checks (is_lazy_mmu_mode_active() in 7.0).
func (l Layer) Active(s *State, inIRQ bool) bool {
	if inIRQ {
		return false
	}
	switch l.Strategy {
	case Upstream, NoFlush:
		return s.enable > 0 && s.pause == 0
	case Ideal:
		return true
	case Flat, Typed:
		return s.flags&flagArch != 0
	case CountBool:
		return s.flags&flagActive != 0
	}
	return false
}

// End reports the violations of a task that ends (the trace ends): it is
// UnbalancedAtEnd when the task is inside a section or a pause, or (flat, typed,
// countbool) left the arch's lazy mode on.
func (l Layer) End(s *State) ViolationSet {
	switch l.Strategy {
	case None:
		return 0
	case Flat, Typed, CountBool:
		if s.enable > 0 || s.pause > 0 || s.flags&flagArch != 0 {
			return ViolationSet(0).With(UnbalancedAtEnd)
		}
		return 0
	}
	if s.enable > 0 || s.pause > 0 {
		return ViolationSet(0).With(UnbalancedAtEnd)
	}
	return 0
}

// doUpstream is Linux 7.0's include/linux/pgtable.h (series v6 09/14), plus the
// checks the kernel does not make (dropped-disable). flush=false is noflush.
func doUpstream(s *State, c Call, inIRQ, flush bool) (Callback, ViolationSet) {
	if inIRQ {
		return CbNone, 0
	}
	var v ViolationSet
	switch c {
	case Enable:
		if s.pause > 0 {
			if s.ignored < 255 {
				s.ignored++
			}
			return CbNone, 0
		}
		if s.enable == 255 {
			v = v.With(EnableOverflow)
		}
		old := s.enable
		s.enable++
		if old == 0 {
			return CbEnter, v
		}
		return CbNone, v
	case Disable:
		if s.pause > 0 {
			switch {
			case s.ignored > 0:
				s.ignored-- // closes an enable ignored in this pause: legal
			case s.enable > 0:
				v = v.With(DroppedDisable)
			}
			return CbNone, v
		}
		if s.enable == 0 {
			v = v.With(DisableUnderflow)
		}
		s.enable--
		if s.enable == 0 {
			return CbLeave, v
		}
		if flush {
			return CbFlush, v
		}
		return CbNone, v
	case Pause:
		if s.pause == 255 {
			v = v.With(PauseOverflow)
		}
		old := s.pause
		s.pause++
		if s.pause == 0 {
			s.ignored = 0
		}
		if old == 0 && s.enable > 0 {
			return CbLeave, v
		}
		return CbNone, v
	case Resume:
		if s.pause == 0 {
			v = v.With(ResumeUnderflow)
		}
		s.pause--
		if s.pause == 0 {
			s.ignored = 0
			if s.enable > 0 {
				return CbEnter, v
			}
		}
		return CbNone, v
	}
	return CbNone, 0
}

// enter and leave make the flat/typed/countbool arch callback, tracking the
// arch's own lazy mode and counting what Rules says would crash it.
func (l Layer) enter(s *State, v ViolationSet) (Callback, ViolationSet) {
	if s.flags&flagArch != 0 && l.Rules.NestedEnterCrashes {
		v = v.With(NestedEnter)
	}
	s.flags |= flagArch
	return CbEnter, v
}

func (l Layer) leave(s *State, v ViolationSet) (Callback, ViolationSet) {
	if s.flags&flagArch == 0 && l.Rules.LeaveInactiveCrashes {
		v = v.With(LeaveWhileInactive)
	}
	s.flags &^= flagArch
	return CbLeave, v
}

func inc(x *uint8) {
	if *x < 255 {
		*x++
	}
}

func dec(x *uint8) {
	if *x > 0 {
		*x--
	}
}

// doFlat is Linux up to 6.19: the callers call the arch hooks directly.
func (l Layer) doFlat(s *State, c Call, inIRQ bool) (Callback, ViolationSet) {
	if inIRQ && l.Rules.IgnoresIRQ {
		return CbNone, 0
	}
	switch c {
	case Enable:
		inc(&s.enable)
		return l.enter(s, 0)
	case Disable:
		dec(&s.enable)
		return l.leave(s, 0)
	case Pause:
		inc(&s.pause)
		return l.leave(s, 0)
	case Resume:
		dec(&s.pause)
		return l.enter(s, 0)
	}
	return CbNone, 0
}

// doTyped is series v1/v2: enter returns LAZY_MMU_DEFAULT or LAZY_MMU_NESTED
// (NESTED when the arch's lazy mode is already on), kept on a stack.
func (l Layer) doTyped(s *State, c Call, inIRQ bool) (Callback, ViolationSet) {
	if inIRQ && l.Rules.IgnoresIRQ {
		return CbNone, 0
	}
	switch c {
	case Enable:
		nested := s.flags&flagArch != 0
		if s.enable == 255 {
			// The caller's local variable cannot be kept: the value is lost
			// and the matching disable will pop an older one.
			if nested {
				return CbNone, ViolationSet(0).With(EnableOverflow)
			}
			s.flags |= flagArch
			return CbEnter, ViolationSet(0).With(EnableOverflow)
		}
		d := s.enable
		s.enable++
		w, b := d>>6, uint64(1)<<(d&63)
		if nested {
			s.stack[w] |= b
			return CbNone, 0 // arch_enter_lazy_mmu_mode() returns NESTED and does nothing
		}
		s.stack[w] &^= b
		s.flags |= flagArch
		return CbEnter, 0
	case Disable:
		if s.enable == 0 {
			// No value to pass: treat it as leave(DEFAULT).
			return l.leave(s, ViolationSet(0).With(DisableUnderflow))
		}
		s.enable--
		d := s.enable
		if s.stack[d>>6]&(uint64(1)<<(d&63)) != 0 {
			return CbFlush, 0 // leave(NESTED): flush, stay in lazy mode
		}
		return l.leave(s, 0)
	case Pause:
		inc(&s.pause)
		return l.leave(s, 0) // leave(LAZY_MMU_DEFAULT) at any depth
	case Resume:
		dec(&s.pause)
		if s.flags&flagArch != 0 {
			return CbNone, 0 // enter() returns NESTED, thrown away
		}
		s.flags |= flagArch
		return CbEnter, 0
	}
	return CbNone, 0
}

// doCountBool is series v3/v4: {u8 count; bool enabled}, bailing out in
// interrupt context (v3 patch 12/13), with v4's warnings counted.
func (l Layer) doCountBool(s *State, c Call, inIRQ bool) (Callback, ViolationSet) {
	if inIRQ {
		return CbNone, 0
	}
	var v ViolationSet
	active := s.flags&flagActive != 0
	switch c {
	case Enable:
		if s.enable == 255 {
			v = v.With(EnableOverflow)
		}
		if s.enable > 0 && !active {
			v = v.With(EnableWhilePaused)
		}
		old := s.enable
		s.enable++
		if old == 0 {
			s.flags |= flagActive
			return l.enter(s, v)
		}
		return CbNone, v
	case Disable:
		if s.enable == 0 {
			v = v.With(DisableUnderflow)
		}
		if !active {
			v = v.With(DisableWhileInactive)
		}
		s.enable--
		if s.enable == 0 {
			s.flags &^= flagActive
			return l.leave(s, v)
		}
		return CbFlush, v
	case Pause:
		if s.enable == 0 || !active {
			v = v.With(PauseWhileInactive)
		}
		s.pause = 1
		s.flags &^= flagActive
		return l.leave(s, v)
	case Resume:
		if s.enable == 0 || active {
			v = v.With(ResumeWhileActive)
		}
		s.pause = 0
		s.flags |= flagActive
		return l.enter(s, v)
	}
	return CbNone, 0
}
