package arch

import (
	"fmt"
	"sort"
)

// Info describes one backend: its contract name, its cost parameters with
// defaults and sources, and how to build it from a complete parameter map.
type Info struct {
	Name   string  // contract name: arm64, ppc64-hash, sparc64, x86-xen, x86, s390
	Order  int     // position in contract order (arm64 0, ppc64-hash 1, ...)
	Doc    string  // one line: what the backend models
	Params []Param // every cost parameter, with its default and source
	// Options are extra named knobs that are not costs (0 or 1 values, e.g.
	// ppc64-hash "powernv"); they are set in the cost file like costs.
	Options []Param
	// New builds a backend. values holds every Param and Option by name, with
	// defaults already overridden by the cost file.
	New func(values map[string]float64) Backend
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
