package all

import (
	"bytes"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/traces"
)

func TestContractNames(t *testing.T) {
	want := []string{"arm64", "ppc64-hash", "sparc64", "x86-xen", "x86", "s390"}
	if got := arch.Names(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
}

// Every backend builds from defaults, names itself, documents every
// parameter, and survives a smoke script of every call kind.
func TestEveryBackend(t *testing.T) {
	for _, name := range arch.Names() {
		t.Run(name, func(t *testing.T) {
			info, _ := arch.Lookup(name)
			for _, p := range append(append([]arch.Param{}, info.Params...), info.Options...) {
				if p.Name == "" || p.Unit == "" || p.Source == "" {
					t.Errorf("param %+v: name, unit and source are required", p)
				}
				if !(p.Default >= 0 && p.Default <= arch.MaxCost) {
					t.Errorf("param %s: default %v outside [0, MaxCost]", p.Name, p.Default)
				}
			}
			for _, p := range info.Options {
				if p.Default != 0 && p.Default != 1 {
					t.Errorf("option %s: default %v, want 0 or 1", p.Name, p.Default)
				}
			}
			b, err := arch.New(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			if b.Name() != name {
				t.Errorf("Name() = %q", b.Name())
			}
			// Every backend with arch work names its main counter; native x86
			// has none (its hooks are no-ops) and must not pretend to.
			if _, ok := b.(arch.Main); ok == (name == "x86") {
				t.Errorf("%s: implements arch.Main = %v, want %v", name, ok, name != "x86")
			}
			c := &arch.Ctx{CPU: 0, Task: 0, PID: 1, Lazy: true}
			var total float64
			add := func(ns float64) {
				if math.IsNaN(ns) || ns < 0 {
					t.Errorf("negative or NaN cost %v", ns)
				}
				total += ns
				c.Now += ns
			}
			ns, _ := b.Enter(c)
			add(ns)
			for _, op := range []traces.Op{traces.OpSet, traces.OpClear, traces.OpGetClear, traces.OpModify, traces.OpWrprotect} {
				for _, mm := range []uint32{0, 1} {
					e := traces.Defaults(op)
					e.MM, e.Addr = mm, 0x7f0000001000
					add(b.Update(c, &e))
				}
			}
			add(b.Flush(c))
			ns, _ = b.Switch(c, 1, 2, false)
			add(ns)
			c.Task, c.Lazy = 1, false
			ns, _ = b.Switch(c, 0, 1, true)
			add(ns)
			c.Task, c.Lazy = 0, false
			ns, _ = b.Leave(c)
			add(ns)
			add(b.FlushAll(c))
			if b.Pending().Total() != 0 {
				t.Errorf("pending after FlushAll: %d", b.Pending().Total())
			}
			st := b.Stats()
			if st.Batched+st.Immediate != 10 {
				t.Errorf("batched %d + immediate %d != 10 updates", st.Batched, st.Immediate)
			}
			if lin, ok := b.(arch.Linear); ok {
				v := info.Values(nil)
				sum := 0.0
				for i, x := range lin.Terms(nil) {
					sum += x * v[info.Params[i].Name]
				}
				if math.Abs(sum-total) > 1e-6*math.Max(1, total) {
					t.Errorf("Linear terms give %v ns, calls returned %v", sum, total)
				}
			}
			b.Reset()
			if *b.Stats() != (arch.Stats{}) {
				t.Error("Reset left counters")
			}
		})
	}
}

const (
	beginMark = "<!-- begin generated: lazybench costs -format table -->\n"
	endMark   = "<!-- end generated -->\n"
)

// docs/costs.md holds the parameter table generated from the registry; the
// test fails if it drifted (go test ./arch/all -update rewrites it).
func TestCostsDoc(t *testing.T) {
	const path = "../../docs/costs.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, beginMark), strings.Index(s, endMark)
	if i < 0 || j < i {
		t.Fatalf("%s: markers %q and %q not found", path, beginMark, endMark)
	}
	var tab bytes.Buffer
	if err := arch.WriteParamTable(&tab); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, path, []byte(s[:i+len(beginMark)]+tab.String()+s[j:]))
}

// The template printed by "lazybench costs" loads back with every default.
func TestTemplateLoads(t *testing.T) {
	var buf bytes.Buffer
	if err := arch.WriteTemplate(&buf); err != nil {
		t.Fatal(err)
	}
	c, err := arch.ParseCosts("template.toml", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range arch.Names() {
		info, _ := arch.Lookup(name)
		if len(c[name]) != len(info.Params)+len(info.Options) {
			t.Errorf("%s: template has %d keys, want %d", name, len(c[name]), len(info.Params)+len(info.Options))
		}
		for k, v := range info.Values(nil) {
			if c[name][k] != v {
				t.Errorf("%s.%s = %v in the template, default %v", name, k, c[name][k], v)
			}
		}
	}
	// An override reaches the backend's parameter values.
	c2, err := arch.ParseCosts("o.toml", []byte("[\"x86-xen\"]\nhypercall_ns = 1234\n"))
	if err != nil {
		t.Fatal(err)
	}
	info, _ := arch.Lookup("x86-xen")
	if v := info.Values(c2); v["hypercall_ns"] != 1234 || v["trap_emulate_ns"] != 1500 {
		t.Errorf("Values with override = %v", v)
	}
}

// deferredBy says, for each backend with FlushOwner, which of
// TestFlushOwner's two updates in a section it defers, by its own rules
// (arm64: the kernel set's barrier pair; Xen PV: both): the kernel set, the
// user modify.
var deferredBy = map[string][2]bool{
	"arm64":      {true, false},
	"ppc64-hash": {false, true},
	"sparc64":    {false, true},
	"x86-xen":    {true, true},
	"s390":       {false, true},
}

// FlushOwner drains exactly the owner it names: two owners (CPUs 0 and 1,
// tasks 0 and 1 on arm64) each defer one update in a section; draining owner
// 1 leaves owner 0's update deferred and counts one flush.
func TestFlushOwner(t *testing.T) {
	for _, name := range arch.Names() {
		b, err := arch.New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		of, ok := b.(arch.OwnerFlusher)
		if !ok {
			if name != "x86" { // native x86 defers nothing
				t.Errorf("%s defers updates but has no FlushOwner", name)
			}
			continue
		}
		for o := 0; o < 2; o++ {
			c := &arch.Ctx{CPU: o, Task: o, PID: uint32(o + 1), Lazy: true}
			b.Enter(c)
			// A valid kernel set with an old valid entry, a user modify:
			// one of them is deferred on every backend that defers.
			b.Update(c, &traces.Event{Op: traces.OpSet, Addr: 0xffff000000001000 + uint64(o)<<21, Nr: 1, Flags: traces.FlagValid | traces.FlagWas})
			b.Update(c, &traces.Event{Op: traces.OpModify, MM: 1, Addr: 0x1000 + uint64(o)<<21, Nr: 1, Flags: traces.FlagValid | traces.FlagWas})
		}
		p := b.Pending()
		n0, n1 := p.Len(0), p.Len(1)
		if n0 == 0 || n1 == 0 {
			t.Errorf("%s: deferred %d and %d updates, want some on each owner", name, n0, n1)
			continue
		}
		f := b.Stats().Flushes
		of.FlushOwner(&arch.Ctx{CPU: 0, Task: 0, PID: 1, Lazy: true}, 1)
		if p.Len(0) != n0 || p.Len(1) != 0 || b.Stats().Flushes != f+1 {
			t.Errorf("%s: after FlushOwner(1) owners hold %d and %d (want %d and 0), flushes +%d (want +1)", name, p.Len(0), p.Len(1), n0, b.Stats().Flushes-f)
		}
		// Owner 0's updates that the backend defers (deferredBy) find
		// owner 0, each by its own mm and address, and the others none.
		want, ok := deferredBy[name]
		if !ok {
			t.Errorf("%s: not in deferredBy: say which of the two updates it defers", name)
			continue
		}
		found := 0
		for k, o := range [2]int{p.OverlapOwner(0, 0xffff000000001000, 1, 12), p.OverlapOwner(1, 0x1000, 1, 12)} {
			if w := map[bool]int{true: 0, false: -1}[want[k]]; o != w {
				t.Errorf("%s: OverlapOwner of the %s update = %d, want %d", name, [2]string{"kernel", "user"}[k], o, w)
			}
			if o == 0 {
				found++
			}
		}
		if found != n0 {
			t.Errorf("%s: OverlapOwner finds owner 0 for %d of its updates, want %d (deferred)", name, found, n0)
		}
		if o := p.OverlapOwner(1, 0x1000+1<<21, 1, 12); o != -1 {
			t.Errorf("%s: OverlapOwner of a drained update = %d, want -1", name, o)
		}
	}
}
