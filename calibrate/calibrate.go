// Package calibrate fits an arch backend's cost parameters to published
// measurements, through the real pipeline: it generates the vmalloc workload
// (workload) for each page count, replays it (replay) under the `upstream`
// and `none` strategies, and chooses the costs and the workload's unmodeled
// work terms so that the modeled change in time per call,
//
//	(T_upstream(p) - T_none(p)) / T_none(p),
//
// matches the published points in least squares (docs/published.md).
//
// Modeled time is linear in every cost parameter and work term, so each p is
// replayed once per term with that term at 1 and every other at 0; the fit
// then runs on the resulting counts (Nelder-Mead in log space, so every
// fitted value stays positive), and the final curve is replayed again with
// the fitted values, so what is printed is what `lazybench replay` computes.
//
// Percentages fix only ratios of costs. One parameter (the anchor, by
// default the barrier pair) is held at its documented estimate to set the
// absolute scale. Parameters the workload never exercises, and parameters
// whose counts are proportional to another term's (so that only their sum is
// determined), keep their values and are reported as such.
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

	"github.com/montanaflynn/stats"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/workload"
)

// CurvePages are the page counts of the printed curve: 1, 2, 4, ..., 512.
var CurvePages = []int{1, 2, 4, 8, 16, 32, 64, 128, 256, 512}

// Names of the workload's work terms (vmalloc generator parameters).
const (
	CallWork = "call-work-ns"
	PageWork = "page-work-ns"
)

// Options configure a fit.
type Options struct {
	Arch string // backend to fit; "" means arm64
	// Costs are the starting values of the backend's parameters (nil: its
	// defaults). Parameters the fit does not determine keep these values.
	Costs arch.Costs
	// Anchor is the parameter held fixed to set the absolute scale; "" picks
	// the first parameter whose name contains "barrier". AnchorValue, if > 0,
	// replaces its value.
	Anchor      string
	AnchorValue float64
	// Loops returns the vmalloc+vfree calls replayed for p pages; nil uses
	// DefaultLoops.
	Loops func(pages int) int
	// Workers bounds parallel replays (0: GOMAXPROCS).
	Workers int
}

// DefaultLoops replays about 16384 pages per point, and at least 16 calls.
func DefaultLoops(pages int) int { return max(16, 16384/max(pages, 1)) }

// Term is one fitted or fixed quantity: a backend cost parameter or a
// workload work term.
type Term struct {
	Name    string
	Work    bool    // a workload work term (generator parameter), not an arch cost
	Value   float64 // after the fit
	Start   float64 // before the fit (default or cost file)
	Unit    string
	Status  string // "fitted", "anchor", "fixed: ..." (why)
	Source  string // where Start comes from (arch.Param.Source)
	Counted bool   // the workload exercises it
}

// Row is one row of the calibration table.
type Row struct {
	Pages        int
	Published    float64
	HasPublished bool
	Modeled      float64 // percent, from a direct replay with the fitted values
}

// Result is a finished fit.
type Result struct {
	Arch    string
	Terms   []Term
	Rows    []Row // CurvePages plus any published page count outside them, sorted
	Points  []Point
	RMS     float64 // root mean square of modeled - published over the points, percentage points
	MaxAbs  float64 // largest |modeled - published|, percentage points
	Replays int     // replays run
	// Linearity is the largest difference, in percentage points, between the
	// linear model the fit used and the direct replay with the fitted values
	// (work terms are rounded to whole ns for the generator).
	Linearity float64
}

// Costs returns the fitted backend parameters as a cost map for arch.New or
// replay.Config.Costs.
func (r *Result) Costs() arch.Costs { return termCosts(r.Arch, r.Terms) }

// termCosts returns the values of the terms that are not work terms as a
// cost map for arch a.
func termCosts(a string, terms []Term) arch.Costs {
	m := map[string]float64{}
	for _, t := range terms {
		if !t.Work {
			m[t.Name] = t.Value
		}
	}
	return arch.Costs{a: m}
}

// Work returns the fitted value of a work term (CallWork or PageWork).
func (r *Result) Work(name string) float64 {
	for _, t := range r.Terms {
		if t.Work && t.Name == name {
			return t.Value
		}
	}
	return math.NaN()
}

// counts holds, per page count and strategy, the modeled time with every
// term at zero (base) and the modeled time each term adds per unit.
type counts struct {
	base [2]float64   // [upstream, none]
	per  [2][]float64 // per term
}

var strategies = [2]lazymmu.Strategy{lazymmu.Upstream, lazymmu.None}

// Fit runs the calibration for pts.
func Fit(pts []Point, opt Options) (*Result, error) {
	if len(pts) == 0 {
		return nil, errors.New("calibrate: no points to fit")
	}
	if opt.Arch == "" {
		opt.Arch = "arm64"
	}
	if opt.Loops == nil {
		opt.Loops = DefaultLoops
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	info, ok := arch.Lookup(opt.Arch)
	if !ok {
		return nil, fmt.Errorf("calibrate: unknown arch %q (have %v)", opt.Arch, arch.Names())
	}
	wl := workload.Lookup("vmalloc")
	if wl == nil {
		return nil, errors.New("calibrate: the vmalloc workload is not registered")
	}
	values := info.Values(opt.Costs)

	// Terms: work terms first (they win a tie of proportional counts: the
	// per-page work is what the trace does not show), then the parameters.
	var terms []Term
	for _, name := range []string{CallWork, PageWork} {
		d := float64(wl.Param(name).Default)
		terms = append(terms, Term{Name: name, Work: true, Start: d, Value: d, Unit: "ns",
			Source: "vmalloc workload default (estimate), see docs/workloads.md"})
	}
	for _, p := range info.Params {
		terms = append(terms, Term{Name: p.Name, Start: values[p.Name], Value: values[p.Name], Unit: p.Unit, Source: p.Source})
	}
	anchor := opt.Anchor
	if anchor == "" {
		for _, p := range info.Params {
			if strings.Contains(p.Name, "barrier") {
				anchor = p.Name
				break
			}
		}
	}
	ai, err := anchorTerm(terms, anchor, opt.AnchorValue, "arch "+opt.Arch, info)
	if err != nil {
		return nil, err
	}

	// Pages to replay: the curve plus every published page count.
	pageSet := map[int]bool{}
	for _, p := range CurvePages {
		pageSet[p] = true
	}
	for _, p := range pts {
		pageSet[p.Pages] = true
	}
	var pages []int
	for p := range pageSet {
		pages = append(pages, p)
	}
	sort.Ints(pages)

	// Counts, one page count per job.
	cnt := make(map[int]*counts, len(pages))
	replays := 0
	var mu sync.Mutex
	err = parallel(len(pages), opt.Workers, func(k int) error {
		c, n, err := measure(info, values, terms, pages[k], opt.Loops(pages[k]))
		mu.Lock()
		cnt[pages[k]] = c
		replays += n
		mu.Unlock()
		return err
	})
	if err != nil {
		return nil, err
	}

	// Which terms the points determine.
	col := func(j int) []float64 {
		var v []float64
		for _, p := range pts {
			c := cnt[p.Pages]
			v = append(v, c.per[0][j], c.per[1][j])
		}
		return v
	}
	var free []int
	for j := range terms {
		terms[j].Counted = !allZero(col(j))
		switch {
		case j == ai:
			terms[j].Status = "anchor: held at its estimate to set the absolute scale"
		case !terms[j].Counted:
			terms[j].Status = "fixed: the vmalloc workload does not exercise it"
		default:
			dup := -1
			for _, k := range free {
				if proportional(col(j), col(k)) {
					dup = k
					break
				}
			}
			if dup < 0 && proportional(col(j), col(ai)) {
				dup = ai
			}
			if dup >= 0 {
				terms[j].Status = "fixed: counted exactly like " + terms[dup].Name + ", so only their sum is determined"
				continue
			}
			terms[j].Status = "fitted"
			free = append(free, j)
		}
	}

	theta := make([]float64, len(terms))
	for j := range terms {
		theta[j] = terms[j].Value
	}
	model := func(th []float64, p int) float64 {
		c := cnt[p]
		var t [2]float64
		for s := 0; s < 2; s++ {
			t[s] = c.base[s]
			for j := range th {
				t[s] += th[j] * c.per[s][j]
			}
		}
		if t[1] <= 0 {
			return math.NaN()
		}
		return 100 * (t[0] - t[1]) / t[1]
	}
	free = identifiable(terms, free, theta, pts, model, cnt)
	if len(free) > 0 {
		start := make([]float64, len(free))
		for k, j := range free {
			v := terms[j].Value
			if v <= 0 {
				v = 1
			}
			start[k] = math.Log(v)
		}
		copy(theta, ridgeFit(theta, free, start, func(th []float64) float64 {
			sum := 0.0
			for _, p := range pts {
				m := model(th, p.Pages)
				if math.IsNaN(m) {
					return math.NaN()
				}
				sum += (m - p.ChangePct) * (m - p.ChangePct)
			}
			return sum
		}))
	}
	for j := range terms {
		terms[j].Value = theta[j]
	}
	for _, j := range []int{0, 1} { // the generator takes whole ns
		terms[j].Value = math.Round(terms[j].Value)
	}

	res := &Result{Arch: opt.Arch, Terms: terms, Points: pts}
	// Direct replays with the fitted values: the printed curve.
	direct, err := Curve(opt.Arch, res.Costs(), res.Work(CallWork), res.Work(PageWork), pages, opt.Loops, opt.Workers)
	if err != nil {
		return nil, err
	}
	replays += 2 * len(pages)
	res.Replays = replays
	pub := map[int]float64{}
	for _, p := range pts {
		pub[p.Pages] = p.ChangePct
	}
	for _, p := range pages {
		row := Row{Pages: p, Modeled: direct[p]}
		row.Published, row.HasPublished = pub[p]
		res.Rows = append(res.Rows, row)
		res.Linearity = math.Max(res.Linearity, math.Abs(model(theta, p)-direct[p]))
		if row.HasPublished {
			res.MaxAbs = math.Max(res.MaxAbs, math.Abs(row.Modeled-row.Published))
		}
	}
	res.RMS = rms(pts, direct)
	return res, nil
}

// Curve replays the vmalloc workload for each page count under upstream and
// none, with the given backend costs and work terms, and returns the modeled
// change in percent per page count.
func Curve(archName string, costs arch.Costs, callWorkNs, pageWorkNs float64, pages []int, loops func(int) int, workers int) (map[int]float64, error) {
	if loops == nil {
		loops = DefaultLoops
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make(map[int]float64, len(pages))
	var mu sync.Mutex
	err := parallel(len(pages), workers, func(k int) error {
		p := pages[k]
		var t [2]float64
		tr := generate(p, loops(p), callWorkNs, pageWorkNs)
		for s := 0; s < 2; s++ {
			r, err := tr.replay(replay.Config{Trace: "calibrate", Arch: archName, Costs: costs, Strategy: strategies[s]})
			if err != nil {
				return err
			}
			t[s] = Total(r)
		}
		if t[1] <= 0 {
			return fmt.Errorf("calibrate: pages=%d: the none strategy modeled no time", p)
		}
		mu.Lock()
		out[p] = 100 * (t[0] - t[1]) / t[1]
		mu.Unlock()
		return nil
	})
	return out, err
}

// identifiable picks, from the candidate terms, those the points determine
// together: terms are taken greedily while each adds a direction to the
// Jacobian of the modeled points (d change / d log value), so that no fitted
// term trades off exactly against the others (the ratio (T_up - T_none) /
// T_none is blind to some scalings). Work terms come first (the trace does not
// show that work, so it must be fitted), then the backend's parameters, those
// whose count grows least with the page count first (fixed deferral costs are
// what the published regression at one page measures; per-page costs are
// largely absorbed by the per-page work). Candidates left out are marked fixed.
func identifiable(terms []Term, cand []int, theta []float64, pts []Point, model func([]float64, int) float64, cnt map[int]*counts) []int {
	growth := func(j int) float64 {
		lo, hi := cnt[CurvePages[0]], cnt[CurvePages[len(CurvePages)-1]]
		a, b := lo.per[0][j]+lo.per[1][j], hi.per[0][j]+hi.per[1][j]
		if a == 0 {
			return math.Inf(1)
		}
		return b / a
	}
	order := append([]int(nil), cand...)
	sort.SliceStable(order, func(a, b int) bool {
		ja, jb := order[a], order[b]
		if terms[ja].Work != terms[jb].Work {
			return terms[ja].Work
		}
		if terms[ja].Work {
			return false
		}
		return growth(ja) < growth(jb)
	})
	column := func(j int) []float64 {
		th := append([]float64(nil), theta...)
		v := th[j]
		if v <= 0 {
			v = 1
		}
		h := 1e-4
		th[j] = v * math.Exp(h)
		col := make([]float64, len(pts))
		for i, p := range pts {
			up := model(th, p.Pages)
			th[j] = v * math.Exp(-h)
			down := model(th, p.Pages)
			th[j] = v * math.Exp(h)
			col[i] = (up - down) / (2 * h)
		}
		return col
	}
	var basis [][]float64 // orthonormal
	var free []int
	for _, j := range order {
		c := column(j)
		norm0 := math.Sqrt(dot(c, c))
		for _, b := range basis {
			d := dot(c, b)
			for i := range c {
				c[i] -= d * b[i]
			}
		}
		norm := math.Sqrt(dot(c, c))
		if norm0 == 0 || norm <= 1e-2*norm0 {
			terms[j].Status = "fixed: the points do not determine it once the fitted terms are free (it trades off against them: less than 1% of its effect on the points is its own)"
			continue
		}
		for i := range c {
			c[i] /= norm
		}
		basis = append(basis, c)
		free = append(free, j)
	}
	sort.Ints(free)
	return free
}

// anchorTerm returns the index of the parameter (not work) term named
// anchor, set to value if value > 0, and checks that it is positive; who
// names the backend in the error ("arch arm64").
func anchorTerm(terms []Term, anchor string, value float64, who string, info *arch.Info) (int, error) {
	ai := -1
	for i := range terms {
		if !terms[i].Work && terms[i].Name == anchor {
			ai = i
		}
	}
	if ai < 0 {
		return -1, fmt.Errorf("calibrate: %s has no parameter %q to anchor the scale (have %s)", who, anchor, paramNames(info))
	}
	if value > 0 {
		terms[ai].Start, terms[ai].Value = value, value
	}
	if terms[ai].Value <= 0 {
		return -1, fmt.Errorf("calibrate: anchor %s is %v; it must be positive", anchor, terms[ai].Value)
	}
	return ai, nil
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Total returns the time a replay models for the whole trace: the arch costs
// (modeled_ns) plus the trace's work events (work_ns), which is what the
// published time per call measures.
func Total(r *replay.Result) float64 { return r.ModeledNs + r.WorkNs }

func paramNames(info *arch.Info) string {
	var n []string
	for _, p := range info.Params {
		n = append(n, p.Name)
	}
	return strings.Join(n, ", ")
}

// measure replays the vmalloc workload of p pages under both strategies with
// one term at a time set to 1 and returns what each term adds.
func measure(info *arch.Info, values map[string]float64, terms []Term, p, loops int) (*counts, int, error) {
	c := &counts{}
	n := 0
	zero := map[string]float64{}
	for _, pr := range info.Params {
		zero[pr.Name] = 0
	}
	for _, o := range info.Options {
		zero[o.Name] = values[o.Name]
	}
	run := func(tr genTrace, costs map[string]float64, s int) (float64, error) {
		n++
		r, err := tr.replay(replay.Config{Trace: "calibrate", Arch: info.Name, Costs: arch.Costs{info.Name: costs}, Strategy: strategies[s]})
		if err != nil {
			return 0, err
		}
		return Total(r), nil
	}
	const unit = 1000 // ns of a work term in the work traces
	base, withCall, withPage := generate(p, loops, 0, 0), generate(p, loops, unit, 0), generate(p, loops, 0, unit)
	var err error
	for s := 0; s < 2; s++ {
		c.per[s] = make([]float64, len(terms))
		if c.base[s], err = run(base, zero, s); err != nil {
			return nil, n, err
		}
		for j, t := range terms {
			var v float64
			switch {
			case t.Work && t.Name == CallWork:
				v, err = run(withCall, zero, s)
				v = (v - c.base[s]) / unit
			case t.Work:
				v, err = run(withPage, zero, s)
				v = (v - c.base[s]) / unit
			default:
				one := make(map[string]float64, len(zero))
				for k, x := range zero {
					one[k] = x
				}
				one[t.Name] = 1
				v, err = run(base, one, s)
				v -= c.base[s]
			}
			if err != nil {
				return nil, n, err
			}
			c.per[s][j] = v
		}
	}
	return c, n, nil
}

func allZero(v []float64) bool {
	for _, x := range v {
		if math.Abs(x) > 1e-9 {
			return false
		}
	}
	return true
}

// proportional reports whether a = k*b for some k (relative tolerance 1e-9).
func proportional(a, b []float64) bool {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	if aa == 0 || bb == 0 {
		return false
	}
	return math.Abs(ab*ab-aa*bb) <= 1e-9*aa*bb
}

func parallel(n, workers int, f func(int) error) error {
	jobs := make(chan int)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				errs[k] = f(k)
			}
		}()
	}
	for k := 0; k < n; k++ {
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}

// ridgeFit minimises loss over the free entries of theta, in log space
// from start (start[k] the log of theta[free[k]]'s starting value):
// Nelder-Mead restarted 8 times on loss plus a 1e-6 ridge toward start,
// which only breaks ties along directions the data leave open. loss gets a
// copy of theta with the free entries set and returns the sum of squared
// residuals, or NaN where the model is undefined (the objective is then
// +Inf). ridgeFit returns a copy of theta with the fitted free entries.
func ridgeFit(theta []float64, free []int, start []float64, loss func(th []float64) float64) []float64 {
	const ridge = 1e-6
	obj := func(x []float64) float64 {
		th := append([]float64(nil), theta...)
		for k, j := range free {
			th[j] = math.Exp(x[k])
		}
		sum := loss(th)
		if math.IsNaN(sum) {
			return math.Inf(1)
		}
		for k := range x {
			sum += ridge * (x[k] - start[k]) * (x[k] - start[k])
		}
		return sum
	}
	x := start
	for round := 0; round < 8; round++ {
		x = nelderMead(obj, x, 0.7, 4000)
	}
	th := append([]float64(nil), theta...)
	for k, j := range free {
		th[j] = math.Exp(x[k])
	}
	return th
}

// nelderMead minimises f from x0 with initial simplex step step, for at most
// iters iterations, and returns the best point.
func nelderMead(f func([]float64) float64, x0 []float64, step float64, iters int) []float64 {
	n := len(x0)
	pts := make([][]float64, n+1)
	vals := make([]float64, n+1)
	for i := range pts {
		pts[i] = append([]float64(nil), x0...)
		if i > 0 {
			pts[i][i-1] += step
		}
		vals[i] = f(pts[i])
	}
	at := func(c []float64, d []float64, t float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = c[i] + t*(d[i]-c[i])
		}
		return x
	}
	for it := 0; it < iters; it++ {
		idx := make([]int, n+1)
		for i := range idx {
			idx[i] = i
		}
		sort.Slice(idx, func(a, b int) bool { return vals[idx[a]] < vals[idx[b]] })
		p2, v2 := make([][]float64, n+1), make([]float64, n+1)
		for i, k := range idx {
			p2[i], v2[i] = pts[k], vals[k]
		}
		pts, vals = p2, v2
		if math.Abs(vals[n]-vals[0]) <= 1e-14*(math.Abs(vals[0])+1e-14) {
			break
		}
		cen := make([]float64, n)
		for i := 0; i < n; i++ {
			for d := range cen {
				cen[d] += pts[i][d] / float64(n)
			}
		}
		xr := at(cen, pts[n], -1)
		fr := f(xr)
		switch {
		case fr < vals[0]:
			xe := at(cen, pts[n], -2)
			if fe := f(xe); fe < fr {
				pts[n], vals[n] = xe, fe
			} else {
				pts[n], vals[n] = xr, fr
			}
		case fr < vals[n-1]:
			pts[n], vals[n] = xr, fr
		default:
			xc := at(cen, pts[n], 0.5)
			if fc := f(xc); fc < vals[n] {
				pts[n], vals[n] = xc, fc
			} else {
				for i := 1; i <= n; i++ {
					pts[i] = at(pts[0], pts[i], 0.5)
					vals[i] = f(pts[i])
				}
			}
		}
	}
	best := 0
	for i := range vals {
		if vals[i] < vals[best] {
			best = i
		}
	}
	return pts[best]
}

// WriteCSV prints the contract table: header pages,published_pct,modeled_pct
// and one row per CurvePages entry (and any other published page count),
// published_pct empty where no point was given.
func (r *Result) WriteCSV(w io.Writer) error {
	var b strings.Builder
	b.WriteString("pages,published_pct,modeled_pct\n")
	for _, row := range r.Rows {
		b.WriteString(strconv.Itoa(row.Pages))
		b.WriteByte(',')
		if row.HasPublished {
			b.WriteString(strconv.FormatFloat(row.Published, 'f', 2, 64))
		}
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(row.Modeled, 'f', 2, 64))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteSummary prints the fit's terms and residuals (calibrate -v).
func (r *Result) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "fit: rms %.2f, max %.2f percentage points over %d points; %d replays; linearity check %.2g pp\n",
		r.RMS, r.MaxAbs, len(r.Points), r.Replays, r.Linearity)
	for _, t := range r.Terms {
		kind := r.Arch
		if t.Work {
			kind = "vmalloc"
		}
		fmt.Fprintf(w, "  %-8s %-18s %10.4g %-8s (start %g) %s\n", kind, t.Name, t.Value, t.Unit, t.Start, t.Status)
	}
}

// WriteCosts writes the fitted backend parameters as a TOML cost file for
// `lazybench replay --costs`, with the fit's provenance and the work terms as
// comments (they are workload parameters, not arch costs).
func (r *Result) WriteCosts(w io.Writer, source string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# lazybench calibrate --arch %s: costs fitted to published points\n", r.Arch)
	fmt.Fprintf(&b, "# source: %s\n", source)
	fmt.Fprintf(&b, "# residuals: rms %.2f, max %.2f percentage points over %d points\n", r.RMS, r.MaxAbs, len(r.Points))
	fmt.Fprintf(&b, "# workload work terms (vmalloc generator parameters, not arch costs):\n")
	fmt.Fprintf(&b, "#   %s = %.0f, %s = %.0f\n", CallWork, r.Work(CallWork), PageWork, r.Work(PageWork))
	fmt.Fprintf(&b, "#   lazybench gen vmalloc -p pages=P,%s=%.0f,%s=%.0f\n", CallWork, r.Work(CallWork), PageWork, r.Work(PageWork))
	fmt.Fprintf(&b, "[%s]\n", strconv.Quote(r.Arch))
	for _, t := range r.Terms {
		if t.Work {
			continue
		}
		fmt.Fprintf(&b, "%s = %s # %s\n", t.Name, strconv.FormatFloat(t.Value, 'g', 6, 64), t.Status)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// rms is the root mean square of modeled - published over the published
// points (stats.RMS; NaN without points).
func rms(pts []Point, modeled map[int]float64) float64 {
	resid := make([]float64, len(pts))
	for i, p := range pts {
		resid[i] = modeled[p.Pages] - p.ChangePct
	}
	v, _ := stats.RMS(resid)
	return v
}
