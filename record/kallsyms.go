// Package record finds the probe points for recording lazy MMU sections and
// page-table writes in a Linux kernel image, and writes them as kprobe_events
// lines named by lazybench's import contract. See docs/recording.md.
package record

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Symbol is one line of /proc/kallsyms or System.map.
type Symbol struct {
	Addr uint64
	Type byte // nm-style type letter: t/T text, d/D data, ...
	Name string
	// Size is the distance to the next text symbol at a higher address (text
	// symbols only; 0 for the last one and for others).
	Size uint64
}

// IsText reports whether the symbol is in a text section.
func (s *Symbol) IsText() bool { return s.Type == 't' || s.Type == 'T' }

// Symbols is a kernel symbol table sorted by address.
type Symbols struct {
	all    []Symbol // sorted by Addr, then input order
	text   []int    // indexes into all of text symbols, sorted by Addr, one per address
	byName map[string][]int
}

// maxSymbols bounds how many lines ParseKallsyms accepts (a 6.x kernel with
// modules loaded has a few hundred thousand).
const maxSymbols = 4 << 20

// ParseKallsyms reads /proc/kallsyms or System.map text:
// "ADDR TYPE NAME [\t[MODULE]]" per line. Module symbols are skipped (their
// addresses are not in vmlinux). name is used in error messages, which name
// the line.
func ParseKallsyms(r io.Reader, name string) (*Symbols, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 4096)
	s := &Symbols{byName: map[string][]int{}}
	line := 0
	zero := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Fields(text)
		if len(f) < 3 {
			return nil, fmt.Errorf("%s:%d: want \"ADDR TYPE NAME\", got %q", name, line, text)
		}
		addr, err := strconv.ParseUint(f[0], 16, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: bad address %q", name, line, f[0])
		}
		if len(f[1]) != 1 || !isLetter(f[1][0]) && f[1][0] != '?' {
			return nil, fmt.Errorf("%s:%d: bad symbol type %q", name, line, f[1])
		}
		if len(f) > 3 {
			if strings.HasPrefix(f[3], "[") {
				continue // a module's symbol
			}
			return nil, fmt.Errorf("%s:%d: unexpected field %q after the name", name, line, f[3])
		}
		if len(s.all) >= maxSymbols {
			return nil, fmt.Errorf("%s:%d: more than %d symbols", name, line, maxSymbols)
		}
		if addr == 0 {
			zero++
		}
		s.all = append(s.all, Symbol{Addr: addr, Type: f[1][0], Name: f[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", name, line+1, err)
	}
	if len(s.all) == 0 {
		return nil, fmt.Errorf("%s: no symbols", name)
	}
	if zero == len(s.all) {
		return nil, fmt.Errorf("%s: every address is 0 (read /proc/kallsyms as root, with kptr_restrict=0)", name)
	}
	sort.SliceStable(s.all, func(i, j int) bool { return s.all[i].Addr < s.all[j].Addr })
	for i := range s.all {
		sym := &s.all[i]
		s.byName[sym.Name] = append(s.byName[sym.Name], i)
		if sym.IsText() && (len(s.text) == 0 || s.all[s.text[len(s.text)-1]].Addr != sym.Addr) {
			s.text = append(s.text, i)
		}
	}
	for k := 0; k+1 < len(s.text); k++ {
		s.all[s.text[k]].Size = s.all[s.text[k+1]].Addr - s.all[s.text[k]].Addr
	}
	return s, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// Len returns the number of symbols.
func (s *Symbols) Len() int { return len(s.all) }

// Addr returns the address of the one symbol called name. ok is false when
// there is none or more than one (static symbols may repeat).
func (s *Symbols) Addr(name string) (addr uint64, ok bool) {
	idx := s.byName[name]
	if len(idx) != 1 {
		return 0, false
	}
	return s.all[idx[0]].Addr, true
}

// All returns every symbol called name, in address order.
func (s *Symbols) All(name string) []Symbol {
	out := make([]Symbol, 0, len(s.byName[name]))
	for _, i := range s.byName[name] {
		out = append(out, s.all[i])
	}
	return out
}

// Func returns the text symbol containing addr (the last one at or below it
// whose Size covers addr).
func (s *Symbols) Func(addr uint64) (Symbol, bool) {
	k := sort.Search(len(s.text), func(k int) bool { return s.all[s.text[k]].Addr > addr }) - 1
	if k < 0 {
		return Symbol{}, false
	}
	sym := s.all[s.text[k]]
	if sym.Size == 0 || addr >= sym.Addr+sym.Size {
		return Symbol{}, false
	}
	return sym, true
}

// TextSymbols returns every text symbol whose name matches keep, one per
// address, in address order.
func (s *Symbols) TextSymbols(keep func(name string) bool) []Symbol {
	var out []Symbol
	for _, k := range s.text {
		if keep(s.all[k].Name) {
			out = append(out, s.all[k])
		}
	}
	return out
}

// Rebase subtracts delta from every address: a kernel booted with KASLR
// prints runtime addresses in /proc/kallsyms, delta above the link addresses
// in vmlinux.
func (s *Symbols) Rebase(delta uint64) {
	for i := range s.all {
		s.all[i].Addr -= delta
	}
}
