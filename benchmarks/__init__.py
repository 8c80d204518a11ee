"""Timings of the app, the check, the map and the exports; run as ``python -m benchmarks.<name>`` from the repository root."""
