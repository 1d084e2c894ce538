"""The command handlers: each calls one library function and prints. Heavy imports stay inside the
handler that needs them, so `--help` and the quick commands start fast."""
from __future__ import annotations

import argparse
import logging
import math
import sys
from contextlib import closing

import duckdb

from pipeline import queries
from pipeline.cli.args import collect_settings, collect_settings_dir
from pipeline.queries.output import render

log = logging.getLogger(__name__)


def cmd_collect(args: argparse.Namespace) -> int:
    from pipeline.service.schedule import collect_once

    kind = "stock" if args.stock else "full"
    settings = collect_settings(args)
    result = collect_once(settings, at=args.at, accept_anomalies=args.accept_anomalies,
                          alerts=checked_rules(args.alerts, settings.data_dir), kind=kind)
    baseline = " (baseline)" if result.is_baseline else ""
    label = " stock" if args.stock else ""
    print(f"snapshot {result.snapshot_id}{label} ok{baseline}: {result.request_count} requests, "
          f"{result.change_count} changes, {result.elapsed_s:.1f}s")
    return 0


def checked_rules(path: str | None, data_dir: object):
    """The alert rules file (flag or $VULTR_CATALOG_ALERTS), checked against the published catalog."""
    from pipeline.service.alerts import check_rules_against_catalog, load_rules

    config = load_rules(path)
    check_rules_against_catalog(config, data_dir)
    return config


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
    min_ram_mb = args.min_ram_mb if args.min_ram_gb is None else math.ceil(args.min_ram_gb * 1024)
    plan_filter = queries.PlanFilter(
        region_id=args.region or queries.ANY_REGION, plan_type=args.type, min_vcpu=args.min_vcpu,
        min_ram_mb=min_ram_mb, min_disk_gb=args.min_disk_gb, max_monthly_cost_usd=args.max_monthly_cost,
        in_stock_only=not args.include_sold_out, at=args.at, continent=args.continent, gpu_type=args.gpu_type,
        min_gpu_vram_gb=args.min_gpu_vram_gb, cpu_vendor=args.cpu_vendor)
    with queries.catalog(args.data_dir) as con:
        frame = queries.cheapest(con, plan_filter)
        note_demo_data(con)
    if args.limit:
        frame = frame.head(args.limit)
    print(render(frame, args.format))
    return 0


def cmd_fleet(args: argparse.Namespace) -> int:
    from pipeline.account import MISSING_KEY, fetch_servers
    from pipeline.config import settings_from_env
    from pipeline.errors import ConfigError
    from pipeline.queries.core import published_catalog
    from pipeline.queries.fleet import catalog_api_version, fleet_costs, render_fleet

    settings = settings_from_env(data_dir=args.data_dir, api_version=args.api_version, base_url=args.base_url)
    if not settings.api_key:
        raise ConfigError(MISSING_KEY)
    published_catalog(settings.data_dir)  # no catalog: say so before any account call
    servers = fetch_servers(settings)  # live, never stored
    with queries.catalog(settings.data_dir) as con:
        costs = fleet_costs(con, servers)
        catalog_version = catalog_api_version(con)
        note_demo_data(con)
    if catalog_version and catalog_version != settings.api_version:
        print(f"note: the catalog was collected over {catalog_version} and the fleet read over "
              f"{settings.api_version}; their plan ids differ", file=sys.stderr)
    print(render_fleet(costs, args.format))
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from pipeline.cli.progress import progress_bar
    from pipeline.warehouse.rebuild import rebuild

    with progress_bar("rebuild", "snapshots") as progress:
        result = rebuild(collect_settings_dir(args), progress)
    print(f"rebuilt from raw: {result.snapshots} snapshots ({result.applied} applied), "
          f"{result.changes} changes, {result.seconds:.1f}s")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pipeline.queries.export import export_catalog

    summary = export_catalog(args.out, args.format, data_dir=args.data_dir, overwrite=args.overwrite)
    demo = " (demo data)" if summary.is_demo else ""
    print(f"exported {len(summary.tables)} tables{demo}, {summary.rows} rows, "
          f"{summary.size_bytes / 1e6:.2f} MB of {summary.format} to {summary.out_dir}")
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    from pipeline.durations import parse_duration
    from pipeline.service.schedule import ScheduleSpec, run_schedule

    if not args.debug:  # a service logs one line per run by default; -v adds the per-endpoint lines
        logging.getLogger().setLevel(logging.INFO)
        for noisy in ("apscheduler", *(() if args.verbose else ("pipeline.collect.sources",))):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    spec = ScheduleSpec(every_s=parse_duration(args.every) if args.every else None, cron=args.cron,
                        jitter_s=parse_duration(args.jitter) if args.jitter else 0.0,
                        stock_every_s=parse_duration(args.stock_every) if args.stock_every else None)
    settings = collect_settings(args)
    return run_schedule(settings, spec, accept_anomalies=args.accept_anomalies,
                        alerts=checked_rules(args.alerts, settings.data_dir))


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from pipeline.queries.status import collector_status, render_status

    status = collector_status(collect_settings_dir(args))
    print(json.dumps(status, indent=2) if args.format == "json" else render_status(status))
    return 0


def cmd_alerts_test(args: argparse.Namespace) -> int:
    from pipeline.service.alerts import test_rules

    frame = test_rules(checked_rules(args.rules, args.data_dir), args.data_dir)
    print(render(frame, args.format))
    return 0


def cmd_fake_api(args: argparse.Namespace) -> int:
    from pipeline.fakeapi import serve_forever

    def announce(base_url: str) -> None:
        print(f"fake Vultr API at {base_url} (v2: {base_url}/v2, v1: {base_url}/v1); Ctrl-C stops it", flush=True)

    serve_forever(args.host, args.port, seed_fleet=args.seed_fleet, announce=announce)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from pipeline.service.serve import serve

    fleet = None
    if args.fleet:
        from pipeline.config import settings_from_env

        settings = settings_from_env(data_dir=args.data_dir, api_version=args.api_version, base_url=args.base_url)
        fleet = {"api_version": settings.api_version, "base_url": settings.base_url}
    return serve(args.data_dir, args.port, args.host, fleet=fleet)


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.cli.progress import progress_bar
    from pipeline.service.demo import run_demo

    with progress_bar("demo history", "snapshots") as progress:  # the bar closes itself when complete
        return run_demo(args.port, args.days, serve_app=not args.no_serve, data_dir=args.data_dir,
                        progress=progress, step_h=args.step_hours, reuse=not args.fresh)
