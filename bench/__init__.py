"""Benchmarks (not tests): each prints figures and compares them with a floor measured in the
same run. Nothing here asserts a timing. Run them with `python -m bench` (docs/benchmarks.md)."""
