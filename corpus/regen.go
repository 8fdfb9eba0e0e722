package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/lazybench/lazybench/internal/atomicfile"
	"github.com/lazybench/lazybench/traces"
	"github.com/lazybench/lazybench/workload"
)

// Spec is one generated trace of the corpus.
type Spec struct {
	Name        string
	Workload    string
	Params      workload.Values // the rest take the workload's defaults
	Description string
}

// Ext is the file extension of generated corpus traces: the binary format,
// which the replay decodes in place from the embedded bytes.
const Ext = ".lmt"

// Generated lists the generated traces of the corpus: one per workload, plus
// the vmalloc sizes of the arm64 calibration and a few variants. Keep the
// corpus small: tests and `make report` replay all of it.
var Generated = []Spec{
	{"fork", "fork", workload.Values{"pages": 2048}, "fork of 8 MiB, 10% none PTEs, need_resched at 10% of progress checks"},
	{"munmap", "munmap", workload.Values{"pages": 4096}, "munmap of 16 MiB, TLB flush after each section"},
	{"exit", "exit", workload.Values{"pages": 4096, "vmas": 4}, "exit teardown of 16 MiB over 4 VMAs (full=1)"},
	{"mprotect", "mprotect", workload.Values{"pages": 2048, "loops": 2}, "two mprotects of 8 MiB"},
	{"mremap", "mremap", workload.Values{"pages": 2048}, "mremap of 8 MiB to a misaligned destination"},
	{"madvise", "madvise", workload.Values{"pages": 2048}, "MADV_COLD of 8 MiB with restarts every 32 PTEs on need_resched"},
	{"madvise_free", "madvise", workload.Values{"pages": 2048, "free": 1}, "MADV_FREE of 8 MiB"},
	{"vmalloc_p1", "vmalloc", workload.Values{"pages": 1, "loops": 2000}, "test_vmalloc fix_size_alloc_test, 1 page"},
	{"vmalloc_p8", "vmalloc", workload.Values{"pages": 8, "loops": 500}, "test_vmalloc fix_size_alloc_test, 8 pages"},
	{"vmalloc_p64", "vmalloc", workload.Values{"pages": 64, "loops": 100}, "test_vmalloc fix_size_alloc_test, 64 pages"},
	{"vmalloc_p512", "vmalloc", workload.Values{"pages": 512, "loops": 20}, "test_vmalloc fix_size_alloc_test, 512 pages (lazy purge after 16)"},
	{"kasan-vmalloc", "kasan-vmalloc", workload.Values{"pages": 64, "loops": 40, "lazy-max": 1024}, "vmalloc with KASAN: shadow population and, at each lazy purge, depopulation (pause/resume per shadow PTE)"},
	{"debug-pagealloc", "debug-pagealloc", workload.Values{"pages": 4096}, "munmap with DEBUG_PAGEALLOC: nested sections from mmu_gather batch allocation"},
	{"pagemap-scan", "pagemap-scan", workload.Values{"pages": 2048}, "PAGEMAP_SCAN write-protect: TLB flush inside the section"},
	{"irq", "irq", workload.Values{"pages": 64, "loops": 16, "irqs": 2}, "interrupts inside user and kernel sections"},
	{"preempt", "preempt", workload.Values{"pages": 16, "loops": 16}, "preempted kernel walks on one CPU (after enable, mid=1, halfway)"},
	{"preempt_smp", "preempt", workload.Values{"pages": 16, "loops": 16, "cpus": 2}, "preempted kernel walks migrating between two CPUs"},
	{"mix", "mix", workload.Values{"pages": 512, "loops": 4}, "two CPUs, eleven tasks: every workload with time slices and interrupts"},
	{"fork_16k", "fork", workload.Values{"pages": 4096, "page-shift": 14}, "fork on 16K pages (2048 PTEs per table)"},
}

// Regenerate writes the generated traces of Generated and the manifest into
// dir. Recorded entries of the manifest already in dir are kept as they are;
// generated files no longer listed are removed. It returns the new entries.
func Regenerate(dir string) ([]Entry, error) {
	old, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	var entries []Entry
	names := map[string]bool{}
	for _, e := range old.Entries {
		if e.Kind == KindRecorded {
			if _, err := os.Stat(filepath.Join(dir, e.File)); err != nil {
				return nil, fmt.Errorf("recorded trace %s: %v", e.Name, err)
			}
			entries = append(entries, e)
			names[e.Name] = true
		}
	}
	for _, s := range Generated {
		if names[s.Name] {
			return nil, fmt.Errorf("corpus: generated %s clashes with another entry", s.Name)
		}
		names[s.Name] = true
		e, err := generate(dir, s)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	keep := map[string]bool{}
	for _, e := range entries {
		keep[e.File] = true
	}
	for _, e := range old.Entries {
		if e.Kind == KindGenerated && !keep[e.File] {
			if err := os.Remove(filepath.Join(dir, e.File)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
	}
	return entries, writeManifest(dir, entries)
}

// Generate writes the trace of s to w in format f and returns its event count.
func Generate(w io.Writer, f traces.Format, s Spec) (int64, error) {
	wl := workload.Lookup(s.Workload)
	if wl == nil {
		return 0, fmt.Errorf("corpus %s: unknown workload %q", s.Name, s.Workload)
	}
	tw, err := traces.NewWriter(w, f, workload.Meta(wl, s.Params))
	if err != nil {
		return 0, err
	}
	n, err := wl.Generate(s.Params, tw)
	if err != nil {
		return 0, fmt.Errorf("corpus %s: %v", s.Name, err)
	}
	return n, tw.Close()
}

func generate(dir string, s Spec) (Entry, error) {
	if !ValidName(s.Name) {
		return Entry{}, fmt.Errorf("corpus: bad name %q", s.Name)
	}
	var buf bytes.Buffer
	n, err := Generate(&buf, traces.FormatBinary, s)
	if err != nil {
		return Entry{}, err
	}
	file := s.Name + Ext
	data := buf.Bytes()
	if err := atomicfile.Write(filepath.Join(dir, file), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		return Entry{}, err
	}
	full, _ := workload.Lookup(s.Workload).Resolve(s.Params)
	sum := sha256.Sum256(data)
	return Entry{
		Name: s.Name, File: file, Kind: KindGenerated, Description: s.Description,
		Workload: s.Workload, Params: full, Seed: full["seed"],
		Events: n, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
	}, nil
}
