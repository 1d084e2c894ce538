"""Thin CLI: parse arguments, call one library function, print. Errors -> `Error: ...`, exit 1.

Nothing in the library imports this package. It imports no heavy module itself (not even duckdb):
`--help` starts like any small script, and each command loads only what it needs."""
from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from pipeline.cli.parser import build_parser
from pipeline.errors import CatalogError, ConfigError, first_line
from pipeline.secrets import ScrubFilter, scrub


def configure_logging(debug: bool, verbose: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        datefmt="%Y-%m-%dT%H:%M:%S%z")
    for handler in logging.getLogger().handlers:  # no log line ever carries the API key
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
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
        if args.debug or not _expected(exc):
            raise
        print(f"Error: {scrub(first_line(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Error: interrupted", file=sys.stderr)
        return 130


def _expected(exc: Exception) -> bool:
    """Errors that become one `Error:` line: ours, the OS's, and DuckDB's (if it was ever loaded)."""
    duckdb = sys.modules.get("duckdb")
    return isinstance(exc, (CatalogError, ConfigError, OSError)) or (duckdb is not None and isinstance(exc, duckdb.Error))
