package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
)

func TestCostsCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.toml")
	bad := filepath.Join(dir, "bad.toml")
	for p, s := range map[string]string{
		good: "[\"x86-xen\"]\nhypercall_ns = 700\n[arm64]\nbarrier_pair_ns = 35.5\n",
		bad:  "[arm64]\nbarier_pair_ns = 1\n",
	} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		args      []string
		code      int
		out, errs string
	}{
		{[]string{"costs"}, 0, "[arm64]\n# ns/PTE. Source: estimate", ""},
		{[]string{"costs", "-format", "table"}, 0, "| `x86-xen` | `hypercall_ns` | 500.0 | ns/call |", ""},
		{[]string{"costs", "-check", good}, 0, "[arm64]\nbarrier_pair_ns = 35.5\n\n[x86-xen]\nhypercall_ns = 700.0\n", ""},
		{[]string{"costs", "-check", bad}, 1, "", bad + `:2: unknown key "barier_pair_ns" for arch arm64`},
		{[]string{"costs", "-format", "yaml"}, 2, "", `unknown -format "yaml"`},
		{[]string{"costs", "extra"}, 2, "", "costs takes no arguments"},
	} {
		var out, errb bytes.Buffer
		code := exitCode(run(tc.args, &out, &errb), &errb)
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.errs) {
			t.Errorf("%v: exit %d, stdout %.200q, stderr %q; want exit %d, stdout containing %q, stderr containing %q",
				tc.args, code, out.String(), errb.String(), tc.code, tc.out, tc.errs)
		}
	}
}

// The template the command prints is a cost file that loads back to every
// default.
func TestCostsTemplateRoundTrip(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"costs"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	c, err := arch.ParseCosts("template", out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(c) != len(arch.Names()) {
		t.Errorf("template has %d arches, want %d", len(c), len(arch.Names()))
	}
	for _, name := range arch.Names() {
		info, _ := arch.Lookup(name)
		want := info.Values(nil)
		if len(c[name]) != len(want) {
			t.Errorf("%s: template has %d values, want %d", name, len(c[name]), len(want))
		}
		for k, v := range want {
			if got, ok := c[name][k]; !ok || got != v {
				t.Errorf("%s: template's %s = %v (present %v), default %v", name, k, got, ok, v)
			}
		}
	}
}
