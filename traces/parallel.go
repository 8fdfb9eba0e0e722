package traces

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// chunkJob is one version 3 chunk to decode, by a helper goroutine or by the
// reader's own goroutine, whichever claims it first.
type chunkJob struct {
	claimed atomic.Bool // set by whoever decodes the chunk
	done    chan struct{}

	data  []byte // the chunk's records and what follows them (see dispatch)
	own   []byte // a streaming reader's copy of the chunk
	n, nr int    // events the chunk declares; events to decode (fewer when it runs past the header's count)
	l     int    // the chunk's length in bytes
	at    int64  // index of its first event
	out   []Event
	k     int   // events decoded into out
	err   error // what stopped decoding, if anything
}

// parallel is the state of a BinaryReader that decodes ahead (SetWorkers).
type parallel struct {
	jobs     chan *chunkJob // to the helpers
	stop     func()         // closes jobs, once
	wg       *sync.WaitGroup
	ring     []*chunkJob // dispatched chunks in trace order from head
	head     int
	inflight int
	cur      *chunkJob       // the chunk being handed out, nil before the first
	off      int             // events of cur handed out
	dec      *BinaryReader   // the reader's own chunk decoder
	cleanup  runtime.Cleanup // closes jobs if the reader is dropped unclosed
}

// SetWorkers makes r decode the rest of a version 3 trace ahead, on workers
// goroutines in all (0: GOMAXPROCS): workers-1 helpers, and the goroutine
// that calls Next or Block, which decodes a chunk itself when no helper has
// started it. Events come out in trace order, as without it; Block then
// returns up to a chunk at a time (at most 8192 events, 2048 as this
// package writes them). Memory is two chunks per
// worker, whatever the trace's length, and nothing is allocated per event.
// Call Close when done with the reader (the helpers also end at the end of
// the trace or at an error).
//
// It reports whether decoding is now parallel: not for versions 1 and 2
// (their records are one stream), not inside a chunk (after Next or Block on
// a version 3 trace, until the chunk ends), and not for workers == 1.
func (r *BinaryReader) SetWorkers(workers int) bool {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if r.par != nil || !r.chunks || r.chunkLeft != 0 || r.done || workers < 2 {
		return r.par != nil
	}
	helpers := workers - 1
	slots := 2 * workers
	p := &parallel{
		jobs: make(chan *chunkJob, slots),
		wg:   new(sync.WaitGroup),
		ring: make([]*chunkJob, slots),
		dec:  newChunkDecoder(r),
	}
	for i := range p.ring {
		p.ring[i] = &chunkJob{done: make(chan struct{}, 1)}
	}
	for range helpers {
		p.wg.Add(1)
		// The helpers hold no reference to r, so that a reader dropped
		// without Close can be collected and its cleanup end them.
		go helpChunks(newChunkDecoder(r), p.jobs, p.wg)
	}
	jobs := p.jobs
	p.stop = sync.OnceFunc(func() { close(jobs) })
	p.cleanup = runtime.AddCleanup(r, func(stop func()) { stop() }, p.stop)
	r.par = p
	for i := 0; i < slots && r.dispatch(p.ring[i]); i++ {
		p.inflight++
	}
	if p.inflight == 0 {
		p.end()
	}
	return true
}

// end stops the helpers and waits for them.
func (p *parallel) end() {
	p.stop()
	p.wg.Wait()
	p.cleanup.Stop()
}

// Close ends the goroutines of SetWorkers, if any; the reader hands out no
// more events. It is safe to call more than once.
func (r *BinaryReader) Close() error {
	if r.par != nil {
		r.par.end()
		r.done = true
		r.bi, r.bn = 0, 0
		r.par.cur, r.par.inflight = nil, 0
	}
	return nil
}

// send offers j to the helpers. The queue may also hold stale entries (of
// chunks the reader claimed first, which the helpers skip); if it is full,
// j is left to the reader, which decodes what no helper has claimed.
func (p *parallel) send(j *chunkJob) {
	select {
	case p.jobs <- j:
	default:
	}
}

// nextChunk makes p.cur the next decoded chunk (decoding it on the caller's
// goroutine if no helper has claimed it) and re-dispatches the slot of the
// previous one. It returns false at the end or on an error, which it records
// in r.
func (r *BinaryReader) nextChunk() bool {
	p := r.par
	if p.cur != nil {
		p.cur = nil
		if r.err == nil && r.dispatch(p.ring[p.head]) {
			p.inflight++
		}
		p.head = (p.head + 1) % len(p.ring)
	}
	if p.inflight == 0 {
		p.end()
		r.done = true
		return false
	}
	j := p.ring[p.head]
	if j.claimed.CompareAndSwap(false, true) {
		decodeChunk(p.dec, j)
	} else {
		p.await(j)
	}
	p.inflight--
	p.cur, p.off = j, 0
	if j.err != nil {
		// Earlier in the trace than an error dispatch may have met.
		r.err = j.err
		for p.inflight > 0 { // let the helpers finish the chunks they hold
			p.head = (p.head + 1) % len(p.ring)
			if q := p.ring[p.head]; !q.claimed.CompareAndSwap(false, true) {
				<-q.done
			}
			p.inflight--
		}
		p.end()
	}
	return true
}

// await waits for j, claimed by a helper, to be decoded; meanwhile it
// decodes the chunks after it that no helper has claimed yet (their done
// token is then waiting when their turn comes).
func (p *parallel) await(j *chunkJob) {
	for i := 1; i < p.inflight; i++ {
		select {
		case <-j.done:
			return
		default:
		}
		if q := p.ring[(p.head+i)%len(p.ring)]; q.claimed.CompareAndSwap(false, true) {
			decodeChunk(p.dec, q)
			q.done <- struct{}{}
		}
	}
	<-j.done
}

// parReady makes sure p.cur has events not handed out yet; false at the end
// or after an error.
func (r *BinaryReader) parReady() bool {
	p := r.par
	for p.cur == nil || p.off == p.cur.k {
		if p.cur != nil && p.cur.err != nil {
			r.done = true
			return false
		}
		if !r.nextChunk() {
			return false
		}
	}
	return true
}

// parBlock returns the next events of a parallel reader (see Block).
func (r *BinaryReader) parBlock() []Event {
	if !r.parReady() {
		return nil
	}
	p := r.par
	b := p.cur.out[p.off:p.cur.k]
	p.off = p.cur.k
	return b
}

// parNext fills r.blk from a parallel reader (see Next).
func (r *BinaryReader) parNext() bool {
	if !r.parReady() {
		return false
	}
	p := r.par
	r.bn = copy(r.blk[:], p.cur.out[p.off:p.cur.k])
	r.bi = 0
	p.off += r.bn
	return true
}

// dispatch reads the next chunk's head and sets j up to decode it, offering
// it to the helpers. It returns false at the end of the trace or on an error
// (recorded in r, handed out once the chunks before it are).
func (r *BinaryReader) dispatch(j *chunkJob) bool {
	if r.done || !r.chunkHead() {
		return false
	}
	j.n, j.at = int(r.chunkLeft), r.index
	j.l = int(r.chunkEnd - r.chunkPos)
	j.nr = int(min(r.chunkLeft, r.count-min(r.count, uint64(r.index))))
	if r.src == nil {
		// In memory: the rest of the trace, without copying, so that
		// decoding reads exactly what the sequential decoder would.
		j.data = r.buf[r.p:]
		r.p += j.l
	} else {
		own, err := r.copyChunk(j.own[:0], j.l)
		j.own = own
		if len(own) < j.l {
			r.fail(err)
			return false
		}
		if err != nil {
			// Met past the chunk (the stream ends short of its
			// length, or goes on after it): handed out after the
			// chunk's events and its error, if any, as Next would
			// report the chunk's error first.
			r.fail(err)
		}
		j.data = own
	}
	r.index += int64(j.n)
	r.chunkLeft = 0
	j.claimed.Store(false) // after the fields: a helper that claims it sees them
	r.par.send(j)
	return true
}

// copyChunk appends the next l bytes of a streaming reader to dst, and then,
// without consuming them, up to recordWindow bytes that follow (what the
// sequential decoder's window sees past the chunk's end). An error reading
// those last comes with the whole chunk; any other, with less than l bytes.
func (r *BinaryReader) copyChunk(dst []byte, l int) ([]byte, error) {
	for l > 0 {
		if err := r.fill(min(l, binaryBufLen)); err != nil {
			return dst, err
		}
		k := min(l, len(r.buf)-r.p)
		if k <= 0 {
			return dst, r.errorf(-1, "truncated: header declares %d bytes after the header, found %d", r.length, r.got)
		}
		dst = append(dst, r.buf[r.p:r.p+k]...)
		r.p += k
		l -= k
	}
	err := r.fill(recordWindow)
	return append(dst, r.buf[r.p:min(len(r.buf), r.p+recordWindow)]...), err
}

// newChunkDecoder returns a reader that decodes single chunks of r's trace:
// its string table and version, no checksum.
func newChunkDecoder(r *BinaryReader) *BinaryReader {
	d := &BinaryReader{name: r.name, strs: r.strs, srcEOF: true, chunks: true, generalOnly: r.generalOnly}
	d.st.infos, d.st.init = r.st.infos, r.st.init
	return d
}

// helpChunks is a helper goroutine of SetWorkers: it decodes the chunks it
// claims from jobs until jobs is closed.
func helpChunks(d *BinaryReader, jobs <-chan *chunkJob, wg *sync.WaitGroup) {
	defer wg.Done()
	for j := range jobs {
		if j.claimed.CompareAndSwap(false, true) {
			decodeChunk(d, j)
			j.done <- struct{}{}
		}
	}
}

// decodeChunk decodes j with d, which checks the chunk as the reader's own
// decoder does (chunkDone, chunkOverrun, the header's count), so that both
// report the same error after the same events.
func decodeChunk(d *BinaryReader, j *chunkJob) {
	d.buf, d.p = j.data, 0
	d.got = uint64(len(j.data)) // d.pos() is d.p
	d.index = j.at
	d.count = uint64(j.at) + uint64(j.nr)
	d.err, d.done = nil, false
	d.chunkLeft, d.chunkEnd, d.chunkAt, d.chunkPos = uint64(j.n), uint64(j.l), j.at, 0
	d.st.reset()
	if cap(j.out) < j.nr {
		j.out = make([]Event, j.nr)
	}
	j.out = j.out[:j.nr]
	k := 0
	for k < j.nr && !d.done {
		k += d.decode(j.out[k:])
	}
	if k == j.nr && j.nr < j.n && !d.done {
		// The chunk runs past the header's count: decode reports it
		// (or a shorter chunk) at its next event, without decoding it.
		d.decode(d.blk[:1])
	}
	j.k, j.err = k, d.err
}

// Parallel decodes the rest of the trace with SetWorkers(workers) and calls
// fn with its events in trace order, a chunk at a time, on the calling
// goroutine; it returns fn's first error or the reader's (Err), and has ended
// its goroutines when it returns. On a trace SetWorkers cannot parallelise it
// decodes on the calling goroutine.
func (r *BinaryReader) Parallel(workers int, fn func(blk []Event) error) error {
	r.SetWorkers(workers)
	defer r.Close()
	for blk := r.Block(); blk != nil; blk = r.Block() {
		if err := fn(blk); err != nil {
			return err
		}
	}
	return r.Err()
}

// SetWorkers calls BinaryReader.SetWorkers on r's binary reader, if it has
// one (a binary or zstd-compressed binary trace), and reports whether
// decoding is now parallel.
func SetWorkers(r Reader, workers int) bool {
	switch x := r.(type) {
	case *BinaryReader:
		return x.SetWorkers(workers)
	case *closingReader:
		return SetWorkers(x.Reader, workers)
	}
	return false
}
