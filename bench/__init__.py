"""The benchmark and the load test of Pushdeck (`make bench`, `make loadtest`; docs/BENCHMARKS.md)."""
