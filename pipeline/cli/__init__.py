"""Thin CLI: parse arguments, call one library function, print. Errors -> `Error: ...`, exit 1.

Nothing in the library imports this package. It imports no heavy module itself (not even duckdb):
`--help` starts like any small script, and each command loads only what it needs."""
from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from pipeline.cli.parser import build_parser
from pipeline.errors import CatalogError, ConfigError, directory_in_the_way, first_line
from pipeline.safe_text import TerminalFilter, terminal_text
from pipeline.secrets import ScrubFilter, scrub


def configure_logging(debug: bool, verbose: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        datefmt="%Y-%m-%dT%H:%M:%S%z")
    for handler in logging.getLogger().handlers:  # no log line ever carries the API key or a control character
        for kind in (ScrubFilter, TerminalFilter):
            if not any(isinstance(f, kind) for f in handler.filters):
                handler.addFilter(kind())
    if not debug:  # urllib3 warns on every retry; our own error line says what finally happened
        logging.getLogger("urllib3").setLevel(logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    problem = args.check(args) if hasattr(args, "check") else None
    if problem:
        parser.error(problem)  # usage: exit 2
    configure_logging(args.debug, args.verbose)
    try:
        return args.handler(args)
    except Exception as exc:
        if args.debug:
            raise
        print(f"Error: {terminal_text(scrub(error_line(exc)))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Error: interrupted", file=sys.stderr)
        return 130


def error_line(exc: Exception) -> str:
    """The one line an error becomes: ours, the OS's and DuckDB's (if it was ever loaded) as they say it,
    a directory where a file belongs with what to do, anything else named as unexpected (a bug: --debug
    shows its traceback)."""
    if isinstance(exc, IsADirectoryError) and exc.filename:
        return str(directory_in_the_way(exc.filename))
    duckdb = sys.modules.get("duckdb")
    if isinstance(exc, (CatalogError, ConfigError, OSError)) or (duckdb is not None and isinstance(exc, duckdb.Error)):
        return first_line(exc)
    return f"unexpected {type(exc).__name__}: {first_line(exc)[:200]} (run with --debug for the traceback)"
