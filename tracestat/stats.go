package tracestat

import (
	"bufio"
	"github.com/lazybench/lazybench/traces"

	"fmt"
	"io"
	"math/bits"
	"sort"
	"strconv"
	"text/tabwriter"
)

// Stats summarises a trace: what `lazybench stat` prints.
//
// A section is an outermost enable..disable pair of one task (pid): nested
// enables deepen it, the disable that brings the task's depth back to 0 ends
// it. Updates made in irq context (between irq_enter and irq_exit on the
// event's CPU) are counted apart and never belong to a section, since the
// kernel does not batch them. A disable at depth 0 is counted as unmatched.
type Stats struct {
	File       string      `json:"file"`
	Meta       traces.Meta `json:"meta"`
	Events     int64       `json:"events"`
	Updates    int64       `json:"updates"` // update events (set, clear, getclear, modify, wrprotect)
	Pages      int64       `json:"pages"`   // pages those updates cover (sum of nr)
	ByOp       []OpCount   `json:"by_op"`
	ByCPU      []NumCount  `json:"by_cpu"`
	ByTask     []NumCount  `json:"by_task"`
	BySite     []SiteCount `json:"by_site"`
	Sections   int64       `json:"sections"`
	Unclosed   int64       `json:"unclosed_sections"`  // sections still open at the end
	Unmatched  int64       `json:"unmatched_disables"` // disables at depth 0
	DepthHist  []Bucket    `json:"depth_hist"`         // maximum nesting depth of each section
	LenHist    []Bucket    `json:"section_len_hist"`   // update events per section
	InSection  int64       `json:"updates_in_sections"`
	Outside    int64       `json:"updates_outside_sections"` // not in irq, not in a section
	IRQUpdates int64       `json:"irq_updates"`
	Pauses     int64       `json:"pauses"`
	Paused     int64       `json:"updates_while_paused"`
	Switches   int64       `json:"switches"`
	// BySection is one row per call site of the outermost enable (see
	// SectionSite): how many sections it opened and their lengths.
	BySection []SectionSite `json:"sections_by_site"`
	// NestedBySite counts the enables made inside an open section (depth >= 1
	// before them), by their own site ("-" for none).
	NestedBySite []SiteCount `json:"nested_enables_by_site"`
}

// SectionSite summarises the sections opened at one call site: the site= of
// the outermost enable or, if it has none, of the first update counted in the
// section, else "-". Updates counts the update events of each section (those
// in irq context or while paused are not counted, as in LenHist). P50 is the
// type-7 percentile (linear interpolation between order statistics) over the
// exact lengths.
type SectionSite struct {
	Site     string  `json:"site"`
	Sections int64   `json:"sections"`
	Nested   int64   `json:"nested"` // sections with an enable nested inside
	Updates  int64   `json:"updates"`
	Min      int64   `json:"updates_min"`
	P50      float64 `json:"updates_p50"`
	Mean     float64 `json:"updates_mean"`
	Max      int64   `json:"updates_max"`
}

// OpCount is the number of events of one op.
type OpCount struct {
	Op     string `json:"op"`
	Events int64  `json:"events"`
}

// NumCount is the number of events of one CPU or task.
type NumCount struct {
	ID     uint32 `json:"id"`
	Events int64  `json:"events"`
}

// SiteCount is the number of events naming one call site.
type SiteCount struct {
	Site   string `json:"site"`
	Events int64  `json:"events"`
}

// Bucket is one bar of a histogram: how many sections had a value in
// [Min, Max].
type Bucket struct {
	Min   int64 `json:"min"`
	Max   int64 `json:"max"`
	Count int64 `json:"sections"`
}

type statTask struct {
	depth    int
	maxDepth int
	updates  int64
	paused   int
	site     uint32 // site of the open section (0: none yet)
}

// siteLens is the distribution of section lengths of one site: counts of
// exact lengths, dense below denseLens, sparse above. The sparse map stays
// small: k distinct lengths above denseLens need more than k*denseLens
// updates, and distinct lengths L need L(L-1)/2 updates in all.
type siteLens struct {
	dense  []int64
	sparse map[int64]int64
	n, sum int64
	nested int64
	min    int64
	max    int64
}

const denseLens = 1024

func (l *siteLens) add(n int64) {
	if l.n == 0 || n < l.min {
		l.min = n
	}
	l.max = max(l.max, n)
	l.n++
	l.sum += n
	if n < denseLens {
		if int(n) >= len(l.dense) {
			l.dense = append(l.dense, make([]int64, int(n)+1-len(l.dense))...)
		}
		l.dense[n]++
		return
	}
	if l.sparse == nil {
		l.sparse = map[int64]int64{}
	}
	l.sparse[n]++
}

// nth returns the k-th smallest length (0-based, k < l.n).
func (l *siteLens) nth(k int64) int64 {
	for v, c := range l.dense {
		if k < c {
			return int64(v)
		}
		k -= c
	}
	keys := make([]int64, 0, len(l.sparse))
	for v := range l.sparse {
		keys = append(keys, v)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, v := range keys {
		if c := l.sparse[v]; k < c {
			return v
		} else {
			k -= c
		}
	}
	return l.max
}

// percentile is the type-7 percentile (R's default, NumPy's "linear"): h =
// (n-1)p, interpolating between the order statistics around h; the same to
// the bit as github.com/montanaflynn/stats's Percentile of the lengths
// (TestSiteLensPercentile). stats.Percentile needs every length kept, which
// grows with the trace where siteLens keeps counts: BenchmarkSiteLens, a
// million sections: siteLens 25 KB and 10-12 ms, keeping the lengths for
// stats.Percentile 50 MB allocated and 120-340 ms (three runs each).
func (l *siteLens) percentile(p float64) float64 {
	if l.n == 0 {
		return 0
	}
	h := float64(l.n-1) * p
	lo := int64(h)
	x := float64(l.nth(lo))
	if lo+1 >= l.n {
		return x
	}
	return x + (h-float64(lo))*(float64(l.nth(lo+1))-x)
}

// Collect reads r to the end and returns its statistics. name is the file
// name recorded in the result.
func Collect(r traces.Reader, name string) (*Stats, error) {
	s := &Stats{File: name, Meta: r.Meta()}
	var byOp [traces.NumOps]int64
	byCPU := map[uint32]int64{}
	byTask := map[uint32]int64{}
	bySite := map[uint32]int64{}
	tasks := map[uint32]*statTask{}
	irq := map[uint32]int{}
	depthHist := map[int64]int64{}
	lenHist := map[int64]int64{}
	secBySite := map[uint32]*siteLens{}
	nestedBySite := map[uint32]int64{}
	for r.Next() {
		e := r.Event()
		s.Events++
		byOp[e.Op]++
		byCPU[e.CPU]++
		byTask[e.PID]++
		if e.Site != 0 {
			bySite[e.Site]++
		}
		t := tasks[e.PID]
		if t == nil {
			t = &statTask{}
			tasks[e.PID] = t
		}
		switch e.Op {
		case traces.OpEnable:
			if t.depth == 0 {
				t.site = e.Site
			} else {
				nestedBySite[e.Site]++
			}
			t.depth++
			t.maxDepth = max(t.maxDepth, t.depth)
		case traces.OpDisable:
			if t.depth == 0 {
				s.Unmatched++
				break
			}
			t.depth--
			if t.depth == 0 {
				s.Sections++
				depthHist[int64(t.maxDepth)]++
				lenHist[lenBucket(t.updates)]++
				l := secBySite[t.site]
				if l == nil {
					l = &siteLens{}
					secBySite[t.site] = l
				}
				l.add(t.updates)
				if t.maxDepth > 1 {
					l.nested++
				}
				t.maxDepth, t.updates, t.site = 0, 0, 0
			}
		case traces.OpPause:
			s.Pauses++
			t.paused++
		case traces.OpResume:
			if t.paused > 0 {
				t.paused--
			}
		case traces.OpIRQEnter:
			irq[e.CPU]++
		case traces.OpIRQExit:
			if irq[e.CPU] > 0 {
				irq[e.CPU]--
			}
		case traces.OpSwitch:
			s.Switches++
		}
		if e.Op.IsUpdate() {
			s.Updates++
			s.Pages += int64(e.Nr)
			switch {
			case irq[e.CPU] > 0:
				s.IRQUpdates++
			case t.paused > 0:
				s.Paused++
			case t.depth > 0:
				s.InSection++
				t.updates++
				if t.site == 0 {
					t.site = e.Site
				}
			default:
				s.Outside++
			}
		}
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	for _, t := range tasks {
		if t.depth > 0 {
			s.Unclosed++
		}
	}
	for op := traces.OpInvalid + 1; op < traces.NumOps; op++ {
		if byOp[op] > 0 {
			s.ByOp = append(s.ByOp, OpCount{op.String(), byOp[op]})
		}
	}
	s.ByCPU = sortedCounts(byCPU)
	s.ByTask = sortedCounts(byTask)
	strs := r.Strings()
	siteName := func(id uint32) string {
		switch {
		case id == 0:
			return "-"
		case int(id) < len(strs):
			return strs[id]
		}
		return fmt.Sprintf("#%d", id)
	}
	for id, n := range bySite {
		s.BySite = append(s.BySite, SiteCount{siteName(id), n})
	}
	sortSiteCounts(s.BySite)
	for id, n := range nestedBySite {
		s.NestedBySite = append(s.NestedBySite, SiteCount{siteName(id), n})
	}
	sortSiteCounts(s.NestedBySite)
	for id, l := range secBySite {
		s.BySection = append(s.BySection, SectionSite{
			Site: siteName(id), Sections: l.n, Nested: l.nested, Updates: l.sum,
			Min: l.min, P50: l.percentile(0.5), Mean: float64(l.sum) / float64(l.n), Max: l.max,
		})
	}
	sort.Slice(s.BySection, func(i, j int) bool {
		a, b := s.BySection[i], s.BySection[j]
		if a.Sections != b.Sections {
			return a.Sections > b.Sections
		}
		return a.Site < b.Site
	})
	for d, n := range depthHist {
		s.DepthHist = append(s.DepthHist, Bucket{d, d, n})
	}
	for lo, n := range lenHist {
		hi := lo
		if lo > 0 {
			hi = 2*lo - 1
		}
		s.LenHist = append(s.LenHist, Bucket{lo, hi, n})
	}
	sortBuckets(s.DepthHist)
	sortBuckets(s.LenHist)
	// Empty lists encode as [] in JSON, not null, as by_cpu and by_task do.
	for _, l := range []*[]Bucket{&s.DepthHist, &s.LenHist} {
		if *l == nil {
			*l = []Bucket{}
		}
	}
	for _, l := range []*[]SiteCount{&s.BySite, &s.NestedBySite} {
		if *l == nil {
			*l = []SiteCount{}
		}
	}
	if s.ByOp == nil {
		s.ByOp = []OpCount{}
	}
	if s.BySection == nil {
		s.BySection = []SectionSite{}
	}
	return s, nil
}

// lenBucket returns the lower bound of n's power-of-two bucket: 0, 1, 2-3,
// 4-7, ...
func lenBucket(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return 1 << (bits.Len64(uint64(n)) - 1)
}

func sortedCounts(m map[uint32]int64) []NumCount {
	out := make([]NumCount, 0, len(m))
	for id, n := range m {
		out = append(out, NumCount{id, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// sortSiteCounts orders by count, most first, then by name.
func sortSiteCounts(c []SiteCount) {
	sort.Slice(c, func(i, j int) bool {
		a, b := c[i], c[j]
		if a.Events != b.Events {
			return a.Events > b.Events
		}
		return a.Site < b.Site
	})
}

func sortBuckets(b []Bucket) {
	sort.Slice(b, func(i, j int) bool { return b[i].Min < b[j].Min })
}

// WriteTable prints the statistics as aligned text tables.
// Strings from the trace (metadata, call sites) are printed with control
// characters escaped (traces.Printable). The output is buffered: stat of a
// trace of a million tasks made four million writes.
func (s *Stats) WriteTable(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	tw := tabwriter.NewWriter(bw, 0, 8, 2, ' ', 0)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	pr := traces.Printable
	p("trace\t%s\n", pr(s.File))
	for i, v := range s.Meta.Values() {
		if v != "" {
			p("%s\t%s\n", traces.MetaKeys[i], pr(v))
		}
	}
	p("events\t%d\n", s.Events)
	p("updates\t%d\t(%d pages)\n", s.Updates, s.Pages)
	p("  in sections\t%d\n", s.InSection)
	p("  in irq context\t%d\n", s.IRQUpdates)
	p("  while paused\t%d\n", s.Paused)
	p("  outside sections\t%d\n", s.Outside)
	p("sections\t%d\t(%d unclosed, %d unmatched disables)\n", s.Sections, s.Unclosed, s.Unmatched)
	p("pauses\t%d\n", s.Pauses)
	p("switches\t%d\n", s.Switches)
	p("\nby op\tevents\n")
	for _, c := range s.ByOp {
		p("  %s\t%d\n", c.Op, c.Events)
	}
	p("\nby cpu\tevents\n")
	for _, c := range s.ByCPU {
		p("  %d\t%d\n", c.ID, c.Events)
	}
	p("\nby task\tevents\n")
	for _, c := range s.ByTask {
		p("  %d\t%d\n", c.ID, c.Events)
	}
	p("\nby site\tevents\n")
	for _, c := range s.BySite {
		p("  %s\t%d\n", pr(c.Site), c.Events)
	}
	p("\nnesting depth\tsections\n")
	for _, b := range s.DepthHist {
		p("  %d\t%d\n", b.Min, b.Count)
	}
	p("\nsections by site\tsections\tnested\tupdates\tmin\tp50\tmean\tmax\n")
	for _, c := range s.BySection {
		p("  %s\t%d\t%d\t%d\t%d\t%s\t%s\t%d\n", pr(c.Site), c.Sections, c.Nested, c.Updates, c.Min,
			strconv.FormatFloat(c.P50, 'f', -1, 64), strconv.FormatFloat(c.Mean, 'f', 1, 64), c.Max)
	}
	if len(s.NestedBySite) > 0 {
		p("\nnested enables by site\tevents\n")
		for _, c := range s.NestedBySite {
			p("  %s\t%d\n", pr(c.Site), c.Events)
		}
	}
	p("\nupdates per section\tsections\n")
	for _, b := range s.LenHist {
		r := strconv.FormatInt(b.Min, 10)
		if b.Max != b.Min {
			r += "-" + strconv.FormatInt(b.Max, 10)
		}
		p("  %s\t%d\n", r, b.Count)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return bw.Flush()
}
