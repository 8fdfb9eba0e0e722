// Package bench holds lazybench's go benchmark matrix: one full replay per
// op of every shipped trace under every arch and strategy,
//
//	go test -run '^$' -bench . ./bench/ | benchstat -col /strategy -
//
// reporting every modeled metric of replay.Metrics with b.ReportMetric
// (marked exact for benchstat by "Unit ... assume=exact" lines) and the
// replay speed as MB/s.
// It also measures the engine itself (BenchmarkEngine, BenchmarkDecode) and
// the peak memory of a 100-million-event replay (BenchmarkLargeFile). See
// docs/bench.md.
package bench
