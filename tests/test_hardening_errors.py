"""Hardening (issue 26): no tracebacks, bounded warnings, the emulator's answers to bad requests. Each
case is one `Error:` line (exit 2 for usage, 1 otherwise), over loopback or real files: a duration too
long for a scheduler, `plans: null`, a directory where a file belongs, every damaged file named by
`status` with `repair`; a 100 KB plan id quoted cut to a fixed length with its size; the emulator
answering 400/413 like Vultr's front end, never a dropped connection."""
from __future__ import annotations

import json
import shutil
import socket

import pytest

from pipeline.fakeapi import FakeVultr
from pipeline.paths import catalog_path, lock_path, warehouse_path
from tests.conftest import FAST_V2
from tests.test_no_false_sellouts import RewritingProxy, rows

KEY = "HARDKEY0123456789ABCDEFGHIJ"


def collect_args(base_url, data_dir, *extra):
    return ("collect", "--base-url", f"{base_url}/v2", "--data-dir", str(data_dir), *FAST_V2, *extra)


def one_error(run) -> str:
    assert run.stdout == "" and "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    return line


def test_a_duration_too_long_for_a_scheduler_is_a_usage_error(cli):
    run = cli("schedule", "--every", "1h", "--stock-every", "100000000d")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "duration too long: '100000000d' (at most 3650d)" in run.stderr


def test_a_list_that_is_null_fails_in_one_line_naming_the_endpoint(api, data_dir, cli):
    proxy = RewritingProxy(api.base_url, "/v2/plans", b'{"plans": null, "meta": {"total": 0, "links": {}}}')
    try:
        run = cli(*collect_args(proxy.base_url, data_dir))
    finally:
        proxy.close()
    assert run.returncode == 1
    assert one_error(run) == "Error: GET /plans: field `plans` is not a list (sent null)"


def test_a_huge_plan_id_is_quoted_cut_with_its_size(api, data_dir, cli):
    assert cli(*collect_args(api.base_url, data_dir)).returncode == 0
    huge = "vc2-" + "x" * 100_000
    proxy = RewritingProxy(api.base_url, "/v2/regions/fra/availability",
                           json.dumps({"available_plans": ["vc2-1c-1gb", huge]}).encode())
    try:
        run = cli(*collect_args(proxy.base_url, data_dir, "--stock"))
    finally:
        proxy.close()
    assert run.returncode == 0, run.stderr
    (warning,) = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert len(warning) < 300 and "... (100,004 chars)" in warning
    (stored,) = rows(data_dir, "select warnings from snapshots order by snapshot_id desc limit 1")[0]
    assert len(stored) < 300 and "(100,004 chars)" in stored


@pytest.mark.parametrize("name", ["catalog.duckdb", "collector.lock"])
def test_a_directory_where_a_file_belongs_is_named_with_what_to_do(api, data_dir, cli, name):
    assert cli(*collect_args(api.base_url, data_dir)).returncode == 0
    path = data_dir / name
    path.unlink()
    path.mkdir()
    (path / "something").write_text("x")
    for args in (collect_args(api.base_url, data_dir), ("repair", "--data-dir", str(data_dir)),
                 ("sql", "select 1", "--data-dir", str(data_dir))):
        run = cli(*args)
        if name == "collector.lock" and args[0] == "sql":
            assert run.returncode == 0  # a reader takes no lock
            continue
        assert run.returncode == 1, args
        line = one_error(run)
        assert f"{path} is a directory where a file belongs: move it aside" in line, line


def cut_half(path):
    with open(path, "r+b") as f:
        f.truncate(path.stat().st_size // 2)


@pytest.mark.parametrize("damage", ["half", "zero"])
def test_status_names_every_damaged_file_with_repair(api, data_dir, cli, damage):
    for _ in range(2):
        assert cli(*collect_args(api.base_url, data_dir)).returncode == 0
    spare = data_dir.parent / "spare"
    shutil.copytree(data_dir, spare)
    for target in (warehouse_path(data_dir), catalog_path(spare)):
        cut_half(target) if damage == "half" else target.write_bytes(b"\0" * target.stat().st_size)
    run = cli("status", "--data-dir", str(data_dir))
    assert run.returncode == 0
    assert f"damaged         warehouse.duckdb: run `vultr-catalog repair --data-dir {data_dir}`" in run.stdout
    run = cli("status", "--data-dir", str(spare))
    assert run.returncode == 1
    assert one_error(run) == (f"Error: the catalog file {catalog_path(spare)} is damaged: run `vultr-catalog repair "
                              f"--data-dir {spare}` (or the next successful `vultr-catalog collect` replaces it)")
    assert lock_path(data_dir).exists()


@pytest.fixture
def emulator():
    with FakeVultr(rate_limit=False, api_key=KEY).start() as api:
        yield api


def exchange(api: FakeVultr, request: bytes) -> bytes:
    """One raw request; the whole answer (the server closes, or Content-Length says it is complete)."""
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while True:
            chunk = sock.recv(65536)
            answer += chunk
            head, _, body = answer.partition(b"\r\n\r\n")
            length = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
            if not chunk or (length and len(body) >= int(length[0].split(b":")[1])):
                return answer


def post(path: str, body: bytes, length: str | None = None) -> bytes:
    return (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length if length is not None else len(body)}\r\n\r\n").encode() + body


@pytest.mark.parametrize("request_bytes, status, message", [
    (post("/v2/instances", b"", "abc"), 400, b"Invalid Content-Length header."),
    (post("/v2/instances", b"", "-5"), 400, b"Invalid Content-Length header."),
    (post("/v2/instances", b"x" * 1000, str(100 << 20)), 413, b"Request Entity Too Large"),
    (post("/v2/instances", b"[" * 100_000 + b"]" * 100_000), 400, b"Invalid JSON body."),
    (post("/v2/instances", b'{"label": "' + b"x" * (2 << 20) + b'"}'), 413, b"Request Entity Too Large"),
], ids=["length-abc", "length-negative", "length-100MB", "nested-json", "label-2MB"])
def test_the_emulator_answers_bad_requests_like_vultr(emulator, request_bytes, status, message):
    answer = exchange(emulator, request_bytes)
    assert answer.startswith(f"HTTP/1.1 {status} ".encode()) and message in answer
    listed = exchange(emulator, f"GET /v2/instances HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
                                "Connection: close\r\n\r\n".encode())
    assert listed.startswith(b"HTTP/1.1 200 ") and len(listed) < 10_000  # nothing huge was stored
