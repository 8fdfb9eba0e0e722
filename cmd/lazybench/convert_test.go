package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestConvertRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src := "../../traces/testdata/all_ops.lmt.txt"
	want, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	steps := [][]string{
		{src, filepath.Join(dir, "a.lmt")},
		{filepath.Join(dir, "a.lmt"), filepath.Join(dir, "a.lmt.zst")},
		{filepath.Join(dir, "a.lmt.zst"), filepath.Join(dir, "b.bin"), "--format", "binary"},
		{filepath.Join(dir, "b.bin"), filepath.Join(dir, "a.lmt.txt")},
	}
	formats := []string{"binary", "zstd", "binary", "text"}
	for i, s := range steps {
		out, errs, code := lb(append([]string{"convert"}, s...)...)
		if code != 0 {
			t.Fatalf("convert %v: exit %d: %s", s, code, errs)
		}
		if want := s[0] + " -> " + s[1] + ": 30 events, " + formats[i] + "\n"; out != want {
			t.Errorf("convert %v: summary %q, want %q", s, out, want)
		}
	}
	got, err := os.ReadFile(filepath.Join(dir, "a.lmt.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("text -> binary -> zstd -> binary -> text differs:\n%s", got)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.lmt"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.bin"))
	if !bytes.Equal(a, b) {
		t.Error("binary -> zstd -> binary differs")
	}
}

// TestConvertBadInput leaves no output behind when the input is bad.
func TestConvertBadInput(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.lmt")
	_, errs, code := lb("convert", "../../traces/testdata/bad/missing_key.lmt.txt", out)
	if code != 1 || errs != "lazybench: ../../traces/testdata/bad/missing_key.lmt.txt:3: set: missing required key addr\n" {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left %d files behind", len(ents))
	}
}

func TestConvertUsage(t *testing.T) {
	for _, args := range [][]string{
		{"convert"},
		{"convert", "a.lmt"},
		{"convert", "../../traces/testdata/nested.lmt.txt", "out.unknown"},
		{"convert", "../../traces/testdata/nested.lmt.txt", "out.lmt", "--format", "xml"},
	} {
		if _, _, code := lb(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
