package arch

import (
	"fmt"
	"image/color"
	"sort"
)

// Info is the one description of a backend: everything the rest of the
// program needs about it (its counters, order, colour, page sizes, status,
// kernel source, costs) and how to build it. No other package keeps a table
// of backends; tests iterate over Names and read each Info. Adding a backend
// is its package (which registers its Info from init), docs/arch/NAME.md
// and one blank import in arch/all.
type Info struct {
	Name  string // contract name: arm64, ppc64-hash, sparc64, x86-xen, x86, s390
	Order int    // position in contract order (arm64 0, ppc64-hash 1, ...); charts and tables list backends in it
	Doc   string // one line: what the backend models
	// Counters are the arch_ops counters the backend reports, under every
	// strategy and option, in the order docs/arch/NAME.md lists them (a
	// replay's result holds each, zero or not).
	Counters []Counter
	// Main is the counter charts, compare and the benchmarks lead with, under
	// the default options (NoCounter if the backend has no arch work). A
	// backend whose options change it implements the Main interface too.
	Main Counter
	// Colour is the backend's colour in every chart, distinct from every
	// other backend's.
	Colour color.RGBA
	// PageShifts are the base page sizes (log2 bytes) the kernel supports on
	// this arch, smallest first.
	PageShifts []uint8
	// Proposal is set for a backend that models an unmerged kernel proposal;
	// Label then says so wherever the backend is shown (Title).
	Proposal bool
	Label    string // e.g. "unmerged proposal"; empty for a merged backend
	// Source cites the kernel source of the model: files and functions, with
	// the version or the mail of a proposal. docs/arch/NAME.md has the rules.
	Source string
	Params []Param // every cost parameter, with its default and source
	// Options are extra named knobs that are not costs (0 or 1 values, e.g.
	// ppc64-hash "powernv"); they are set in the cost file like costs.
	Options []Param
	// New builds a backend. values holds every Param and Option by name, with
	// defaults already overridden by the cost file.
	New func(values map[string]float64) Backend
}

// Title returns the backend's name as shown to people: the name, followed by
// its label in parentheses for a proposal ("s390 (unmerged proposal)").
func (info *Info) Title() string {
	if info.Label == "" {
		return info.Name
	}
	return info.Name + " (" + info.Label + ")"
}

// Title returns the title of the backend named name (Info.Title), or name
// itself if no backend has it.
func Title(name string) string {
	if info, ok := registry[name]; ok {
		return info.Title()
	}
	return name
}

// MainName returns the name of the main counter under the default options,
// or "" if the backend has none.
func (info *Info) MainName() string {
	if info.Main == NoCounter {
		return ""
	}
	return info.Main.String()
}

var registry = map[string]*Info{}

// Register adds a backend; each backend package calls it from init.
func Register(info *Info) {
	if _, dup := registry[info.Name]; dup {
		panic("arch: backend registered twice: " + info.Name)
	}
	registry[info.Name] = info
}

// Lookup returns the backend named name.
func Lookup(name string) (*Info, bool) {
	i, ok := registry[name]
	return i, ok
}

// Names returns the registered backends' names in contract order.
func Names() []string {
	infos := make([]*Info, 0, len(registry))
	for _, i := range registry {
		infos = append(infos, i)
	}
	sort.Slice(infos, func(a, b int) bool {
		if infos[a].Order != infos[b].Order {
			return infos[a].Order < infos[b].Order
		}
		return infos[a].Name < infos[b].Name
	})
	names := make([]string, len(infos))
	for k, i := range infos {
		names[k] = i.Name
	}
	return names
}

// Values returns the defaults of every parameter and option of info, with the
// overrides for info.Name from costs applied (costs may be nil).
func (info *Info) Values(costs Costs) map[string]float64 {
	v := make(map[string]float64, len(info.Params)+len(info.Options))
	for _, p := range info.Params {
		v[p.Name] = p.Default
	}
	for _, p := range info.Options {
		v[p.Name] = p.Default
	}
	for k, x := range costs[info.Name] {
		v[k] = x
	}
	return v
}

// New builds the backend named name with costs applied (costs may be nil).
func New(name string, costs Costs) (Backend, error) {
	info, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown arch %q (have %v)", name, Names())
	}
	return info.New(info.Values(costs)), nil
}

// Costs are cost-file overrides: arch name -> parameter name -> value. Load
// them with LoadCosts, which rejects unknown arches and keys.
type Costs map[string]map[string]float64
