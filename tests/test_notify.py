"""Apprise delivery beside webhooks, with real receivers: an email at a local SMTP server (aiosmtpd) for a
restock the emulator plays, end to end through `schedule`; `json://` at a local HTTP receiver; a receiver
that is down is retried, one that trickles is cut at the budget; no secret of a notification URL is found
in any file, log, table or export. Also the new rule keys (gpu_type, min_gpu_vram_gb, continent,
cpu_allocation) and `alerts test --send`."""
from __future__ import annotations

import json
import socketserver
import threading
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from pipeline.errors import ConfigError
from pipeline.service.alerts import load_rules
from pipeline.service.alerts import test_rules as match_history
from pipeline.service.alerts.channels import redact
from tests.conftest import (
    RETRY_SOON,
    SmtpReceiver,
    deliver_after_outage,
    free_port,
    log_text,
    ok_count,
    run_cli,
    running_schedule,
    status_json,
    stop,
    wait_for,
    write_rules,
)

SMTP_USER, SMTP_PASSWORD = "alerts-user", "smtp-pass-8e2f1c"
JSON_TOKEN, QUERY_TOKEN = "json-tok-5d9a3b", "qtoken-77c1e0"
SECRETS = (SMTP_PASSWORD, JSON_TOKEN, QUERY_TOKEN, "secret-token")  # the last: Receiver.url's webhook path


def mailto(smtp: SmtpReceiver) -> str:
    return (f"mailto://{SMTP_USER}:{SMTP_PASSWORD}@127.0.0.1:{smtp.port}"
            "?from=alerts@example.com&to=me@example.com&mode=insecure")


def json_url(port: int) -> str:
    return f"json://127.0.0.1:{port}/hooks/{JSON_TOKEN}?token={QUERY_TOKEN}"


def restock_rule(*urls: str, extra: str = "") -> str:
    """Restocks in four regions (a few a minute on the fast clock: enough to see, few enough to deliver)."""
    listed = ", ".join(json.dumps(u) for u in urls)
    return (f'[[rule]]\nname = "restocks"\nentity = "availability"\nchange_type = "added"\n'
            f'regions = ["fra", "ams", "ewr", "sjc"]\nnotify = [{listed}]\n{extra}')


@pytest.fixture
def smtp():
    server = SmtpReceiver(SMTP_USER, SMTP_PASSWORD)
    yield server
    server.close()


@pytest.mark.parametrize("url, shown", [
    ("tgram://123456789:AAHbottoken/12345678", "tgram://****/****"),
    ("mailto://user:pass@mail.example.com?to=me@example.com", "mailto://****:****@mail.example.com?to=****"),
    ("json://127.0.0.1:8080/hooks/tok?token=abc", "json://127.0.0.1:8080/****/****?token=****"),
    ("discord://webhookid/webhooktoken", "discord://****/****"),
    ("ntfys://ntfy.sh/my-topic", "ntfys://ntfy.sh/****"),
])
def test_redacted_form_keeps_no_secret(url, shown):
    assert redact(url) == shown


@pytest.mark.parametrize("text, message", [
    ("[[rule]]\nname = 'x'\nnotify = 'nosuchscheme://tok-abcdef/chat-12345'", "notify URL nosuchscheme://****/****"),
    ("[[rule]]\nname = 'x'\nnotify = 5", "notify must be an Apprise URL"),
    ("[[rule]]\nname = 'x'\nnotify = []\nlog = false", "has no action"),
    ("[[rule]]\nname = 'x'\ncpu_allocation = 'half'", "unknown cpu_allocation half"),
    ("[[rule]]\nname = 'x'\nmin_gpu_vram_gb = -4", "min_gpu_vram_gb must be a whole number"),
    ("[[rule]]\nname = 'x'\n[delivery]\nnotify = 'tgram://'", "notify URL tgram://"),
])
def test_bad_notify_and_rule_keys_are_rejected_without_the_secret(tmp_path, text, message):
    with pytest.raises(ConfigError) as error:
        load_rules(write_rules(tmp_path / "rules.toml", text))
    assert message in str(error.value) and "tok-abcdef" not in str(error.value)


def test_delivery_notify_is_the_default_of_rules_without_their_own(tmp_path):
    config = load_rules(write_rules(tmp_path / "rules.toml", """
[[rule]]
name = "A100 back anywhere in Europe"
entity = "availability"
change_type = "added"
gpu_type = "nvidia_a100_pcie"
min_gpu_vram_gb = 40
continent = "Europe"
cpu_allocation = "Dedicated"

[[rule]]
name = "quiet"
notify = []

[delivery]
notify = ["tgram://123456789:AAHbottoken/12345678", "ntfys://ntfy.sh/my-topic"]
"""))
    first, quiet = config.rules
    assert (first.gpu_types, first.min_gpu_vram_gb, first.continents, first.cpu_allocations) == (
        ("NVIDIA_A100_PCIE",), 40, ("europe",), ("dedicated",))
    assert config.notify_urls(first) == config.delivery.notify and config.notify_urls(quiet) == ()
    assert len(config.targets()) == 2 and all(k.startswith("sha256:") for k in config.targets())


def test_gpu_continent_and_cpu_rules_match_the_history(demo_dir, tmp_path):
    rules = write_rules(tmp_path / "rules.toml", """
[[rule]]
name = "big GPUs back in Europe"
entity = "availability"
change_type = "added"
min_gpu_vram_gb = 20
continent = "europe"

[[rule]]
name = "dedicated sell-outs in Asia"
entity = "availability"
change_type = "removed"
cpu_allocation = "dedicated"
continent = "Asia"
""")
    found = Counter(match_history(load_rules(rules), demo_dir)["rule_name"])
    con = duckdb.connect(str(demo_dir / "catalog.duckdb"), read_only=True)
    expected = {name: con.execute(
        "select count(*) from catalog_changes c join plans p on p.plan_id = c.entity_id"
        " join regions r on r.region_id = c.region_id where c.entity = 'availability' and " + where).fetchone()[0]
        for name, where in {
            "big GPUs back in Europe": "c.change_type = 'added' and p.gpu_vram_gb >= 20 and r.continent = 'Europe'",
            "dedicated sell-outs in Asia": "c.change_type = 'removed' and p.cpu_allocation = 'dedicated'"
                                           " and r.continent = 'Asia'",
        }.items()}
    con.close()
    assert all(expected.values())  # the demo history has both, so the rules are tested on real matches
    assert {name: found.get(name, 0) for name in expected} == expected


def test_alerts_test_send_reaches_every_channel_and_names_the_failed(tmp_path, smtp, receiver):
    down = free_port()
    rules = write_rules(tmp_path / "rules.toml", restock_rule(mailto(smtp), json_url(receiver.server.server_address[1]),
                                                              json_url(down), extra='webhook = "' + receiver.url + '"'))
    result = run_cli("alerts", "test", str(rules), "--send")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["sent", "sent", "sent", "FAILED"]
    assert f"json://127.0.0.1:{down}/****/****?token=****" in lines[3]
    assert "back in stock in fra at $1752.00/month" in smtp.texts()[0].replace(",", "")
    messages = [b.get("message") or b.get("text") for b in receiver.bodies]
    assert len(messages) == 2 and all("Test message" in m and "9 h (p90)" in m for m in messages)
    assert not any(s in result.stdout + result.stderr for s in SECRETS)


def test_restock_email_end_to_end_through_schedule_and_no_secret_anywhere(living_api, data_dir, tmp_path, smtp,
                                                                          receiver):
    port = receiver.server.server_address[1]
    rules = write_rules(tmp_path / "rules.toml",
                        restock_rule(mailto(smtp), json_url(port), extra=f'webhook = "{receiver.url}"'))
    with running_schedule(living_api, data_dir, "--alerts", str(rules), options=("--debug",)) as process:
        wait_for(lambda: smtp.messages and ok_count(data_dir) >= 3 and status_json(data_dir)["alerts"]["pending"] == 0,
                 what="an alert email")
        assert stop(process) == 0
    expected = match_history(load_rules(rules), data_dir)
    assert len(smtp.messages) == len(expected) >= 1  # once each
    text = smtp.texts()[0]
    assert " back in stock in " in text and " sell-out" in text and "Since 20" in text, text  # a short history
    assert smtp.messages[0]["Subject"] == "vultr-catalog: restocks"
    webhooks = [b for b in receiver.bodies if "alert_id" in b]
    assert Counter(b["alert_id"] for b in webhooks) == Counter(expected["alert_id"])
    assert len(receiver.bodies) - len(webhooks) == len(expected)  # the json:// ones
    assert webhooks[0]["outlook"]["window_days"] == 30 and "sell-out" in webhooks[0]["text"]
    export = tmp_path / "export"
    assert run_cli("export", "--out", str(export), "--data-dir", str(data_dir)).returncode == 0
    status = run_cli("status", "--data-dir", str(data_dir), "--format", "json").stdout
    assert_no_secret(tmp_path, [log_text(data_dir), status])


def assert_no_secret(root: Path, texts: list[str]) -> None:
    """No secret in any file under root (bytes), in any text column of the DuckDB files, or in the texts."""
    for path in (p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".toml")):
        data = path.read_bytes()
        assert not [s for s in SECRETS if s.encode() in data], path
    for database in root.rglob("*.duckdb"):  # strings may be stored compressed: ask DuckDB too
        con = duckdb.connect(str(database), read_only=True)
        columns = con.execute("select table_name, column_name from information_schema.columns"
                              " where data_type = 'VARCHAR' and table_schema = 'main'").fetchall()
        for table, column in columns:
            hits = con.execute(f'select count(*) from "{table}" where ' + " or ".join(
                f'contains("{column}", ?)' for _ in SECRETS), list(SECRETS)).fetchone()[0]
            assert hits == 0, (database.name, table, column)
        con.close()
    assert not [s for s in SECRETS for text in texts if s in text]


def test_notify_down_then_up_is_retried_until_delivered(living_api, data_dir, tmp_path):
    port = free_port()  # nothing listens yet: connection refused
    rules = write_rules(tmp_path / "rules.toml", restock_rule(json_url(port), extra=RETRY_SOON))
    receiver = deliver_after_outage(living_api, data_dir, rules, port)
    assert len(receiver.bodies) == len(match_history(load_rules(rules), data_dir))  # each once
    assert "apprise=json://127.0.0.1:" in log_text(data_dir) and "failed (attempt 1)" in log_text(data_dir)
    assert JSON_TOKEN not in log_text(data_dir)


class Trickler(socketserver.ThreadingTCPServer):
    """Answers any request one byte every 0.3 s, forever (until closed)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.closed = threading.Event()
        trickler = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\n" * 1000:
                    if trickler.closed.wait(0.3):
                        return
                    try:
                        self.request.sendall(bytes([byte]))
                    except OSError:
                        return

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.closed.set()
        self.shutdown()
        self.server_close()


def test_a_trickling_receiver_is_cut_at_the_budget(living_api, data_dir, tmp_path):
    trickler = Trickler()
    delivery = "[delivery]\nbudget_s = 2\ntimeout_s = 2\nretry_base_s = 0.5\nretry_max_s = 1\n"
    rules = write_rules(tmp_path / "rules.toml", restock_rule(json_url(trickler.server_address[1]), extra=delivery))
    with running_schedule(living_api, data_dir, "--alerts", str(rules)) as process:
        wait_for(lambda: "failed (attempt 1): no answer within" in log_text(data_dir),
                 what="a delivery cut at the budget")
        cut = ok_count(data_dir)
        wait_for(lambda: ok_count(data_dir) >= cut + 3, what="collections going on while the receiver trickles")
        assert stop(process) == 0  # the stuck delivery thread holds neither the lock nor the exit
        trickler.close()
    assert status_json(data_dir)["alerts"]["pending"] > 0
    assert "no answer within" in (status_json(data_dir)["alerts"]["last_error"] or "")


def test_a_receiver_gone_from_the_rules_is_abandoned(living_api, data_dir, tmp_path):
    port = free_port()
    rules = write_rules(tmp_path / "rules.toml", restock_rule(json_url(port), extra="[delivery]\nretry_base_s = 60\n"))
    with running_schedule(living_api, data_dir, "--alerts", str(rules)) as process:
        wait_for(lambda: (status_json(data_dir).get("alerts") or {}).get("pending"), what="pending alerts")
        assert stop(process) == 0
    write_rules(rules, '[[rule]]\nname = "restocks"\nentity = "availability"\nlog = true\n')
    with running_schedule(living_api, data_dir, "--alerts", str(rules)) as process:
        wait_for(lambda: (status_json(data_dir).get("alerts") or {}).get("abandoned"), what="abandoned alerts")
        assert stop(process) == 0
    assert "its URL is no longer in the rules file" in log_text(data_dir)
