package calibrate

import (
	"errors"
	"fmt"
	"math"

	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
	"github.com/lazybench/lazybench/workload"
)

// streamChunk is how many events a generated trace hands the replay at a
// time. A replay of a generated trace holds three chunks (about 3 x 4096 x
// 48 bytes) and the strings, whatever its page count: the fit's memory does not
// grow with the published page counts (it held three whole traces per page
// count, about 12 KB per page: 810 MB at 65536 pages, over 8 GB at 2^20).
const streamChunk = 4096

// genTrace is a generated trace the calibration replays: generated anew, as
// the replay reads it, for each replay. It is the vmalloc workload with p,
// or, if name is set, workload name with values v (the kpkeys calibration's
// fork and munmap).
type genTrace struct {
	p    workload.VmallocParams
	name string
	v    workload.Values
}

// run writes the trace to s.
func (g genTrace) run(s workload.Sink) error {
	if g.name != "" {
		_, err := workload.Generate(g.name, g.v, s)
		return err
	}
	_, err := workload.Vmalloc(g.p, s)
	return err
}

// what names the trace in errors.
func (g genTrace) what() string {
	if g.name != "" {
		return fmt.Sprintf("%s pages=%d", g.name, g.v["pages"])
	}
	return fmt.Sprintf("vmalloc pages=%d", g.p.Pages)
}

func generate(p, loops int, callNs, pageNs float64) genTrace {
	return genTrace{p: workload.VmallocParams{Pages: p, Loops: loops, CallWorkNs: uint64(math.Max(0, callNs)), PageWorkNs: uint64(math.Max(0, pageNs))}}
}

// replay replays the trace with cfg, generating it in a goroutine.
func (g genTrace) replay(cfg replay.Config) (*replay.Result, error) {
	e, err := replay.New(cfg)
	if err != nil {
		return nil, err
	}
	return g.replayOn(e)
}

// replayOn replays the trace on engine e, generating it in a goroutine.
func (g genTrace) replayOn(e *replay.Engine) (*replay.Result, error) {
	// Three buffers: one the generator fills, one in the channel, one the
	// replay reads.
	r := &streamReader{ch: make(chan chunk, 1), free: make(chan []traces.Event, 3), done: make(chan struct{}), strs: []string{""}}
	r.free <- make([]traces.Event, 0, streamChunk)
	r.free <- make([]traces.Event, 0, streamChunk)
	go r.generate(g)
	defer close(r.done)
	return e.Run(r)
}

// chunk is a run of generated events with the strings added since the last
// chunk; err ends the stream.
type chunk struct {
	ev   []traces.Event
	strs []string
	err  error
	last bool
}

// streamReader is a traces.Reader of events a generator goroutine sends.
type streamReader struct {
	ch   chan chunk
	free chan []traces.Event // chunks the reader is done with, for reuse
	done chan struct{}       // closed when the replay ends: the generator stops
	cur  []traces.Event
	i    int
	strs []string
	err  error
	end  bool
}

var errStopped = errors.New("calibrate: replay stopped")

// generate runs g's generator into the reader's channel.
func (r *streamReader) generate(g genTrace) {
	s := &streamSink{r: r, index: map[string]uint32{"": 0}, n: 1}
	s.buf = make([]traces.Event, 0, streamChunk)
	err := g.run(s)
	if errors.Is(err, errStopped) {
		return
	}
	if err != nil {
		err = fmt.Errorf("calibrate: generating %s: %w", g.what(), err)
	}
	s.send(chunk{ev: s.buf, strs: s.strs, err: err, last: true})
}

// streamSink is the workload.Sink of a streamReader's generator.
type streamSink struct {
	r     *streamReader
	buf   []traces.Event
	strs  []string // added since the last chunk
	index map[string]uint32
	n     uint32 // strings so far
}

func (s *streamSink) send(c chunk) bool {
	select {
	case s.r.ch <- c:
		return true
	case <-s.r.done:
		return false
	}
}

// AddString implements workload.Sink.
func (s *streamSink) AddString(str string) uint32 {
	if i, ok := s.index[str]; ok {
		return i
	}
	s.index[str] = s.n
	s.strs = append(s.strs, str)
	s.n++
	return s.n - 1
}

// Write implements workload.Sink.
func (s *streamSink) Write(e *traces.Event) error {
	s.buf = append(s.buf, *e)
	if len(s.buf) < streamChunk {
		return nil
	}
	if !s.send(chunk{ev: s.buf, strs: s.strs}) {
		return errStopped
	}
	s.strs = nil
	select {
	case s.buf = <-s.r.free:
		s.buf = s.buf[:0]
	case <-s.r.done:
		return errStopped
	}
	return nil
}

// Next implements traces.Reader.
func (r *streamReader) Next() bool {
	for r.i+1 >= len(r.cur) {
		if r.end {
			r.i = len(r.cur)
			return false
		}
		if r.cur != nil {
			r.free <- r.cur // never blocks: at most three buffers exist
		}
		c := <-r.ch
		r.cur, r.i, r.end, r.err = c.ev, -1, c.last, c.err
		r.strs = append(r.strs, c.strs...)
		if r.err != nil {
			r.cur, r.end = nil, true
		}
	}
	r.i++
	return true
}

// Event implements traces.Reader.
func (r *streamReader) Event() *traces.Event { return &r.cur[r.i] }

// Err implements traces.Reader.
func (r *streamReader) Err() error { return r.err }

// Meta implements traces.Reader.
func (r *streamReader) Meta() traces.Meta { return traces.Meta{Workload: "vmalloc"} }

// Strings implements traces.Reader.
func (r *streamReader) Strings() []string { return r.strs }
