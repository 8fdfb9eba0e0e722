package traces

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

const benchEvents = 1 << 20

// reportSpeed reports the time per item and the items per second of a
// benchmark whose every op handles n items ("ns/event" and "events/s" for
// unit "event").
func reportSpeed(b *testing.B, n int, unit string) {
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(n)
	b.ReportMetric(ns, "ns/"+unit)
	b.ReportMetric(1e9/ns, unit+"s/s")
}

func BenchmarkDecodeBinary(b *testing.B) {
	events, strs := synthWalkers(benchEvents, 1)
	bin := encode(b, events, strs, FormatBinary)
	b.SetBytes(int64(len(bin)))
	b.ReportAllocs()
	var n int
	for b.Loop() {
		r, err := NewBinaryBytesReader(bin, "synth")
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		for r.Next() {
			n++
		}
		if r.Err() != nil || n != len(events) {
			b.Fatalf("read %d of %d: %v", n, len(events), r.Err())
		}
	}
	reportSpeed(b, len(events), "event")
	b.ReportMetric(float64(len(bin))/float64(len(events)), "bytes/event")
}

func BenchmarkDecodeBinaryInterface(b *testing.B) {
	events, strs := synthWalkers(benchEvents, 1)
	bin := encode(b, events, strs, FormatBinary)
	b.SetBytes(int64(len(bin)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewBytesReader(bin, "synth")
		if err != nil {
			b.Fatal(err)
		}
		var sum uint64
		for r.Next() {
			sum += r.Event().Time
		}
		if r.Err() != nil {
			b.Fatal(r.Err())
		}
	}
	reportSpeed(b, len(events), "event")
}

func BenchmarkParseText(b *testing.B) {
	events, strs := synthWalkers(benchEvents/4, 1)
	text := encode(b, events, strs, FormatText)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewTextReader(bytes.NewReader(text), "synth")
		n := 0
		for r.Next() {
			n++
		}
		if r.Err() != nil || n != len(events) {
			b.Fatalf("read %d of %d: %v", n, len(events), r.Err())
		}
	}
	reportSpeed(b, len(events), "line")
}

// BenchmarkDecodeBinaryBlock decodes through Block, the batch API for
// consumers that take events a block at a time.
func BenchmarkDecodeBinaryBlock(b *testing.B) {
	events, strs := synthWalkers(benchEvents, 1)
	bin := encode(b, events, strs, FormatBinary)
	b.SetBytes(int64(len(bin)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewBinaryBytesReader(bin, "synth")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for blk := r.Block(); blk != nil; blk = r.Block() {
			n += len(blk)
		}
		if r.Err() != nil || n != len(events) {
			b.Fatalf("read %d of %d: %v", n, len(events), r.Err())
		}
	}
	reportSpeed(b, len(events), "event")
}

// BenchmarkEncode writes the synthetic trace in each format and reports the
// size per event (the size report of the binary format).
func BenchmarkEncode(b *testing.B) {
	events, strs := synthWalkers(benchEvents, 1)
	for _, f := range []Format{FormatBinary, FormatZstd, FormatText} {
		b.Run("format="+f.String(), func(b *testing.B) {
			var size int
			for b.Loop() {
				size = len(encode(b, events, strs, f))
			}
			reportSpeed(b, len(events), "event")
			b.ReportMetric(float64(size)/float64(len(events)), "bytes/event")
		})
	}
}

// BenchmarkDecodeCorpus decodes the shipped corpus (corpus/*.lmt)
// from memory, all files in one op, and reports the speed and size per event.
func BenchmarkDecodeCorpus(b *testing.B) {
	files, _ := filepath.Glob("../corpus/*.lmt")
	if len(files) == 0 {
		b.Skip("no corpus")
	}
	var data [][]byte
	var size, events int
	for _, f := range files {
		d, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d)
		size += len(d)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		events = 0
		for i, d := range data {
			r, err := NewBinaryBytesReader(d, files[i])
			if err != nil {
				b.Fatal(err)
			}
			for r.Next() {
				events++
			}
			if r.Err() != nil {
				b.Fatal(r.Err())
			}
		}
	}
	reportSpeed(b, events, "event")
	b.ReportMetric(float64(size)/float64(events), "bytes/event")
}

// BenchmarkDecodeParallel decodes the synthetic trace from memory with
// Parallel on GOMAXPROCS goroutines (both cores of the build machine).
// consumer=count only counts the events handed out, as BenchmarkDecodeBinaryBlock
// does; consumer=time also reads each event's time on the calling goroutine,
// so the events decoded on the other core cross to this one.
func BenchmarkDecodeParallel(b *testing.B) {
	events, strs := synthWalkers(benchEvents, 1)
	bin := encode(b, events, strs, FormatBinary)
	for _, touch := range []bool{false, true} {
		name := "consumer=count"
		if touch {
			name = "consumer=time"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(bin)))
			b.ReportAllocs()
			var sum uint64
			for b.Loop() {
				r, err := NewBinaryBytesReader(bin, "synth")
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				err = r.Parallel(0, func(blk []Event) error {
					n += len(blk)
					if touch {
						for i := range blk {
							sum += blk[i].Time
						}
					}
					return nil
				})
				if err != nil || n != len(events) {
					b.Fatalf("read %d of %d: %v", n, len(events), err)
				}
			}
			reportSpeed(b, len(events), "event")
			b.ReportMetric(float64(len(bin))/float64(len(events)), "bytes/event")
		})
	}
}
