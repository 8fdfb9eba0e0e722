package report

import (
	"slices"
	"strings"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/internal/archinfo"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
)

// table is one HTML table of the report: a header row and rows of cells.
type table struct {
	ID, Title, Note string
	Head            []string
	Rows            [][]cell
}

// cell is one table cell; Class is a CSS class (l: left-aligned text, na:
// not applicable, bad: a broken promise, w: wrapping text, mark: a trace of a
// page size the arch's kernel does not have).
type cell struct {
	Text, Class, Link string
}

func textCell(s string) cell { return cell{Text: s, Class: "l"} }

// findingGroup is one question and its findings, for the page.
type findingGroup struct {
	Key, Title string
	Items      []string
}

// findingGroups groups findings by question, in Questions' order.
func findingGroups(fs []Finding) []findingGroup {
	var out []findingGroup
	for _, q := range Questions {
		g := findingGroup{Key: q.Key, Title: q.Title}
		for _, f := range fs {
			if f.Question == q.Key {
				g.Items = append(g.Items, f.Text)
			}
		}
		if len(g.Items) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// byArchTables are the tables behind the nesting, batching and ideal
// findings: per arch, summed over its trace set (traceSet), the main
// counter, the flushes and the modeled time under upstream, and every other
// strategy's as a ratio to upstream's.
func byArchTables(rp *Replays) []table {
	metrics := []struct {
		id, title string
		f         func(*replay.Result) float64
		ns        bool
	}{
		{"by-arch-main", "Main arch counter", mainValue, false},
		{"by-arch-time", "Modeled time of arch work", modeledNs, true},
		{"by-arch-flushes", "Flushes (drains of a non-empty batch)", flushes, false},
	}
	var out []table
	for _, m := range metrics {
		t := table{ID: m.id, Title: m.title + ", summed over each arch's traces (modeled)",
			Note: "upstream: the sum; other strategies: their sum / upstream's. ideal is the fewest flushes with no hazard, not a bound on time. n/a: the arch has no main counter."}
		t.Head = []string{"arch", "main counter", "traces"}
		for _, s := range lazymmu.Strategies() {
			t.Head = append(t.Head, s.String())
		}
		for _, a := range rp.Arches {
			set := newTraceSet(rp, a)
			main := set.main()
			row := []cell{textCell(archinfo.Title(a)), textCell(orDash(main)), textCell(set.desc)}
			up := set.sum(lazymmu.Upstream, m.f)
			for _, s := range lazymmu.Strategies() {
				v := set.sum(s, m.f)
				switch {
				case m.id == "by-arch-main" && main == "":
					row = append(row, cell{Text: "n/a", Class: "na"})
				case s == lazymmu.Upstream && m.ns:
					row = append(row, cell{Text: fmtNs(v)})
				case s == lazymmu.Upstream:
					row = append(row, cell{Text: fmtInt(int64(v))})
				default:
					row = append(row, cell{Text: fmtRatio(v, up)})
				}
			}
			t.Rows = append(t.Rows, row)
		}
		out = append(out, t)
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// promiseRows lists every trace, arch and strategy with a violation or a
// hazard.
func promiseRows(rp *Replays) table {
	t := table{ID: "promises", Title: "Broken promises: violations and hazards (modeled)",
		Note: "Every replay with a violation (a kernel check that would fire) or a hazard (an access or TLB flush that meets a deferred update); the others have none.",
		Head: []string{"strategy", "arch", "trace", "violations", "hazards"}}
	for _, st := range lazymmu.Strategies() {
		for _, tr := range rp.Traces {
			for _, a := range rp.Arches {
				r := tr.Get(a, st)
				if r == nil || r.ViolationTotal()+r.HazardTotal() == 0 {
					continue
				}
				t.Rows = append(t.Rows, []cell{textCell(st.String()), textCell(archinfo.Title(a)),
					{Text: shortName(tr.Name), Class: "l", Link: tracePage(tr.Name)},
					{Text: countsText(r.Violations), Class: "l w"}, {Text: countsText(r.Hazards), Class: "l w"}})
			}
		}
	}
	return t
}

// xenRows: per trace, x86-xen under upstream: batched hypercalls, the share
// carrying one update, and the updates done at once (not batched).
func xenRows(rp *Replays) table {
	const a = "x86-xen"
	t := table{ID: "xen", Title: "x86-xen under upstream: updates per batched hypercall (modeled)",
		Note: "A batched hypercall is a drain of the multicall buffer (up to 31 updates per mmu_update call); updates done at once (outside lazy mode, or atomic ones Xen traps) cost a hypercall or a trapped write each.",
		Head: []string{"trace", "kind", "batched hypercalls", "carrying 1 update", "median updates per batch", "updates done at once"}}
	if !slices.Contains(rp.Arches, a) {
		return t
	}
	for _, tr := range rp.Traces {
		r := tr.Get(a, lazymmu.Upstream)
		if r == nil {
			continue
		}
		var one, all uint64
		for size, c := range r.Batches {
			all += c
			if size == 1 {
				one += c
			}
		}
		kind := kindName(tr.Recorded)
		share := "n/a"
		if all > 0 {
			share = fmtPct(float64(one) / float64(all))
		}
		t.Rows = append(t.Rows, []cell{{Text: shortName(tr.Name) + pageMark(tr, a), Class: "l", Link: tracePage(tr.Name)}, textCell(kind),
			{Text: fmtInt(all)}, {Text: share}, {Text: medianBatch(r.Batches)}, {Text: fmtInt(r.Immediate)}})
	}
	return t
}

// medianBatch is the median batch size of a batch histogram ("n/a" if none).
func medianBatch(b []uint64) string {
	var all uint64
	for _, c := range b {
		all += c
	}
	if all == 0 {
		return "n/a"
	}
	seen := uint64(0)
	for size, c := range b {
		seen += c
		if 2*seen >= all {
			return fmtInt(size)
		}
	}
	return "n/a"
}

// pageMark is " †" for a trace of a page size arch a's kernel does not have.
func pageMark(t *Trace, a string) string {
	if t.Fits(a) {
		return ""
	}
	return " †"
}

// s390Rows: for the workloads the proposal published figures for, upstream
// against none on s390, beside the published figure.
func s390Rows(rp *Replays) table {
	const a = "s390"
	t := table{ID: "s390", Title: archinfo.Title(a) + ": lazy mode against none, beside the proposal's published figures",
		Note: "Modeled times of the PTE section only; the published figures are whole system calls on large ranges (v5 cover letter; fork: the RFC).",
		Head: []string{"trace", "none", "upstream", "modeled", "published"}}
	if !slices.Contains(rp.Arches, a) {
		return t
	}
	for _, p := range s390Published {
		for _, tr := range rp.Traces {
			up, none := tr.Get(a, lazymmu.Upstream), tr.Get(a, lazymmu.None)
			if tr.Workload != p.workload || up == nil || none == nil || up.ModeledNs == 0 {
				continue
			}
			t.Rows = append(t.Rows, []cell{{Text: shortName(tr.Name) + pageMark(tr, a), Class: "l", Link: tracePage(tr.Name)},
				{Text: fmtNs(none.ModeledNs)}, {Text: fmtNs(up.ModeledNs)}, {Text: speed(none.ModeledNs / up.ModeledNs)}, textCell(p.figure)})
		}
	}
	return t
}

// tracePage is the file name of a trace's own page.
func tracePage(name string) string { return "trace-" + shortName(name) + ".html" }

// manifestRows is the corpus manifest as a table.
func manifestRows(entries []corpus.Entry) table {
	t := table{ID: "corpus", Title: "Corpus manifest",
		Head: []string{"name", "kind", "workload", "events", "bytes", "description", "sha256"}}
	for _, e := range entries {
		desc := e.Description
		if e.Kernel != "" {
			desc += " (kernel " + e.Kernel
			if e.QEMU != "" {
				desc += ", " + e.QEMU
			}
			desc += ")"
		}
		sha := e.SHA256
		if len(sha) > 12 {
			sha = sha[:12]
		}
		t.Rows = append(t.Rows, []cell{{Text: e.Name, Class: "l", Link: tracePage(e.Name)}, textCell(e.Kind), {Text: e.Workload, Class: "l w"},
			{Text: fmtInt(e.Events)}, {Text: fmtInt(e.Bytes)}, {Text: desc, Class: "l w"}, textCell(sha)})
	}
	return t
}

// resultRows is one trace's full table: a row per arch and strategy, a
// column per metric (replay.Metrics), the main counter's ratio to ideal's,
// and the violations and hazards by name.
func resultRows(tr *Trace, arches []string) table {
	t := table{ID: "results", Title: "Every arch and strategy (modeled)",
		Note: "vs ideal: the main counter / ideal's, ideal being the fewest flushes with no hazard (n/a: the arch has no main counter, or ideal's count is 0 and this one is not). † the trace's page size is not one the arch's kernel has.",
		Head: []string{"arch", "strategy"}}
	for _, m := range replay.Metrics {
		t.Head = append(t.Head, m.Title)
	}
	t.Head = append(t.Head, "main counter vs ideal", "violations by name", "hazards by name")
	for _, a := range arches {
		id := tr.Get(a, lazymmu.Ideal)
		for _, s := range lazymmu.Strategies() {
			r := tr.Get(a, s)
			if r == nil {
				continue
			}
			t.Rows = append(t.Rows, resultRow(tr, r, id))
		}
	}
	return t
}

func resultRow(tr *Trace, r, id *replay.Result) []cell {
	row := []cell{textCell(arch.Title(r.Arch) + pageMark(tr, r.Arch)), textCell(r.Strategy)}
	for i := range replay.Metrics {
		row = append(row, metricCell(&replay.Metrics[i], r))
	}
	vs := cell{Text: "n/a", Class: "na"}
	if r.Main != "" && id != nil {
		vs = cell{Text: fmtRatio(float64(r.MainValue()), float64(id.MainValue()))}
	}
	bad := ""
	if r.ViolationTotal()+r.HazardTotal() > 0 {
		bad = " bad"
	}
	return append(row, vs, cell{Text: countsText(r.Violations), Class: "l w" + bad}, cell{Text: countsText(r.Hazards), Class: "l w" + bad})
}

// metricCell formats one metric of r: times with a unit, rates with a
// k/M/G suffix (replay.FormatRate), counts with thousands separators, the
// main counter with its name (n/a without one).
func metricCell(m *replay.Metric, r *replay.Result) cell {
	v := m.Value(r)
	switch {
	case m.Main && r.Main == "":
		return cell{Text: "n/a", Class: "na"}
	case m.Main:
		return cell{Text: fmtInt(int64(v)) + " " + r.Main}
	case m.Kind == replay.NS:
		return cell{Text: fmtNs(v)}
	case m.Kind == replay.Rate:
		return cell{Text: m.Format(v)}
	}
	return cell{Text: fmtInt(int64(v))}
}

// backendsTable describes every backend from its arch.Info: title (a
// proposal's with its label), what it models, counters, base page sizes and
// kernel source; a proposal's row is tinted.
func backendsTable(names []string) table {
	t := table{ID: "backends", Title: "Backends",
		Note: "From each backend's arch.Info; the rules and their sources are in docs/arch/NAME.md. A tinted row models an unmerged proposal.",
		Head: []string{"backend", "what it models", "main counter", "counters", "base pages", "kernel source"}}
	for _, n := range names {
		info, ok := arch.Lookup(n)
		if !ok {
			continue
		}
		var counters, pages []string
		for _, c := range info.Counters {
			counters = append(counters, c.String())
		}
		for _, s := range info.PageShifts {
			pages = append(pages, fmtInt(1<<s>>10)+" KiB")
		}
		cls := "l"
		if info.Proposal {
			cls = "l bad"
		}
		t.Rows = append(t.Rows, []cell{{Text: info.Title(), Class: cls}, {Text: info.Doc, Class: "l w"}, textCell(orDash(info.MainName())),
			textCell(orDash(strings.Join(counters, ", "))), textCell(strings.Join(pages, ", ")), {Text: info.Source, Class: "l w"}})
	}
	return t
}
