package report

import (
	"bytes"
	"html/template"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/arch"
	_ "github.com/lazybench/lazybench/arch/all"
	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/internal/svgtest"
	"github.com/lazybench/lazybench/replay"
)

// smallReport writes a report of two corpus traces with a short calibration
// and small speed traces into dir.
func smallReport(t *testing.T, dir string) {
	t.Helper()
	names := corpus.Names()
	if len(names) < 2 {
		t.Fatalf("corpus has %d traces, the test needs two", len(names))
	}
	opt := Options{Dir: dir, Traces: names[:2], Jobs: 2, SpeedSizes: []int{2000, 20000}, SpeedReps: 1,
		CalibLoops: func(p int) int { return max(4, 1024/p) }, KpkeysMapPages: 2048}
	if err := Write(opt); err != nil {
		t.Fatal(err)
	}
}

func TestReportImagesExistAndDecode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	smallReport(t, dir)
	html, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(html, []byte("http://")) || bytes.Contains(html, []byte("https://")) || bytes.Contains(html, []byte("<script")) {
		t.Error("index.html refers to the network or runs scripts")
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllSubmatch(html, -1)
	images := 0
	for _, m := range refs {
		ref := string(m[1])
		path := filepath.Join(dir, ref)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("index.html refers to %s: %v", ref, err)
			continue
		}
		switch filepath.Ext(ref) {
		case ".svg":
			images++
			svgtest.Check(t, ref, data)
		case ".png":
			images++
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Errorf("%s: %v", ref, err)
			}
		}
	}
	// per trace: throughput, main-vs-ideal, 2 box plots, batches; the two
	// calibrations; speed
	if images < 2*5+3 {
		t.Errorf("index.html shows %d images, want at least 13", images)
	}
	for _, want := range []string{"Calibration", "published", "MEASURED", "Corpus manifest", "How each figure was made", "modeled updates/s",
		"arm64-kpkeys <span class=\"tag\">unmerged series</span>", "calibration-kpkeys.csv", "fix_size_alloc p:16"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	// Every backend: its title (a proposal's with its label) in the
	// result tables and the backends table, with its kernel source; and a
	// heading per metric.
	for _, a := range arch.Names() {
		info, _ := arch.Lookup(a)
		for _, want := range []string{">" + info.Title() + "</td>", template.HTMLEscapeString(info.Source)} {
			if !bytes.Contains(html, []byte(want)) {
				t.Errorf("index.html lacks %s's %q", a, want)
			}
		}
	}
	for _, m := range replay.Metrics {
		if !bytes.Contains(html, []byte("<th>"+template.HTMLEscapeString(m.Title)+"</th>")) {
			t.Errorf("index.html lacks a column for metric %s", m.Key)
		}
	}
	for _, f := range []string{"calibration-kpkeys.csv", "arm64-kpkeys-fitted.toml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	ents, _ := os.ReadDir(filepath.Dir(dir))
	if len(ents) != 1 {
		t.Errorf("parent dir holds %d entries, want only the report (no temp dirs)", len(ents))
	}
}

// TestReportFailureKeepsPrevious checks that a failed run leaves the previous
// report as it was and no temporary directory behind.
func TestReportFailureKeepsPrevious(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "report")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Write(Options{Dir: dir, Traces: []string{"no-such-trace"}, Jobs: 1})
	if err == nil {
		t.Fatal("report of an unknown trace succeeded")
	}
	got, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	if string(got) != "old" {
		t.Errorf("previous report changed to %q", got)
	}
	ents, _ := os.ReadDir(parent)
	if len(ents) != 1 {
		var n []string
		for _, e := range ents {
			n = append(n, e.Name())
		}
		t.Errorf("parent holds %v, want only report", n)
	}
}

// pageNote names exactly the backends without a base page of the size.
func TestPageNote(t *testing.T) {
	var want4K, want16K []string
	for _, a := range arch.Names() {
		info, _ := arch.Lookup(a)
		if !slices.Contains(info.PageShifts, 12) {
			want4K = append(want4K, a)
		}
		if !slices.Contains(info.PageShifts, 14) {
			want16K = append(want16K, a)
		}
	}
	for _, c := range []struct {
		ps   uint32
		want []string
	}{{4096, want4K}, {16384, want16K}, {0, nil}} {
		note := pageNote(c.ps, arch.Names())
		if (note == "") != (len(c.want) == 0) {
			t.Errorf("%d: note %q, want one naming %v", c.ps, note, c.want)
		}
		for _, a := range arch.Names() {
			if named := strings.Contains(note, " "+a+",") || strings.Contains(note, " "+a+" ("); named != slices.Contains(c.want, a) {
				t.Errorf("%d: note %q names %s: %v, want %v", c.ps, note, a, named, !named)
			}
		}
	}
}
