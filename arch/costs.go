package arch

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Bounds on a cost file, checked before the TOML parser sees it (the parser's
// time and memory grow faster than linearly with nesting and with the parts
// of a dotted key: 4000 nested inline tables took 9.5 s and 700 MB, a key of
// 300000 parts over 100 s and 7 GB). Within them any file parses in well
// under a second and a few MB.
const (
	// MaxCostFileSize bounds what LoadCosts reads: the template of every
	// parameter of every backend (lazybench costs) is about 7 KB.
	MaxCostFileSize = 64 << 10
	// MaxCostNesting bounds how many brackets ([ ] { }) are open at once.
	MaxCostNesting = 8
	// MaxCostDots bounds the dots in one key, table header or value.
	MaxCostDots = 8
)

// MaxCost is the largest value a cost parameter takes, in its unit (ns per
// operation, entry, call ...): 10^12 ns, over a quarter of an hour for one
// operation. Every modeled sum stays finite with it: a backend charges each
// event at most a few parameters times the event's nr (< 2^32) or batch
// size, so a trace of 2^40 events sums to less than 2^40 * 2^32 * 8 * 10^12
// (about 4e34 ns), and the squares the distributions sum to about 1e69,
// far below the largest float64 (1.8e308). See docs/costs.md.
const MaxCost = 1e12

// LoadCosts reads a TOML cost file: one table per arch name ([arm64],
// ["ppc64-hash"], ...), whose keys are that backend's parameter or option
// names and whose values are numbers from 0 to MaxCost (an option's is 0 or
// 1, or true or false). An arch that is not registered, a key the
// arch does not have, a value of another type or out of range is an error
// naming the file, the line where it can be found, and the arch and key.
// Backends must be registered before the call (import arch/all).
func LoadCosts(path string) (Costs, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxCostFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > MaxCostFileSize {
		return nil, fmt.Errorf("%s: cost file larger than %d bytes", path, MaxCostFileSize)
	}
	return ParseCosts(path, data)
}

// ParseCosts is LoadCosts on the bytes of a file; name is used in errors.
func ParseCosts(name string, data []byte) (Costs, error) {
	if len(data) > MaxCostFileSize {
		return nil, fmt.Errorf("%s: cost file larger than %d bytes", name, MaxCostFileSize)
	}
	if err := checkShape(name, data); err != nil {
		return nil, err
	}
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	costs := Costs{}
	arches := make([]string, 0, len(raw))
	for a := range raw {
		arches = append(arches, a)
	}
	sort.Strings(arches) // report the same error first every time
	for _, a := range arches {
		table, ok := raw[a].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s:%s: key %q is outside an arch table (write it under [arch])", name, lineOf(data, "", a), a)
		}
		info, ok := Lookup(a)
		if !ok {
			return nil, fmt.Errorf("%s:%s: unknown arch %q (have %s)", name, lineOf(data, a, ""), a, strings.Join(Names(), ", "))
		}
		keys := make([]string, 0, len(table))
		for k := range table {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := make(map[string]float64, len(keys))
		for _, k := range keys {
			p, option, ok := info.param(k)
			if !ok {
				return nil, fmt.Errorf("%s:%s: unknown key %q for arch %s (have %s)", name, lineOf(data, a, k), k, a, strings.Join(info.keyNames(), ", "))
			}
			v, err := costValue(table[k], p, option)
			if err != nil {
				return nil, fmt.Errorf("%s:%s: %s.%s%v", name, lineOf(data, a, k), a, k, err)
			}
			m[k] = v
		}
		costs[a] = m
	}
	return costs, nil
}

// costValue converts a TOML value of parameter p (an option if option) to a
// number and checks its range. Its error starts with what follows the key.
func costValue(x any, p Param, option bool) (float64, error) {
	var v float64
	switch x := x.(type) {
	case int64:
		v = float64(x)
	case float64:
		v = x
	case bool:
		if !option {
			return 0, fmt.Errorf(": want a number of %s, got a boolean", p.Unit)
		}
		if x {
			v = 1
		}
	default:
		return 0, fmt.Errorf(": want a number, got %T", x)
	}
	switch {
	case option && v != 0 && v != 1:
		return 0, fmt.Errorf(" = %v: an option is 0 or 1 (or false or true)", v)
	case !(v >= 0 && v <= MaxCost): // also NaN
		return 0, fmt.Errorf(" = %v: must be a number from 0 to %g %s", v, MaxCost, p.Unit)
	}
	return v, nil
}

// checkShape rejects, at file:line, a file whose brackets nest deeper than
// MaxCostNesting or with more than MaxCostDots dots between two of = , [ ] {
// } or a newline, outside strings and comments, or with a string that does
// not end (rather than guess where the parser would resume).
func checkShape(name string, data []byte) error {
	line, depth, dots := 1, 0, 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '\n':
			line++
			dots = 0
		case '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			end, lines := skipString(data, i)
			if end < 0 {
				return fmt.Errorf("%s:%d: a string that does not end", name, line)
			}
			i, line = end, line+lines
		case '[', '{':
			if depth++; depth > MaxCostNesting {
				return fmt.Errorf("%s:%d: brackets nested deeper than %d", name, line, MaxCostNesting)
			}
			dots = 0
		case ']', '}':
			depth = max(depth-1, 0)
			dots = 0
		case '=', ',':
			dots = 0
		case '.':
			if dots++; dots > MaxCostDots {
				return fmt.Errorf("%s:%d: more than %d dots in one key or value", name, line, MaxCostDots)
			}
		}
	}
	return nil
}

// skipString returns the index of the last quote of the TOML string that
// starts at data[i] and the newlines inside it, or -1 if it does not end.
// Basic strings ("...", """...""") take backslash escapes; literal ones
// ('...', ”'...”') none; single-line ones end at a newline.
func skipString(data []byte, i int) (end, lines int) {
	q := data[i]
	multi := i+2 < len(data) && data[i+1] == q && data[i+2] == q
	if multi {
		i += 2
	}
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '\\' && q == '"':
			if j+1 < len(data) && data[j+1] == '\n' {
				lines++
			}
			j++
		case c == '\n':
			if !multi {
				return -1, 0
			}
			lines++
		case c == q && !multi:
			return j, lines
		case c == q && j+2 < len(data) && data[j+1] == q && data[j+2] == q:
			j += 2
			for k := 0; k < 2 && j+1 < len(data) && data[j+1] == q; k++ {
				j++ // up to two quotes before the closing three belong to the string
			}
			return j, lines
		}
	}
	return -1, 0
}

// param finds the parameter or option named key.
func (info *Info) param(key string) (p Param, option, ok bool) {
	for _, p := range info.Params {
		if p.Name == key {
			return p, false, true
		}
	}
	for _, p := range info.Options {
		if p.Name == key {
			return p, true, true
		}
	}
	return Param{}, false, false
}

func (info *Info) keyNames() []string {
	n := make([]string, 0, len(info.Params)+len(info.Options))
	for _, p := range info.Params {
		n = append(n, p.Name)
	}
	for _, p := range info.Options {
		n = append(n, p.Name)
	}
	return n
}

// lineOf returns the line (as text) where key is set inside table (the
// table's header line if key is empty; a top-level key if table is empty),
// or "?" if it cannot be told (dotted or inline forms).
func lineOf(data []byte, table, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), MaxCostFileSize+1)
	cur := ""
	for n := 1; sc.Scan(); n++ {
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "[") {
			h := strings.TrimSpace(strings.Trim(strings.SplitN(l, "#", 2)[0], " \t[]"))
			cur = strings.Trim(h, `"'`)
			if key == "" && cur == table {
				return strconv.Itoa(n)
			}
			continue
		}
		if key == "" || cur != table {
			continue
		}
		k, _, found := strings.Cut(l, "=")
		if found && strings.Trim(strings.TrimSpace(k), `"'`) == key {
			return strconv.Itoa(n)
		}
	}
	return "?"
}

// WriteCosts writes costs as a TOML cost file that LoadCosts reads back: one
// table per arch in contract order, keys in the backend's parameter order
// (keys of arches or parameters that are not registered follow, sorted).
func WriteCosts(w io.Writer, costs Costs) error {
	bw := bufio.NewWriter(w)
	first := true
	for _, a := range costArches(costs) {
		m := costs[a]
		if !first {
			bw.WriteString("\n")
		}
		first = false
		fmt.Fprintf(bw, "[%s]\n", tomlKey(a))
		for _, k := range costKeys(a, m) {
			fmt.Fprintf(bw, "%s = %s\n", tomlKey(k), formatValue(m[k]))
		}
	}
	return bw.Flush()
}

func costArches(costs Costs) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range Names() {
		if _, ok := costs[a]; ok {
			out = append(out, a)
			seen[a] = true
		}
	}
	var rest []string
	for a := range costs {
		if !seen[a] {
			rest = append(rest, a)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

func costKeys(arch string, m map[string]float64) []string {
	var out []string
	seen := map[string]bool{}
	if info, ok := Lookup(arch); ok {
		for _, k := range info.keyNames() {
			if _, ok := m[k]; ok {
				out = append(out, k)
				seen[k] = true
			}
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(out, rest...)
}

// tomlKey quotes a key unless it is a bare TOML key.
func tomlKey(k string) string {
	if k == "" {
		return `""`
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return strconv.Quote(k)
		}
	}
	return k
}

// formatValue prints v as a TOML float that parses back to the same float64.
func formatValue(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eEnN") {
		s += ".0"
	}
	return s
}

// WriteTemplate writes a complete cost file for every registered backend:
// each parameter and option at its default, preceded by a comment with its
// unit and source. Edit a copy and pass it with --costs; delete the lines you
// do not change.
func WriteTemplate(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# lazybench cost file: every parameter of every backend at its default.")
	fmt.Fprintln(bw, "# Keep only the lines you change; unknown arches or keys are an error.")
	for _, a := range Names() {
		info, _ := Lookup(a)
		fmt.Fprintf(bw, "\n# %s: %s\n[%s]\n", a, info.Doc, tomlKey(a))
		for _, p := range info.Params {
			fmt.Fprintf(bw, "# %s. Source: %s\n%s = %s\n", p.Unit, p.Source, tomlKey(p.Name), formatValue(p.Default))
		}
		for _, p := range info.Options {
			fmt.Fprintf(bw, "# option (%s). %s\n%s = %s\n", p.Unit, p.Source, tomlKey(p.Name), formatValue(p.Default))
		}
	}
	return bw.Flush()
}

// WriteParamTable writes every parameter and option of every registered
// backend as a Markdown table: arch, key, default, unit, source.
func WriteParamTable(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "| arch | key | default | unit | source |")
	fmt.Fprintln(bw, "|---|---|---|---|---|")
	for _, a := range Names() {
		info, _ := Lookup(a)
		for _, p := range info.Params {
			fmt.Fprintf(bw, "| `%s` | `%s` | %s | %s | %s |\n", a, p.Name, formatValue(p.Default), p.Unit, mdCell(p.Source))
		}
		for _, p := range info.Options {
			fmt.Fprintf(bw, "| `%s` | `%s` (option) | %s | %s | %s |\n", a, p.Name, formatValue(p.Default), p.Unit, mdCell(p.Source))
		}
	}
	return bw.Flush()
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
