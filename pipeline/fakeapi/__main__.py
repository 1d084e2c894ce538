"""``python -m pipeline.fakeapi [--host H] [--port N] [--catalog 2026-07|2026-01|2022|2021] ...``"""

from __future__ import annotations

import argparse
import logging

from .catalogs import CATALOG_NAMES, DEFAULT_CATALOG
from .server import serve_forever
from .timeline import Timeline


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m pipeline.fakeapi",
                                     description="Run the fake Vultr API in the foreground.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--catalog", choices=CATALOG_NAMES, default=DEFAULT_CATALOG)
    parser.add_argument("--api-key", help="accept only this key on account endpoints (default: any key)")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--synthetic-plans", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-rate-limit", action="store_true")
    parser.add_argument("--timeline", choices=("off", "default", "large"), default="off",
                        help="evolve the v2 catalog over time (honours X-Fake-Now)")
    parser.add_argument("--seed-fleet", action="store_true",
                        help="start with a few demo servers instead of none")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    timeline = (None if args.timeline == "off"
                else Timeline(seed=args.seed, scale=args.timeline, catalog=args.catalog))
    serve_forever(args.host, args.port, catalog=args.catalog, api_key=args.api_key, latency_ms=args.latency_ms,
                  synthetic_plans=args.synthetic_plans, seed=args.seed,
                  rate_limit=not args.no_rate_limit, timeline=timeline, seed_fleet=args.seed_fleet)


if __name__ == "__main__":
    main()
