"""fastnn's benchmarks: a pytest-benchmark suite and a report (``python -m benchmarks``)."""
