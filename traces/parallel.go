package traces

import (
	"runtime"
	"sync"
)

// chunkJob is one version 3 chunk handed to a worker of Parallel.
type chunkJob struct {
	data  []byte // the chunk's records and what follows them (see Parallel)
	own   []byte // a streaming reader's copy of the chunk
	n, nr int    // events the chunk declares; events to decode (fewer when it runs past the header's count)
	l     int    // the chunk's length in bytes
	at    int64  // index of its first event
	out   []Event
	k     int   // events decoded into out
	err   error // what stopped decoding, if anything
	done  chan struct{}
}

// Parallel decodes the rest of a version 3 trace on workers goroutines (0:
// GOMAXPROCS) and calls fn with its events, in trace order, a chunk at a time
// (at most 8192 events; the slice is valid until fn returns), on the calling
// goroutine. It returns fn's first error, or the reader's (Err): the events
// before a bad record are handed to fn first, as Next would hand them out.
// Memory is a few chunks per worker, whatever the trace's length; nothing is
// allocated per event, and the goroutines have ended when Parallel returns.
//
// Chunks start from the initial prediction state (format version 3), so they
// decode independently; the reader walks the chunk heads, keeps the checksum
// and the event count, and hands each chunk to a worker. Older versions, and
// a reader already inside a chunk (after Next or Block), decode on the
// calling goroutine. Do not mix Parallel with Next, Event or Block afterwards.
func (r *BinaryReader) Parallel(workers int, fn func(blk []Event) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if !r.chunks || r.chunkLeft != 0 || workers == 1 {
		for blk := r.Block(); blk != nil; blk = r.Block() {
			if err := fn(blk); err != nil {
				return err
			}
		}
		return r.Err()
	}
	slots := 2 * workers
	jobs := make(chan *chunkJob, slots)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			decodeChunks(r, jobs)
		}()
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()
	ring := make([]*chunkJob, slots)
	inflight := 0
	for i := range ring {
		ring[i] = &chunkJob{done: make(chan struct{}, 1)}
		if inflight == i && r.dispatch(ring[i]) {
			jobs <- ring[i]
			inflight++
		}
	}
	for head := 0; inflight > 0; head = (head + 1) % slots {
		j := ring[head]
		<-j.done
		inflight--
		if j.k > 0 {
			if err := fn(j.out[:j.k]); err != nil {
				return err
			}
		}
		if j.err != nil {
			// Earlier in the trace than an error dispatch may have met.
			r.err, r.done = j.err, true
			return j.err
		}
		if r.dispatch(j) {
			jobs <- j
			inflight++
		}
	}
	return r.Err()
}

// dispatch reads the next chunk's head and sets j up to decode it. It returns
// false at the end of the trace or on an error (recorded in r, handed out
// once the chunks before it are).
func (r *BinaryReader) dispatch(j *chunkJob) bool {
	if r.done || !r.chunkHead() {
		return false
	}
	j.n, j.at = int(r.chunkLeft), r.index
	j.l = int(r.chunkEnd - r.chunkPos)
	j.nr = int(min(r.chunkLeft, r.count-min(r.count, uint64(r.index))))
	if r.src == nil {
		// In memory: the rest of the trace, without copying, so that a
		// worker reads exactly what the sequential decoder would.
		j.data = r.buf[r.p:]
		r.p += j.l
	} else {
		own, err := r.copyChunk(j.own[:0], j.l)
		j.own = own
		if err != nil {
			r.fail(err)
			return false
		}
		j.data = own
	}
	r.index += int64(j.n)
	r.chunkLeft = 0
	return true
}

// copyChunk appends the next l bytes of a streaming reader to dst, and then,
// without consuming them, up to recordWindow bytes that follow (what the
// sequential decoder's window sees past the chunk's end).
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
	if err := r.fill(recordWindow); err != nil {
		return dst, err
	}
	return append(dst, r.buf[r.p:min(len(r.buf), r.p+recordWindow)]...), nil
}

// decodeChunks is a worker of Parallel: it decodes the chunks of jobs with a
// reader of its own that shares r's string table and version.
func decodeChunks(r *BinaryReader, jobs <-chan *chunkJob) {
	d := &BinaryReader{name: r.name, strs: r.strs, sub: true, srcEOF: true}
	d.st.infos, d.st.init = r.st.infos, r.st.init
	for j := range jobs {
		d.buf, d.p = j.data, 0
		d.got, d.length = uint64(len(j.data)), uint64(len(j.data))
		d.index, d.chunkAt = j.at, j.at
		d.count = uint64(j.at) + uint64(j.nr)
		d.err, d.done = nil, false
		d.st.reset()
		if cap(j.out) < j.nr {
			j.out = make([]Event, j.nr)
		}
		j.out = j.out[:j.nr]
		k := 0
		for k < j.nr && !d.done {
			k += d.decode(j.out[k:])
		}
		j.k, j.err = k, d.err
		switch {
		case j.err != nil:
		case j.nr < j.n && d.p >= len(j.data):
			// The order of Next's checks: the end of the content first.
			j.err = d.errorf(d.index, "truncated chunk: %d of its events missing", j.n-j.nr)
		case j.nr < j.n:
			j.err = d.errorf(d.index, "more events than the %d the header declares", d.count)
		case d.p != j.l:
			j.err = d.errorf(j.at, "chunk of %d events declares %d bytes, its records take %d", j.n, j.l, d.p)
		}
		j.done <- struct{}{}
	}
}
