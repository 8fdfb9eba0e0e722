package all

import (
	"bytes"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"

	"github.com/lazybench/lazybench/arch"
	"github.com/lazybench/lazybench/traces"
)

// Names lists every registered backend once, in the order of Info.Order,
// and every backend package under arch/ is registered (a package that is
// not imported in all.go would be missing from every table and chart).
func TestContractNames(t *testing.T) {
	names := arch.Names()
	for i, name := range names {
		info, _ := arch.Lookup(name)
		if i > 0 {
			prev, _ := arch.Lookup(names[i-1])
			if prev.Order >= info.Order {
				t.Errorf("%s (order %d) after %s (order %d): orders must rise", name, info.Order, prev.Name, prev.Order)
			}
		}
	}
	if n := len(backendDirs(t)); n != len(names) {
		t.Errorf("%d backend packages under arch/ (%v), %d registered (%v)", n, backendDirs(t), len(names), names)
	}
}

// backendDirs returns the packages under arch/ that register a backend.
func backendDirs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../*/*.go")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(f, "_test.go") && bytes.Contains(b, []byte("arch.Register(")) {
			dirs = append(dirs, filepath.Base(filepath.Dir(f)))
		}
	}
	return dirs
}

// Every registered backend's Info is complete: a doc page that names its
// main counter (and says "proposal" for a proposal), a source, a colour no
// other backend has, counters without duplicates that hold the main counter,
// page sizes in order, and a label exactly for a proposal.
func TestInfoComplete(t *testing.T) {
	colours := map[color.RGBA]string{}
	for _, name := range arch.Names() {
		info, _ := arch.Lookup(name)
		t.Run(name, func(t *testing.T) {
			if info.Doc == "" || info.Source == "" {
				t.Errorf("Doc %q, Source %q: both are required", info.Doc, info.Source)
			}
			if other, dup := colours[info.Colour]; dup || info.Colour.A != 255 {
				t.Errorf("colour %v: not opaque, or also %s's", info.Colour, other)
			}
			colours[info.Colour] = name
			checkCounters(t, info)
			if len(info.PageShifts) == 0 || !slices.IsSorted(info.PageShifts) || info.PageShifts[0] < 12 || info.PageShifts[len(info.PageShifts)-1] > 16 {
				t.Errorf("page shifts %v: want 12..16, in order", info.PageShifts)
			}
			if info.Proposal != (info.Label != "") || info.Title() == name == info.Proposal {
				t.Errorf("proposal %v with label %q (title %q): a proposal needs a label, a merged backend none", info.Proposal, info.Label, info.Title())
			}
			checkDoc(t, info)
		})
	}
}

// checkCounters checks info's counters: known, no duplicates, none exactly
// when there is no main counter, and the main counter among them (under
// every value of every option, where the backend says itself).
func checkCounters(t *testing.T, info *arch.Info) {
	t.Helper()
	seen := map[arch.Counter]bool{}
	for _, c := range info.Counters {
		if c >= arch.NumCounters || seen[c] {
			t.Errorf("counter %v unknown or listed twice in %v", c, info.Counters)
		}
		seen[c] = true
	}
	if (len(info.Counters) == 0) != (info.Main == arch.NoCounter) {
		t.Errorf("counters %v, main %v: a backend has counters exactly when it has a main counter", info.Counters, info.Main)
	}
	if info.Main != arch.NoCounter && !seen[info.Main] {
		t.Errorf("main counter %v not among the counters %v", info.Main, info.Counters)
	}
	for _, o := range append([]arch.Param{{}}, info.Options...) {
		v := info.Values(nil)
		if o.Name != "" {
			v[o.Name] = 1 - v[o.Name]
		}
		if m, ok := info.New(v).(arch.Main); ok && !seen[m.MainCounter()] {
			t.Errorf("option %s: main counter %v not among the counters %v", o.Name, m.MainCounter(), info.Counters)
		}
	}
}

// checkDoc checks docs/arch/NAME.md: it exists, names the main counter, and
// its title says "proposal" exactly for a proposal.
func checkDoc(t *testing.T, info *arch.Info) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "arch", info.Name+".md"))
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(doc)), " ")
	if m := info.MainName(); m != "" && !strings.Contains(flat, "Main counter: `"+m+"`") {
		t.Errorf("docs/arch/%s.md does not say \"Main counter: `%s`\"", info.Name, m)
	}
	title, _, _ := strings.Cut(string(doc), "\n")
	if strings.Contains(title, "proposal") != info.Proposal {
		t.Errorf("docs/arch/%s.md title %q: says proposal = %v, Info.Proposal %v", info.Name, title, !info.Proposal, info.Proposal)
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
			for k, n := range st.Ops {
				if c := arch.Counter(k); n != 0 && !slices.Contains(info.Counters, c) {
					t.Errorf("counter %v moved (%d) but is not in Info.Counters %v", c, n, info.Counters)
				}
			}
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

// FlushOwner drains exactly the owner it names: two owners (CPUs 0 and 1,
// tasks 0 and 1 on arm64) each defer one update in a section; draining owner
// 1 leaves owner 0's update deferred and counts one flush. A backend that
// defers updates has FlushOwner; one that defers none (native x86) needs none.
func TestFlushOwner(t *testing.T) {
	for _, name := range arch.Names() {
		b, err := arch.New(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		for o := 0; o < 2; o++ {
			c := ownerCtx(o)
			b.Enter(c)
			for _, e := range twoUpdates(o) {
				b.Update(c, &e)
			}
		}
		p := b.Pending()
		n0, n1 := p.Len(0), p.Len(1)
		of, ok := b.(arch.OwnerFlusher)
		switch {
		case !ok && p.Total() == 0:
			continue
		case !ok:
			t.Errorf("%s defers updates but has no FlushOwner", name)
			continue
		case n0 == 0 || n1 == 0:
			t.Errorf("%s: deferred %d and %d updates, want some on each owner", name, n0, n1)
			continue
		}
		f := b.Stats().Flushes
		of.FlushOwner(ownerCtx(0), 1)
		if p.Len(0) != n0 || p.Len(1) != 0 || b.Stats().Flushes != f+1 {
			t.Errorf("%s: after FlushOwner(1) owners hold %d and %d (want %d and 0), flushes +%d (want +1)", name, p.Len(0), p.Len(1), n0, b.Stats().Flushes-f)
		}
		found := 0
		for _, e := range twoUpdates(0) {
			switch p.OverlapOwner(e.MM, e.Addr, 1, 12) {
			case 0:
				found++
			case -1:
			default:
				t.Errorf("%s: owner 0's update %v found on owner 1, drained", name, e.Op)
			}
		}
		if found != n0 {
			t.Errorf("%s: OverlapOwner finds owner 0 for %d of its updates, want %d (deferred)", name, found, n0)
		}
		for _, e := range twoUpdates(1) {
			if o := p.OverlapOwner(e.MM, e.Addr, 1, 12); o != -1 {
				t.Errorf("%s: OverlapOwner of drained update %v = %d, want -1", name, e.Op, o)
			}
		}
	}
}

// A deferred update is found by its own mm and address, and not by those
// of another update: each of twoUpdates alone in a section on a new backend
// (a count of matches passed when arm64 recorded its kernel update under
// the user mm and address).
func TestPendingKeys(t *testing.T) {
	for _, name := range arch.Names() {
		two := twoUpdates(0)
		for k := range two {
			b, err := arch.New(name, nil)
			if err != nil {
				t.Fatal(err)
			}
			c := ownerCtx(0)
			b.Enter(c)
			b.Update(c, &two[k])
			own, other := &two[k], &two[1-k]
			want := map[bool]int{true: 0, false: -1}[b.Pending().Len(0) > 0]
			if o := b.Pending().OverlapOwner(own.MM, own.Addr, 1, 12); o != want {
				t.Errorf("%s: %v update: found on owner %d by its own mm and address, want %d", name, own.Op, o, want)
			}
			if o := b.Pending().OverlapOwner(other.MM, other.Addr, 1, 12); o != -1 {
				t.Errorf("%s: %v update: found on owner %d by the mm and address of %v, want -1", name, own.Op, o, other.Op)
			}
		}
	}
}

// ownerCtx is the context of owner o: CPU o, task o, pid o+1, in lazy mode.
func ownerCtx(o int) *arch.Ctx { return &arch.Ctx{CPU: o, Task: o, PID: uint32(o + 1), Lazy: true} }

// twoUpdates are owner o's two updates, 2 MiB apart from another owner's: a
// valid kernel set with an old valid entry and a user modify. Every backend
// that defers updates defers at least one of them by its own rules (arm64:
// the kernel set's barrier pair, Xen PV: both).
func twoUpdates(o int) [2]traces.Event {
	return [2]traces.Event{
		{Op: traces.OpSet, Addr: 0xffff000000001000 + uint64(o)<<21, Nr: 1, Flags: traces.FlagValid | traces.FlagWas},
		{Op: traces.OpModify, MM: 1, Addr: 0x1000 + uint64(o)<<21, Nr: 1, Flags: traces.FlagValid | traces.FlagWas},
	}
}
