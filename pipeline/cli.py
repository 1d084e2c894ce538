"""Thin CLI: parse arguments, call one library function, print. Errors -> `Error: ...`, exit 1."""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation

import duckdb

from pipeline import queries
from pipeline.config import settings_from_env
from pipeline.errors import CatalogError, ConfigError, first_line
from pipeline.output import render

log = logging.getLogger(__name__)
Handler = Callable[[argparse.Namespace], int]


def parse_timestamp(text: str) -> datetime:
    """ISO-8601; a naive time is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 timestamp: {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def parse_decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def non_negative_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return int(text)


def add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="data directory (default ./data or $VULTR_CATALOG_DATA_DIR)")


def add_collect_options(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--api-version", choices=("v2", "v1"), help="Vultr API version (default v2)")
    parser.add_argument("--base-url", help="API base URL (default https://api.vultr.com/v2, or /v1)")
    parser.add_argument("--rate-limit", type=float, help="requests per second (default 30 for v2, 2 for v1)")
    parser.add_argument("--accept-anomalies", action="store_true",
                        help="apply a snapshot even if the quality gate finds it implausible")


def collect_settings(args: argparse.Namespace):
    return settings_from_env(data_dir=args.data_dir, api_version=args.api_version,
                             base_url=args.base_url, requests_per_second=args.rate_limit)


def add_alert_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alerts", metavar="RULES",
                        help="alert rules file (TOML) to match new changes against (default $VULTR_CATALOG_ALERTS)")


def cmd_collect(args: argparse.Namespace) -> int:
    from pipeline.alerts import load_rules
    from pipeline.schedule import collect_once

    result = collect_once(collect_settings(args), at=args.at, accept_anomalies=args.accept_anomalies,
                          alerts=load_rules(args.alerts))
    baseline = " (baseline)" if result.is_baseline else ""
    print(f"snapshot {result.snapshot_id} ok{baseline}: {result.request_count} requests, "
          f"{result.change_count} changes, {result.elapsed_s:.1f}s")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    # the console's sandbox: the catalog read-only, no file reads or writes, no ATTACH/INSTALL/LOAD
    con = queries.open_console(args.data_dir)
    with closing(con):
        frame = queries.run_sql(con, args.query)  # a DuckDB error becomes one `Error:` line in main()
        note_demo_data(con)
    print(render(frame, args.format))
    return 0


def note_demo_data(con: duckdb.DuckDBPyConnection) -> None:
    """Label demo data wherever it is shown (on stderr, so piped csv/json stays clean)."""
    if queries.freshness(con)["is_demo"]:
        print("note: demo data, simulated by the bundled Vultr API emulator", file=sys.stderr)


def cmd_cheapest(args: argparse.Namespace) -> int:
    plan_filter = queries.PlanFilter(
        region_id=args.region, plan_type=args.type, min_vcpu=args.min_vcpu, min_ram_mb=args.min_ram_mb,
        min_disk_gb=args.min_disk_gb, max_monthly_cost_usd=args.max_monthly_cost,
        in_stock_only=not args.include_sold_out, at=args.at)
    with queries.catalog(args.data_dir) as con:
        frame = queries.cheapest(con, plan_filter)
        note_demo_data(con)
    if args.limit:
        frame = frame.head(args.limit)
    print(render(frame, args.format))
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from pipeline.rebuild import rebuild

    result = rebuild(collect_settings_dir(args))
    print(f"rebuilt from raw: {result.snapshots} snapshots ({result.applied} applied), "
          f"{result.changes} changes, {result.seconds:.1f}s")
    return 0


def collect_settings_dir(args: argparse.Namespace):
    return settings_from_env(data_dir=args.data_dir).data_dir


def cmd_export(args: argparse.Namespace) -> int:
    from pipeline.export import export_catalog

    summary = export_catalog(args.out, args.format, data_dir=args.data_dir, overwrite=args.overwrite)
    demo = " (demo data)" if summary.is_demo else ""
    print(f"exported {len(summary.tables)} tables{demo}, {summary.rows} rows, "
          f"{summary.size_bytes / 1e6:.2f} MB of {summary.format} to {summary.out_dir}")
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from pipeline.alerts import load_rules
    from pipeline.durations import parse_duration
    from pipeline.schedule import ScheduleSpec, run_schedule

    if not args.debug:  # a service logs one line per run by default; -v adds the per-endpoint lines
        logging.getLogger().setLevel(logging.INFO)
        for noisy in ("apscheduler", *(() if args.verbose else ("pipeline.sources",))):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    spec = ScheduleSpec(every_s=parse_duration(args.every) if args.every else None, cron=args.cron,
                        jitter_s=parse_duration(args.jitter) if args.jitter else 0.0)
    return run_schedule(collect_settings(args), spec, accept_anomalies=args.accept_anomalies,
                        alerts=load_rules(args.alerts))


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from pipeline.status import collector_status, render_status

    status = collector_status(collect_settings_dir(args))
    print(json.dumps(status, indent=2) if args.format == "json" else render_status(status))
    return 0


def cmd_alerts_test(args: argparse.Namespace) -> int:
    from pipeline.alerts import load_rules, test_rules

    frame = test_rules(load_rules(args.rules), args.data_dir)
    print(render(frame, args.format))
    return 0


def cmd_fake_api(args: argparse.Namespace) -> int:
    from pipeline.fakeapi import serve_forever

    serve_forever(args.host, args.port)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from pipeline.serve import serve

    return serve(args.data_dir, args.port, args.host)


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.demo import run_demo

    return run_demo(args.port, args.days, serve_app=not args.no_serve, data_dir=args.data_dir)


def configure_logging(debug: bool, verbose: bool) -> None:
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        datefmt="%Y-%m-%dT%H:%M:%S%z")
    if not debug:  # urllib3 warns on every retry; our own error line says what finally happened
        logging.getLogger("urllib3").setLevel(logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    from pipeline.cli_parser import build_parser

    args = build_parser().parse_args(argv)
    configure_logging(args.debug, args.verbose)
    try:
        return args.handler(args)
    except (CatalogError, ConfigError, duckdb.Error, OSError) as exc:
        if args.debug:
            raise
        print(f"Error: {first_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Error: interrupted", file=sys.stderr)
        return 130
