"""Benchmarks: `make bench` prints one JSON line per figure set (see shared BENCH.md)."""
