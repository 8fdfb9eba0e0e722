package bench

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lazybench/lazybench/arch"
	_ "github.com/lazybench/lazybench/arch/all"
	"github.com/lazybench/lazybench/lazymmu"
	"github.com/lazybench/lazybench/replay"
	"github.com/lazybench/lazybench/traces"
)

var (
	largeEvents = flag.Int64("large", 0, "events of BenchmarkLargeFile's generated trace (0 skips it; 100000000 for the memory check)")
	engineEvts  = flag.Int64("engine-events", 4_000_000, "events of BenchmarkEngine's in-memory trace")
	largeFile   = flag.String("large-file", "", "BenchmarkLargeFile: use (and keep) this trace file, generating it if missing")
	costsFile   = flag.String("costs", "", "TOML cost file for BenchmarkReplay (absolute path: go test runs in ./bench)")
	kernelName  = flag.String("kernel", lazymmu.DefaultKernel.String(), "kernel whose rules BenchmarkReplay models (7.3, 7.0)")
	costs       arch.Costs
	kernel      lazymmu.Kernel
)

// unitLines mark the modeled metrics (replay.Metrics, the main counter's
// unit once per counter) as exact for benchstat (a rerun gives the same
// value, so no confidence interval is needed) and those better higher as
// better=higher, and so the measured rates: golang.org/x/perf/benchfmt unit
// metadata.
func unitLines() []string {
	var l []string
	for i := range replay.Metrics {
		m := &replay.Metrics[i]
		suffix := " assume=exact"
		if m.Better == replay.Higher {
			suffix += " better=higher"
		}
		if !m.Main {
			l = append(l, "Unit "+m.BenchUnit(&replay.Result{})+suffix)
			continue
		}
		for c := arch.Counter(0); c < arch.NumCounters; c++ {
			l = append(l, "Unit "+m.BenchUnit(&replay.Result{Main: c.String()})+suffix)
		}
	}
	return append(l, "Unit events/s better=higher", "Unit events/cpu-s better=higher")
}

var largeDir string

// defaultBenchtime replaces go test's 1s when -benchtime is not given: the
// modeled metrics are exact after one replay, and the matrix has hundreds of
// entries (every corpus trace x every backend x every strategy), so a fixed count of
// replays keeps `go test -bench . ./bench/` to a couple of minutes.
const defaultBenchtime = "20x"

func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.benchtime" })
	if !set {
		flag.Set("test.benchtime", defaultBenchtime)
	}
	var ok bool
	if kernel, ok = lazymmu.ParseKernel(*kernelName); !ok {
		fmt.Fprintf(os.Stderr, "-kernel %q: want 7.3 or 7.0\n", *kernelName)
		os.Exit(2)
	}
	if *costsFile != "" {
		var err error
		if costs, err = arch.LoadCosts(*costsFile); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	if f := flag.Lookup("test.bench"); f != nil && f.Value.String() != "" && os.Getenv(childEnv) == "" {
		for _, l := range unitLines() {
			fmt.Println(l)
		}
	}
	code := m.Run()
	if largeDir != "" {
		os.RemoveAll(largeDir)
	}
	os.Exit(code)
}

// benchTrace is one trace of the matrix, in memory.
type benchTrace struct {
	name string // benchfmt-safe: no '/', no spaces, not ending in -<digits>
	data []byte
}

var (
	matrixOnce   sync.Once
	matrixTraces []benchTrace
)

func benchTraces(tb testing.TB) []benchTrace {
	matrixOnce.Do(func() { matrixTraces = corpusTraces(tb) })
	return matrixTraces
}

// BenchmarkReplay is the matrix: one full replay of trace T under arch A and
// strategy S per op.
func BenchmarkReplay(b *testing.B) {
	for _, tr := range benchTraces(b) {
		for _, a := range arch.Names() {
			for _, s := range lazymmu.Strategies() {
				b.Run(fmt.Sprintf("trace=%s/arch=%s/strategy=%s%s", tr.name, a, s, kernelKey()), func(b *testing.B) {
					e, err := replay.New(replay.Config{Trace: tr.name, Arch: a, Strategy: s, Costs: costs, Kernel: kernel})
					if err != nil {
						b.Fatal(err)
					}
					b.SetBytes(int64(len(tr.data)))
					b.ReportAllocs()
					var res *replay.Result
					for b.Loop() {
						r, err := traces.NewBytesReader(tr.data, tr.name)
						if err != nil {
							b.Fatal(err)
						}
						if res, err = e.Run(r); err != nil {
							b.Fatal(err)
						}
					}
					report(b, res)
				})
			}
		}
	}
}

// kernelKey is the benchmark name's kernel key: none for the default kernel
// (names stay as they were), "/kernel=7.0" for another, so that two runs
// merge into one benchstat table with -col /kernel.
func kernelKey() string {
	if kernel == lazymmu.DefaultKernel {
		return ""
	}
	return "/kernel=" + kernel.String()
}

// report adds a replay's modeled metrics (replay.Metrics) to the
// benchmark's result, each in its BenchUnit; a metric undefined for the
// replay (no main counter; no modeled time for a rate) is left out.
func report(b *testing.B, r *replay.Result) {
	for i := range replay.Metrics {
		m := &replay.Metrics[i]
		if u, v := m.BenchUnit(r), m.Value(r); u != "" && !math.IsNaN(v) {
			b.ReportMetric(v, u)
		}
	}
}

var (
	engineOnce sync.Once
	engineData []byte
)

func engineTrace(b *testing.B) []byte {
	engineOnce.Do(func() { engineData = synthBinary(b, *engineEvts) })
	return engineData
}

// engineArch is the arch BenchmarkEngine measures: arm64, or the first
// registered backend while arm64 is missing from the build.
func engineArch() string {
	if _, ok := arch.Lookup("arm64"); ok {
		return "arm64"
	}
	return arch.Names()[0]
}

// BenchmarkEngine measures the engine on a large in-memory binary trace
// (upstream on arm64): events/s and allocations. BenchmarkDecode is the same
// trace decoded without replay, for comparison.
func BenchmarkEngine(b *testing.B) { benchEngine(b, 1) }

// BenchmarkEngineParallelDecode is BenchmarkEngine with the trace decoded
// ahead on GOMAXPROCS goroutines (traces.SetWorkers, as lazybench replay
// does): with -cpu 2 the engine runs on one core while the other decodes,
// and the engine's goroutine decodes the chunks no helper has started. With
// -cpu 1 it is BenchmarkEngine.
func BenchmarkEngineParallelDecode(b *testing.B) { benchEngine(b, 0) }

// benchEngine replays the engine's trace, decoding it on workers goroutines
// (traces.BinaryReader.SetWorkers; 1: on the engine's).
func benchEngine(b *testing.B, workers int) {
	data := engineTrace(b)
	a := engineArch()
	b.Run("arch="+a+"/strategy=upstream", func(b *testing.B) {
		e, err := replay.New(replay.Config{Trace: "synth", Arch: a, Strategy: lazymmu.Upstream})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		var events uint64
		start, cpu0 := time.Now(), cpuTime()
		for b.Loop() {
			r, err := traces.NewBinaryBytesReader(data, "synth")
			if err != nil {
				b.Fatal(err)
			}
			r.SetWorkers(workers)
			res, err := e.Run(r)
			r.Close()
			if err != nil {
				b.Fatal(err)
			}
			events += res.Events
		}
		reportRate(b, events, start, cpu0)
	})
}

// BenchmarkEngineNoDecode replays the first million events of
// BenchmarkEngine's trace from a slice of decoded events: the engine and the
// arm64 backend without the decoder.
func BenchmarkEngineNoDecode(b *testing.B) {
	r, err := traces.NewBinaryBytesReader(engineTrace(b), "synth")
	if err != nil {
		b.Fatal(err)
	}
	var evs []traces.Event
	for r.Next() && len(evs) < 1_000_000 {
		evs = append(evs, *r.Event())
	}
	e, err := replay.New(replay.Config{Trace: "synth", Arch: engineArch(), Strategy: lazymmu.Upstream})
	if err != nil {
		b.Fatal(err)
	}
	sr := &sliceReader{ev: evs}
	b.ReportAllocs()
	var events uint64
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		sr.i = 0
		res, err := e.Run(sr)
		if err != nil {
			b.Fatal(err)
		}
		events += res.Events
	}
	reportRate(b, events, start, cpu0)
}

// sliceReader reads decoded events from memory.
type sliceReader struct {
	ev []traces.Event
	i  int
}

func (r *sliceReader) Next() bool {
	if r.i >= len(r.ev) {
		return false
	}
	r.i++
	return true
}
func (r *sliceReader) Event() *traces.Event { return &r.ev[r.i-1] }

// Block hands out the rest of the events at once (replay.BlockReader): the
// engine reads them in place, as it does a binary reader's blocks.
func (r *sliceReader) Block() []traces.Event {
	b := r.ev[r.i:]
	r.i = len(r.ev)
	return b
}
func (r *sliceReader) Err() error        { return nil }
func (r *sliceReader) Meta() traces.Meta { return traces.Meta{} }
func (r *sliceReader) Strings() []string { return []string{""} }

// BenchmarkDecode decodes BenchmarkEngine's trace without replaying it.
func BenchmarkDecode(b *testing.B) { benchDecode(b, false) }

// BenchmarkDecodeBlock decodes BenchmarkEngine's trace through the Block
// API, as the engine reads it: the decoder's share of BenchmarkEngine.
func BenchmarkDecodeBlock(b *testing.B) { benchDecode(b, true) }

// benchDecode decodes the engine's trace through Next, or through Block.
func benchDecode(b *testing.B, block bool) {
	data := engineTrace(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var events uint64
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		r, err := traces.NewBinaryBytesReader(data, "synth")
		if err != nil {
			b.Fatal(err)
		}
		if block {
			for blk := r.Block(); blk != nil; blk = r.Block() {
				events += uint64(len(blk))
			}
		} else {
			for r.Next() {
				events++
			}
		}
		if err := r.Err(); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, events, start, cpu0)
}

// cpuTime returns the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRate reports events per wall-clock second and per CPU second of the
// process: on a loaded machine the second is the figure to quote (one
// goroutine replays; the loop allocates nothing, so GC adds nearly nothing).
func reportRate(b *testing.B, events uint64, start time.Time, cpu0 time.Duration) {
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(events)/cpu.Seconds(), "events/cpu-s")
	}
}

const childEnv = "LAZYBENCH_LARGE_CHILD"

var (
	largeOnce sync.Once
	largePath string
	largeErr  error
)

// BenchmarkLargeFile generates a trace of -large events (100 million by
// default) into a temporary file once, then replays it from the file in a
// child process per op and reports the child's peak resident memory
// (peak-MB, VmHWM) and its replay speed.
func BenchmarkLargeFile(b *testing.B) {
	if *largeEvents <= 0 {
		b.Skip("-large=0")
	}
	largeOnce.Do(func() {
		if largePath = *largeFile; largePath != "" {
			if _, err := os.Stat(largePath); err == nil {
				return
			}
		} else {
			largeDir, largeErr = os.MkdirTemp("", "lazybench-large")
			if largeErr != nil {
				return
			}
			largePath = filepath.Join(largeDir, "large.lmt")
		}
		largeErr = traces.WriteFile(largePath, traces.FormatBinary, traces.Meta{Workload: "synth", Recorder: "bench.BenchmarkLargeFile"}, func(w traces.Writer) error {
			return synth(w, *largeEvents)
		})
	})
	if largeErr != nil {
		b.Fatal(largeErr)
	}
	fi, err := os.Stat(largePath)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	var peak, events, secs float64
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLargeFileChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"="+largePath)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 7 && f[0] == "largefile" {
				events, _ = strconv.ParseFloat(f[2], 64)
				secs, _ = strconv.ParseFloat(f[4], 64)
				kb, _ := strconv.ParseFloat(f[6], 64)
				peak = max(peak, kb/1024)
			}
		}
		if events == 0 {
			b.Fatalf("child printed no result:\n%s", out)
		}
	}
	b.ReportMetric(peak, "peak-MB")
	b.ReportMetric(events/secs, "events/s")
	b.ReportMetric(events, "events/op")
}

// TestLargeFileChild is BenchmarkLargeFile's child: it replays the file
// named by $LAZYBENCH_LARGE_CHILD (streaming, upstream on arm64) and prints
// "largefile events N seconds S maxrss_kb K". Without the variable it skips.
func TestLargeFileChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("only run by BenchmarkLargeFile")
	}
	r, c, err := traces.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	traces.SetWorkers(r, 0) // as lazybench replay does
	start := time.Now()
	res, err := replay.Run(r, replay.Config{Trace: "large", Arch: engineArch(), Strategy: lazymmu.Upstream})
	if err != nil {
		t.Fatal(err)
	}
	secs := time.Since(start).Seconds()
	kb, err := peakRSSkB()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("largefile events %d seconds %.3f maxrss_kb %d\n", res.Events, secs, kb)
}

// peakRSSkB returns this process's peak resident set size (VmHWM of
// /proc/self/status). getrusage's ru_maxrss would not do: Linux carries the
// parent's high-water mark across fork and exec into the child's.
func peakRSSkB() (int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			return strconv.ParseInt(f[1], 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

var matrixEvents = flag.Int64("matrix-events", 0, "events of BenchmarkMatrix's generated trace (0 skips it; 10000000 for issue 17's figure)")

// BenchmarkMatrix replays one generated trace of -matrix-events events under
// every registered arch and strategy as compare does (replay.RunAll: each
// batch decoded once, the engines on two goroutines) and reports the CPU
// seconds per op (user + sys of the whole process, the figure compare's
// CPU time tracks) and the events replayed per CPU second over all engines.
func BenchmarkMatrix(b *testing.B) {
	if *matrixEvents <= 0 {
		b.Skip("-matrix-events=0")
	}
	data := synthBinary(b, *matrixEvents)
	var engines []*replay.Engine
	for _, a := range arch.Names() {
		for _, s := range lazymmu.Strategies() {
			e, err := replay.New(replay.Config{Arch: a, Strategy: s, Costs: costs, Kernel: kernel})
			if err != nil {
				b.Fatal(err)
			}
			engines = append(engines, e)
		}
	}
	cpu0 := cpuTime()
	for b.Loop() {
		r, err := traces.NewBinaryBytesReader(data, "matrix")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := replay.RunAll(r, engines, 2); err != nil {
			b.Fatal(err)
		}
	}
	cpu := (cpuTime() - cpu0).Seconds() / float64(b.N)
	b.ReportMetric(cpu, "cpu-s/op")
	b.ReportMetric(float64(*matrixEvents)*float64(len(engines))/cpu, "events/cpu-s")
}
