"""The argument parser of the CLI, one sub-parser per command; the contract users and scripts rely on."""
from __future__ import annotations

import argparse
from typing import NoReturn

from pipeline.cli import args as cli
from pipeline.cli import commands as handlers

FORMATS = ("table", "csv", "json")  # as pipeline.queries.output.FORMATS (not imported: it loads duckdb)


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line, `Error: --min-vcpu: 'abc' is not a whole number (see --help)`, exit 2:
    no usage block (sub-parsers are made of this class too, so every command behaves alike)."""

    def error(self, message: str) -> NoReturn:
        text = message.removeprefix("argument ").replace(" argument ", " ")
        self.exit(2, f"Error: {text} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="vultr-catalog", description="Snapshot Vultr's public catalog into DuckDB and ask it questions.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="log one line per endpoint")
    parser.add_argument("--data-dir", help=cli.DATA_DIR_HELP + "; also accepted after the command")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_collect, _sql, _cheapest, _fleet, _fake_api, _serve, _demo, _rebuild, _repair, _export,
                _schedule, _status, _alerts, _stock):
        add(commands)
    _site(commands)  # listed last
    return parser


def _collect(commands) -> None:
    p = commands.add_parser("collect", help="snapshot the catalog once and publish it")
    cli.add_collect_options(p)
    p.add_argument("--at", type=cli.parse_timestamp,
                   help="simulated observation time (emulator only: sent as X-Fake-Now)")
    p.add_argument("--stock", action="store_true",
                   help="poll only availability, for the regions of the current catalog (a stock snapshot)")
    cli.add_alert_options(p)
    p.set_defaults(handler=handlers.cmd_collect)


def _sql(commands) -> None:
    p = commands.add_parser("sql", help="run a SQL query on the published catalog (read-only)")
    p.add_argument("query")
    cli.add_data_dir(p)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(handler=handlers.cmd_sql)


def _cheapest(commands) -> None:
    p = commands.add_parser("cheapest", help="cheapest plans in stock in a region (or anywhere), at its price")
    p.add_argument("--region", type=cli.catalog_id, help='region id, e.g. fra; "any" searches every region')
    p.add_argument("--continent", help="only regions on this continent, e.g. Europe (implies --region any)")
    p.add_argument("--type", type=cli.catalog_id,
                   help="plan type, e.g. vc2, vhf, vdc, vhp, vcg, vdm, vx1, vbm; voc = every voc-*")
    p.add_argument("--min-vcpu", type=cli.non_negative_int, default=0)
    ram = p.add_mutually_exclusive_group()
    ram.add_argument("--min-ram-mb", type=cli.non_negative_int, default=0)
    ram.add_argument("--min-ram-gb", type=cli.parse_decimal, help="minimum RAM in GB (1 GB = 1024 MB)")
    p.add_argument("--min-disk-gb", type=cli.non_negative_int, default=0)
    p.add_argument("--max-monthly-cost", type=cli.parse_decimal, help="maximum monthly price in USD")
    p.add_argument("--gpu-type", help="GPU model as the API names it, e.g. NVIDIA_A16, NVIDIA_H100")
    p.add_argument("--min-gpu-vram-gb", type=cli.non_negative_int, help="at least this much GPU memory (GB)")
    p.add_argument("--cpu-vendor", help="CPU vendor, e.g. AMD, Intel")
    p.add_argument("--cpu-allocation", choices=("shared", "dedicated"),
                   help="shared vCPUs (vc2, vhf, vhp) or dedicated ones (every other type, bare metal too)")
    p.add_argument("--include-sold-out", action="store_true", help="also list plans offered but sold out")
    p.add_argument("--at", type=cli.parse_timestamp, help="answer as of this moment (ISO-8601, UTC)")
    p.add_argument("--limit", type=cli.positive_int, help="show at most N rows (N >= 1)")
    p.add_argument("--each-region", action="store_true",
                   help="with --region any: one row per (plan, region) instead of each plan once, in its "
                        "cheapest region (the dashboard's ?each_region=1)")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--columns", type=cli.column_list, metavar="A,B,C",
                       help="table columns to show, by key (json/csv always keep every column), e.g. "
                            "plan_id,region_id,monthly_cost_usd,gpu_type")
    shown.add_argument("--wide", action="store_true", help="table: every column (wider than a terminal)")
    cli.add_data_dir(p)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(handler=handlers.cmd_cheapest, check=cli.check_cheapest)


def _fleet(commands) -> None:
    p = commands.add_parser("fleet", help="your servers (VULTR_API_KEY), what they cost now and the cheapest "
                                          "equivalent in stock")
    p.add_argument("--api-version", choices=("v2", "v1"), help="Vultr API version (default v2)")
    p.add_argument("--base-url", help="API base URL (default https://api.vultr.com/v2, or /v1)")
    cli.add_data_dir(p)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(handler=handlers.cmd_fleet)


def _fake_api(commands) -> None:
    p = commands.add_parser("fake-api", help="run the Vultr API emulator in the foreground")
    p.add_argument("--port", type=cli.port_number, default=8080)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--seed-fleet", action="store_true",
                   help="start with a few demo servers (v1 server/list, v2 instances) instead of none")
    p.add_argument("--catalog", choices=("2026-07", "2026-01", "2022", "2021"), default="2026-07",
                   help="the catalog served: 2026-07 (default, the mid-2026 shape), 2026-01 (the January "
                        "2026 recording's shape: separate -sc1 plans, no location_cost), or older recordings")
    p.add_argument("--api-key", metavar="KEY",
                   help="accept only KEY on account endpoints; any other key gets 401 (default: any key)")
    p.set_defaults(handler=handlers.cmd_fake_api)


def _serve(commands) -> None:
    p = commands.add_parser("serve", help="start the Streamlit dashboard")
    p.add_argument("--port", type=cli.port_number, default=8501)
    p.add_argument("--host", default="127.0.0.1")
    cli.add_data_dir(p)
    p.add_argument("--fleet", action="store_true",
                   help='also show the private "Your fleet" page (live, needs VULTR_API_KEY)')
    p.add_argument("--api-version", choices=("v2", "v1"), help="API version of the fleet page (default v2)")
    p.add_argument("--base-url", help="API base URL of the fleet page")
    p.set_defaults(handler=handlers.cmd_serve)


def _demo(commands) -> None:
    p = commands.add_parser("demo", help="emulator + collect + dashboard, all local")
    p.add_argument("--port", type=cli.port_number, default=8501)
    p.add_argument("--days", type=cli.non_negative_int, default=0,
                   help="simulate this many days of history first (0 = one snapshot now)")
    p.add_argument("--step-hours", type=cli.positive_int, default=24,
                   help="hours between snapshots older than a day (default 24; 1 = hourly throughout)")
    p.add_argument("--fresh", action="store_true",
                   help="rebuild the history even if the one in the directory was built by this same code")
    p.add_argument("--no-serve", action="store_true", help="build the demo data, do not start the app")
    cli.add_data_dir(p, help="demo data directory (default ./data/demo)")
    p.set_defaults(handler=handlers.cmd_demo)


def _rebuild(commands) -> None:
    p = commands.add_parser("rebuild", help="re-derive staging, history and changes from the raw layer alone")
    cli.add_data_dir(p)
    p.set_defaults(handler=handlers.cmd_rebuild)


def _repair(commands) -> None:
    p = commands.add_parser("repair", help="keep a damaged warehouse aside and rebuild it from its readable raw rows")
    cli.add_data_dir(p)
    p.set_defaults(handler=handlers.cmd_repair)


def _export(commands) -> None:
    p = commands.add_parser("export", help="write every public view and history table as parquet or csv")
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    p.add_argument("--out", required=True, help="output directory (history Hive-partitioned by month)")
    p.add_argument("--overwrite", action="store_true", help="replace the tables in a non-empty --out")
    cli.add_data_dir(p)
    p.set_defaults(handler=handlers.cmd_export)


def _site(commands) -> None:
    p = commands.add_parser("site", help="write the catalog as a static site (pages, JSON, Parquet, Atom feeds)")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="the site: a link to its newest build, swapped at once (builds kept in .DIR.builds beside it)")
    cli.add_data_dir(p)
    p.add_argument("--base-url", help="the URL the site is served at, for absolute links in the feeds "
                                      "(default: relative links)")
    p.add_argument("--serve", action="store_true", help="then preview it at http://127.0.0.1:PORT/ until Ctrl-C")
    p.add_argument("--port", type=int, default=8000, help="port of --serve (default 8000)")
    p.set_defaults(handler=handlers.cmd_site)


def _schedule(commands) -> None:
    p = commands.add_parser("schedule", help="collect now and then on a schedule, until SIGTERM/SIGINT")
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--every", metavar="DURATION", type=cli.duration, help="interval between runs, e.g. 30s, 15m, 1h")
    when.add_argument("--cron", metavar="EXPR", help='crontab expression in UTC, e.g. "*/15 * * * *"')
    p.add_argument("--jitter", metavar="DURATION", type=cli.duration,
                   help="delay each run by a random 0..DURATION (whole seconds)")
    p.add_argument("--stock-every", metavar="DURATION", type=cli.duration,
                   help="also poll only availability this often between full collections, e.g. 1m")
    p.add_argument("--site", metavar="DIR", help="rebuild the static site in DIR after every successful publish "
                                                 "(as `vultr-catalog site --out DIR`)")
    cli.add_collect_options(p)
    cli.add_alert_options(p)
    p.set_defaults(handler=handlers.cmd_schedule)


def _status(commands) -> None:
    p = commands.add_parser("status", help="collector health: last success and failure, next run, staleness")
    cli.add_data_dir(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(handler=handlers.cmd_status)


def _alerts(commands) -> None:
    p = commands.add_parser("alerts", help="alert rules: `alerts test RULES [--send]`")
    sub = p.add_subparsers(dest="alerts_command", required=True, metavar="SUBCOMMAND")
    t = sub.add_parser("test", help="show what the rules would have matched over the stored history")
    t.add_argument("rules", metavar="RULES", help="alert rules file (TOML)")
    t.add_argument("--send", action="store_true",
                   help="instead, send one sample message to every webhook and notify URL of the file")
    cli.add_data_dir(t)
    t.add_argument("--format", choices=FORMATS, default="table")
    t.set_defaults(handler=handlers.cmd_alerts_test)


def _stock(commands) -> None:
    p = commands.add_parser("stock", help="a plan's stock outlook per region: sell-outs, how long they last, share in stock")
    p.add_argument("plan", metavar="PLAN", type=cli.catalog_id, help="plan id, e.g. vhf-2c-4gb")
    p.add_argument("--region", type=cli.catalog_id, help="one region (default: every region that offered it)")
    p.add_argument("--days", type=cli.positive_int, default=30, help="the window, in days before the latest snapshot")
    cli.add_data_dir(p)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.set_defaults(handler=handlers.cmd_stock)
