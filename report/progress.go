package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// progressBar draws "label [#####.....] n/total" on a terminal.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	label string
	n     int
	total int
}

func (p *progressBar) start(label string, total int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	p.label, p.n, p.total = label, 0, total
	p.mu.Unlock()
	p.add(0)
}

func (p *progressBar) add(k int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += k
	const width = 30
	fill := 0
	if p.total > 0 {
		fill = p.n * width / p.total
	}
	fmt.Fprintf(p.w, "\r%-24s [%s%s] %d/%d", p.label, strings.Repeat("#", fill), strings.Repeat(".", width-fill), p.n, p.total)
	if p.n >= p.total {
		fmt.Fprintln(p.w)
	}
}
