package ftrace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lazybench/lazybench/internal/golden"

	"github.com/lazybench/lazybench/traces"
)

// importText imports src into the text format and returns the trace text.
func importText(t testing.TB, src []byte, opt Options) (string, *Summary, error) {
	t.Helper()
	var out bytes.Buffer
	w, err := traces.NewTextWriter(&out, DefaultMeta(traces.Meta{Arch: opt.Arch}, "test"))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Import(bytes.NewReader(src), w, opt)
	if cerr := w.Close(); err == nil && cerr != nil {
		t.Fatal(cerr)
	}
	return out.String(), sum, err
}

// TestGolden imports every testdata/*.ftrace (options from the name: _allowlost,
// _clamp, _arm64 for --arch arm64, _trim for --trim-irqs; probe sites from NAME.probes when present) and compares the text trace and the summary report with the .golden
// file. go test -update rewrites them.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.ftrace")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			opt := Options{
				Name:      filepath.Base(file),
				AllowLost: strings.Contains(file, "_allowlost"),
				Clamp:     strings.Contains(file, "_clamp"),
			}
			if strings.Contains(file, "_arm64") {
				opt.Arch = "arm64"
			}
			opt.TrimIRQs = strings.Contains(file, "_trim")
			// NAME.probes: the probes file the trace was recorded with
			// (trace-cmd report prints sites as addresses).
			opt.Sites, err = LoadProbeSites(strings.TrimSuffix(file, ".ftrace") + ".probes")
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			text, sum, err := importText(t, src, opt)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			got.WriteString(text)
			got.WriteString("# ---- summary ----\n")
			sum.WriteReport(&got, opt.Name)
			golden.Check(t, strings.TrimSuffix(file, ".ftrace")+".golden", got.Bytes())
			// The output is a valid trace that reads back.
			checkReadBack(t, text)
		})
	}
}

// checkReadBack reads a text trace back and checks per-CPU time order.
func checkReadBack(t testing.TB, text string) int {
	t.Helper()
	r := traces.NewTextReader(strings.NewReader(text), "out")
	last := map[uint32]uint64{}
	n := 0
	for r.Next() {
		ev := r.Event()
		if ev.Time < last[ev.CPU] {
			t.Fatalf("cpu %d: time %d after %d", ev.CPU, ev.Time, last[ev.CPU])
		}
		last[ev.CPU] = ev.Time
		n++
	}
	if err := r.Err(); err != nil {
		t.Fatalf("output does not read back: %v\n%s", err, text)
	}
	return n
}

// TestFields checks the decoded fields of single lines exactly.
func TestFields(t *testing.T) {
	const pre = "  workload-123     [001] d..1.  1234.567892: "
	tests := []struct {
		name, line string
		want       string // the text trace line
	}{
		{"user set with addr", pre + "pte_set3: (copy_page_range+0x7af/0x1400) ptep=0xffff888004c2d008 val=0x8000000012345067 addr=0x7f0000001000",
			"1234567892000 1 123 set addr=0x7f0000001000 site=copy_page_range"},
		{"kernel set (no user bit)", pre + "pte_set0: (vmap_pte_range+0x10/0x100) ptep=0xffff888004c2d008 val=0x8000000012345163 addr=0xffffc90000001000",
			"1234567892000 1 123 set addr=0xffffc90000001000 mm=0 site=vmap_pte_range"},
		{"derived addr, index 1", pre + "pte_set0: (f+0x1/0x2) ptep=0xffff888004c2d008 val=0x67",
			"1234567892000 1 123 set addr=0x100000001000 site=f addr_derived=1"},
		{"set of a non-present value", pre + "pte_set0: (f+0x1/0x2) ptep=0xffff888004c2d008 val=0x0 addr=0x1000",
			"1234567892000 1 123 set addr=0x1000 valid=0 site=f"},
		{"set u64 decimal val", pre + "pte_set0: (f+0x1/0x2) ptep=0xffff888004c2d008 val=103 addr=0x1000",
			"1234567892000 1 123 set addr=0x1000 site=f"},
		{"clear, old present", pre + "pte_clear0: (f+0x1/0x2) ptep=0xffff888004c2d000 old=0x8000000012345067 addr=0x2000",
			"1234567892000 1 123 clear addr=0x2000 site=f"},
		{"clear, old not present", pre + "pte_clear0: (f+0x1/0x2) ptep=0xffff888004c2d000 old=0x0 addr=0x2000",
			"1234567892000 1 123 clear addr=0x2000 was=0 site=f"},
		{"clear, kernel by addr", pre + "pte_clear0: (f+0x1/0x2) addr=0xffffc90000002000",
			"1234567892000 1 123 clear addr=0xffffc90000002000 mm=0 site=f"},
		{"getclear full", pre + "pte_getclear_full_1: (f+0x1/0x2) ptep=0xffff888004c2d000 old=0x8000000012345067 addr=0x2000",
			"1234567892000 1 123 getclear addr=0x2000 full=1 site=f"},
		{"commit to PROT_NONE", pre + "pte_commit: (f+0x1/0x2) ptep=0xffff888004c2d000 val=0x8000000012345124 old=0x8000000012345067 addr=0x3000",
			"1234567892000 1 123 modify addr=0x3000 valid=0 site=f"},
		{"wrprotect", pre + "pte_wrprotect12: (f+0x1/0x2) ptep=0xffff888004c2d000 old=0x8000000012345067 addr=0x3000",
			"1234567892000 1 123 wrprotect addr=0x3000 site=f"},
		{"pmd with PSE", pre + "pte_set2: (f+0x1/0x2) ptep=0xffff888004c2d000 val=0x80000000400001e7 level=2 addr=0x40000000",
			"1234567892000 1 123 set addr=0x40000000 shift=21 site=f"},
		{"pte level bit 7 is PAT", pre + "pte_set2: (f+0x1/0x2) ptep=0xffff888004c2d000 val=0x80000000400000e7 addr=0x40000000",
			"1234567892000 1 123 set addr=0x40000000 site=f"},
		{"nr", pre + "pte_set2: (f+0x1/0x2) ptep=0xffff888004c2d000 val=0x67 addr=0x40000000 nr=16",
			"1234567892000 1 123 set addr=0x40000000 nr=16 site=f"},
		{"lazy enter", pre + "lazy_enter_7: (zap_pte_range+0x1/0x2)",
			"1234567892000 1 123 enable site=zap_pte_range"},
		{"site without offset", pre + "lazy_leave: (0xffffffff81234567)",
			"1234567892000 1 123 disable site=0xffffffff81234567"},
		{"switch", pre + "sched_switch: prev_comm=a b prev_pid=123 prev_prio=120 prev_state=S ==> next_comm=c next_pid=9 next_prio=120",
			"1234567892000 1 123 switch next=9"},
		{"switch, comm faking next_pid", pre + "sched_switch: prev_comm=next_pid=5 prev_pid=123 prev_prio=120 prev_state=S ==> next_comm=x next_pid=6 next_prio=120",
			"1234567892000 1 123 switch next=6"},
		{"marker", pre + "tracing_mark_write:   mprotect  phase 2 ",
			"1234567892000 1 123 mark name=mprotect_phase_2"},
		{"no irq-info", "  workload-123     [001] 1234.567892: lazy_enter: (f+0x1/0x2)",
			"1234567892000 1 123 enable site=f"},
		{"tgid", "  workload-123  (   100) [001] d..1. 1234.567892: pte_set0: (f+0x1/0x2) ptep=0xffff888004c2d008 val=0x67 addr=0x1000",
			"1234567892000 1 123 set addr=0x1000 site=f"},
		{"task with spaces, dashes, brackets", "  a-b [2] c-d-77  (  70) [003] .... 1.5: lazy_enter: (f+0x1/0x2)",
			"1500000000 3 77 enable site=f"},
		{"nanosecond timestamp", "  w-1 [000] .... 7.000000001: lazy_enter: (f+0x1/0x2)",
			"7000000001 0 1 enable site=f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, _, err := importText(t, []byte(tc.line+"\n"), Options{Name: "x"})
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(text), "\n")
			if got := lines[len(lines)-1]; got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// TestFieldsArm64 checks arm64's PTE bits: valid bit 0, PTE_USER bit 6, an
// execute-only user entry (no PTE_USER, PTE_UXN bit 54 clear), a kernel
// entry (PTE_UXN and PTE_PXN set), a level-2 block (bits[1:0] = 01), and
// that x86's user bit 2 means nothing there. The same lines under x86_64
// give the opposite answers where the bits differ.
func TestFieldsArm64(t *testing.T) {
	const pre = "  w-7 [000] d.... 62.336853: "
	tests := []struct {
		name, line, arm64, x86 string
	}{
		{"user (PTE_USER)", "pte_set0: (f+0x1/0x2) ptep=0xfff0000007ca4960 val=0xe8000048041c43 addr=0x1000",
			"62336853000 0 7 set addr=0x1000 site=f", "62336853000 0 7 set addr=0x1000 mm=0 site=f"},
		{"kernel vmalloc (UXN, PXN)", "pte_set0: (f+0x1/0x2) ptep=0xfff000000417b680 val=0xe8000046120403 addr=0xffff800080001000",
			"62336853000 0 7 set addr=0xffff800080001000 mm=0 site=f", "62336853000 0 7 set addr=0xffff800080001000 mm=0 site=f"},
		{"user execute-only (UXN clear)", "pte_set0: (f+0x1/0x2) ptep=0xfff000000417b680 val=0x20000046120f83 addr=0x2000",
			"62336853000 0 7 set addr=0x2000 site=f", "62336853000 0 7 set addr=0x2000 mm=0 site=f"},
		{"x86 user bit 2 is not user on arm64", "pte_set0: (f+0x1/0x2) ptep=0xfff000000417b680 val=0x60000046120407 addr=0x3000",
			"62336853000 0 7 set addr=0x3000 mm=0 site=f", "62336853000 0 7 set addr=0x3000 site=f"},
		{"invalid entry: address decides", "pte_getclear0: (f+0x1/0x2) ptep=0xfff000000417b680 old=0x0 addr=0xffff800080002000",
			"62336853000 0 7 getclear addr=0xffff800080002000 mm=0 was=0 site=f", "62336853000 0 7 getclear addr=0xffff800080002000 mm=0 was=0 site=f"},
		{"level-2 block", "pte_set0: (f+0x1/0x2) ptep=0xfff000000417b680 val=0x60000046200441 level=2 addr=0x40000000",
			"62336853000 0 7 set addr=0x40000000 shift=21 site=f", "62336853000 0 7 set addr=0x40000000 mm=0 site=f"},
		{"level-2 table", "pte_set0: (f+0x1/0x2) ptep=0xfff000000417b680 val=0x60000046200443 level=2 addr=0x40000000",
			"62336853000 0 7 set addr=0x40000000 site=f", "62336853000 0 7 set addr=0x40000000 mm=0 site=f"},
	}
	for _, tc := range tests {
		for _, arch := range Arches {
			want := map[string]string{"arm64": tc.arm64, "x86_64": tc.x86}[arch]
			t.Run(tc.name+"/"+arch, func(t *testing.T) {
				text, _, err := importText(t, []byte(pre+tc.line+"\n"), Options{Name: "x", Arch: arch})
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimSpace(text), "\n")
				if got := lines[len(lines)-1]; got != want {
					t.Errorf("got  %q\nwant %q", got, want)
				}
			})
		}
	}
}

// TestArchFromHeader checks the arch taken from the recorder's marker.
func TestArchFromHeader(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ text, want string }{
		{"  init-1 [000] ...2. 1.0: tracing_mark_write: lazybench arch=aarch64 start mb=1\n", "arm64"},
		{"  init-1 [000] ...2. 1.0: tracing_mark_write: lazybench arch=x86_64 start mb=1\n", "x86_64"},
		{"  init-1 [000] ...2. 1.0: tracing_mark_write: lazybench arch=mips start\n", ""},
		{"  init-1 [000] ...2. 1.0: tracing_mark_write: lazybench start mb=1\n", ""},
	} {
		p := filepath.Join(dir, "t.txt")
		if err := os.WriteFile(p, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := ArchFromHeader(p); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
	if _, err := Import(strings.NewReader(""), nil, Options{Arch: "mips"}); err == nil {
		t.Error("unknown arch accepted")
	}
}

// TestMalformed checks every malformed-line case and its exact message.
func TestMalformed(t *testing.T) {
	const pre = "  w-12 [001] d..1. 10.000001: "
	tests := []struct {
		name, input string
		opt         Options
		want        string
	}{
		{"garbage", "hello world\n", Options{}, "in:1: " + headMsg},
		{"no timestamp", "  w-12 [001] d..1. lazy_enter: (f+0x1/0x2)\n", Options{}, "in:1: " + headMsg},
		{"integer timestamp", "  w-12 [001] d..1. 10: lazy_enter: (f)\n", Options{}, "in:1: " + headMsg},
		{"too many fraction digits", "  w-12 [001] d..1. 10.0000000001: lazy_enter: (f)\n", Options{}, "in:1: " + headMsg},
		{"no pid", "  w [001] d..1. 10.000001: lazy_enter: (f)\n", Options{}, "in:1: " + headMsg},
		{"bad tgid", "  w-12 (abc) [001] d..1. 10.000001: lazy_enter: (f)\n", Options{}, "in:1: " + headMsg},
		{"no body", "  w-12 [001] d..1. 10.000001: \n", Options{}, "in:1: " + headMsg},
		{"cpu out of range", "  w-12 [4096] d..1. 10.000001: lazy_enter: (f)\n", Options{}, "in:1: cpu 4096 out of range (max 4095)"},
		{"pid out of range", "  w-4294967296 [001] d..1. 10.000001: lazy_enter: (f)\n", Options{}, "in:1: pid 4294967296 out of range"},
		{"timestamp out of range", "  w-1 [001] d..1. 99999999999999999.5: lazy_enter: (f)\n", Options{}, "in:1: timestamp 99999999999999999.5 out of range"},
		{"set without val", pre + "pte_set3: (f+0x1/0x2) ptep=0xffff888004c2d008\n", Options{}, "in:1: pte_set3: missing val="},
		{"set without ptep or addr", pre + "pte_set3: (f+0x1/0x2) val=0x67\n", Options{}, "in:1: pte_set3: missing ptep= (and no addr=)"},
		{"clear without ptep", "\n" + pre + "pte_clear: (f+0x1/0x2) old=0x67\n", Options{}, "in:2: pte_clear: missing ptep= (and no addr=)"},
		{"bad hex", pre + "pte_set3: (f+0x1/0x2) ptep=0xfffg val=0x67\n", Options{}, `in:1: pte_set3: bad ptep= value "0xfffg"`},
		{"hex too long", pre + "pte_set3: (f+0x1/0x2) ptep=0x10000000000000000 val=0x67\n", Options{}, `in:1: pte_set3: bad ptep= value "0x10000000000000000"`},
		{"bad decimal", pre + "pte_set3: (f+0x1/0x2) ptep=12x val=0x67\n", Options{}, `in:1: pte_set3: bad ptep= value "12x"`},
		{"empty value", pre + "pte_set3: (f+0x1/0x2) ptep= val=0x67\n", Options{}, `in:1: pte_set3: bad ptep= value ""`},
		{"misaligned ptep", pre + "pte_set3: (f+0x1/0x2) ptep=0xffff888004c2d004 val=0x67\n", Options{}, "in:1: pte_set3: ptep=0xffff888004c2d004 is not 8-byte aligned"},
		{"nr zero", pre + "pte_set3: (f+0x1/0x2) ptep=0xffff888004c2d008 val=0x67 nr=0\n", Options{}, "in:1: pte_set3: nr=0 out of range (1..1048576)"},
		{"level 3", pre + "pte_set3: (f+0x1/0x2) ptep=0xffff888004c2d008 val=0x67 level=3\n", Options{}, "in:1: pte_set3: level=3 not supported (1 = PTE, 2 = PMD)"},
		{"unterminated site", pre + "lazy_enter: (f+0x1/0x2\n", Options{}, "in:1: lazy_enter: unterminated (SITE)"},
		{"switch without next_pid", pre + "sched_switch: prev_comm=a prev_pid=12 ==> next_comm=b\n", Options{}, `in:1: sched_switch: missing next_pid= (or trace-cmd's "==> NEXT:PID")`},
		{"plugin switch without pid", pre + "sched_switch: a:12 [120] R ==> b [120]\n", Options{}, `in:1: sched_switch: missing next_pid= (or trace-cmd's "==> NEXT:PID")`},
		{"trace-cmd dropped events", pre + "lazy_enter: (f)\nCPU:1 [42 EVENTS DROPPED]\n", Options{},
			"in:2: cpu 1 dropped 42 events: the trace is incomplete (ring buffer overrun); record with a larger buffer_size_kb or pass --allow-lost"},
		{"trace-cmd dropped, count unknown", "CPU:0 [EVENTS DROPPED]\n", Options{},
			"in:1: cpu 0 dropped events (count unknown): the trace is incomplete (ring buffer overrun); record with a larger buffer_size_kb or pass --allow-lost"},
		{"malformed dropped marker", "CPU:1 [x EVENTS DROPPED]\n", Options{AllowLost: true}, `in:1: malformed dropped-events marker "CPU:1 [x EVENTS DROPPED]"`},
		{"bad trace-cmd header", "cpus=two\n", Options{}, "in:1: " + headMsg},
		{"prev_depth 0 on a disable", pre + "lazy_leave3: (f) prev_depth=0\n", Options{}, "in:1: lazy_leave3: prev_depth=0 on a disable (the count would go below 0)"},
		{"prev_depth out of range", pre + "lazy_enter3: (f) prev_depth=256\n", Options{}, "in:1: lazy_enter3: prev_depth=256 out of range (a u8 count)"},
		{"prev_depth disagrees", pre + "lazy_enter3: (f) prev_depth=0\n" + pre + "lazy_enter3: (f) prev_depth=0\n", Options{},
			"in:2: lazy_enter3: depth=1, but task 12's nesting count after this event is 2 (a missed enable or disable probe?)"},
		{"prev_depth on a flush", pre + "lazy_flush: (f) prev_depth=1\n", Options{}, "in:1: lazy_flush: depth= on an event that is not an enable or a disable"},
		{"switch next_pid range", pre + "sched_switch: next_pid=4294967296\n", Options{}, "in:1: sched_switch: next_pid=4294967296 out of range"},
		{"empty marker", pre + "tracing_mark_write:   \n", Options{}, "in:1: tracing_mark_write: empty marker"},
		{"lost events", pre + "lazy_enter: (f)\nCPU:1 [LOST 42 EVENTS]\n", Options{},
			"in:2: cpu 1 lost 42 events: the trace is incomplete (ring buffer overrun); record with a larger buffer_size_kb or pass --allow-lost"},
		{"malformed lost marker", "CPU:x [LOST 42 EVENTS]\n", Options{}, `in:1: malformed lost-events marker "CPU:x [LOST 42 EVENTS]"`},
		{"overwritten entries", "# entries-in-buffer/entries-written: 10/25   #P:2\n", Options{},
			"in:1: entries-in-buffer 10 < entries-written 25 (15 events overwritten): the trace is incomplete (ring buffer overrun); record with a larger buffer_size_kb or pass --allow-lost"},
		{"malformed entries header", "# entries-in-buffer/entries-written: x/25\n", Options{}, `in:1: malformed entries-in-buffer header "# entries-in-buffer/entries-written: x/25"`},
		{"buffer started late", "##### CPU 1 buffer started ####\n", Options{},
			"in:1: CPU 1 buffer started late (its older events were overwritten): the trace is incomplete (ring buffer overrun); record with a larger buffer_size_kb or pass --allow-lost"},
		{"time goes back", pre + "lazy_enter: (f)\n  w-12 [001] d..1. 10.000000: lazy_leave: (f)\n", Options{},
			"in:2: cpu 1: time 10.000000000 goes back before 10.000001000 of line 1 (trace_pipe reordering?); pass --clamp to clamp it"},
		{"lost marker without count", "CPU:1 [LOST EVENTS]\n", Options{AllowLost: true}, `in:1: malformed lost-events marker "CPU:1 [LOST EVENTS]"`},
		{"depth mismatch", pre + "lazy_enter: (f) depth=1\n" + pre + "lazy_enter: (f) depth=1\n", Options{},
			"in:2: lazy_enter: depth=1, but task 12's nesting count after this event is 2 (a missed enable or disable probe?)"},
		{"depth counts a disable without depth=", pre + "lazy_enter: (f) depth=2\n" + pre + "lazy_leave: (f)\n" + pre + "lazy_leave: (f) depth=1\n", Options{},
			"in:3: lazy_leave: depth=1, but task 12's nesting count after this event is 0 (a missed enable or disable probe?)"},
		{"depth on a flush", pre + "lazy_flush: (f) depth=1\n", Options{}, "in:1: lazy_flush: depth= on an event that is not an enable or a disable"},
		{"depth out of range", pre + "lazy_enter: (f) depth=256\n", Options{}, "in:1: lazy_enter: depth=256 out of range (a u8 count)"},
		{"long line", pre + "lazy_enter: (f) " + strings.Repeat("x", traces.MaxLineLen) + "\n", Options{}, "in:1: line longer than 65536 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.Name = "in"
			_, _, err := importText(t, []byte(tc.input), tc.opt)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			var te *traces.Error
			if !errors.As(err, &te) {
				t.Fatalf("error %T %v is not a *traces.Error", err, err)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %q\nwant %q", err.Error(), tc.want)
			}
		})
	}
}

func TestSkippedBounded(t *testing.T) {
	var b strings.Builder
	for i := 0; i < maxSkippedNames+10; i++ {
		b.WriteString("  w-1 [000] .... 1.000001: ev")
		b.WriteString(strings.Repeat("a", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(strings.Repeat("b", i/26))
		b.WriteString(": x=1\n")
	}
	_, sum, err := importText(t, []byte(b.String()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Skipped) != maxSkippedNames+1 || sum.Skipped[otherName] != 10 {
		t.Errorf("skipped: %d names, %d other; want %d names, 10 other", len(sum.Skipped), sum.Skipped[otherName], maxSkippedNames+1)
	}
}

func TestRecognised(t *testing.T) {
	for in, want := range map[string]string{"pte_set3": "pte_set", "pte_getclear_full_12": "pte_getclear_full", "lazy_enter": "lazy_enter"} {
		if got, ok := Recognised(in); !ok || got != want {
			t.Errorf("Recognised(%q) = %q, %v", in, got, ok)
		}
	}
	if _, ok := Recognised("sched_wakeup"); ok {
		t.Error("sched_wakeup recognised")
	}
}

// TestImportFile checks the file-to-file path: atomic output, nothing written
// on error.
func TestImportFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.lmt.txt")
	sum, err := ImportFile("testdata/fork_trace.ftrace", nil, out, traces.FormatUnknown, traces.Meta{Workload: "fork"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := checkReadBack(t, string(data)); int64(n) != sum.Events || n != 20 {
		t.Errorf("read back %d events, summary %d, want 20", n, sum.Events)
	}
	if !strings.Contains(string(data), "# @workload: fork\n") || !strings.Contains(string(data), "# @arch: x86_64\n") {
		t.Errorf("metadata missing:\n%s", data)
	}
	// A bad input leaves no output.
	bad := filepath.Join(dir, "bad.ftrace")
	if err := os.WriteFile(bad, []byte("CPU:0 [LOST 1 EVENTS]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(dir, "out2.lmt")
	if _, err := ImportFile(bad, nil, out2, traces.FormatUnknown, traces.Meta{}, Options{}); err == nil {
		t.Fatal("no error for lost events")
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Errorf("output written despite the error: %v", err)
	}
	// Standard input.
	out3 := filepath.Join(dir, "out3.lmt.txt")
	if _, err := ImportFile("-", strings.NewReader("  w-1 [000] .... 1.000001: lazy_enter: (f)\n"), out3, traces.FormatUnknown, traces.Meta{}, Options{}); err != nil {
		t.Fatal(err)
	}
}

// TestConstantMemory imports a long generated trace through a discarding
// writer and checks that the heap does not grow with its length.
func TestConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const n = 50_000
	r := &repeatReader{line: []byte("        workload-123     [001] d..1.  1234.567892: pte_set3: (copy_page_range+0x7af/0x1400) ptep=0xffff888004c2d008 val=0x8000000012345067 addr=0x7f0000001000\n"), n: n}
	w, err := traces.NewTextWriter(io.Discard, traces.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1, func() {
		r.i = 0
		if _, err := Import(r, w, Options{}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 200 {
		t.Errorf("%v allocations for %d lines: the importer allocates per line", allocs, n)
	}
}

type repeatReader struct {
	line []byte
	n, i int
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.i >= r.n {
		return 0, io.EOF
	}
	k := copy(p, r.line[r.off:])
	r.off += k
	if r.off == len(r.line) {
		r.off = 0
		r.i++
	}
	return k, nil
}

func FuzzImport(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.ftrace")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, arch := range Arches {
			text, _, err := importText(t, src, Options{Name: "fuzz", AllowLost: true, Arch: arch, TrimIRQs: arch == "arm64"})
			if err != nil {
				var te *traces.Error
				if !errors.As(err, &te) || te.Line <= 0 {
					t.Fatalf("%s: error without a line: %v", arch, err)
				}
				continue
			}
			checkReadBack(t, text)
		}
	})
}

// BenchmarkImport measures import speed on a kprobe pte_set line repeated,
// through a discarding text writer (MB/s of ftrace text).
func BenchmarkImport(b *testing.B) {
	line := []byte("        workload-123     [001] d..1.  1234.567892: pte_set3: (copy_page_range+0x7af/0x1400) ptep=0xffff888004c2d008 val=0x8000000012345067 addr=0x7f0000001000\n")
	const n = 10000
	b.SetBytes(int64(len(line) * n))
	w, err := traces.NewTextWriter(io.Discard, traces.Meta{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r := &repeatReader{line: line, n: n}
		if _, err := Import(r, w, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestTimestampEdge: timestamps up to 2^64-1 ns convert exactly, the next
// nanosecond is out of range (issue 20, item 11: the last second before
// 2^64 ns was rejected).
func TestTimestampEdge(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ns   uint64
		good bool
	}{
		{"0.000001", 1000, true},
		{"18446744072.999999999", 18446744072999999999, true},
		{"18446744073.0", 18446744073000000000, true},
		{"18446744073.709551", 18446744073709551000, true},
		{"18446744073.709551615", math.MaxUint64, true},
		{"18446744073.709551616", 0, false},
		{"18446744073.71", 0, false},
		{"18446744074.0", 0, false},
	} {
		ns, ok := timestampNS([]byte(tc.in))
		if ok != tc.good || ns != tc.ns {
			t.Errorf("timestampNS(%s) = %d, %v; want %d, %v", tc.in, ns, ok, tc.ns, tc.good)
		}
	}
}

// FuzzReadProbeSites: any input either fails with a line number or gives a
// map whose every event was named on a probe line of the input.
func FuzzReadProbeSites(f *testing.F) {
	if b, err := os.ReadFile("testdata/tracecmd_report.probes"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		m, err := ReadProbeSites(bytes.NewReader(src), "fuzz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz:") {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for ev, fn := range m {
			if !strings.Contains(string(src), "/"+ev) || !strings.Contains(string(src), fn) {
				t.Fatalf("event %q -> %q not in the input", ev, fn)
			}
		}
	})
}

func TestReadProbeSites(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"# c\np:lazy/pte_set3 copy_page_range+0x7af ptep=%di\n\nr:grp/ret f\n", "map[pte_set3:copy_page_range ret:f]", ""},
		{"p:lazy/lazy_enter0 f\n", "map[lazy_enter0:f]", ""},
		{"p:lazy/x\n", "", `p:1: want "p:GROUP/EVENT SYM[+OFF] ...", got "p:lazy/x"`},
		{"x:lazy/e f\n", "", `p:1: want "p:GROUP/EVENT SYM[+OFF] ...", got "x:lazy/e f"`},
		{"# ok\np:nogroup f\n", "", `p:2: want "p:GROUP/EVENT SYM[+OFF] ...", got "p:nogroup f"`},
	}
	for _, tc := range tests {
		m, err := ReadProbeSites(strings.NewReader(tc.in), "p")
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(m) != tc.want {
			t.Errorf("%q: %v, %v; want %s", tc.in, m, err, tc.want)
		}
	}
}
