"""Benchmarks, run by `make bench` (python -m tests.perf); never part of the test suite."""
