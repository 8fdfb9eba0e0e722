package calibrate

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/workload"
)

// KpkeysArch is the backend the kpkeys calibration fits (an unmerged
// series); its baseline is arm64.
const KpkeysArch = "arm64-kpkeys"

// Work terms of the kpkeys calibration besides the vmalloc ones (CallWork,
// PageWork): the per-page work of fork and munmap that the traces do not
// show (page references, rmap, copying or freeing pages, TLB batching),
// added to every replay as pages x the term.
const (
	ForkWork   = "fork-page-work-ns"
	MunmapWork = "munmap-page-work-ns"
)

// The ways to replay the "without batching" kernel (KpkeysOptions.Without).
const (
	WithoutUnbatched = "unbatched" // arm64-kpkeys, option batch=0, under upstream: the measured kernel
	WithoutNone      = "none"      // arm64-kpkeys under the none strategy: no lazy MMU mode at all
)

// KpkeysOptions configure a kpkeys fit.
type KpkeysOptions struct {
	// Costs are the starting values of arm64-kpkeys's parameters (nil: its
	// defaults); the baseline (arm64) gets the same values of arm64's.
	Costs arch.Costs
	// Anchor is held fixed to set the absolute scale ("": isb_ns);
	// AnchorValue, if > 0, replaces its value.
	Anchor      string
	AnchorValue float64
	// Loops returns the fix_size_alloc calls replayed for p pages; nil:
	// DefaultLoops.
	Loops func(pages int) int
	// MapPages, if > 0, is the fork and munmap mapping in pages, replacing
	// the published points' (tests and the report's quick runs shrink it:
	// the overheads are per page). 0: the published size, or GiBPages for
	// a benchmark without a published point.
	MapPages int
	// Kernel is the kernel whose rules are replayed (arm64's did not change
	// from 7.0 to 7.3).
	Kernel lazymmu.Kernel
	// Without says how the kernel without batching is replayed
	// (WithoutUnbatched by default, or WithoutNone).
	Without string
	// Workers bounds parallel replays (0: GOMAXPROCS).
	Workers int
}

// KpkeysRow is one row of the kpkeys table. LOO* are the leave-one-out
// predictions of the published cells (NaN where none).
type KpkeysRow struct {
	Benchmark                       string
	Pages                           int
	PublishedWithout, PublishedWith float64
	HasWithout, HasWith             bool
	ModeledWithout, ModeledWith     float64
	LOOWithout, LOOWith             float64
}

// KpkeysResult is a finished kpkeys fit.
type KpkeysResult struct {
	Terms  []Term
	Rows   []KpkeysRow
	Points int     // published cells fitted
	RMS    float64 // of modeled - published over the cells, percentage points
	MaxAbs float64
	// LOORMS and LOOMax are the errors of the leave-one-out predictions of
	// the fix_size_alloc cells (each predicted by a fit to all other cells),
	// over LOOCells cells: how well the model predicts a size it was not
	// given. Rows hold every cell's leave-one-out prediction; fork's and
	// munmap's "without" cells are no test of that kind, since each is what
	// determines its benchmark's work term (docs/calibration.md).
	LOORMS, LOOMax float64
	LOOCells       int
	Replays        int
	Linearity      float64 // largest |linear model - direct replay|, pp
	Without        string
}

// kbench is one benchmark replayed: its traces' counts under the three
// kernels (baseline, without, with), for every parameter, and its work.
type kbench struct {
	name  string
	pages int
	calls int
	terms [3][]float64 // per kernel, per arm64-kpkeys parameter
	work  float64      // the trace's own work events, ns
}

// Cells of a point: 0 without batching, 1 with.
type kcell struct {
	b    int // index into benches
	col  int // 0 without, 1 with
	want float64
}

// FitKpkeys fits arm64-kpkeys to published overheads.
func FitKpkeys(pts []KpkeysPoint, opt KpkeysOptions) (*KpkeysResult, error) {
	if len(pts) == 0 {
		return nil, errors.New("calibrate: no kpkeys points to fit")
	}
	if opt.MapPages > 0 {
		pts = withMapPages(pts, opt.MapPages)
	}
	kopt, err := kpkeysDefaults(opt)
	if err != nil {
		return nil, err
	}
	info, _ := arch.Lookup(KpkeysArch)
	values := info.Values(kopt.Costs)
	terms := kpkeysTerms(info, values)
	ai, err := anchorTerm(terms, kopt.Anchor, kopt.AnchorValue, KpkeysArch, info)
	if err != nil {
		return nil, err
	}
	benches := kpkeysBenches(pts, kopt)
	replays, err := measureKpkeys(benches, info, kopt)
	if err != nil {
		return nil, err
	}
	cells := kpkeysCells(pts, benches)
	m := &kmodel{benches: benches, terms: terms, npar: len(info.Params)}
	free := m.freeTerms(cells, ai)
	theta := m.start()
	theta = m.fit(theta, free, cells)
	for j := range terms {
		terms[j].Value = theta[j]
	}
	res := &KpkeysResult{Terms: terms, Points: len(cells), Without: kopt.Without}
	direct, n, err := directKpkeys(benches, m, theta, info, kopt)
	if err != nil {
		return nil, err
	}
	res.Replays = replays + n
	res.fill(pts, benches, m, theta, free, cells, direct)
	return res, nil
}

// withMapPages returns pts with fork's and munmap's pages set to n (the
// last of several points of one benchmark wins).
func withMapPages(pts []KpkeysPoint, n int) []KpkeysPoint {
	var out []KpkeysPoint
	seen := map[string]int{}
	for _, p := range pts {
		if p.Benchmark != BenchAlloc {
			p.Pages = n
			if i, dup := seen[p.Benchmark]; dup {
				out[i] = p
				continue
			}
			seen[p.Benchmark] = len(out)
		}
		out = append(out, p)
	}
	return out
}

// kpkeysDefaults fills opt's defaults and checks it.
func kpkeysDefaults(opt KpkeysOptions) (KpkeysOptions, error) {
	if _, ok := arch.Lookup(KpkeysArch); !ok {
		return opt, fmt.Errorf("calibrate: %s is not registered", KpkeysArch)
	}
	if opt.Anchor == "" {
		opt.Anchor = "isb_ns"
	}
	if opt.Loops == nil {
		opt.Loops = DefaultLoops
	}
	if opt.MapPages <= 0 {
		opt.MapPages = GiBPages
	}
	if opt.Without == "" {
		opt.Without = WithoutUnbatched
	}
	if opt.Without != WithoutUnbatched && opt.Without != WithoutNone {
		return opt, fmt.Errorf("calibrate: without %q: want %s or %s", opt.Without, WithoutUnbatched, WithoutNone)
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	return opt, nil
}

// kpkeysBenches lists the benchmarks to replay: fork and munmap at each
// published size (MapPages if none), fix_size_alloc at CurvePages and
// every published size, in row order.
func kpkeysBenches(pts []KpkeysPoint, opt KpkeysOptions) []*kbench {
	set := map[[2]int]bool{}
	var out []*kbench
	add := func(name string, pages int) {
		k := [2]int{benchOrder[name], pages}
		if set[k] {
			return
		}
		set[k] = true
		b := &kbench{name: name, pages: pages, calls: 1}
		if name == BenchAlloc {
			b.calls = opt.Loops(pages)
		}
		out = append(out, b)
	}
	for _, name := range []string{BenchFork, BenchMunmap} {
		n := 0
		for _, p := range pts {
			if p.Benchmark == name {
				add(name, p.Pages)
				n++
			}
		}
		if n == 0 {
			add(name, opt.MapPages)
		}
	}
	for _, p := range CurvePages {
		add(BenchAlloc, p)
	}
	for _, p := range pts {
		if p.Benchmark == BenchAlloc {
			add(BenchAlloc, p.Pages)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return kpkeysLess(out[a].name, out[a].pages, out[b].name, out[b].pages) })
	return out
}

// kpkeysTerms lists the work terms, then arm64-kpkeys's parameters.
func kpkeysTerms(info *arch.Info, values map[string]float64) []Term {
	work := []struct {
		name  string
		start float64
		src   string
	}{
		{ForkWork, 100, "estimate: fork's work per page besides its PTE writes (page reference, rmap, the copy loop); fitted"},
		{MunmapWork, 500, "estimate: munmap's work per page besides its PTE write (rmap, freeing the page, TLB batching); fitted"},
		{CallWork, workload.DefaultCallWorkNs, "vmalloc workload default (estimate), see docs/workloads.md"},
		{PageWork, workload.DefaultPageWorkNs, "vmalloc workload default (estimate), see docs/workloads.md"},
	}
	var terms []Term
	for _, w := range work {
		terms = append(terms, Term{Name: w.name, Work: true, Start: w.start, Value: w.start, Unit: "ns", Source: w.src})
	}
	for _, p := range info.Params {
		terms = append(terms, Term{Name: p.Name, Start: values[p.Name], Value: values[p.Name], Unit: p.Unit, Source: p.Source})
	}
	return terms
}

// kpkeysCells lists the published cells, each with its benchmark.
func kpkeysCells(pts []KpkeysPoint, benches []*kbench) []kcell {
	var cells []kcell
	for _, p := range pts {
		for i, b := range benches {
			if b.name != p.Benchmark || b.pages != p.Pages {
				continue
			}
			if p.HasWithout {
				cells = append(cells, kcell{i, 0, p.Without})
			}
			if p.HasWith {
				cells = append(cells, kcell{i, 1, p.With})
			}
		}
	}
	return cells
}

// kpkeysConfigs are the three kernels replayed: the baseline (arm64, no
// kpkeys), kpkeys without batching, kpkeys with it.
func kpkeysConfigs(without string) [3]struct {
	arch  string
	strat lazymmu.Strategy
	batch float64
} {
	w := struct {
		arch  string
		strat lazymmu.Strategy
		batch float64
	}{KpkeysArch, lazymmu.Upstream, 0}
	if without == WithoutNone {
		w.strat, w.batch = lazymmu.None, 1
	}
	return [3]struct {
		arch  string
		strat lazymmu.Strategy
		batch float64
	}{{"arm64", lazymmu.Upstream, 1}, w, {KpkeysArch, lazymmu.Upstream, 1}}
}

// generateBench returns benchmark b's trace.
func generateBench(b *kbench) genTrace {
	switch b.name {
	case BenchFork:
		return genTrace{name: "fork", v: workload.Values{"pages": int64(b.pages), "none-pm": 0, "resched-pm": 0, "folio": 1}}
	case BenchMunmap:
		return genTrace{name: "munmap", v: workload.Values{"pages": int64(b.pages), "none-pm": 0, "resched-pm": 0}}
	}
	return generate(b.pages, b.calls, 0, 0)
}

// replayKpkeys replays tr under kernel k (kpkeysConfigs) with costs (the
// arm64-kpkeys values; the baseline takes arm64's from them) and returns
// the result and the backend's terms in arm64-kpkeys's parameter order.
func replayKpkeys(tr genTrace, k int, costs map[string]float64, opt KpkeysOptions, npar int) (*replay.Result, []float64, error) {
	cfg := kpkeysConfigs(opt.Without)[k]
	c := make(map[string]float64, len(costs)+1)
	for name, v := range costs {
		c[name] = v
	}
	all := arch.Costs{}
	if cfg.arch == KpkeysArch {
		c["batch"] = cfg.batch
		all[KpkeysArch] = c
	} else {
		base, _ := arch.Lookup(cfg.arch)
		m := map[string]float64{}
		for _, p := range base.Params {
			m[p.Name] = c[p.Name]
		}
		all[cfg.arch] = m
	}
	e, err := replay.New(replay.Config{Trace: "calibrate", Arch: cfg.arch, Costs: all, Strategy: cfg.strat, Kernel: opt.Kernel})
	if err != nil {
		return nil, nil, err
	}
	r, err := tr.replayOn(e)
	if err != nil {
		return nil, nil, err
	}
	t := e.Backend().(arch.Linear).Terms(nil)
	for len(t) < npar {
		t = append(t, 0) // arm64 has no kpkeys terms
	}
	return r, t, nil
}

// measureKpkeys replays every benchmark under the three kernels once with
// the default costs and keeps the counts (the backends are linear).
func measureKpkeys(benches []*kbench, info *arch.Info, opt KpkeysOptions) (int, error) {
	costs := info.Values(nil)
	var mu sync.Mutex
	n := 0
	err := parallel(len(benches), opt.Workers, func(i int) error {
		b := benches[i]
		tr := generateBench(b)
		for k := 0; k < 3; k++ {
			r, t, err := replayKpkeys(tr, k, costs, opt, len(info.Params))
			if err != nil {
				return err
			}
			b.terms[k], b.work = t, r.WorkNs
		}
		mu.Lock()
		n += 3
		mu.Unlock()
		return nil
	})
	return n, err
}

// directKpkeys replays every benchmark again with the fitted costs and
// returns the overheads (without, with) each gives.
func directKpkeys(benches []*kbench, m *kmodel, theta []float64, info *arch.Info, opt KpkeysOptions) ([][2]float64, int, error) {
	costs := map[string]float64{}
	for j, t := range m.terms {
		if !t.Work {
			costs[t.Name] = theta[j]
		}
	}
	out := make([][2]float64, len(benches))
	err := parallel(len(benches), opt.Workers, func(i int) error {
		b := benches[i]
		tr := generateBench(b)
		var tot [3]float64
		for k := 0; k < 3; k++ {
			r, _, err := replayKpkeys(tr, k, costs, opt, len(info.Params))
			if err != nil {
				return err
			}
			tot[k] = r.ModeledNs + r.WorkNs + m.workNs(b, theta)
		}
		out[i] = [2]float64{100 * (tot[1] - tot[0]) / tot[0], 100 * (tot[2] - tot[0]) / tot[0]}
		return nil
	})
	return out, 3 * len(benches), err
}

// kmodel computes the modeled overheads from the counts for any values.
type kmodel struct {
	benches []*kbench
	terms   []Term
	npar    int // arch parameters, after the 4 work terms
}

// nwork is the number of work terms (first in terms).
const nwork = 4

func (m *kmodel) start() []float64 {
	th := make([]float64, len(m.terms))
	for j := range m.terms {
		th[j] = m.terms[j].Value
	}
	return th
}

// workNs is the unmodeled work of benchmark b at values theta.
func (m *kmodel) workNs(b *kbench, th []float64) float64 {
	switch b.name {
	case BenchFork:
		return th[0] * float64(b.pages)
	case BenchMunmap:
		return th[1] * float64(b.pages)
	}
	return th[2]*float64(b.calls) + th[3]*float64(b.calls*b.pages)
}

// total is the modeled time of benchmark b under kernel k.
func (m *kmodel) total(b *kbench, k int, th []float64) float64 {
	t := b.work + m.workNs(b, th)
	for j, c := range b.terms[k] {
		t += c * th[nwork+j]
	}
	return t
}

// pct is the modeled overhead of benchmark b (col 0 without batching, 1
// with), percent.
func (m *kmodel) pct(b *kbench, col int, th []float64) float64 {
	t0 := m.total(b, 0, th)
	if t0 <= 0 {
		return math.NaN()
	}
	return 100 * (m.total(b, col+1, th) - t0) / t0
}

// counted reports whether term j changes any benchmark's time.
func (m *kmodel) counted(j int, cells []kcell) bool {
	for _, c := range cells {
		b := m.benches[c.b]
		if j < nwork {
			th := make([]float64, len(m.terms))
			th[j] = 1
			if m.workNs(b, th) != 0 {
				return true
			}
			continue
		}
		for k := 0; k < 3; k++ {
			if b.terms[k][j-nwork] != 0 {
				return true
			}
		}
	}
	return false
}

// freeTerms decides which terms the cells determine: the anchor is held,
// terms no cell's benchmark exercises keep their values, and of the others
// those are fitted that add a direction to the Jacobian of the cells (work
// terms first, then the kpkeys parameters, then arm64's, which the
// baseline pays as well).
func (m *kmodel) freeTerms(cells []kcell, ai int) []int {
	th := m.start()
	var cand []int
	for j := range m.terms {
		switch {
		case j == ai:
			m.terms[j].Status = "anchor: held at its estimate to set the absolute scale"
		case !m.counted(j, cells):
			m.terms[j].Status = "fixed: no published benchmark exercises it"
		default:
			m.terms[j].Counted = true
			cand = append(cand, j)
		}
	}
	m.terms[ai].Counted = true
	nk := nwork + m.npar - 2 // the kpkeys parameters are the last two
	sort.SliceStable(cand, func(a, b int) bool { return rankKey(cand[a], nk) < rankKey(cand[b], nk) })
	var basis [][]float64
	var free []int
	for _, j := range cand {
		c := m.column(j, th, cells)
		norm0 := math.Sqrt(dot(c, c))
		for _, b := range basis {
			d := dot(c, b)
			for i := range c {
				c[i] -= d * b[i]
			}
		}
		norm := math.Sqrt(dot(c, c))
		if norm0 == 0 || norm <= minOwn*norm0 {
			m.terms[j].Status = "fixed: the published overheads do not determine it once the fitted terms are free (it trades off against them)"
			continue
		}
		for i := range c {
			c[i] /= norm
		}
		basis = append(basis, c)
		free = append(free, j)
		m.terms[j].Status = "fitted"
	}
	sort.Ints(free)
	return free
}

// minOwn is the share of a term's effect on the cells (the norm of its
// Jacobian column) that must be its own, outside the span of the terms taken
// before it, for the term to be fitted. A kpkeys switch costs por_write_ns +
// isb_ns almost everywhere, so with isb_ns held por_write_ns moves the cells
// nearly as a common scaling of the work terms would; what is its own (the
// restore without ISB, arm64's costs in the baseline) is a few per mille.
const minOwn = 1e-3

// rankKey orders candidates: work terms, then kpkeys parameters (index >=
// nk), then arm64's.
func rankKey(j, nk int) int {
	switch {
	case j < nwork:
		return j
	case j >= nk:
		return 100 + j
	}
	return 200 + j
}

// column is d pct / d log theta_j at th over the cells.
func (m *kmodel) column(j int, th []float64, cells []kcell) []float64 {
	v := th[j]
	if v <= 0 {
		v = 1
	}
	const h = 1e-4
	up := append([]float64(nil), th...)
	down := append([]float64(nil), th...)
	up[j], down[j] = v*math.Exp(h), v*math.Exp(-h)
	col := make([]float64, len(cells))
	for i, c := range cells {
		b := m.benches[c.b]
		col[i] = (m.pct(b, c.col, up) - m.pct(b, c.col, down)) / (2 * h)
	}
	return col
}

// fit minimises the squared residuals of cells over the free terms (in
// log space, Nelder-Mead restarted 8 times, a 1e-6 ridge toward the start
// that only breaks ties) and returns the values.
func (m *kmodel) fit(theta []float64, free []int, cells []kcell) []float64 {
	th := append([]float64(nil), theta...)
	if len(free) == 0 {
		return th
	}
	start := make([]float64, len(free))
	for k, j := range free {
		start[k] = math.Log(math.Max(th[j], 1e-3))
	}
	return ridgeFit(th, free, start, func(t []float64) float64 {
		sum := 0.0
		for _, c := range cells {
			d := m.pct(m.benches[c.b], c.col, t) - c.want
			if math.IsNaN(d) {
				return math.NaN()
			}
			sum += d * d
		}
		return sum
	})
}

// fill builds the rows, residuals and leave-one-out predictions.
func (r *KpkeysResult) fill(pts []KpkeysPoint, benches []*kbench, m *kmodel, theta []float64, free []int, cells []kcell, direct [][2]float64) {
	pub := map[[2]int]KpkeysPoint{}
	for _, p := range pts {
		pub[[2]int{benchOrder[p.Benchmark], p.Pages}] = p
	}
	loo := map[[2]int]float64{} // (bench, col) -> prediction
	for i, c := range cells {
		rest := append(append([]kcell(nil), cells[:i]...), cells[i+1:]...)
		th := m.fit(m.start(), free, rest)
		loo[[2]int{c.b, c.col}] = m.pct(m.benches[c.b], c.col, th)
	}
	sq, lsq := 0.0, 0.0
	held := func(b *kbench, e float64) {
		if b.name == BenchAlloc {
			lsq += e * e
			r.LOOMax = math.Max(r.LOOMax, math.Abs(e))
			r.LOOCells++
		}
	}
	for i, b := range benches {
		p := pub[[2]int{benchOrder[b.name], b.pages}]
		row := KpkeysRow{Benchmark: b.name, Pages: b.pages,
			PublishedWithout: p.Without, HasWithout: p.HasWithout, PublishedWith: p.With, HasWith: p.HasWith,
			ModeledWithout: direct[i][0], ModeledWith: direct[i][1], LOOWithout: math.NaN(), LOOWith: math.NaN()}
		for col := 0; col < 2; col++ {
			r.Linearity = math.Max(r.Linearity, math.Abs(m.pct(b, col, theta)-direct[i][col]))
		}
		if v, ok := loo[[2]int{i, 0}]; ok {
			row.LOOWithout = v
			d := row.ModeledWithout - p.Without
			sq, r.MaxAbs = sq+d*d, math.Max(r.MaxAbs, math.Abs(d))
			held(b, v-p.Without)
		}
		if v, ok := loo[[2]int{i, 1}]; ok {
			row.LOOWith = v
			d := row.ModeledWith - p.With
			sq, r.MaxAbs = sq+d*d, math.Max(r.MaxAbs, math.Abs(d))
			held(b, v-p.With)
		}
		r.Rows = append(r.Rows, row)
	}
	r.RMS = math.Sqrt(sq / float64(len(cells)))
	if r.LOOCells > 0 {
		r.LOORMS = math.Sqrt(lsq / float64(r.LOOCells))
	}
}

// KpkeysHeader is the header of the kpkeys calibration's CSV.
const KpkeysHeader = "benchmark,pages,published_without_pct,modeled_without_pct,published_with_pct,modeled_with_pct"

// WriteCSV prints the kpkeys table: KpkeysHeader, then one row per
// benchmark (fork, munmap, fix_size_alloc at 1..512 pages and any other
// published size), published cells empty where there is no figure.
func (r *KpkeysResult) WriteCSV(w io.Writer) error {
	var b strings.Builder
	b.WriteString(KpkeysHeader + "\n")
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	for _, row := range r.Rows {
		b.WriteString(row.Benchmark + "," + strconv.Itoa(row.Pages) + ",")
		if row.HasWithout {
			b.WriteString(f(row.PublishedWithout))
		}
		b.WriteString("," + f(row.ModeledWithout) + ",")
		if row.HasWith {
			b.WriteString(f(row.PublishedWith))
		}
		b.WriteString("," + f(row.ModeledWith) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Costs returns the fitted arm64-kpkeys parameters as a cost map.
func (r *KpkeysResult) Costs() arch.Costs { return termCosts(KpkeysArch, r.Terms) }

// Value returns the fitted value of the term named name (NaN if none).
func (r *KpkeysResult) Value(name string) float64 {
	for _, t := range r.Terms {
		if t.Name == name {
			return t.Value
		}
	}
	return math.NaN()
}

// Row returns the row of benchmark at pages, and whether there is one.
func (r *KpkeysResult) Row(benchmark string, pages int) (KpkeysRow, bool) {
	for _, row := range r.Rows {
		if row.Benchmark == benchmark && row.Pages == pages {
			return row, true
		}
	}
	return KpkeysRow{}, false
}

// WriteSummary prints the fit's terms, residuals and leave-one-out
// predictions (calibrate -v).
func (r *KpkeysResult) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "fit (%s, an unmerged series; without batching replayed as %q): rms %.2f, max %.2f pp over %d cells; %d fix_size_alloc cells left out one at a time: rms %.2f, max %.2f pp; %d replays; linearity check %.2g pp\n",
		KpkeysArch, r.Without, r.RMS, r.MaxAbs, r.Points, r.LOOCells, r.LOORMS, r.LOOMax, r.Replays, r.Linearity)
	for _, t := range r.Terms {
		kind := KpkeysArch
		if t.Work {
			kind = "work"
		}
		fmt.Fprintf(w, "  %-12s %-20s %10.4g %-9s (start %g) %s\n", kind, t.Name, t.Value, t.Unit, t.Start, t.Status)
	}
	for _, row := range r.Rows {
		for _, c := range [2]struct {
			has      bool
			pub, mod float64
			loo      float64
			name     string
		}{{row.HasWithout, row.PublishedWithout, row.ModeledWithout, row.LOOWithout, "without"}, {row.HasWith, row.PublishedWith, row.ModeledWith, row.LOOWith, "with"}} {
			if c.has {
				fmt.Fprintf(w, "  %s p:%d %s: published %.2f modeled %.2f (residual %+.2f) left out %.2f (error %+.2f)\n",
					row.Benchmark, row.Pages, c.name, c.pub, c.mod, c.mod-c.pub, c.loo, c.loo-c.pub)
			}
		}
	}
}

// WriteCosts writes the fitted parameters as a TOML cost file, with the
// fit's provenance and the work terms as comments.
func (r *KpkeysResult) WriteCosts(w io.Writer, source string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# lazybench calibrate --arch %s: costs fitted to published overheads (an unmerged series)\n", KpkeysArch)
	fmt.Fprintf(&b, "# source: %s\n", source)
	fmt.Fprintf(&b, "# residuals: rms %.2f, max %.2f percentage points over %d cells; fix_size_alloc left out one at a time: rms %.2f, max %.2f\n", r.RMS, r.MaxAbs, r.Points, r.LOORMS, r.LOOMax)
	fmt.Fprintf(&b, "# work terms (not arch costs):")
	for _, t := range r.Terms {
		if t.Work {
			fmt.Fprintf(&b, " %s = %.1f", t.Name, t.Value)
		}
	}
	fmt.Fprintf(&b, "\n[%s]\n", strconv.Quote(KpkeysArch))
	for _, t := range r.Terms {
		if !t.Work {
			fmt.Fprintf(&b, "%s = %s # %s\n", t.Name, strconv.FormatFloat(t.Value, 'g', 6, 64), t.Status)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
