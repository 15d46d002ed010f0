"""``python -m benchmarks``: the benchmark report (see ``benchmarks/report.py``)."""
from .report import main

main()
