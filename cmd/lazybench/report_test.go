package main

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/corpus"
)

// smallReport writes a report of two corpus traces with a short calibration
// and small speed traces into dir.
func smallReport(t *testing.T, dir string) {
	t.Helper()
	names := corpus.Names()
	if len(names) < 2 {
		t.Fatalf("corpus has %d traces, the test needs two", len(names))
	}
	opt := reportOptions{dir: dir, traces: names[:2], jobs: 2, speedSizes: []int{2000, 20000}, speedReps: 1,
		calibLoops: func(p int) int { return max(4, 1024/p) }}
	if err := writeReport(opt); err != nil {
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
			checkSVGFile(t, ref, data)
		case ".png":
			images++
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Errorf("%s: %v", ref, err)
			}
		}
	}
	// per trace: throughput, main-vs-ideal, 2 box plots, batches; calibration; speed
	if images < 2*5+2 {
		t.Errorf("index.html shows %d images, want at least 12", images)
	}
	for _, want := range []string{"Calibration", "published", "MEASURED", "Corpus manifest", "How each figure was made", "modeled updates/s"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	ents, _ := os.ReadDir(filepath.Dir(dir))
	if len(ents) != 1 {
		t.Errorf("parent dir holds %d entries, want only the report (no temp dirs)", len(ents))
	}
}

func checkSVGFile(t *testing.T, name string, data []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("%s: SVG does not parse: %v", name, err)
			return
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s: root element %q, want svg", name, root)
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
	err := writeReport(reportOptions{dir: dir, traces: []string{"no-such-trace"}, jobs: 1})
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

func TestReportCommandUsage(t *testing.T) {
	var out, errb bytes.Buffer
	err := run([]string{"report", "extra"}, &out, &errb)
	if code := exitCode(err, io.Discard); code != 2 {
		t.Errorf("report with an argument: exit %d, want 2 (%v)", code, err)
	}
	err = run([]string{"report", "-o", filepath.Join(t.TempDir(), "r"), "-traces", "nope"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("unknown trace: %v", err)
	}
}

// TestReportOntoFile: -o naming a file fails at once (before any replay),
// exit 1, leaving the file and its directory as they were.
func TestReportOntoFile(t *testing.T) {
	parent := t.TempDir()
	f := filepath.Join(parent, "notadir")
	if err := os.WriteFile(f, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := lb("report", "-o", f)
	if code != 1 || out != "" || errs != "lazybench: report: "+f+" exists and is not a directory\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if got, _ := os.ReadFile(f); string(got) != "keep" {
		t.Errorf("file changed to %q", got)
	}
	if ents, _ := os.ReadDir(parent); len(ents) != 1 {
		t.Errorf("parent holds %d entries, want 1", len(ents))
	}
}
