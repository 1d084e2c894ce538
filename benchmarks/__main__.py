"""`make bench`: every benchmark, one after the other (figures only, no assertions)."""
import contextlib
import importlib
import sys

from benchmarks import bench_cli, bench_collect, bench_first_run, bench_history, bench_outlook, history_minute

bench_first_run.main()  # first: a fresh clone's `make demo` with the pip cache as a user has it

bench_cli.main()
bench_collect.main()
bench_history.main(days=int(sys.argv[1]) if len(sys.argv) > 1 else 365, n_queries=50)
history_minute.main(days=7, n_queries=50, year=True)  # the stock cadence: 7 days of minute polls (the growth is measured)
bench_outlook.main(days=180)  # the stock outlook's p90 against the restocks that followed
with contextlib.suppress(ModuleNotFoundError):  # the dashboard benchmark needs a browser; it is optional here
    importlib.import_module("benchmarks.bench_dashboard").main()
