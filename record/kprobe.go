package record

import (
	"fmt"
	"strconv"
	"strings"
)

// Kprobe event syntax, from Documentation/trace/kprobetrace.rst (6.1):
//
//	p[:[GRP/][EVENT]] [MOD:]SYM[+offs]|MEMADDR [FETCHARGS]   probe
//	r[MAXACTIVE][:[GRP/][EVENT]] [MOD:]SYM[+0] [FETCHARGS]   return probe
//	-:[GRP/][EVENT]                                          delete
//
// FETCHARGS is a list of NAME=FETCHARG[:TYPE]; FETCHARG is %REG, @ADDR,
// @SYM[+|-offs], $stackN, $stack, $retval, $comm, $argN, +|-[u]OFFS(FETCHARG)
// or \IMM. Names are C identifiers; kernel limits: 64 characters for
// group and event names (MAX_EVENT_NAME_LEN), 128 arguments (MAX_TRACE_ARGS).

const (
	maxEventNameLen = 64
	maxTraceArgs    = 128
	maxDerefDepth   = 8 // kernel: FETCH_OP deref nesting is bounded by the code size
)

// x86-64 register names for %REG (arch/x86/kernel/ptrace.c regoffset_table).
var x86Regs = map[string]bool{
	"ax": true, "bx": true, "cx": true, "dx": true, "si": true, "di": true,
	"bp": true, "sp": true, "r8": true, "r9": true, "r10": true, "r11": true,
	"r12": true, "r13": true, "r14": true, "r15": true, "ip": true,
	"flags": true, "cs": true, "ss": true, "ds": true, "es": true, "fs": true,
	"gs": true, "orig_ax": true,
}

// arm64 register names for %REG (arch/arm64/kernel/ptrace.c
// regoffset_table): x0-x30, sp, pc, pstate.
var arm64Regs = func() map[string]bool {
	m := map[string]bool{"sp": true, "pc": true, "pstate": true}
	for i := 0; i <= 30; i++ {
		m[fmt.Sprintf("x%d", i)] = true
	}
	return m
}()

var basicTypes = map[string]bool{
	"u8": true, "u16": true, "u32": true, "u64": true,
	"s8": true, "s16": true, "s32": true, "s64": true,
	"x8": true, "x16": true, "x32": true, "x64": true,
	"string": true, "ustring": true, "symbol": true, "symstr": true,
}

// ValidateKprobeLine checks one kprobe_events line against the syntax above
// (x86-64 or arm64 register names). It returns nil for a line the kernel's parser
// would accept syntactically; whether the address is probeable is only known
// to the running kernel.
func ValidateKprobeLine(line string) error {
	f := strings.Fields(line)
	if len(f) == 0 {
		return fmt.Errorf("empty line")
	}
	head := f[0]
	switch {
	case head[0] == '-':
		if len(f) != 1 {
			return fmt.Errorf("a delete command takes no other fields")
		}
		if !strings.HasPrefix(head, "-:") {
			return fmt.Errorf("delete must be \"-:[GRP/]EVENT\"")
		}
		return validateGroupEvent(head[2:], true)
	case head[0] == 'p' || head[0] == 'r':
		rest := head[1:]
		if head[0] == 'r' {
			i := 0
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			if i > 0 {
				if n, err := strconv.Atoi(rest[:i]); err != nil || n > 4096 {
					return fmt.Errorf("bad maxactive %q", rest[:i])
				}
			}
			rest = rest[i:]
		}
		if rest != "" {
			if rest[0] != ':' {
				return fmt.Errorf("bad probe type %q", head)
			}
			if err := validateGroupEvent(rest[1:], false); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("a probe starts with p, r or -, not %q", head)
	}
	if len(f) < 2 {
		return fmt.Errorf("missing probe location")
	}
	if err := validateLocation(f[1], head[0] == 'r'); err != nil {
		return err
	}
	args := f[2:]
	if len(args) > maxTraceArgs {
		return fmt.Errorf("%d arguments, more than %d", len(args), maxTraceArgs)
	}
	seen := map[string]bool{}
	for _, a := range args {
		name, err := validateFetchArg(a, head[0] == 'r')
		if err != nil {
			return fmt.Errorf("argument %q: %v", a, err)
		}
		if seen[name] {
			return fmt.Errorf("argument name %q used twice", name)
		}
		seen[name] = true
	}
	return nil
}

func validateGroupEvent(s string, needEvent bool) error {
	grp, ev, hasGrp := strings.Cut(s, "/")
	if !hasGrp {
		grp, ev = "", s
	}
	if hasGrp {
		if !isIdent(grp) {
			return fmt.Errorf("bad group name %q", grp)
		}
		if len(grp) > maxEventNameLen {
			return fmt.Errorf("group name %q longer than %d", grp, maxEventNameLen)
		}
	}
	if ev == "" {
		if needEvent {
			return fmt.Errorf("missing event name")
		}
		return nil
	}
	if !isIdent(ev) {
		return fmt.Errorf("bad event name %q", ev)
	}
	if len(ev) > maxEventNameLen {
		return fmt.Errorf("event name %q longer than %d", ev, maxEventNameLen)
	}
	return nil
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || isLetter(c) || i > 0 && c >= '0' && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// isSymbol accepts a kernel symbol as kallsyms prints it: an identifier with
// optional ".suffix" parts (GCC's .isra.0, .constprop.0, .cold, .part.0).
func isSymbol(s string) bool {
	parts := strings.Split(s, ".")
	if !isIdent(parts[0]) {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" {
			return false
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			if c != '_' && !isLetter(c) && (c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}

func validateLocation(loc string, ret bool) error {
	if strings.HasPrefix(loc, "0x") || strings.HasPrefix(loc, "0X") || loc != "" && loc[0] >= '0' && loc[0] <= '9' {
		if _, err := strconv.ParseUint(loc, 0, 64); err != nil {
			return fmt.Errorf("bad address %q", loc)
		}
		return nil
	}
	if mod, sym, ok := strings.Cut(loc, ":"); ok {
		if !isSymbol(mod) {
			return fmt.Errorf("bad module name %q", mod)
		}
		loc = sym
	}
	sym, off, hasOff := strings.Cut(loc, "+")
	if !isSymbol(sym) {
		return fmt.Errorf("bad symbol %q", sym)
	}
	if hasOff {
		n, err := strconv.ParseUint(off, 0, 64)
		if err != nil {
			return fmt.Errorf("bad offset %q", off)
		}
		if ret && n != 0 {
			return fmt.Errorf("a return probe must be at offset 0")
		}
	}
	return nil
}

// validateFetchArg checks NAME=FETCHARG[:TYPE] (NAME may be omitted, then the
// kernel names it argN) and returns the name.
func validateFetchArg(a string, ret bool) (string, error) {
	name, body, hasName := strings.Cut(a, "=")
	if !hasName {
		name, body = "", a
	} else if !isIdent(name) {
		return "", fmt.Errorf("bad argument name %q", name)
	}
	typ := ""
	// The type follows the last ':' outside parentheses.
	depth := 0
	for i := len(body) - 1; i >= 0; i-- {
		switch body[i] {
		case ')':
			depth++
		case '(':
			depth--
		case ':':
			if depth == 0 && typ == "" {
				typ = body[i+1:]
				body = body[:i]
				i = -1
			}
		}
	}
	if typ != "" || strings.HasSuffix(a, ":") {
		if err := validateType(typ); err != nil {
			return "", err
		}
	}
	if err := validateFetch(body, ret, 0); err != nil {
		return "", err
	}
	if name == "" {
		name = "\x00" + body // unnamed arguments never clash with names
	}
	return name, nil
}

func validateType(t string) error {
	if t == "" {
		return fmt.Errorf("empty type")
	}
	base := t
	if i := strings.IndexByte(t, '['); i >= 0 {
		if !strings.HasSuffix(t, "]") {
			return fmt.Errorf("bad array type %q", t)
		}
		n, err := strconv.Atoi(t[i+1 : len(t)-1])
		if err != nil || n <= 0 || n > 64 {
			return fmt.Errorf("bad array length in %q", t)
		}
		base = t[:i]
	}
	if basicTypes[base] {
		return nil
	}
	// b<bit-width>@<bit-offset>/<container-size>
	if strings.HasPrefix(base, "b") {
		w, rest, ok1 := strings.Cut(base[1:], "@")
		o, c, ok2 := strings.Cut(rest, "/")
		wn, e1 := strconv.Atoi(w)
		on, e2 := strconv.Atoi(o)
		cn, e3 := strconv.Atoi(c)
		if ok1 && ok2 && e1 == nil && e2 == nil && e3 == nil &&
			(cn == 8 || cn == 16 || cn == 32 || cn == 64) && wn > 0 && on >= 0 && wn+on <= cn {
			return nil
		}
	}
	return fmt.Errorf("unknown type %q", t)
}

func validateFetch(s string, ret bool, depth int) error {
	if s == "" {
		return fmt.Errorf("empty fetch argument")
	}
	switch s[0] {
	case '%':
		if !x86Regs[s[1:]] && !arm64Regs[s[1:]] {
			return fmt.Errorf("unknown register %q", s)
		}
		return nil
	case '@':
		v := s[1:]
		if v == "" {
			return fmt.Errorf("empty address")
		}
		if v[0] >= '0' && v[0] <= '9' {
			if _, err := strconv.ParseUint(v, 0, 64); err != nil {
				return fmt.Errorf("bad address %q", v)
			}
			return nil
		}
		sym, off := v, ""
		if i := strings.IndexAny(v, "+-"); i >= 0 {
			sym, off = v[:i], v[i+1:]
			if _, err := strconv.ParseUint(off, 0, 64); err != nil {
				return fmt.Errorf("bad offset %q", off)
			}
		}
		if !isSymbol(sym) {
			return fmt.Errorf("bad symbol %q", sym)
		}
		return nil
	case '$':
		v := s[1:]
		switch {
		case v == "stack", v == "comm", v == "retval" && ret:
			return nil
		case v == "retval":
			return fmt.Errorf("$retval only in a return probe")
		case strings.HasPrefix(v, "stack"), strings.HasPrefix(v, "arg"):
			p := strings.TrimPrefix(strings.TrimPrefix(v, "stack"), "arg")
			n, err := strconv.Atoi(p)
			if err != nil || n < 0 || strings.HasPrefix(v, "arg") && n < 1 || p[0] == '+' {
				return fmt.Errorf("bad %q", s)
			}
			return nil
		}
		return fmt.Errorf("unknown variable %q", s)
	case '\\':
		if _, err := strconv.ParseInt(s[1:], 0, 64); err != nil {
			return fmt.Errorf("bad immediate %q", s)
		}
		return nil
	case '+', '-':
		if depth >= maxDerefDepth {
			return fmt.Errorf("dereferences nested deeper than %d", maxDerefDepth)
		}
		v := s[1:]
		v = strings.TrimPrefix(v, "u")
		open := strings.IndexByte(v, '(')
		if open <= 0 || !strings.HasSuffix(v, ")") {
			return fmt.Errorf("want +|-[u]OFFS(FETCHARG), got %q", s)
		}
		if _, err := strconv.ParseUint(v[:open], 0, 64); err != nil {
			return fmt.Errorf("bad offset %q", v[:open])
		}
		return validateFetch(v[open+1:len(v)-1], ret, depth+1)
	}
	return fmt.Errorf("unknown fetch argument %q", s)
}
