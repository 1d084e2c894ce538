"""`vultr-catalog demo`: the bundled emulator + collection (+ simulated history) + the dashboard, all local."""
from __future__ import annotations

import logging
from pathlib import Path

from pipeline.collector import collect
from pipeline.config import Settings
from pipeline.serve import serve

log = logging.getLogger(__name__)
DEMO_DATA_DIR = Path("data") / "demo"


def run_demo(port: int, days: int = 0, serve_app: bool = True, data_dir: str | Path | None = None) -> int:
    from pipeline.fakeapi import FakeVultr

    target = Path(data_dir) if data_dir else DEMO_DATA_DIR
    with FakeVultr().start() as api:
        settings = Settings(data_dir=target, base_url=api.base_url + "/v2")
        result = collect(settings)
    print(f"demo catalog: snapshot {result.snapshot_id} in {target} (demo data from the bundled emulator)")
    print(f"try: vultr-catalog cheapest --region fra --type vhf --data-dir {target}")
    if not serve_app:
        return 0
    print(f"dashboard: http://127.0.0.1:{port}/?region=fra&type=vhf")
    return serve(target, port)
