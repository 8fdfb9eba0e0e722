package report

import (
	"bytes"
	"html/template"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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
	opt := Options{Dir: dir, Traces: []string{"fork_16k", names[0]}, Jobs: 2, SpeedSizes: []int{2000, 20000}, SpeedReps: 1,
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
	pages, images := checkRefs(t, dir, "index.html", html)
	// the overview charts, calibration and speed; each trace page's charts
	if images < 4 {
		t.Errorf("index.html shows %d images, want at least 4", images)
	}
	if pages < 2+1 {
		t.Errorf("index.html links %d pages, want a page per trace and arm64's unfitted one", pages)
	}
	for _, want := range []string{"Findings", "Modeled, not measured", arch.Title("s390"), "fewest flushes with no hazard",
		"Calibration", "published", "MEASURED", "Corpus manifest", "How each figure was made", "use these fitted arm64 costs"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if bytes.Contains(html, []byte("lower bound")) {
		t.Error("index.html calls something a lower bound")
	}
	// Every backend: its title (a proposal's with its label) and its kernel
	// source in the backends table; a column per metric in each trace's
	// table, where every backend's title heads its rows.
	trace, err := os.ReadFile(filepath.Join(dir, "trace-fork_16k.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arch.Names() {
		info, _ := arch.Lookup(a)
		for _, want := range []string{">" + template.HTMLEscapeString(info.Title()) + "</td>", template.HTMLEscapeString(info.Source)} {
			if !bytes.Contains(html, []byte(want)) {
				t.Errorf("index.html lacks %s's %q", a, want)
			}
		}
		if !bytes.Contains(trace, []byte(">"+template.HTMLEscapeString(info.Title()))) {
			t.Errorf("the trace page lacks %s's title", a)
		}
	}
	for _, m := range replay.Metrics {
		if !bytes.Contains(trace, []byte("<th>"+template.HTMLEscapeString(m.Title)+"</th>")) {
			t.Errorf("the trace page lacks a column for metric %s", m.Key)
		}
	}
	ents, _ := os.ReadDir(filepath.Dir(dir))
	if len(ents) != 1 {
		t.Errorf("parent dir holds %d entries, want only the report (no temp dirs)", len(ents))
	}
}

// checkRefs checks that every file page refers to exists and decodes (SVG,
// PNG, and linked HTML pages, whose own references it checks once), and
// that no page refers to the network or runs scripts. It returns the pages
// and images page refers to.
func checkRefs(t *testing.T, dir, name string, page []byte) (pages, images int) {
	t.Helper()
	if bytes.Contains(page, []byte("http://")) || bytes.Contains(page, []byte("https://")) || bytes.Contains(page, []byte("<script")) {
		t.Errorf("%s refers to the network or runs scripts", name)
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllSubmatch(page, -1) {
		ref := string(m[1])
		if seen[ref] {
			continue
		}
		seen[ref] = true
		data, err := os.ReadFile(filepath.Join(dir, ref))
		if err != nil {
			t.Errorf("%s refers to %s: %v", name, ref, err)
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
		case ".html":
			if ref != "index.html" {
				pages++
				if name == "index.html" {
					checkRefs(t, dir, ref, data)
				}
			}
		}
	}
	return pages, images
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

// TestPageFits: a trace fits an arch exactly when its page size is one of
// the arch's base page sizes (arch.Info.PageShifts), for every registered
// backend; an unknown size fits all.
func TestPageFits(t *testing.T) {
	for _, a := range arch.Names() {
		info, _ := arch.Lookup(a)
		for _, ps := range []uint32{4096, 8192, 16384, 65536, 0} {
			want := ps == 0 || slices.ContainsFunc(info.PageShifts, func(s uint8) bool { return 1<<s == ps })
			if got := (&Trace{PageSize: ps}).Fits(a); got != want {
				t.Errorf("%s, %d-byte pages: fits %v, want %v", a, ps, got, want)
			}
		}
	}
}
