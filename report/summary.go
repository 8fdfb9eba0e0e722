package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/lazybench/lazybench/internal/archinfo"
)

// SummaryWidth is the width `lazybench summary` wraps its text to.
const SummaryWidth = 80

// Modeled says what "modeled" means, in the summary and on the page.
const Modeled = "Every figure is modeled: lazybench replays each trace's page-table updates " +
	"through a model of the kernel's lazy MMU layer and the arch's batching, and prices " +
	"the arch work with a cost model (docs/costs.md). Counts (flushes, barriers, " +
	"hypercalls) follow the kernel's rules exactly; times are estimates, not measurements."

// WriteSummary writes the findings as plain text wrapped to width columns,
// ready to paste into a mail: what was replayed, what "modeled" means, the
// costs, page-size warnings, then each question and its findings.
func WriteSummary(w io.Writer, rp *Replays, costNote string, fs []Finding, width int) error {
	var b strings.Builder
	rec := 0
	for _, t := range rp.Traces {
		if t.Recorded {
			rec++
		}
	}
	var titles []string
	for _, a := range rp.Arches {
		titles = append(titles, archinfo.Title(a))
	}
	para(&b, width, "", fmt.Sprintf("lazybench summary: %s (%d recorded, %d generated) on %s, under every strategy.",
		plural(len(rp.Traces), "trace", "traces"), rec, len(rp.Traces)-rec, strings.Join(titles, ", ")))
	b.WriteString("\n")
	para(&b, width, "", Modeled)
	b.WriteString("\n")
	para(&b, width, "", costNote)
	for _, m := range mismatchLines(rp) {
		b.WriteString("\n")
		para(&b, width, "", "Warning: "+m)
	}
	for _, q := range Questions {
		first := true
		for _, f := range fs {
			if f.Question != q.Key {
				continue
			}
			if first {
				b.WriteString("\n")
				para(&b, width, "", q.Title)
				first = false
			}
			para(&b, width, "  ", "- "+f.Text)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mismatchLines says, per arch, which traces have a base page size the
// arch's kernel does not support.
func mismatchLines(rp *Replays) []string {
	mm := rp.Mismatches()
	var out []string
	for _, a := range rp.Arches {
		ts := mm[a]
		if len(ts) == 0 {
			continue
		}
		sizes := map[uint32][]string{}
		for _, t := range ts {
			sizes[t.PageSize] = append(sizes[t.PageSize], shortName(t.Name))
		}
		keys := make([]uint32, 0, len(sizes))
		for k := range sizes {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		var parts []string
		for _, k := range keys {
			names := sizes[k]
			list := strings.Join(names, ", ")
			if len(names) > 3 {
				list = fmt.Sprintf("%s, %s and %d more", names[0], names[1], len(names)-2)
			}
			parts = append(parts, fmt.Sprintf("%s KiB: %s", fmtInt(k>>10), list))
		}
		verb := "are"
		if len(ts) == 1 {
			verb = "is"
		}
		out = append(out, fmt.Sprintf("%s's kernel has %s pages only; %s of another page size (%s) %s replayed anyway, marked in tables, and left out of its findings where others fit.",
			archinfo.Title(a), pageSizesText(a), plural(len(ts), "trace", "traces"), strings.Join(parts, "; "), verb))
	}
	return out
}

// pageSizesText lists the base page sizes of an arch's kernel: "4, 16 or 64 KiB".
func pageSizesText(a string) string {
	var l []string
	for _, s := range archinfo.PageShifts(a) {
		l = append(l, fmtInt(1<<(s-10)))
	}
	if len(l) <= 1 {
		return strings.Join(l, "") + " KiB"
	}
	return strings.Join(l[:len(l)-1], ", ") + " or " + l[len(l)-1] + " KiB"
}

// para writes text wrapped at width, every line after the first indented by
// indent.
func para(b *strings.Builder, width int, indent, text string) {
	col := 0
	for i, word := range strings.Fields(text) {
		n := len([]rune(word))
		switch {
		case i == 0:
		case col+1+n > width:
			b.WriteString("\n" + indent)
			col = len(indent)
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += n
	}
	b.WriteByte('\n')
}

// WarnPageSizes writes a warning line to w for each arch that replays traces
// of a base page size its kernel does not support.
func WarnPageSizes(w io.Writer, rp *Replays) {
	for _, m := range mismatchLines(rp) {
		fmt.Fprintf(w, "lazybench: warning: %s\n", m)
	}
}
