package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/traces"
	"github.com/lazybench/lazybench/workload"
)

// readAll returns every event of the trace at path and its string table.
func readAll(t *testing.T, path string) ([]traces.Event, []string) {
	t.Helper()
	r, c, err := traces.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var evs []traces.Event
	for r.Next() {
		evs = append(evs, *r.Event())
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return evs, r.Strings()
}

func TestGenFormatsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	var first []traces.Event
	var firstSites []string
	for _, name := range []string{"v.lmt.txt", "v.lmt", "v.lmt.zst"} {
		path := filepath.Join(dir, name)
		var out bytes.Buffer
		if err := run([]string{"gen", "vmalloc", "--pages", "8", "--loops", "2", "-o", path}, &out, &out); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out.String())
		}
		if !strings.Contains(out.String(), ": 46 events") {
			t.Errorf("%s: output %q, want 46 events", name, out.String())
		}
		evs, strs := readAll(t, path)
		sites := make([]string, len(evs))
		for i, e := range evs {
			sites[i] = strs[e.Site]
		}
		if first == nil {
			first, firstSites = evs, sites
			continue
		}
		if !reflect.DeepEqual(clearSites(evs), clearSites(first)) || !reflect.DeepEqual(sites, firstSites) {
			t.Errorf("%s: events differ from the text format", name)
		}
	}
	if len(first) != 46 {
		t.Errorf("read %d events, want 46", len(first))
	}
}

func clearSites(evs []traces.Event) []traces.Event {
	out := make([]traces.Event, len(evs))
	for i, e := range evs {
		e.Site = 0
		out[i] = e
	}
	return out
}

func TestGenDeterministicBytes(t *testing.T) {
	dir := t.TempDir()
	for _, w := range workload.Workloads() {
		for _, ext := range []string{".lmt", ".lmt.txt"} {
			a, b, c := filepath.Join(dir, "a"+ext), filepath.Join(dir, "b"+ext), filepath.Join(dir, "c"+ext)
			for _, p := range []struct{ path, seed string }{{a, "5"}, {b, "5"}, {c, "6"}} {
				if err := run([]string{"gen", w.Name, "--seed", p.seed, "--pages", "64", "-o", p.path}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
					t.Fatal(err)
				}
			}
			da, _ := os.ReadFile(a)
			db, _ := os.ReadFile(b)
			dc, _ := os.ReadFile(c)
			if !bytes.Equal(da, db) {
				t.Errorf("%s%s: same seed, different bytes", w.Name, ext)
			}
			if bytes.Equal(da, dc) && w.Name == "fork" {
				t.Errorf("%s%s: seeds 5 and 6 give the same bytes", w.Name, ext)
			}
		}
	}
}

func TestGenList(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"gen", "-list"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	for _, w := range workload.Workloads() {
		if !strings.Contains(out.String(), w.Name+"\n") {
			t.Errorf("gen -list does not list %s", w.Name)
		}
	}
}

func TestGenErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.lmt")
	tests := []struct {
		args  []string
		usage bool
	}{
		{[]string{"gen"}, true},
		{[]string{"gen", "nope", "-o", out}, true},
		{[]string{"gen", "vmalloc"}, true},
		{[]string{"gen", "vmalloc", "--pages", "0", "-o", out}, true},
		{[]string{"gen", "vmalloc", "--bogus", "1", "-o", out}, true},
		{[]string{"gen", "vmalloc", "-p", "pages=", "-o", out}, true},
		{[]string{"gen", "vmalloc", "-o", filepath.Join(dir, "x.bin")}, true},
		{[]string{"gen", "vmalloc", "-o", filepath.Join(dir, "nodir", "x.lmt")}, false},
		{[]string{"gen", "-list", "extra"}, true},
		{[]string{"gen", "-list", "-o", out}, true},
	}
	for _, tc := range tests {
		err := run(tc.args, &bytes.Buffer{}, &bytes.Buffer{})
		var u *usageError
		if err == nil || errors.As(err, &u) != tc.usage {
			t.Errorf("%v: err %v, want usage=%v", tc.args, err, tc.usage)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("failed runs left files: %v", ents)
	}
}

func TestGenParamList(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.lmt"), filepath.Join(dir, "b.lmt")
	if err := run([]string{"gen", "fork", "-p", "pages=100,seed=9", "-o", a}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"gen", "fork", "--pages", "100", "--seed", "9", "-o", b}, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Error("-p and flags give different traces")
	}
}

func TestGenCorpus(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run([]string{"gen-corpus", "-dir", dir}, &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "vmalloc_p512") || !strings.Contains(out.String(), " traces, ") {
		t.Errorf("output:\n%s", out.String())
	}
	for _, f := range []string{"manifest.json", "vmalloc_p512.lmt", "mix.lmt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	// a broken manifest is an error naming it, and nothing is written
	bad := t.TempDir()
	os.WriteFile(filepath.Join(bad, "manifest.json"), []byte("{"), 0o644)
	err := run([]string{"gen-corpus", "-dir", bad}, &bytes.Buffer{}, &bytes.Buffer{})
	var u *usageError
	if err == nil || errors.As(err, &u) || !strings.Contains(err.Error(), "manifest.json") {
		t.Errorf("broken manifest: err %v", err)
	}
	if ents, _ := os.ReadDir(bad); len(ents) != 1 {
		t.Errorf("broken manifest: %d files in the directory, want 1", len(ents))
	}
	if err := run([]string{"gen-corpus", "extra"}, &bytes.Buffer{}, &bytes.Buffer{}); !errors.As(err, &u) {
		t.Errorf("extra argument: err %v, want a usage error", err)
	}
}
