package calibrate

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// The benchmarks of the kpkeys table: micromm fork and munmap of a mapping,
// test_vmalloc fix_size_alloc_test of p pages.
const (
	BenchFork   = "fork"
	BenchMunmap = "munmap"
	BenchAlloc  = "fix_size_alloc"
)

// GiBPages is 1 GB in 4 KiB pages: the fork and munmap mapping of the
// published table.
const GiBPages = 1 << 18

// benchOrder is the order rows are printed in.
var benchOrder = map[string]int{BenchFork: 0, BenchMunmap: 1, BenchAlloc: 2}

// KpkeysPoint is one published row: the overhead of kpkeys against a kernel
// without it, in percent, without and with the batching patch (each may be
// missing).
type KpkeysPoint struct {
	Benchmark           string
	Pages               int
	Without, With       float64
	HasWithout, HasWith bool
}

// KpkeysCSV is the default published set (docs/calibration.md).
//
//go:embed kpkeys.csv
var KpkeysCSV string

// KpkeysSource names where KpkeysCSV comes from.
const KpkeysSource = "Kevin Brodsky, [RFC PATCH v5 00/18] pkeys-based page table hardening, 15 Aug 2025 (lore 20250815085512.2182322-1-kevin.brodsky@arm.com), corrected table of his reply of 20 Aug 2025; Graviton3 (EC2 M7g), 6.17-rc1, mock kpkeys (unmerged series)"

// kpkeysHeader is the header line of a kpkeys points file.
const kpkeysHeader = "benchmark,pages,without_pct,with_pct"

// DefaultKpkeysPoints returns the embedded set.
func DefaultKpkeysPoints() []KpkeysPoint {
	p, err := ReadKpkeysPoints("kpkeys.csv", strings.NewReader(KpkeysCSV))
	if err != nil {
		panic("calibrate: embedded kpkeys.csv: " + err.Error())
	}
	return p
}

// PublishedKpkeysPoints returns the kpkeys points of the file at path and
// path as their source, or the embedded set and KpkeysSource if path is "".
func PublishedKpkeysPoints(path string) ([]KpkeysPoint, string, error) {
	if path == "" {
		return DefaultKpkeysPoints(), KpkeysSource, nil
	}
	pts, err := LoadKpkeysPoints(path)
	return pts, path, err
}

// LoadKpkeysPoints reads a kpkeys points file (see ReadKpkeysPoints).
func LoadKpkeysPoints(path string) ([]KpkeysPoint, error) {
	return loadCSV(path, ReadKpkeysPoints)
}

// ReadKpkeysPoints reads published kpkeys overheads as CSV: '#' lines and
// blank lines are ignored; the first other line must be the header
// "benchmark,pages,without_pct,with_pct"; each further line names a
// benchmark (fork, munmap, fix_size_alloc), a page count (an integer from 1
// to MaxPages; each benchmark and page count at most once) and the two
// overheads, finite decimals above -100, either of which may be empty but
// not both. Errors name the file and line. Rows come back sorted by
// benchmark (fork, munmap, fix_size_alloc), then pages.
func ReadKpkeysPoints(name string, r io.Reader) ([]KpkeysPoint, error) {
	var pts []KpkeysPoint
	seen := map[[2]int]int{}
	err := readCSV(name, r, kpkeysHeader, func(line int, f []string) error {
		if len(f) != 4 {
			return fmt.Errorf("%d fields, want 4 (%s)", len(f), kpkeysHeader)
		}
		p, err := parseKpkeysRow(f)
		if err != nil {
			return err
		}
		key := [2]int{benchOrder[p.Benchmark], p.Pages}
		if l, dup := seen[key]; dup {
			return fmt.Errorf("%s pages %d given twice (first on line %d)", p.Benchmark, p.Pages, l)
		}
		if len(pts) == MaxPoints {
			return fmt.Errorf("more than %d points", MaxPoints)
		}
		seen[key] = line
		pts = append(pts, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(pts, func(a, b int) bool { return kpkeysLess(pts[a].Benchmark, pts[a].Pages, pts[b].Benchmark, pts[b].Pages) })
	return pts, nil
}

// parseKpkeysRow parses the four fields of one data line.
func parseKpkeysRow(f []string) (KpkeysPoint, error) {
	p := KpkeysPoint{Benchmark: f[0]}
	if _, ok := benchOrder[f[0]]; !ok {
		return p, fmt.Errorf("benchmark %q: want fork, munmap or fix_size_alloc", f[0])
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 1 || n > MaxPages {
		return p, fmt.Errorf("pages %q: want an integer from 1 to %d", f[1], MaxPages)
	}
	p.Pages = n
	if p.Without, p.HasWithout, err = parsePct("without_pct", f[2]); err != nil {
		return p, err
	}
	if p.With, p.HasWith, err = parsePct("with_pct", f[3]); err != nil {
		return p, err
	}
	if !p.HasWithout && !p.HasWith {
		return p, errors.New("both overheads empty: give at least one")
	}
	return p, nil
}

// parsePct parses an overhead cell: empty, or a finite number above -100.
func parsePct(col, s string) (float64, bool, error) {
	if s == "" {
		return 0, false, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= -100 {
		return 0, false, fmt.Errorf("%s %q: want a finite number above -100, or nothing", col, s)
	}
	return v, true, nil
}

// kpkeysLess orders rows by benchmark (fork, munmap, fix_size_alloc), then
// pages.
func kpkeysLess(b1 string, p1 int, b2 string, p2 int) bool {
	if benchOrder[b1] != benchOrder[b2] {
		return benchOrder[b1] < benchOrder[b2]
	}
	return p1 < p2
}
