package replay

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"
	"github.com/lazybench/lazybench/lazymmu"
)

// Every metric has a unique key, title and unit, a doc, a value, a kind and
// a direction; exactly one is the main counter, and it alone has no unit.
func TestMetricsComplete(t *testing.T) {
	seen := map[string]string{}
	mains := 0
	for _, m := range Metrics {
		for _, s := range []string{"key " + m.Key, "title " + m.Title, "unit " + m.Unit} {
			if other, dup := seen[s]; dup && s != "unit " {
				t.Errorf("%s: %s also %s's", m.Key, s, other)
			}
			seen[s] = m.Key
		}
		if m.Key == "" || m.Title == "" || m.Doc == "" || m.Value == nil {
			t.Errorf("%+v: key, title, doc and value are required", m)
		}
		if m.Better > Neither || m.Kind > Rate {
			t.Errorf("%s: better %d, kind %d", m.Key, m.Better, m.Kind)
		}
		if m.Main {
			mains++
		}
		if (m.Unit == "") != m.Main {
			t.Errorf("%s: unit %q, main %v: the main counter alone has no unit (its counter's name)", m.Key, m.Unit, m.Main)
		}
	}
	if mains != 1 {
		t.Errorf("%d main-counter metrics, want 1", mains)
	}
}

// Each metric reads from a result what its key names in the result's JSON:
// a number of that name, a map of that name summed, the quantile of
// <name>_ns (section_p99: section_ns.p99), the main counter, or the rate of
// updates per modeled second. A new metric needs one of these (or a rule
// here).
func TestMetricsReadResult(t *testing.T) {
	for _, s := range lazymmu.Strategies() {
		r := run(t, s, strings.Repeat(mixed, 3), nil)
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var j map[string]any
		if err := json.Unmarshal(b, &j); err != nil {
			t.Fatal(err)
		}
		for _, m := range Metrics {
			want, ok := fromJSON(m.Key, j)
			if !ok {
				t.Fatalf("%s: no rule reads it from the JSON %s", m.Key, b)
			}
			if got := m.Value(r); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Errorf("%s/%s = %v, the JSON says %v", s, m.Key, got, want)
			}
		}
	}
}

// fromJSON reads the metric key from a result's JSON object j.
func fromJSON(key string, j map[string]any) (float64, bool) {
	num := func(v any) float64 { f, _ := v.(float64); return f }
	if v, ok := j[key].(float64); ok {
		return v, true
	}
	if v, ok := j[key].(map[string]any); ok {
		sum := 0.0
		for _, x := range v {
			sum += num(x)
		}
		return sum, true
	}
	if name, q, ok := strings.Cut(key, "_p"); ok {
		if d, ok := j[name+"_ns"].(map[string]any); ok {
			v, ok := d["p"+q].(float64)
			return v, ok
		}
	}
	switch key {
	case "main":
		ops, _ := j["arch_ops"].(map[string]any)
		return num(ops[j["main_counter"].(string)]), true
	case "updates_per_s":
		if num(j["modeled_ns"]) <= 0 {
			return math.NaN(), true
		}
		return num(j["updates"]) / (num(j["modeled_ns"]) * 1e-9), true
	}
	return 0, false
}

func TestBenchUnit(t *testing.T) {
	for _, c := range []struct {
		key, main, want string
	}{
		{"modeled_ns", "", "modeled-ns/op"},
		{"updates_per_s", "barriers", "updates/modeled-s"},
		{"main", "barriers", "barriers/op"},
		{"main", "", ""},
		{"section_p99", "iptes", "section-p99-ns/op"},
	} {
		if got := MetricByKey(c.key).BenchUnit(&Result{Main: c.main}); got != c.want {
			t.Errorf("%s with main %q: unit %q, want %q", c.key, c.main, got, c.want)
		}
	}
	if MetricByKey("no such metric") != nil {
		t.Error("MetricByKey found a metric that does not exist")
	}
}

const (
	metricBegin = "<!-- begin generated: replay.WriteMetricTable -->\n"
	metricEnd   = "<!-- end generated -->\n"
)

// docs/bench.md holds the metric table (go test ./replay -update rewrites it).
func TestMetricDoc(t *testing.T) {
	const path = "../docs/bench.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i := strings.Index(s, metricBegin)
	j := strings.Index(s[max(i, 0):], metricEnd) + max(i, 0)
	if i < 0 || j < i {
		t.Fatalf("%s: markers %q and %q not found", path, metricBegin, metricEnd)
	}
	var tab bytes.Buffer
	if err := WriteMetricTable(&tab); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, path, []byte(s[:i+len(metricBegin)]+tab.String()+s[j:]))
}

func TestRatioTo(t *testing.T) {
	m := MetricByKey("flushes")
	for _, c := range []struct {
		v, ref uint64
		want   float64
		ok     bool
	}{{6, 3, 2, true}, {0, 0, 1, true}, {0, 4, 0, true}, {5, 0, math.Inf(1), false}} {
		got, ok := m.RatioTo(&Result{Flushes: c.v}, &Result{Flushes: c.ref})
		if got != c.want || ok != c.ok {
			t.Errorf("%d/%d = %v, %v; want %v, %v", c.v, c.ref, got, ok, c.want, c.ok)
		}
	}
	if got, ok := m.RatioTo(&Result{}, nil); ok || !math.IsNaN(got) {
		t.Errorf("ratio to a missing result = %v, %v; want NaN, false", got, ok)
	}
}
