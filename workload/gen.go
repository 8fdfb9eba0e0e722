// Package workload generates synthetic page-table-update traces that follow the
// Linux kernel's lazy MMU call sites (docs/kernel.md section 4): fork's
// copy_pte_range, munmap's and exit's zap_pte_range, mprotect's
// change_pte_range, mremap's move_ptes, madvise's walkers, vmalloc/vfree,
// kasan's shadow population, DEBUG_PAGEALLOC nesting, interrupts, preemption
// and a multi-CPU mix.
//
// Every workload is deterministic for a given seed (math/rand/v2 PCG) and
// writes its events to a Sink, which traces.Writer satisfies. docs/workloads.md
// describes each workload, its kernel source and its parameters.
package workload

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/lazybench/lazybench/traces"
)

// Sink receives generated events. traces.Writer satisfies it.
type Sink interface {
	// AddString interns s and returns its index for Event.Site.
	AddString(s string) uint32
	// Write writes one event; the generator does not keep the pointer.
	Write(e *traces.Event) error
}

// Param is one integer parameter of a workload.
type Param struct {
	Name     string
	Default  int64
	Min, Max int64
	Help     string
}

// Values holds parameter values by name.
type Values map[string]int64

// Workload is one synthetic workload.
type Workload struct {
	Name    string  // name on the command line, e.g. "vmalloc"
	Summary string  // one line
	Source  string  // kernel call site(s), file:function
	Params  []Param // every parameter it accepts, common ones included
	build   func(c *config) []program
}

// Param returns the parameter named name, or nil.
func (w *Workload) Param(name string) *Param {
	for i := range w.Params {
		if w.Params[i].Name == name {
			return &w.Params[i]
		}
	}
	return nil
}

// Defaults returns the workload's parameters at their defaults.
func (w *Workload) Defaults() Values {
	v := make(Values, len(w.Params))
	for _, p := range w.Params {
		v[p.Name] = p.Default
	}
	return v
}

// Resolve returns the full parameter set: defaults overridden by v. It fails on
// an unknown name or a value out of range.
func (w *Workload) Resolve(v Values) (Values, error) {
	out := w.Defaults()
	for _, k := range slices.Sorted(maps.Keys(v)) {
		p := w.Param(k)
		if p == nil {
			return nil, fmt.Errorf("workload %s has no parameter %q (have %s)", w.Name, k, strings.Join(w.ParamNames(), ", "))
		}
		if v[k] < p.Min || v[k] > p.Max {
			return nil, fmt.Errorf("workload %s: %s=%d out of range [%d, %d]", w.Name, k, v[k], p.Min, p.Max)
		}
		out[k] = v[k]
	}
	return out, nil
}

// ParamNames lists the workload's parameter names in declaration order.
func (w *Workload) ParamNames() []string {
	n := make([]string, len(w.Params))
	for i, p := range w.Params {
		n[i] = p.Name
	}
	return n
}

// Generate writes the workload's events with parameters v (missing ones take
// their defaults) to s and returns the number of events written.
func (w *Workload) Generate(v Values, s Sink) (int64, error) {
	full, err := w.Resolve(v)
	if err != nil {
		return 0, err
	}
	c := newConfig(w, full)
	return runPrograms(c, w.build(c), s)
}

// Workloads returns every workload, sorted by name.
func Workloads() []*Workload {
	out := slices.Collect(maps.Values(registry))
	slices.SortFunc(out, func(a, b *Workload) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Lookup returns the workload named name, or nil.
func Lookup(name string) *Workload { return registry[name] }

var registry = map[string]*Workload{}

func register(w *Workload) {
	if _, dup := registry[w.Name]; dup {
		panic("gen: workload registered twice: " + w.Name)
	}
	registry[w.Name] = w
}

// Generate writes workload name with parameters v to s.
func Generate(name string, v Values, s Sink) (int64, error) {
	w := Lookup(name)
	if w == nil {
		return 0, fmt.Errorf("unknown workload %q", name)
	}
	return w.Generate(v, s)
}

// WriteFile writes the workload's trace with parameters v (missing ones
// take their defaults) to the file path in format f, with its metadata
// (Meta), and returns the number of events written.
func (w *Workload) WriteFile(path string, f traces.Format, v Values) (int64, error) {
	var n int64
	err := traces.WriteFile(path, f, Meta(w, v), func(tw traces.Writer) error {
		var err error
		n, err = w.Generate(v, tw)
		return err
	})
	return n, err
}

// WriteList prints every workload (gen -list): its name, summary, kernel
// source and parameters with their defaults.
func WriteList(out io.Writer) {
	for _, wl := range Workloads() {
		fmt.Fprintf(out, "%s\n    %s\n    kernel: %s\n", wl.Name, wl.Summary, wl.Source)
		for _, p := range wl.Params {
			fmt.Fprintf(out, "    --%-14s %8d  %s\n", p.Name, p.Default, p.Help)
		}
		fmt.Fprintln(out)
	}
}

// Meta returns the trace metadata of a generated trace: the workload and its
// full parameter list. It holds no date, so the same parameters give the same
// bytes.
func Meta(w *Workload, v Values) traces.Meta {
	full, err := w.Resolve(v)
	if err != nil {
		full = v
	}
	page := uint32(1) << uint(full["page-shift"])
	return traces.Meta{
		Kernel:   "synthetic: Linux 7.0 call sites",
		Machine:  "lazybench gen",
		Workload: w.Name + " " + FormatParams(full),
		PageSize: page,
		Recorder: "lazybench gen " + w.Name + " -p " + FormatParams(full),
	}
}

// FormatParams prints v as "k=v,k=v" sorted by name; ParseParams reads it back.
func FormatParams(v Values) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(v)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.FormatInt(v[k], 10))
	}
	return b.String()
}

// Limits of ParseParams.
const (
	maxParamText = 4096
	maxParams    = 64
)

// ParseParams reads "k=v,k=v" (spaces around items allowed; an empty string
// is no parameters). Names are [a-z0-9-]+, values decimal int64 (a leading 0x
// means hex). A repeated name is an error.
func ParseParams(s string) (Values, error) {
	if len(s) > maxParamText {
		return nil, fmt.Errorf("parameter list of %d bytes too long (max %d)", len(s), maxParamText)
	}
	v := Values{}
	if strings.TrimSpace(s) == "" {
		return v, nil
	}
	for i, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		k, val, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("parameter %d %q: want name=value", i+1, item)
		}
		if err := checkName(k); err != nil {
			return nil, fmt.Errorf("parameter %d %q: %v", i+1, item, err)
		}
		if _, dup := v[k]; dup {
			return nil, fmt.Errorf("parameter %d: %s given twice", i+1, k)
		}
		n, err := parseInt(val)
		if err != nil {
			return nil, fmt.Errorf("parameter %d %s: %v", i+1, k, err)
		}
		if len(v) >= maxParams {
			return nil, fmt.Errorf("more than %d parameters", maxParams)
		}
		v[k] = n
	}
	return v, nil
}

func checkName(k string) error {
	if k == "" {
		return errors.New("empty name")
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("bad character %q in name", r)
		}
	}
	return nil
}

func parseInt(s string) (int64, error) {
	if h, ok := strings.CutPrefix(s, "0x"); ok {
		u, err := strconv.ParseUint(h, 16, 63)
		if err != nil {
			return 0, fmt.Errorf("value %q is not a hex number below 2^63", s)
		}
		return int64(u), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("value %q is not a decimal integer", s)
	}
	return n, nil
}
