"""Argument types and shared option groups of the CLI (no command logic here)."""
from __future__ import annotations

import argparse
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pipeline.config import Settings, settings_from_env


def parse_timestamp(text: str) -> datetime:
    """ISO-8601; a naive time is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO-8601 timestamp, e.g. 2026-11-07T00:00Z") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_decimal(text: str) -> Decimal:
    """A finite amount >= 0 (`nan`, `inf` and negatives are refused: they would match nothing or all)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"expected an amount >= 0, e.g. 20 or 7.50, got {text!r}")
    return value


def catalog_id(text: str) -> str:
    """Region ids, plan types and plan ids are lower case in the catalog: FRA means fra."""
    return text.strip().lower()


def duration(text: str) -> str:
    """Validated at parse time, so a malformed duration is a usage error (exit 2), kept as text."""
    from pipeline.durations import parse_duration
    from pipeline.errors import ConfigError

    try:
        parse_duration(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def non_negative_int(text: str) -> int:
    """A whole number >= 0 (`abc`, `-1` and `1.5` are usage errors)."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    return int(text)


def port_number(text: str) -> int:
    """A TCP port, 0..65535 (0: any free port)."""
    if not text.strip().isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def column_list(text: str) -> list[str]:
    """`a,b,c` -> ["a", "b", "c"] (keys are checked against the result's columns when it is printed)."""
    keys = [k.strip().lower() for k in text.split(",") if k.strip()]
    if not keys:
        raise argparse.ArgumentTypeError(f"{text!r} names no column")
    return keys


def check_cheapest(args: argparse.Namespace) -> str | None:
    """What argparse cannot check alone: a place to search, and an --at that is not in the future."""
    if not (args.region or args.continent):
        return "cheapest: give --region ID, --region any or --continent NAME"
    if args.at is not None and args.at > datetime.now(args.at.tzinfo):  # --at is always aware (parse_timestamp)
        return f"--at: {args.at:%Y-%m-%d %H:%M} UTC is in the future; the catalog answers up to now"
    return None


DATA_DIR_HELP = "data directory (default ./data or $VULTR_CATALOG_DATA_DIR)"


def positive_int(text: str) -> int:
    """A whole number >= 1 (`0` is refused: `--limit 0` would otherwise mean no limit)."""
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number")
    if int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number >= 1")
    return int(text)


def add_data_dir(parser: argparse.ArgumentParser, help: str = DATA_DIR_HELP) -> None:
    # SUPPRESS: when not given after the command, the value given before it (or None) stays
    parser.add_argument("--data-dir", default=argparse.SUPPRESS, help=help)


def add_collect_options(parser: argparse.ArgumentParser) -> None:
    add_data_dir(parser)
    parser.add_argument("--api-version", choices=("v2", "v1"), help="Vultr API version (default v2)")
    parser.add_argument("--base-url", help="API base URL (default https://api.vultr.com/v2, or /v1)")
    parser.add_argument("--rate-limit", type=float, help="requests per second (default 30 for v2, 2 for v1)")
    parser.add_argument("--accept-anomalies", action="store_true",
                        help="apply a snapshot even if the quality gate finds it implausible")


def add_alert_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alerts", metavar="RULES",
                        help="alert rules file (TOML) to match new changes against (default $VULTR_CATALOG_ALERTS)")


def collect_settings(args: argparse.Namespace) -> Settings:
    return settings_from_env(data_dir=args.data_dir, api_version=args.api_version,
                             base_url=args.base_url, requests_per_second=args.rate_limit)


def collect_settings_dir(args: argparse.Namespace) -> Path:
    return settings_from_env(data_dir=args.data_dir).data_dir
