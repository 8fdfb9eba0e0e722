package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lazybench/lazybench/arch"
	_ "github.com/lazybench/lazybench/arch/all"
	"github.com/lazybench/lazybench/corpus"
	"github.com/lazybench/lazybench/internal/atomicfile"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/record"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

func init() {
	register(&command{
		name:    "record",
		summary: "find kprobe points in a kernel image (record probes|vmlinux); see docs/recording.md",
		run:     runRecord,
	})
}

func runRecord(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("record: want a subcommand: probes, vmlinux, corpus or compare")
	}
	switch args[0] {
	case "probes":
		return runRecordProbes(args[1:], stdout, stderr)
	case "vmlinux":
		return runRecordVmlinux(args[1:], stdout, stderr)
	case "corpus":
		return runRecordCorpus(args[1:], stdout, stderr)
	case "compare":
		return runRecordCompare(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, "usage: lazybench record probes --vmlinux FILE --kallsyms FILE [-o probes.txt]")
		fmt.Fprintln(stdout, "       lazybench record vmlinux --image vmlinuz -o vmlinux")
		fmt.Fprintln(stdout, "       lazybench record corpus --dir DIR --name NAME --file FILE [provenance flags]")
		fmt.Fprintln(stdout, "       lazybench record compare --raw FTRACE --trace LMT --probes FILE   (arm64: kernel vs model barriers)")
		return nil
	}
	return usagef("record: unknown subcommand %q (want probes, vmlinux, corpus or compare)", args[0])
}

// loadVmlinux reads a vmlinux ELF or a compressed kernel image.
func loadVmlinux(path string, stderr io.Writer) ([]byte, error) {
	img, err := readFileMax(path, maxInputFile, record.SniffImage)
	if err != nil {
		return nil, err
	}
	vm, how, err := record.ExtractVmlinux(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	fmt.Fprintf(stderr, "lazybench record: %s: vmlinux from %s (%d bytes)\n", path, how, len(vm))
	return vm, nil
}

func runRecordVmlinux(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("record vmlinux", stderr)
	image := fs.String("image", "", "kernel image (bzImage/vmlinuz or vmlinux)")
	out := fs.String("o", "", "output ELF vmlinux")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *image == "" || *out == "" || fs.NArg() != 0 {
		return usagef("record vmlinux: want --image FILE -o FILE")
	}
	vm, err := loadVmlinux(*image, stderr)
	if err != nil {
		return err
	}
	return atomicfile.Write(*out, func(w io.Writer) error { _, err := w.Write(vm); return err })
}

func runRecordProbes(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("record probes", stderr)
	vmlinux := fs.String("vmlinux", "", "kernel image: ELF vmlinux or vmlinuz/bzImage (xz payloads need the xz program)")
	kallsyms := fs.String("kallsyms", "/proc/kallsyms", "symbol table of the same kernel booted with nokaslr: /proc/kallsyms text or System.map")
	out := fs.String("o", "", "output probes file (default stdout)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *vmlinux == "" || fs.NArg() != 0 {
		return usagef("record probes: want --vmlinux FILE [--kallsyms FILE] [-o FILE]")
	}
	res, err := discoverProbes(*vmlinux, *kallsyms, stderr)
	if err != nil {
		return err
	}
	for _, l := range res.Lines() {
		if err := record.ValidateKprobeLine(l); err != nil {
			return fmt.Errorf("internal error: emitted an invalid kprobe line %q: %v", l, err)
		}
	}
	for _, s := range res.Summary() {
		fmt.Fprintf(stderr, "lazybench record: %s\n", s)
	}
	if len(res.Probes) == 0 {
		return fmt.Errorf("%s: no probe point found", *vmlinux)
	}
	write := func(w io.Writer) error { return res.WriteProbes(w, *vmlinux) }
	if *out == "" {
		return write(stdout)
	}
	return atomicfile.Write(*out, write)
}

// readKallsyms parses a kallsyms file.
func readKallsyms(path string) (*record.Symbols, error) {
	kf, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer kf.Close()
	return record.ParseKallsyms(kf, path)
}

// discoverProbes runs the probe discovery of the image's arch: arm64's on
// a raw arm64 Image, x86-64's on a bzImage or ELF vmlinux. The image is read
// (and unpacked) before the symbols.
func discoverProbes(path, kallsyms string, stderr io.Writer) (*record.Result, error) {
	img, err := readFileMax(path, maxInputFile, record.SniffImage)
	if err != nil {
		return nil, err
	}
	if record.IsARM64Image(img) {
		syms, err := readKallsyms(kallsyms)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "lazybench record: %s: arm64 Image (%d bytes)\n", path, len(img))
		im, err := record.NewARM64Image(img, syms)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		res, err := record.DiscoverARM64(im)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return res, nil
	}
	vm, how, err := record.ExtractVmlinux(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	fmt.Fprintf(stderr, "lazybench record: %s: vmlinux from %s (%d bytes)\n", path, how, len(vm))
	ef, err := elf.NewFile(bytes.NewReader(vm))
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid ELF file: %v", path, err)
	}
	syms, err := readKallsyms(kallsyms)
	if err != nil {
		return nil, err
	}
	im, err := record.NewImage(ef, syms)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	res, err := record.Discover(im)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return res, nil
}

// paramFlag collects repeated --param KEY=N flags.
type paramFlag map[string]int64

func (p paramFlag) String() string { return fmt.Sprint(map[string]int64(p)) }

func (p paramFlag) Set(v string) error {
	k, n, ok := strings.Cut(v, "=")
	x, err := strconv.ParseInt(n, 10, 64)
	if !ok || k == "" || err != nil {
		return fmt.Errorf("want KEY=INTEGER, got %q", v)
	}
	p[k] = x
	return nil
}

// runRecordCorpus adds (or replaces) the manifest entry of a recorded trace
// already written into the corpus directory: it reads the trace to count its
// events and hashes the file, then rewrites manifest.json (entries sorted by
// name, as make traces writes it).
func runRecordCorpus(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("record corpus", stderr)
	dir := fs.String("dir", "corpus", "corpus `directory` (holds manifest.json)")
	name := fs.String("name", "", "trace name ([a-z0-9_-]+)")
	file := fs.String("file", "", "trace file name inside the corpus directory")
	desc := fs.String("description", "", "one-line description")
	workload := fs.String("workload", "", "what ran while recording")
	kernel := fs.String("kernel", "", "kernel version")
	qemu := fs.String("qemu", "", "emulator, version, machine")
	probes := fs.String("probes", "", "the probes that were set (space-separated summary items)")
	date := fs.String("date", "", "when it was recorded (RFC 3339)")
	command := fs.String("command", "", "the command that recorded it")
	params := paramFlag{}
	fs.Var(params, "param", "workload parameter `KEY=N` (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" || *file == "" || fs.NArg() != 0 {
		return usagef("record corpus: want --name NAME --file FILE")
	}
	if !corpus.ValidName(*name) {
		return usagef("record corpus: name %q must be [a-z0-9_-]+ and not end in -<digits>", *name)
	}
	if filepath.Base(*file) != *file || !strings.Contains(*file, ".lmt") {
		return usagef("record corpus: --file must be a .lmt* file name inside --dir, not %q", *file)
	}
	path := filepath.Join(*dir, *file)
	data, err := readFileMax(path, maxInputFile, nil)
	if err != nil {
		return err
	}
	r, err := traces.NewBytesReader(data, path)
	if err != nil {
		return err
	}
	var n int64
	for r.Next() {
		n++
	}
	if err := r.Err(); err != nil {
		return err
	}
	if c, ok := r.(io.Closer); ok {
		c.Close()
	}
	var idx corpus.Index
	if _, err := os.Stat(filepath.Join(*dir, corpus.ManifestFile)); err == nil {
		if idx, err = corpus.ParseManifest(os.DirFS(*dir), corpus.ManifestFile); err != nil {
			return err
		}
	} else if !errors.Is(err, errNotExist) {
		return err
	}
	idx.Version = 1
	sum := sha256.Sum256(data)
	e := corpus.Entry{
		Name: *name, File: *file, Kind: corpus.KindRecorded, Description: *desc,
		Workload: *workload, Events: n, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
		Kernel: *kernel, QEMU: *qemu, Probes: strings.Fields(*probes), Date: *date, Command: *command,
	}
	if len(params) > 0 {
		e.Params = params
	}
	out := idx.Entries[:0:0]
	for _, old := range idx.Entries {
		if old.Name == e.Name || old.File == e.File {
			if old.Kind != corpus.KindRecorded {
				return fmt.Errorf("%s: %s is a generated entry; pick another name", corpus.ManifestFile, old.Name)
			}
			continue
		}
		out = append(out, old)
	}
	idx.Entries = append(out, e)
	slices.SortFunc(idx.Entries, func(a, b corpus.Entry) int { return strings.Compare(a.Name, b.Name) })
	js, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	js = append(js, '\n')
	if err := atomicfile.Write(filepath.Join(*dir, corpus.ManifestFile), func(w io.Writer) error {
		_, err := w.Write(js)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %s, %d events, %d bytes\n", corpus.ManifestFile, e.Name, e.Events, e.Bytes)
	return nil
}

var errNotExist = iofs.ErrNotExist

// maxInputFile bounds what record reads whole into memory: a kernel image or
// a corpus trace (a distribution's vmlinuz is about 10 MiB, a vmlinux a few
// hundred).
const maxInputFile = 1 << 30

// readFileMax reads path whole, or fails naming it if it holds more than max
// bytes, instead of allocating without bound. A regular file's size is
// checked before reading (and read into one allocation); a stream (a device,
// a FIFO) is read up to max+1 bytes, after its first bytes pass sniff (nil:
// no check), so that /dev/zero is refused at once: it was read to the cap,
// 1 GiB in 34 s with 2.1 GB of memory.
func readFileMax(path string, max int64, sniff func(head []byte) error) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Mode().IsRegular() {
		if fi.Size() > max {
			return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
		}
		data := make([]byte, fi.Size())
		if _, err := io.ReadFull(f, data); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return data, nil
	}
	br := bufio.NewReaderSize(f, 64<<10)
	if sniff != nil {
		head, _ := br.Peek(64 << 10)
		if err := sniff(head); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	data, err := io.ReadAll(io.LimitReader(br, max+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, max)
	}
	return data, nil
}

// modelBarriers attributes the arm64 model's barrier pairs to the events
// that caused them (a replay.Observer reading the backend's counter).
type modelBarriers struct {
	st      *arch.Stats
	strs    func() []string
	last    uint64
	inline  int64 // at disables whose probe carried depth= (inline strb sites)
	outline int64 // at disables through an out-of-line copy's call site
	now     int64 // at updates (outside lazy mode)
	other   int64 // at anything else (flush, switch, end of trace)
	leaves  [2]int64
}

func (m *modelBarriers) Step(i int64, e *traces.Event, s *replay.StepInfo) {
	n := m.st.Ops[arch.Barriers]
	d := int64(n - m.last)
	m.last = n
	switch {
	case e.Op == traces.OpDisable:
		inline := 0
		if x := m.strs(); int(e.Extra) < len(x) && e.Extra != 0 && strings.HasPrefix(x[e.Extra], "depth=") {
			inline = 1
		}
		m.leaves[inline]++
		if inline == 1 {
			m.inline += d
		} else {
			m.outline += d
		}
	case e.Op.IsUpdate():
		m.now += d
	default:
		m.other += d
	}
}

func (m *modelBarriers) End(n int64, s *replay.EndInfo) {
	m.other += int64(m.st.Ops[arch.Barriers] - m.last)
}

// runRecordCompare prints the kernel's barrier pairs (counted by the
// barrier probes in the raw ftrace text) beside the arm64 model's on the
// imported trace under upstream, by where they happen, with the difference
// and its cause. It fails when the two differ where the kernel's pairs are
// observed (the leaves).
func runRecordCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("record compare", stderr)
	raw := fs.String("raw", "", "the raw ftrace text of the recording")
	trace := fs.String("trace", "", "the trace imported from it (--arch arm64)")
	probes := fs.String("probes", "", "the probes file used (for TIF_LAZY_MMU_PENDING's bit)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *raw == "" || *trace == "" || *probes == "" || fs.NArg() != 0 {
		return usagef("record compare: want --raw FILE --trace FILE --probes FILE")
	}
	pf, err := os.Open(*probes)
	if err != nil {
		return err
	}
	bit, err := record.PendingBit(pf)
	pf.Close()
	if err != nil {
		return fmt.Errorf("%s: %v", *probes, err)
	}
	rf, err := os.Open(*raw)
	if err != nil {
		return err
	}
	k, err := record.CountKernelBarriers(rf, *raw, bit)
	rf.Close()
	if err != nil {
		return err
	}
	r, c, err := traces.Open(*trace)
	if err != nil {
		return err
	}
	defer c.Close()
	be, err := arch.New("arm64", nil)
	if err != nil {
		return err
	}
	m := &modelBarriers{st: be.Stats(), strs: r.Strings}
	res, err := replay.Run(r, replay.Config{Backend: be, Strategy: lazymmu.Upstream, Observer: m})
	if err != nil {
		return fmt.Errorf("%s: %v", *trace, err)
	}
	total := res.ArchOps[arch.Barriers.String()]
	fmt.Fprintf(stdout, "dsb ishst; isb pairs            kernel  model  difference\n")
	row := func(what string, kern, model int64, known bool) {
		ks, ds := strconv.FormatInt(kern, 10), strconv.FormatInt(kern-model, 10)
		if !known {
			ks, ds = "-", "-"
		}
		fmt.Fprintf(stdout, "%-32s %6s %6d  %s\n", what, ks, model, ds)
	}
	row(fmt.Sprintf("leave, inline (%d)", m.leaves[1]), k.Flush, m.inline, true)
	row(fmt.Sprintf("leave, out-of-line copy (%d)", m.leaves[0]), k.RetPair, m.outline, true)
	row("kernel PTE write, not lazy", 0, m.now, false)
	row("other (flush, switch, end)", 0, m.other, false)
	fmt.Fprintf(stdout, "model total (arm64/upstream): %d\n", total)
	fmt.Fprintf(stdout, "kernel pairs outside lazy mode in traceable functions (barrier_now): %d\n", k.Now)
	sites := make([]string, 0, len(k.NowBySite))
	for s := range k.NowBySite {
		sites = append(sites, s)
	}
	slices.Sort(sites)
	for _, s := range sites {
		fmt.Fprintf(stdout, "  %-40s %d\n", s, k.NowBySite[s])
	}
	fmt.Fprintf(stdout, "out-of-line leaves probed on return: %d of %d (the others' return address is a branch target)\n", k.Ret, m.leaves[0])
	fmt.Fprintln(stdout, "why '-': the immediate pair of a kernel PTE write sits in the notrace __set_ptes_anysz copies,")
	fmt.Fprintln(stdout, "  which kprobes refuse; barrier_now counts the pairs of traceable functions instead, mostly page-table")
	fmt.Fprintln(stdout, "  page links (__pmd_alloc, pmd_install, ...: set_pmd/set_pud, not modeled: docs/arch/arm64.md rule 12).")
	if k.Flush != m.inline || k.Ret == m.leaves[0] && k.RetPair != m.outline {
		return fmt.Errorf("the kernel's leave barriers differ from the model's (inline %d vs %d, out-of-line %d vs %d)", k.Flush, m.inline, k.RetPair, m.outline)
	}
	return nil
}
