package replay

import (
	"sync"

	"github.com/lazybench/lazybench/traces"
)

// sharedBatch is how many events RunAll decodes at a time and every engine
// then replays from the same buffer (1.8 MB at 56 bytes an event): an
// engine waits for the next batch, and another runs, at most once a batch,
// so larger batches switch less. Compare of a 10 M-event trace under 6
// arches x 7 strategies (595873a), four runs each, CPU s (medians):
// batches of 256 events 7.9, 1024 8.9, 8192 7.1, 32768 6.8. At 1c120e3,
// two runs each: 4096 to 65536 all within 6.2-6.4.
// A variable so tests can make it small.
var sharedBatch = 32768

// sharedBufs is how many batches RunAll keeps: the fastest engine may run
// that many batches ahead of the slowest.
const sharedBufs = 4

// RunAll replays r once through every engine: each batch of events is
// decoded once, into one of a few buffers, and every engine replays it from
// there, so memory stays constant with the trace's length. The engines run
// on their own goroutines, at most workers of them (at least one) at a time;
// they may not share a backend. It returns each engine's result, in the
// order of engines, or the first error in that order (a reader's error is
// every engine's).
func RunAll(r traces.Reader, engines []*Engine, workers int) ([]*Result, error) {
	s := newShared(r, len(engines), workers)
	results := make([]*Result, len(engines))
	errs := make([]error, len(engines))
	var wg sync.WaitGroup
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &sharedReader{s: s}
			s.sem <- struct{}{}
			results[i], errs[i] = e.Run(c)
			c.detach()
			<-s.sem
		}()
	}
	s.produce()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return results, nil
}

// shared hands the batches of one reader to several sharedReaders.
type shared struct {
	r     traces.Reader
	blk   BlockReader // r, when it hands out blocks
	sem   chan struct{}
	mu    sync.Mutex
	made  sync.Cond // a batch was made (readers wait)
	freed sync.Cond // a buffer was given back (the producer waits)
	bufs  [sharedBufs][]traces.Event
	left  [sharedBufs]int // readers still to replay each buffer's batch
	n     int             // batches made so far; batch k is in bufs[k%sharedBufs]
	end   bool            // n includes the last batch (an empty one)
	live  int             // readers not detached
	meta  traces.Meta
	strs  []string // r's strings before the first batch
}

func newShared(r traces.Reader, readers, workers int) *shared {
	s := &shared{r: r, sem: make(chan struct{}, max(workers, 1)), live: readers, meta: r.Meta(), strs: r.Strings()}
	s.blk, _ = r.(BlockReader)
	s.made.L, s.freed.L = &s.mu, &s.mu
	return s
}

// produce decodes batches until the trace ends or no reader is left.
func (s *shared) produce() {
	var next []traces.Event
	for {
		k := s.n % sharedBufs
		s.mu.Lock()
		for s.left[k] > 0 {
			s.freed.Wait()
		}
		if s.live == 0 {
			s.end = true
			s.mu.Unlock()
			return
		}
		next, s.bufs[k] = s.bufs[k][:0], nil // the buffer is the producer's now
		s.mu.Unlock()
		next = s.read(next)
		s.mu.Lock()
		s.bufs[k], s.left[k] = next, s.live
		s.n++
		s.end = len(next) == 0
		s.made.Broadcast()
		s.mu.Unlock()
		if len(next) == 0 {
			return
		}
	}
}

// read appends the next batch of r's events to b (none at the end).
func (s *shared) read(b []traces.Event) []traces.Event {
	for len(b) < sharedBatch {
		if s.blk != nil {
			blk := s.blk.Block()
			if len(blk) == 0 {
				break
			}
			b = append(b, blk...)
			continue
		}
		if !s.r.Next() {
			break
		}
		b = append(b, *s.r.Event())
	}
	return b
}

// sharedReader is one engine's view of a shared reader: a BlockReader
// handing out every batch in turn. A batch stays valid until the next call
// of Block (the engine's contract), when the reader releases it.
type sharedReader struct {
	s    *shared
	k    int  // the next batch
	held bool // batch k-1 is not released yet
	cur  []traces.Event
	i    int
}

// Block releases the last batch and returns the next one (nil at the end),
// waiting for it without holding a worker's place.
func (c *sharedReader) Block() []traces.Event {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c.release()
	if s.n <= c.k && !s.end {
		<-s.sem
		for s.n <= c.k && !s.end {
			s.made.Wait()
		}
		s.mu.Unlock()
		s.sem <- struct{}{}
		s.mu.Lock()
	}
	if s.n <= c.k {
		return nil // the end, made before c.k
	}
	b := s.bufs[c.k%sharedBufs]
	if len(b) == 0 {
		return nil // the end
	}
	c.k++
	c.held = true
	return b
}

// release gives batch k-1 back, if held (s.mu held).
func (c *sharedReader) release() {
	if !c.held {
		return
	}
	c.held = false
	k := (c.k - 1) % sharedBufs
	if c.s.left[k]--; c.s.left[k] == 0 {
		c.s.freed.Signal()
	}
}

// detach gives back every batch made that c has not replayed, and takes c
// out of the count for the batches after (an engine that stopped early).
func (c *sharedReader) detach() {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	c.release()
	for ; c.k < s.n; c.k++ {
		if k := c.k % sharedBufs; s.left[k] > 0 {
			s.left[k]--
		}
	}
	s.live--
	s.freed.Signal()
}

// Next advances to the next event (for a caller that does not use Block).
func (c *sharedReader) Next() bool {
	if c.i+1 < len(c.cur) {
		c.i++
		return true
	}
	c.cur, c.i = c.Block(), 0
	return len(c.cur) > 0
}

// Event returns the current event.
func (c *sharedReader) Event() *traces.Event { return &c.cur[c.i] }

// Err returns the shared reader's error once the trace has ended.
func (c *sharedReader) Err() error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if !c.s.end {
		return nil
	}
	return c.s.r.Err()
}

// Meta returns the trace's metadata.
func (c *sharedReader) Meta() traces.Meta { return c.s.meta }

// Strings returns the trace's string table: as read before the first batch,
// and all of it once the trace has ended.
func (c *sharedReader) Strings() []string {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.s.end {
		return c.s.r.Strings()
	}
	return c.s.strs
}
