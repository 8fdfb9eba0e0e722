package calibrate

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Point is one published measurement: at Pages pages per call, batching
// changed the time per call by ChangePct percent (negative is faster).
type Point struct {
	Pages     int
	ChangePct float64
}

// M2CSV is the default published set: Apple M2, test_vmalloc
// fix_size_alloc_test (see docs/published.md and docs/calibration.md).
//
//go:embed m2.csv
var M2CSV string

// M2Source names where M2CSV comes from.
const M2Source = "Ryan Roberts, [PATCH v2 00/14] Perf improvements for hugetlb and vmalloc on arm64, 17 Feb 2025 (lore 20250217140809.1702789-1-ryan.roberts@arm.com), Apple M2"

// Limits of ReadPoints.
const (
	MaxPoints = 1024
	MaxPages  = 1 << 20
	// MaxTotalPages bounds the sum of the points' page counts: the fit
	// replays each page count about 14 times, in constant memory, so the
	// bound is one of time (a point at 2^20 pages takes about a minute on
	// one core; a file of 1024 such points would have taken 17 hours).
	MaxTotalPages = 1 << 20
	maxLineSize   = 4096
)

// DefaultPoints returns the embedded Apple M2 set.
func DefaultPoints() []Point {
	p, err := ReadPoints("m2.csv", strings.NewReader(M2CSV))
	if err != nil {
		panic("calibrate: embedded m2.csv: " + err.Error())
	}
	return p
}

// PublishedPoints returns the points of the file at path and path as their
// source, or the embedded Apple M2 set and M2Source if path is "".
func PublishedPoints(path string) ([]Point, string, error) {
	if path == "" {
		return DefaultPoints(), M2Source, nil
	}
	pts, err := LoadPoints(path)
	return pts, path, err
}

// LoadPoints reads a points file (see ReadPoints).
func LoadPoints(path string) ([]Point, error) {
	return loadCSV(path, ReadPoints)
}

// ReadPoints reads published points as CSV: lines starting with '#' and blank
// lines are ignored; the first other line must be the header
// "pages,change_pct"; each further line is "P,PCT" with P a positive integer
// (at most MaxPages, each at most once, summing to at most MaxTotalPages)
// and PCT a finite decimal greater than
// -100. Errors name the file and line. Points are returned sorted by pages.
func ReadPoints(name string, r io.Reader) ([]Point, error) {
	var pts []Point
	seen := map[int]int{}
	total := 0
	err := readCSV(name, r, "pages,change_pct", func(line int, f []string) error {
		if len(f) != 2 {
			return fmt.Errorf("%d fields, want 2 (pages,change_pct)", len(f))
		}
		p, err := strconv.Atoi(f[0])
		if err != nil || p < 1 || p > MaxPages {
			return fmt.Errorf("pages %q: want an integer from 1 to %d", f[0], MaxPages)
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= -100 {
			return fmt.Errorf("change_pct %q: want a finite number above -100", f[1])
		}
		if l, dup := seen[p]; dup {
			return fmt.Errorf("pages %d given twice (first on line %d)", p, l)
		}
		if len(pts) == MaxPoints {
			return fmt.Errorf("more than %d points", MaxPoints)
		}
		if total += p; total > MaxTotalPages {
			return fmt.Errorf("the page counts add up to more than %d", MaxTotalPages)
		}
		seen[p] = line
		pts = append(pts, Point{Pages: p, ChangePct: v})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(pts, func(a, b int) bool { return pts[a].Pages < pts[b].Pages })
	return pts, nil
}

// readCSV is the frame of the points readers: it reads r line by line (at
// most maxLineSize bytes a line), skips blank lines and lines starting with
// '#', wants header as the first other line (its fields trimmed) and hands
// each further line, split on commas and trimmed, to row with its line
// number. Each line row accepts is one point. An error row returns is
// prefixed with "name:line: "; none accepted is an error too.
func readCSV(name string, r io.Reader, header string, row func(line int, fields []string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLineSize)
	line := 0
	seenHeader := false
	rows := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Split(s, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		if !seenHeader {
			if strings.Join(f, ",") != header {
				return fmt.Errorf("%s:%d: header %q, want %q", name, line, s, header)
			}
			seenHeader = true
			continue
		}
		if err := row(line, f); err != nil {
			return fmt.Errorf("%s:%d: %s", name, line, err)
		}
		rows++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%s:%d: line longer than %d bytes", name, line+1, maxLineSize)
		}
		return fmt.Errorf("%s:%d: %v", name, line+1, err)
	}
	if !seenHeader {
		return fmt.Errorf("%s: no header line %q", name, header)
	}
	if rows == 0 {
		return fmt.Errorf("%s: no points after the header", name)
	}
	return nil
}

// loadCSV opens the file at path and reads it with read, which names path in
// its errors.
func loadCSV[T any](path string, read func(name string, r io.Reader) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return read(path, f)
}
