package arch

import (
	"slices"
	"testing"

	"github.com/lazybench/lazybench/lazymmu"
)

func TestModel(t *testing.T) {
	params := []Param{{Name: "a", Default: 2}, {Name: "b", Default: 3}, {Name: "c", Default: 5}}
	m := NewModel(params, map[string]float64{"b": 7, "other": 1})
	if got := []float64{m.Value(0), m.Value(1), m.Value(2)}; !slices.Equal(got, []float64{2, 7, 5}) {
		t.Fatalf("values %v, want [2 7 5]", got)
	}
	if ns := m.Charge(0, 1) + m.Charge(1, 2) + m.Charge(0, 0.5); ns != 2+14+1 {
		t.Errorf("charged %v ns, want 17", ns)
	}
	if got := m.Terms([]float64{-1}); !slices.Equal(got, []float64{-1, 1.5, 2, 0}) {
		t.Errorf("Terms %v, want [-1 1.5 2 0]", got)
	}
	m.ResetTerms()
	if got := m.Terms(nil); !slices.Equal(got, []float64{0, 0, 0}) || m.Value(1) != 7 {
		t.Errorf("after ResetTerms: Terms %v, value %v; want zeros and 7", got, m.Value(1))
	}
	var z Model
	if got := z.Terms(nil); len(got) != 0 {
		t.Errorf("zero Model Terms %v, want none", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("NewModel with too many parameters did not panic")
		}
	}()
	NewModel(make([]Param, MaxParams+1), nil)
}

func TestOption(t *testing.T) {
	opts := []Param{{Name: "on", Default: 1}, {Name: "off", Default: 0}}
	for _, tc := range []struct {
		v    map[string]float64
		name string
		want bool
	}{
		{nil, "on", true},
		{nil, "off", false},
		{nil, "missing", false},
		{map[string]float64{"on": 0}, "on", false},
		{map[string]float64{"off": 1}, "off", true},
		{map[string]float64{"missing": 2}, "missing", true},
	} {
		if got := Option(tc.v, tc.name, opts); got != tc.want {
			t.Errorf("Option(%v, %q) = %v, want %v", tc.v, tc.name, got, tc.want)
		}
	}
}

func TestPerCPU(t *testing.T) {
	var p PerCPU[int]
	*p.Get(2) = 5
	if !slices.Equal(p, []int{0, 0, 5}) {
		t.Fatalf("after Get(2): %v, want [0 0 5]", p)
	}
	*p.Get(0) = 1
	if len(p) != 3 || p[0] != 1 {
		t.Fatalf("Get(0) grew or missed: %v", p)
	}
	type call struct {
		v, owner int
		now      float64
	}
	var calls []call
	drain := func(s *int, owner int, now float64) float64 {
		calls = append(calls, call{*s, owner, now})
		*s = 0
		return 10
	}
	if ns := p.DrainOne(2, 100, drain); ns != 10 || !slices.Equal(calls, []call{{5, 2, 100}}) || p[2] != 0 {
		t.Errorf("DrainOne(2): %v ns, calls %v, state %v", ns, calls, p)
	}
	calls = nil
	if ns := p.DrainOne(3, 100, drain) + p.DrainOne(-1, 100, drain); ns != 0 || calls != nil {
		t.Errorf("DrainOne out of range: %v ns, calls %v", ns, calls)
	}
	p[1] = 4
	if ns := p.DrainAll(100, drain); ns != 30 || !slices.Equal(calls, []call{{1, 0, 100}, {4, 1, 110}, {0, 2, 120}}) {
		t.Errorf("DrainAll: %v ns, calls %v", ns, calls)
	}
}

func TestPreemptSection(t *testing.T) {
	var p PreemptSection
	if v := p.SwitchOut(0); v != 0 {
		t.Errorf("preemptible CPU: SwitchOut = %v, want none", v)
	}
	p.Enter(3)
	p.Enter(5) // nested: the owner stays the outermost
	want := lazymmu.ViolationSet(0).With(lazymmu.PreemptedInSection)
	if v := p.SwitchOut(3); v != want {
		t.Errorf("owner switched out in section: %v, want %v", v, want)
	}
	if v := p.SwitchOut(5); v != 0 {
		t.Errorf("other task switched out: %v, want none", v)
	}
	p.Leave()
	if p.Depth != 1 || p.SwitchOut(3) != want {
		t.Errorf("after one leave: depth %d, SwitchOut(3) %v", p.Depth, p.SwitchOut(3))
	}
	p.Leave()
	p.Leave() // unmatched: stays at 0
	if p.Depth != 0 || p.SwitchOut(3) != 0 {
		t.Errorf("after leaves: depth %d, SwitchOut(3) %v; want 0, none", p.Depth, p.SwitchOut(3))
	}
	p.Enter(7)
	if p.Owner != 7 {
		t.Errorf("new section owner %d, want 7", p.Owner)
	}
}
