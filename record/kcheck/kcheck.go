// Package kcheck checks the model against a recording: it compares what the
// kernel did, counted by probes in the raw ftrace text, with what the model
// does on the trace imported from the same recording. Today it compares
// arm64's barrier pairs.
package kcheck

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/lazybench/lazybench/arch"
	_ "github.com/lazybench/lazybench/arch/arm64" // the backend compared
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/record"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

// Barriers is the kernel's barrier pairs beside the arm64 model's, replayed
// under upstream, by where they happen.
type Barriers struct {
	Kernel *record.KernelBarriers
	model  modelBarriers
	total  uint64 // the model's barrier pairs in all
}

// CompareBarriers counts the kernel's barrier pairs in the raw ftrace text
// (with TIF_LAZY_MMU_PENDING's bit read from the probes file) and the arm64
// model's on the trace imported from it, replayed under upstream.
func CompareBarriers(raw, trace, probes string) (*Barriers, error) {
	pf, err := os.Open(probes)
	if err != nil {
		return nil, err
	}
	bit, err := record.PendingBit(pf)
	pf.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", probes, err)
	}
	rf, err := os.Open(raw)
	if err != nil {
		return nil, err
	}
	k, err := record.CountKernelBarriers(rf, raw, bit)
	rf.Close()
	if err != nil {
		return nil, err
	}
	r, c, err := traces.Open(trace)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	be, err := arch.New("arm64", nil)
	if err != nil {
		return nil, err
	}
	b := &Barriers{Kernel: k, model: modelBarriers{st: be.Stats(), strs: r.Strings}}
	res, err := replay.Run(r, replay.Config{Backend: be, Strategy: lazymmu.Upstream, Observer: &b.model})
	if err != nil {
		return nil, fmt.Errorf("%s: %v", trace, err)
	}
	b.total = res.ArchOps[arch.Barriers.String()]
	return b, nil
}

// WriteTable prints the comparison: the kernel's pairs beside the model's
// by where they happen, with the difference and its cause.
func (b *Barriers) WriteTable(w io.Writer) {
	k, m := b.Kernel, &b.model
	fmt.Fprintf(w, "dsb ishst; isb pairs            kernel  model  difference\n")
	row := func(what string, kern, model int64, known bool) {
		ks, ds := strconv.FormatInt(kern, 10), strconv.FormatInt(kern-model, 10)
		if !known {
			ks, ds = "-", "-"
		}
		fmt.Fprintf(w, "%-32s %6s %6d  %s\n", what, ks, model, ds)
	}
	row(fmt.Sprintf("leave, inline (%d)", m.leaves[1]), k.Flush, m.inline, true)
	row(fmt.Sprintf("leave, out-of-line copy (%d)", m.leaves[0]), k.RetPair, m.outline, true)
	row("kernel PTE write, not lazy", 0, m.now, false)
	row("other (flush, switch, end)", 0, m.other, false)
	fmt.Fprintf(w, "model total (arm64/upstream): %d\n", b.total)
	fmt.Fprintf(w, "kernel pairs outside lazy mode in traceable functions (barrier_now): %d\n", k.Now)
	sites := make([]string, 0, len(k.NowBySite))
	for s := range k.NowBySite {
		sites = append(sites, s)
	}
	slices.Sort(sites)
	for _, s := range sites {
		fmt.Fprintf(w, "  %-40s %d\n", s, k.NowBySite[s])
	}
	fmt.Fprintf(w, "out-of-line leaves probed on return: %d of %d (the others' return address is a branch target)\n", k.Ret, m.leaves[0])
	fmt.Fprintln(w, "why '-': the immediate pair of a kernel PTE write sits in the notrace __set_ptes_anysz copies,")
	fmt.Fprintln(w, "  which kprobes refuse; barrier_now counts the pairs of traceable functions instead, mostly page-table")
	fmt.Fprintln(w, "  page links (__pmd_alloc, pmd_install, ...: set_pmd/set_pud, not modeled: docs/arch/arm64.md rule 12).")
}

// Err fails when the kernel's pairs and the model's differ where the
// kernel's are observed (the leaves).
func (b *Barriers) Err() error {
	k, m := b.Kernel, &b.model
	if k.Flush != m.inline || k.Ret == m.leaves[0] && k.RetPair != m.outline {
		return fmt.Errorf("the kernel's leave barriers differ from the model's (inline %d vs %d, out-of-line %d vs %d)", k.Flush, m.inline, k.RetPair, m.outline)
	}
	return nil
}

// modelBarriers attributes the arm64 model's barrier pairs to the events
// that caused them (a replay.Observer reading the backend's counter).
type modelBarriers struct {
	st      *arch.Stats
	strs    func() []string
	last    uint64
	inline  int64 // at disables whose probe carried depth= (inline strb sites)
	outline int64 // at disables through an out-of-line copy's call site
	now     int64 // at updates (outside lazy mode)
	other   int64 // at anything else (flush, switch, end of trace)
	leaves  [2]int64
}

// Step implements replay.Observer.
func (m *modelBarriers) Step(i int64, e *traces.Event, s *replay.StepInfo) {
	n := m.st.Ops[arch.Barriers]
	d := int64(n - m.last)
	m.last = n
	switch {
	case e.Op == traces.OpDisable:
		inline := 0
		if x := m.strs(); int(e.Extra) < len(x) && e.Extra != 0 && strings.HasPrefix(x[e.Extra], "depth=") {
			inline = 1
		}
		m.leaves[inline]++
		if inline == 1 {
			m.inline += d
		} else {
			m.outline += d
		}
	case e.Op.IsUpdate():
		m.now += d
	default:
		m.other += d
	}
}

// End implements replay.Observer.
func (m *modelBarriers) End(n int64, s *replay.EndInfo) {
	m.other += int64(m.st.Ops[arch.Barriers] - m.last)
}
