"""A progress bar with an ETA for long commands (`rebuild`, `demo`), on stderr so stdout stays clean.

The library reports `progress(done, total)`; this turns it into a tqdm bar. Without a terminal (a
pipe, a log file, a test) tqdm draws nothing, so a plain line every `every`-th step says how far it is.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(description: str, unit: str, every: int = 24) -> Iterator[Callable[[int, int], None]]:
    from tqdm import tqdm  # imported here: only the long commands pay for it

    bar: list[tqdm] = []
    is_tty = sys.stderr.isatty()

    def update(done: int, total: int) -> None:
        if not is_tty:
            if done % every == 0 or done == total:
                print(f"  {description}: {done}/{total} {unit}", file=sys.stderr, flush=True)
            return
        if not bar:
            bar.append(tqdm(total=total, desc=description, unit=f" {unit}", file=sys.stderr, leave=True,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt}{unit} "
                                       "[{elapsed} elapsed, ETA {remaining}]"))
        bar[0].update(done - bar[0].n)
        if done == total:  # close at once: whatever is printed next starts on a fresh line
            bar.pop().close()

    try:
        yield update
    finally:
        if bar:
            bar[0].close()
