"""Benchmarks run by `make bench` against the local PostgreSQL (never in the test suite)."""
