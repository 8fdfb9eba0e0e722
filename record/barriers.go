package record

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// KernelBarriers is what the kernel itself did in a recording, counted from
// the barrier probes of DiscoverARM64 in the raw ftrace text.
type KernelBarriers struct {
	// Flush counts barrier_flush events: pairs emitted by inline
	// flush/leave paths after clearing TIF_LAZY_MMU_PENDING.
	Flush int64
	// Ret counts barrier_ret events (returns from out-of-line
	// lazy_mmu_mode_disable copies), RetPair those whose flags= had
	// TIF_LAZY_MMU_PENDING set: the copy emitted the pair.
	Ret, RetPair int64
	// Now counts barrier_now events (pairs outside lazy mode), by site.
	Now       int64
	NowBySite map[string]int64
}

// pendingRe reads the pending bit from the probes file's note.
var pendingRe = regexp.MustCompile(`TIF_LAZY_MMU_PENDING is bit ([0-9]+)`)

// PendingBit returns TIF_LAZY_MMU_PENDING's bit from a probes file written
// by DiscoverARM64.
func PendingBit(probes io.Reader) (int, error) {
	sc := bufio.NewScanner(probes)
	for sc.Scan() {
		if m := pendingRe.FindStringSubmatch(sc.Text()); m != nil {
			b, err := strconv.Atoi(m[1])
			if err != nil || b > 63 {
				return 0, fmt.Errorf("bad pending bit %q", m[1])
			}
			return b, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("the probes file names no TIF_LAZY_MMU_PENDING bit (not an arm64 probes file?)")
}

// CountKernelBarriers reads ftrace text (as the recorder dumps it) and
// counts the barrier probes' events. name is used in error messages.
func CountKernelBarriers(r io.Reader, name string, pendingBit int) (*KernelBarriers, error) {
	k := &KernelBarriers{NowBySite: map[string]int64{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<10)
	line := 0
	for sc.Scan() {
		line++
		t := sc.Text()
		i := strings.Index(t, ": barrier_")
		if i < 0 || strings.HasPrefix(strings.TrimSpace(t), "#") {
			continue
		}
		body := t[i+2:]
		ev, rest, _ := strings.Cut(body, ": ")
		switch strings.TrimRight(ev, "0123456789_") {
		case KindBarrierFlush:
			k.Flush++
		case KindBarrierNow:
			k.Now++
			site := rest
			if j := strings.IndexAny(site, "+)"); j > 0 && strings.HasPrefix(site, "(") {
				site = site[1:j]
			}
			k.NowBySite[site]++
		case KindBarrierRet:
			k.Ret++
			_, v, ok := strings.Cut(rest, "flags=")
			if !ok {
				return nil, fmt.Errorf("%s:%d: barrier_ret without flags=", name, line)
			}
			v, _, _ = strings.Cut(v, " ")
			f, err := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 64)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: bad flags= value %q", name, line, v)
			}
			if f>>uint(pendingBit)&1 != 0 {
				k.RetPair++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", name, line+1, err)
	}
	return k, nil
}
