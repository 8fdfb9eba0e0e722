package replay

import (
	"bufio"
	"io"
	"strconv"

	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/traces"
)

// StepWriter is the Observer behind `lazybench replay --steps`: one line per
// input event,
//
//	<index> <op> cpu=C pid=P [the event's keys] active=0|1 enable=N pause=N cb=LIST
//
// where the event's keys are those of the op in canonical order (site, mid
// and full only when set), and LIST is the arch callbacks the event caused,
// comma-separated, or "-". Extra fields follow when they apply: held=1 (the
// callback was held back by a mid=1 switch), oracle_flush=1 (ideal flushed
// here), hazard=NAME. Each violation is then its own line
// "violation NAME event=INDEX"; those found at the end of the trace use the
// number of events as index. Call Flush when the replay is done.
type StepWriter struct {
	w *bufio.Writer
	// Strings returns the trace's string table (the reader's Strings), for
	// site= values; nil prints string indexes.
	Strings func() []string
	buf     []byte
}

// NewStepWriter returns a StepWriter printing to w.
func NewStepWriter(w io.Writer, strings func() []string) *StepWriter {
	return &StepWriter{w: bufio.NewWriterSize(w, 64<<10), Strings: strings}
}

// Flush writes any buffered output.
func (s *StepWriter) Flush() error { return s.w.Flush() }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, '1')
	}
	return append(b, '0')
}

// Step implements Observer.
func (s *StepWriter) Step(i int64, e *traces.Event, st *StepInfo) {
	b := s.buf[:0]
	b = strconv.AppendInt(b, i, 10)
	b = append(b, ' ')
	b = append(b, e.Op.String()...)
	b = append(b, " cpu="...)
	b = strconv.AppendUint(b, uint64(e.CPU), 10)
	b = append(b, " pid="...)
	b = strconv.AppendUint(b, uint64(e.PID), 10)
	if e.Op.Valid() {
		for _, k := range traces.Ops[e.Op].Keys {
			v := e.Get(k.Field)
			switch k.Field {
			case traces.FieldSite:
				if v == 0 {
					continue
				}
				b = append(b, ' ')
				b = append(b, k.Name...)
				b = append(b, '=')
				if s.Strings != nil {
					if strs := s.Strings(); v < uint64(len(strs)) {
						b = traces.AppendPrintable(b, strs[v]) // no terminal escapes from the trace
						continue
					}
				}
				b = strconv.AppendUint(b, v, 10)
				continue
			case traces.FieldMid, traces.FieldFull:
				if v == 0 {
					continue
				}
			}
			b = append(b, ' ')
			b = append(b, k.Name...)
			b = append(b, '=')
			if k.Field == traces.FieldAddr {
				b = append(b, "0x"...)
				b = strconv.AppendUint(b, v, 16)
			} else {
				b = strconv.AppendUint(b, v, 10)
			}
		}
	}
	b = append(b, " active="...)
	b = appendBool(b, st.Active)
	b = append(b, " enable="...)
	b = strconv.AppendInt(b, int64(st.Enable), 10)
	b = append(b, " pause="...)
	b = strconv.AppendInt(b, int64(st.Pause), 10)
	b = append(b, " cb="...)
	if st.NCallbacks == 0 {
		b = append(b, '-')
	}
	for k := 0; k < st.NCallbacks; k++ {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, st.Callbacks[k].String()...)
	}
	if st.Held {
		b = append(b, " held=1"...)
	}
	if st.OracleFlush {
		b = append(b, " oracle_flush=1"...)
	}
	if st.Hazards.Has(HazardStale) {
		b = append(b, " hazard="+HazardStaleAccess...)
	}
	if st.Hazards.Has(HazardTLB) {
		b = append(b, " hazard="+HazardTLBFlush...)
	}
	b = append(b, '\n')
	b = appendViolations(b, st.Violations, 1, i)
	s.buf = b
	s.w.Write(b)
}

func appendViolations(b []byte, v lazymmu.ViolationSet, times uint64, i int64) []byte {
	if v == 0 {
		return b
	}
	for k := lazymmu.Violation(0); k < lazymmu.NumViolations; k++ {
		if !v.Has(k) {
			continue
		}
		for n := uint64(0); n < times; n++ {
			b = append(b, "violation "...)
			b = append(b, k.String()...)
			b = append(b, " event="...)
			b = strconv.AppendInt(b, i, 10)
			b = append(b, '\n')
		}
	}
	return b
}

// End implements Observer.
func (s *StepWriter) End(n int64, e *EndInfo) {
	b := s.buf[:0]
	for k := lazymmu.Violation(0); k < lazymmu.NumViolations; k++ {
		b = appendViolations(b, lazymmu.ViolationSet(0).With(k), e.Violations[k], n)
	}
	s.buf = b
	s.w.Write(b)
}
