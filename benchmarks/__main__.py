"""`make bench`: every benchmark, one after the other (figures only, no assertions)."""
import importlib
import sys

from benchmarks import bench_collect, bench_history

bench_collect.main()
bench_history.main(days=int(sys.argv[1]) if len(sys.argv) > 1 else 365, n_queries=50)
try:  # the dashboard benchmark needs a browser; it is optional here
    importlib.import_module("benchmarks.bench_dashboard").main()
except ModuleNotFoundError:
    pass
