"""The command handlers: each calls one library function and prints. Every import of the library stays
inside the handler that needs it, so `--help` loads none of it and `cheapest` loads duckdb and the
read side only (no pandas, no pyarrow, no requests)."""
from __future__ import annotations

import argparse
import logging
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.cli.args import collect_settings, collect_settings_dir
from pipeline.safe_text import terminal_text

if TYPE_CHECKING:  # the handlers import the library lazily, to keep the CLI's start fast
    import duckdb

    from pipeline.service.alerts import AlertConfig

log = logging.getLogger(__name__)
SQL_ROW_LIMIT = 100_000  # the dashboard console keeps 1,000 by default; a terminal can page more
SQL_TIME_LIMIT_S = 60.0


def load_rules_or_disable(path: str | None, data_dir: Path | str | None) -> tuple[AlertConfig | None, bool]:
    """A bad rules file disables alerts with one error line; it never stops a collection."""
    from pipeline.errors import CatalogError

    try:
        return checked_rules(path, data_dir), False
    except CatalogError as exc:
        print(f"Error: {terminal_text(str(exc))}; alerts are disabled for this run", file=sys.stderr)
        return None, True


def cmd_collect(args: argparse.Namespace) -> int:
    from pipeline.collect.collector import collect
    from pipeline.queries.formatting import plural
    from pipeline.service.alerts import alert_hooks

    kind = "stock" if args.stock else "full"
    settings = collect_settings(args)
    alerts, rules_failed = load_rules_or_disable(args.alerts, settings.data_dir)
    result = collect(settings, at=args.at, accept_anomalies=args.accept_anomalies, hooks=alert_hooks(alerts),
                     kind=kind)
    baseline = " (baseline)" if result.is_baseline else ""
    label = " stock" if args.stock else ""
    print(f"snapshot {result.snapshot_id}{label} ok{baseline}: {plural(result.request_count, 'request')}, "
          f"{plural(result.change_count, 'change')}, {result.elapsed_s:.1f}s")
    for warning in result.warnings:  # on stderr: what staging dropped or resolved
        print(f"warning: {terminal_text(warning)}", file=sys.stderr)
    return 1 if rules_failed else 0  # collected and published, but the rules need fixing


def checked_rules(path: str | None, data_dir: Path | str | None) -> AlertConfig | None:
    """The alert rules file (flag or $VULTR_CATALOG_ALERTS), checked against the published catalog."""
    from pipeline.service.alerts import check_rules_against_catalog, load_rules

    config = load_rules(path)
    check_rules_against_catalog(config, data_dir)
    return config


def cmd_sql(args: argparse.Namespace) -> int:
    from pipeline import queries
    from pipeline.queries.output import render

    # the console's one code path: its sandbox, statement check and limits (queries/console.py)
    result = queries.run_console(args.query, args.data_dir, row_limit=SQL_ROW_LIMIT, time_limit_s=SQL_TIME_LIMIT_S)
    with queries.catalog(args.data_dir) as con:
        note_demo_data(con)
    if result.is_truncated:
        print(f"note: only the first {SQL_ROW_LIMIT:,} rows are shown; add a LIMIT or aggregate "
              "(`vultr-catalog export` writes whole tables)", file=sys.stderr)
    print(render(result.frame, args.format))
    return 0


def note_demo_data(con: duckdb.DuckDBPyConnection) -> None:
    """Label demo data wherever it is shown (on stderr, so piped csv/json stays clean)."""
    from pipeline import queries

    if queries.is_demo(con):
        print("note: demo data, simulated by the bundled Vultr API emulator", file=sys.stderr)


def cmd_cheapest(args: argparse.Namespace) -> int:
    from pipeline import queries
    from pipeline.queries import shape
    from pipeline.queries.output import render, to_table

    min_ram_mb = args.min_ram_mb if args.min_ram_gb is None else math.ceil(args.min_ram_gb * 1024)
    plan_filter = queries.PlanFilter(
        region_id=args.region or queries.ANY_REGION, plan_type=args.type, min_vcpu=args.min_vcpu,
        min_ram_mb=min_ram_mb, min_disk_gb=args.min_disk_gb, max_monthly_cost_usd=args.max_monthly_cost,
        in_stock_only=not args.include_sold_out, at=args.at, continent=args.continent, gpu_type=args.gpu_type,
        min_gpu_vram_gb=args.min_gpu_vram_gb, cpu_vendor=args.cpu_vendor, cpu_allocation=args.cpu_allocation)
    with queries.catalog(args.data_dir, threads=1) as con:
        result = queries.cheapest_rows(con, plan_filter)
        unjudged = queries.unjudged_gpu_plans(con, plan_filter)
        note_demo_data(con)
    if unjudged:  # on stderr: the table (or json, csv) on stdout stays the answer alone
        print(f"note: {queries.unjudged_note(unjudged)}", file=sys.stderr)
    if plan_filter.region_id == queries.ANY_REGION and not args.each_region:
        result = shape.one_per_plan(result)
    if args.limit:
        result = queries.Rows(result.columns, result.rows[:args.limit])
    if args.format != "table" or args.wide:
        print(render(result, args.format))
    elif args.columns:
        print(render(shape.select_columns(result, args.columns), "table"))
    else:  # buyer-first columns, as many as fit a terminal
        print(shape.fit_width(shape.select_columns(result, shape.default_columns(result)), to_table))
    return 0


def cmd_fleet(args: argparse.Namespace) -> int:
    from pipeline import queries
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
    from pipeline.queries.formatting import plural
    from pipeline.warehouse.rebuild import rebuild

    with progress_bar("rebuild", "snapshots") as progress:
        result = rebuild(collect_settings_dir(args), progress)
    print(f"rebuilt from raw: {plural(result.snapshots, 'snapshot')} ({result.applied} applied), "
          f"{plural(result.changes, 'change')}, {result.seconds:.1f}s")
    return 0


def cmd_repair(args: argparse.Namespace) -> int:
    from pipeline.warehouse.repair import repair

    result = repair(collect_settings_dir(args))
    kept = f"; the damaged file is kept as {result.kept_aside}" if result.kept_aside else ""
    published = "the catalog is republished" if result.is_published else "the published catalog stays as it is"
    if result.restored:  # raw was lost for what readers see: history comes from the catalog instead
        print(f"repaired: the raw rows of {result.unrecoverable} of the published catalog's {result.restored} applied "
              f"snapshots were unreadable, so the history up to snapshot {result.restored_up_to} is restored from the "
              f"catalog (kept, but `rebuild` cannot re-derive it); {result.applied} later snapshots replayed from raw "
              f"({result.bodies} raw bodies kept){kept}; {published}")
        return 0
    print(f"repaired: {result.snapshots} snapshots ({result.applied} applied, {result.lost} lost), "
          f"{result.bodies} raw bodies readable{kept}; "
          + (published if result.is_published else
             "no history could be salvaged or restored from a readable catalog (the published catalog, if any, "
             "is left as it is); the next collect starts a new baseline"))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pipeline.queries.export import export_catalog
    from pipeline.queries.formatting import plural

    summary = export_catalog(args.out, args.format, data_dir=args.data_dir, overwrite=args.overwrite)
    demo = " (demo data)" if summary.is_demo else ""
    print(f"exported {plural(len(summary.tables), 'table')}{demo}, {plural(summary.rows, 'row')}, "
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
                        alerts=load_rules_or_disable(args.alerts, settings.data_dir)[0], site_dir=args.site)


def cmd_site(args: argparse.Namespace) -> int:
    from pipeline.site import build_site, serve_site

    result = build_site(args.out, args.data_dir, base_url=args.base_url)
    demo = " (demo data)" if result.is_demo else ""
    print(f"site written{demo}: {result.files} files, {result.size_bytes / 1e6:.1f} MB in {result.seconds:.1f}s; "
          f"{result.out} -> {result.build}")
    if not args.serve:
        return 0
    return serve_site(result.out, args.port, announce=lambda url: print(f"serving {url} (Ctrl-C stops)", flush=True))


def cmd_status(args: argparse.Namespace) -> int:
    import json

    from pipeline.queries.status import collector_status, render_status

    status = collector_status(collect_settings_dir(args), check_files=True)
    print(json.dumps(status, indent=2) if args.format == "json" else render_status(status))
    return 0


def cmd_alerts_test(args: argparse.Namespace) -> int:
    from pipeline.queries.output import render
    from pipeline.service.alerts import check_rules_against_catalog, send_samples, test_rules
    from pipeline.service.alerts.match import readable_values

    if args.send:  # the rules file alone: no catalog needed to check the channels
        results = send_samples(_rules_file(args.rules))
        for label, error in results:
            print(f"sent    {label}" if error is None else f"FAILED  {label}: {error}")
        if not results:
            print(f"note: {args.rules} has no webhook or notify URL: nothing to send", file=sys.stderr)
        return 1 if any(error for _, error in results) else 0
    config = _rules_file(args.rules)
    check_rules_against_catalog(config, args.data_dir)
    frame = test_rules(config, args.data_dir)
    print(render(readable_values(frame) if args.format == "table" else frame, args.format))
    return 0


def _rules_file(path: str) -> AlertConfig:
    """The rules file `alerts test RULES` names (a required argument: load_rules always has one to read)."""
    from pipeline.errors import ConfigError
    from pipeline.service.alerts import load_rules

    config = load_rules(path)
    if config is None:
        raise ConfigError(f"no alert rules in {path}")
    return config


def cmd_stock(args: argparse.Namespace) -> int:
    from pipeline import queries
    from pipeline.queries.outlook import readable, stock_outlook
    from pipeline.queries.output import render

    with queries.catalog(args.data_dir) as con:
        outlook = stock_outlook(con, args.plan, args.region, args.days)
        note_demo_data(con)
    print(render(readable(outlook) if args.format == "table" else outlook, args.format))
    return 0


def cmd_fake_api(args: argparse.Namespace) -> int:
    from pipeline.fakeapi import serve_forever
    from pipeline.service.serve import check_port_free

    check_port_free(args.host, args.port)

    def announce(base_url: str) -> None:
        print(f"fake Vultr API at {base_url} (v2: {base_url}/v2, v1: {base_url}/v1); Ctrl-C stops it", flush=True)

    serve_forever(args.host, args.port, seed_fleet=args.seed_fleet, catalog=args.catalog, api_key=args.api_key,
                  announce=announce)
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
