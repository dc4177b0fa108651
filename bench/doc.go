// Package bench holds the project's benchmarks as programs (not timed
// tests): each measures a baseline in the same run and writes a markdown
// table with p50/p95 and ratios into bench/results/.
package bench
