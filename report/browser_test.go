package report

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The browser check renders report pages in headless Chromium (Debian's
// chromium package) at 1400 x 900 and fails if a page scrolls sideways, if
// an image does not load, or if the findings are not in index.html's first
// screen. It runs when LAZYBENCH_BROWSER=1 (.ci/run installs chromium and
// sets it; about 30 s of wall clock, so make test leaves it out) and then
// fails without chromium.

const (
	browserWidth  = 1400
	browserHeight = 900
)

// harness loads one page of the report in a 1400 x 900 frame, waits for its
// images and writes what it measured, as JSON, into #result.
const harness = `<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="PAGE" style="width:WIDTHpx;height:HEIGHTpx;border:0"></iframe>
<pre id="result">pending</pre>
<script>
const f = document.getElementById("f");
f.addEventListener("load", () => {
  const d = f.contentDocument, w = f.contentWindow;
  const imgs = [...d.images];
  Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; }))).then(() => {
    const fd = d.getElementById("findings"), li = fd ? fd.querySelector("li") : null;
    const wide = [...d.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > w.innerWidth + 1 && !e.closest(".tw")).map(e => e.tagName + (e.id ? "#" + e.id : "")).slice(0, 5);
    document.getElementById("result").textContent = JSON.stringify({
      scrollWidth: d.documentElement.scrollWidth, clientWidth: d.documentElement.clientWidth, wide: wide,
      images: imgs.length, broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute("src")),
      findingsTop: fd ? fd.getBoundingClientRect().top : -1, firstFindingBottom: li ? li.getBoundingClientRect().bottom : -1,
      height: w.innerHeight});
  });
});
</script></body></html>`

// pageCheck is what the harness measured.
type pageCheck struct {
	ScrollWidth, ClientWidth        int
	Wide, Broken                    []string
	Images                          int
	FindingsTop, FirstFindingBottom float64
	Height                          float64
}

func chromium(t *testing.T) string {
	if os.Getenv("LAZYBENCH_BROWSER") != "1" {
		t.Skip("LAZYBENCH_BROWSER=1 runs the headless Chromium check")
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("LAZYBENCH_BROWSER=1 but no chromium in PATH (Debian: apt-get install chromium)")
	return ""
}

// renderPage loads page of the report served by srv in Chromium and returns
// the harness's measurements.
func renderPage(t *testing.T, bin string, srv *httptest.Server, page string) pageCheck {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--user-data-dir="+t.TempDir(), fmt.Sprintf("--window-size=%d,%d", browserWidth, browserHeight+200),
		"--virtual-time-budget=20000", "--dump-dom", srv.URL+"/harness.html?page="+page)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium on %s: %v", page, err)
	}
	m := regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`).FindSubmatch(out)
	if m == nil || string(m[1]) == "pending" {
		t.Fatalf("%s: the harness did not finish; chromium printed %d bytes", page, len(out))
	}
	var c pageCheck
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &c); err != nil {
		t.Fatalf("%s: %v: %s", page, err, m[1])
	}
	return c
}

func TestReportInBrowser(t *testing.T) {
	bin := chromium(t)
	dir := filepath.Join(t.TempDir(), "report")
	smallReport(t, dir)
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/harness.html" {
			h := strings.NewReplacer("PAGE", "/"+r.URL.Query().Get("page"), "WIDTH", fmt.Sprint(browserWidth), "HEIGHT", fmt.Sprint(browserHeight)).Replace(harness)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, h)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer srv.Close()
	pages := []string{"index.html"}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "trace-") && strings.HasSuffix(e.Name(), ".html") {
			pages = append(pages, e.Name())
		}
	}
	for _, page := range pages {
		c := renderPage(t, bin, srv, page)
		if c.ScrollWidth > c.ClientWidth || len(c.Wide) > 0 {
			t.Errorf("%s scrolls sideways at %d px: scrollWidth %d, clientWidth %d; wider than the window outside a table box: %v", page, browserWidth, c.ScrollWidth, c.ClientWidth, c.Wide)
		}
		if len(c.Broken) > 0 || c.Images == 0 {
			t.Errorf("%s: %d images, broken: %v", page, c.Images, c.Broken)
		}
		if page != "index.html" {
			continue
		}
		if c.FindingsTop < 0 || c.FirstFindingBottom < 0 || c.FirstFindingBottom > c.Height || c.Height != browserHeight {
			t.Errorf("index.html: the findings are not in the first %d px: the section starts at %v, its first finding ends at %v (frame %v high)", browserHeight, c.FindingsTop, c.FirstFindingBottom, c.Height)
		}
	}
}
