package arch

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func init() {
	// Two fake backends for the cost-file tests (this test binary only).
	Register(&Info{Name: "fake-a", Order: 0, Doc: "first fake",
		Params:  []Param{{Name: "x_ns", Default: 10, Unit: "ns", Source: "estimate: test"}, {Name: "y_ns", Default: 0.5, Unit: "ns/entry", Source: "test | pipe"}},
		Options: []Param{{Name: "mode", Default: 0, Unit: "0 or 1", Source: "test option"}},
		New:     func(map[string]float64) Backend { return nil }})
	Register(&Info{Name: "fake-b", Order: 1, Doc: "second fake",
		Params: []Param{{Name: "z_ns", Default: 3, Unit: "ns", Source: "estimate"}},
		New:    func(map[string]float64) Backend { return nil }})
}

func TestParseCostsErrors(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"unknown arch", "[fake-a]\nx_ns = 1\n\n[nosuch]\nq = 2\n", `c.toml:4: unknown arch "nosuch" (have fake-a, fake-b)`},
		{"unknown key", "[fake-a]\nx_ns = 1\nbogus_ns = 2\n", `c.toml:3: unknown key "bogus_ns" for arch fake-a (have x_ns, y_ns, mode)`},
		{"quoted arch key", "[\"fake-b\"]\nw = 1\n", `c.toml:2: unknown key "w" for arch fake-b (have z_ns)`},
		{"negative", "[fake-a]\nx_ns = -1\n", `c.toml:2: fake-a.x_ns = -1: must be a number from 0 to 1e+12 ns`},
		{"inf", "[fake-a]\ny_ns = inf\n", `c.toml:2: fake-a.y_ns = +Inf: must be a number from 0 to 1e+12 ns/entry`},
		{"nan", "[fake-a]\ny_ns = nan\n", `c.toml:2: fake-a.y_ns = NaN: must be a number from 0 to 1e+12 ns/entry`},
		// Issue 20, items 1 and 2: finite values whose sums overflow.
		{"huge", "[fake-a]\n\nx_ns = 1e306\n", `c.toml:3: fake-a.x_ns = 1e+306: must be a number from 0 to 1e+12 ns`},
		{"just above", "[fake-b]\nz_ns = 1.0000000000001e12\n", `c.toml:2: fake-b.z_ns = 1.0000000000001e+12: must be`},
		// Issue 20, item 5: an option is 0 or 1.
		{"option 2", "[fake-a]\nmode = 2\n", `c.toml:2: fake-a.mode = 2: an option is 0 or 1 (or false or true)`},
		{"option 0.5", "[fake-a]\nmode = 0.5\n", `c.toml:2: fake-a.mode = 0.5: an option is 0 or 1`},
		{"option -1", "[fake-a]\nmode = -1\n", `c.toml:2: fake-a.mode = -1: an option is 0 or 1`},
		// Issue 20, item 3: shapes the TOML parser takes seconds and
		// gigabytes on are refused before it sees them.
		{"deep inline tables", "[fake-a]\nx = " + strings.Repeat("{x=", 4000) + "1" + strings.Repeat("}", 4000) + "\n", `c.toml:2: brackets nested deeper than 8`},
		{"deep arrays", "[fake-a]\n\nx = " + strings.Repeat("[", 9) + "1" + strings.Repeat("]", 9) + "\n", `c.toml:3: brackets nested deeper than 8`},
		{"long dotted key", "[fake-a]\n" + strings.Repeat("a.", 300000/10) + "a = 1\n", `c.toml:2: more than 8 dots in one key or value`},
		{"long header", "# x\n[" + strings.Repeat("a.", 9) + "a]\n", `c.toml:2: more than 8 dots`},
		{"too big", "[fake-a]\n" + strings.Repeat("#", MaxCostFileSize), `c.toml: cost file larger than 65536 bytes`},
		{"string", "[fake-a]\nx_ns = \"5\"\n", `c.toml:2: fake-a.x_ns: want a number, got string`},
		{"bool for a cost", "[fake-a]\nx_ns = true\n", `want a number of ns, got a boolean`},
		{"top-level key", "x_ns = 1\n", `c.toml:1: key "x_ns" is outside an arch table`},
		{"syntax", "[fake-a\nx_ns = 1\n", `c.toml:2: expected`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCosts("c.toml", []byte(tc.file))
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestCheckShapeSkipsStrings: brackets and dots inside strings and comments
// do not count, and the lines of multi-line strings do.
func TestCheckShapeSkipsStrings(t *testing.T) {
	deep := strings.Repeat("[{.", 20)
	for _, tc := range []struct{ file, want string }{
		{`a = "` + deep + `"` + "\n", ""},
		{`a = '` + deep + `'` + "\n", ""},
		{`a = "\"` + deep + `"` + "\n", ""},
		{`a = """` + "\n" + deep + "\n" + `""""` + "\nb = " + deep + "\n", "f:4: brackets nested deeper than 8"},
		{`a = '''x''''' # ` + deep + "\n" + deep, "f:2: brackets nested deeper than 8"},
		{`a = """x\` + "\n" + `\""""` + "\n\nb=" + deep, "f:4: brackets nested deeper than 8"},
		{`a = "x` + "\n" + deep, "f:1: a string that does not end"},
		{"\n\na = '''x''", "f:3: a string that does not end"},
	} {
		err := checkShape("f", []byte(tc.file))
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("checkShape(%q) = %v, want %q", tc.file, err, tc.want)
		}
	}
}

func TestParseCostsValues(t *testing.T) {
	c, err := ParseCosts("c.toml", []byte("# comment\n[fake-a]\nx_ns = 7   # int\ny_ns = 0.25\nmode = true\n[\"fake-b\"]\nz_ns = 1e3\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Costs{"fake-a": {"x_ns": 7, "y_ns": 0.25, "mode": 1}, "fake-b": {"z_ns": 1000}}
	if !equalCosts(c, want) {
		t.Errorf("got %v, want %v", c, want)
	}
	info, _ := Lookup("fake-a")
	v := info.Values(c)
	if v["x_ns"] != 7 || v["y_ns"] != 0.25 || v["mode"] != 1 {
		t.Errorf("Values with overrides = %v", v)
	}
	v = info.Values(Costs{"fake-b": {"z_ns": 1}})
	if v["x_ns"] != 10 || v["y_ns"] != 0.5 || v["mode"] != 0 {
		t.Errorf("Values of defaults = %v", v)
	}
}

func equalCosts(a, b Costs) bool {
	if len(a) != len(b) {
		return false
	}
	for k, m := range a {
		n, ok := b[k]
		if !ok || len(m) != len(n) {
			return false
		}
		for p, x := range m {
			if y, ok := n[p]; !ok || x != y {
				return false
			}
		}
	}
	return true
}

func TestCostsRoundTrip(t *testing.T) {
	for _, c := range []Costs{
		{},
		{"fake-a": {"x_ns": 1}},
		{"fake-a": {"x_ns": 0, "y_ns": 1.0 / 3, "mode": 1}, "fake-b": {"z_ns": 1e-9}},
		{"fake-b": {"z_ns": 123456789012}, "fake-a": {"y_ns": math.SmallestNonzeroFloat64}},
	} {
		var buf bytes.Buffer
		if err := WriteCosts(&buf, c); err != nil {
			t.Fatal(err)
		}
		got, err := ParseCosts("rt.toml", buf.Bytes())
		if err != nil {
			t.Fatalf("%v\n%s", err, buf.String())
		}
		if !equalCosts(got, c) {
			t.Errorf("round trip of %v gave %v\n%s", c, got, buf.String())
		}
	}
}

func TestLoadCostsFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "costs.toml")
	if err := os.WriteFile(p, []byte("[fake-b]\nz_ns = 4\nnope = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadCosts(p)
	if err == nil || !strings.Contains(err.Error(), p+":3: unknown key \"nope\"") {
		t.Errorf("LoadCosts error = %v", err)
	}
	if _, err := LoadCosts(filepath.Join(dir, "missing.toml")); err == nil {
		t.Error("LoadCosts of a missing file: no error")
	}
}

// The template is itself a valid cost file holding every default.
func TestTemplateLoads(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteTemplate(&buf); err != nil {
		t.Fatal(err)
	}
	c, err := ParseCosts("template.toml", buf.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	want := Costs{"fake-a": {"x_ns": 10, "y_ns": 0.5, "mode": 0}, "fake-b": {"z_ns": 3}}
	if !equalCosts(c, want) {
		t.Errorf("template holds %v, want %v", c, want)
	}
	var tab bytes.Buffer
	if err := WriteParamTable(&tab); err != nil {
		t.Fatal(err)
	}
	wantTab := "| arch | key | default | unit | source |\n|---|---|---|---|---|\n" +
		"| `fake-a` | `x_ns` | 10.0 | ns | estimate: test |\n" +
		"| `fake-a` | `y_ns` | 0.5 | ns/entry | test \\| pipe |\n" +
		"| `fake-a` | `mode` (option) | 0.0 | 0 or 1 | test option |\n" +
		"| `fake-b` | `z_ns` | 3.0 | ns | estimate |\n"
	if tab.String() != wantTab {
		t.Errorf("param table:\n%s\nwant:\n%s", tab.String(), wantTab)
	}
}

func FuzzParseCosts(f *testing.F) {
	f.Add([]byte("[fake-a]\nx_ns = 1\n"))
	f.Add([]byte("[\"fake-b\"]\nz_ns = 1e3\n"))
	f.Add([]byte("[fake-a]\nmode = true\ny_ns = 0.5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCosts("f.toml", data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := WriteCosts(&buf, c); err != nil {
			t.Fatal(err)
		}
		c2, err := ParseCosts("rt.toml", buf.Bytes())
		if err != nil || !equalCosts(c, c2) {
			t.Fatalf("round trip: %v %v -> %v", err, c, c2)
		}
	})
}
