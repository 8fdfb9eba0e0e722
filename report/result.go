package report

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/replay"
)

// WriteResult prints one replay as a two-column table (what lazybench replay
// prints without --json): every metric (replay.Metrics, with its doc), then
// the details behind them.
func WriteResult(w io.Writer, r *replay.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	rows := [][2]string{{"trace", r.Trace}, {"arch", arch.Title(r.Arch)}, {"strategy", r.Strategy}, {"kernel", r.Kernel}, {"events", fmt.Sprint(r.Events)}}
	rows = append(rows, metricRows(r)...)
	for _, row := range append(rows, detailRows(r)...) {
		fmt.Fprintf(tw, "%s\t%s\n", row[0], row[1])
	}
	return tw.Flush()
}

// metricRows returns a row per metric of r: its value and doc.
func metricRows(r *replay.Result) [][2]string {
	var rows [][2]string
	for i := range replay.Metrics {
		m := &replay.Metrics[i]
		v := m.Format(m.Value(r))
		if m.Main {
			v += " " + cmp.Or(r.Main, "(none)")
		}
		rows = append(rows, [2]string{m.Key, v + " (" + m.Doc + ")"})
	}
	return rows
}

// detailRows returns the rows behind r's metrics: immediate updates,
// callbacks, each arch_ops counter, the busiest CPU's clock, the section
// and deferral quantiles, and each kind of violation and hazard that
// happened.
func detailRows(r *replay.Result) [][2]string {
	rows := [][2]string{
		{"immediate", fmt.Sprintf("%d (update events done at once)", r.Immediate)},
		{"oracle_flushes", fmt.Sprintf("%d (ideal's flushes before an access that needed one)", r.OracleFlushes)},
		{"callbacks", fmt.Sprintf("enter %d, leave %d, flush %d", r.Callbacks.Enter, r.Callbacks.Leave, r.Callbacks.Flush)},
	}
	if len(r.ArchOps) == 0 {
		rows = append(rows, [2]string{"arch_ops", "none"})
	}
	for _, k := range slices.Sorted(maps.Keys(r.ArchOps)) {
		mark := ""
		if k == r.Main {
			mark = " (main)"
		}
		rows = append(rows, [2]string{"arch_ops." + k, fmt.Sprintf("%d%s", r.ArchOps[k], mark)})
	}
	rows = append(rows, [2]string{"wall_ns", fmt.Sprintf("%.0f (modeled, busiest CPU, with work events)", r.WallNs)})
	for _, q := range []struct {
		k string
		d replay.Quantiles
	}{{"section_ns", r.SectionNs}, {"deferred_ns", r.DeferredNs}} {
		rows = append(rows, [2]string{q.k, fmt.Sprintf("p50 %.0f  p90 %.0f  p99 %.0f  max %.0f (modeled)", q.d.P50, q.d.P90, q.d.P99, q.d.Max)})
	}
	return append(append(rows, nonZero("violations.", r.Violations)...), nonZero("hazards.", r.Hazards)...)
}

// nonZero returns a row per non-zero count of m, named prefix+kind.
func nonZero(prefix string, m map[string]uint64) [][2]string {
	var rows [][2]string
	for _, n := range slices.Sorted(maps.Keys(m)) {
		if m[n] != 0 {
			rows = append(rows, [2]string{prefix + n, fmt.Sprint(m[n])})
		}
	}
	return rows
}
