"""Where alerts go: webhooks (our JSON POST, deliver.py) and Apprise notification URLs (`notify`: Telegram,
Discord, Slack, Matrix, ntfy, email, ... one URL syntax, https://github.com/caronc/apprise).

A notification URL holds secrets (a bot token, a password, a webhook path). It lives only in the rules
file: the warehouse keeps its hash (`target_key`) and a redacted form (`redact`: `tgram://****/****`), and
every part of it that could be a secret is registered with pipeline.secrets, so logs and error texts are
scrubbed of it whatever logged it (Apprise's own log lines included)."""
from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pipeline.errors import ConfigError
from pipeline.secrets import register

log = logging.getLogger(__name__)
MASK = "****"
MIN_SECRET_CHARS = 5  # shorter parts (`to`, `v2`) are not worth scrubbing out of every log line


def target_key(url: str) -> str:
    """What the outbox stores for a URL: its hash (the URL itself stays in the rules file)."""
    return "sha256:" + hashlib.sha256(url.encode("utf-8")).hexdigest()


def redact(url: str) -> str:
    """The URL with every part that may be a secret masked: user, password, path segments, query values,
    and the host unless it is one (has a dot, or is localhost): `tgram://****/****`,
    `mailto://****:****@mail.example.com?to=****`, `json://127.0.0.1:8080/****`."""
    parts = urlsplit(url)
    host, _, port = _host_port(parts.netloc.rpartition("@")[2])
    shown = host if _is_hostname(host) else MASK
    netloc = shown + (f":{port}" if port and shown != MASK else "")
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = ":".join(MASK for _ in userinfo.split(":", 1)) + "@" + netloc
    path = "/".join(MASK if segment else "" for segment in parts.path.split("/"))
    query = "&".join(f"{k}={MASK}" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return f"{parts.scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def register_secrets(url: str) -> None:
    """Every part of the URL that redact() masks (and the URL itself) is scrubbed from logs and errors."""
    parts = urlsplit(url)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    host = _host_port(hostport)[0]
    candidates = [url, *userinfo.split(":", 1), *parts.path.split("/"), parts.fragment,
                  *(v for _, v in parse_qsl(parts.query, keep_blank_values=True))]
    if not _is_hostname(host):
        candidates.append(hostport)
    for value in candidates:
        for form in {value, unquote(value)}:
            if len(form) >= MIN_SECRET_CHARS:
                register(form)


def check_notify_url(url: object, where: str) -> str:
    """The URL if Apprise knows its scheme and can parse it; ConfigError naming only its redacted form."""
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError(f"{where}: notify takes Apprise URLs such as \"tgram://BOTTOKEN/CHATID\"")
    register_secrets(url)  # first: Apprise logs a URL it cannot parse, in full
    if _instantiate(url) is None:
        raise ConfigError(f"{where}: notify URL {redact(url)} is not one Apprise can use (scheme or format;"
                          " see https://github.com/caronc/apprise/wiki)")
    return url


def send_apprise(url: str, title: str, body: str, timeout_s: float, budget_s: float) -> str | None:
    """Notify through Apprise in a daemon thread given `budget_s` of wall clock; None on success, else a
    short error (never the URL's secrets). A receiver that trickles is left behind at the budget, so it
    never holds the collection or the lock: its thread lingers until the receiver lets go (Apprise's sockets
    are out of our reach), and the alert is retried later, so that receiver may get it twice."""
    outcome: dict[str, object] = {}
    worker = threading.Thread(target=_notify, args=(url, title, body, timeout_s, outcome), daemon=True,
                              name="alert-apprise")
    worker.start()
    worker.join(budget_s)
    if "ok" not in outcome:
        return no_answer(budget_s)
    return None if outcome["ok"] else str(outcome.get("error") or "not delivered")


def no_answer(budget_s: float) -> str:
    """The error of a delivery cut at its time budget (webhook or Apprise)."""
    return f"no answer within {round(budget_s, 1):g} s"


def _notify(url: str, title: str, body: str, timeout_s: float, outcome: dict[str, object]) -> None:
    import apprise

    try:
        # in this (daemon) thread, not Apprise's pools (no service_timeout: it waits in a pool thread), so a
        # stuck receiver holds neither the pass (our budget) nor the process at exit (a pool thread would)
        asset = apprise.AppriseAsset(async_mode=False, service_timeout=0)
        plugin = _instantiate(url, asset)
        if plugin is None:
            outcome.update(ok=False, error="Apprise cannot use this URL")
            return
        # Apprise's own per-socket timeouts (its URL arguments cto/rto), so a dead host fails fast
        plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout_s
        notifier = apprise.Apprise(asset=asset)
        notifier.add(plugin)
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = bool(notifier.notify(body=body, title=title))
        lines = [line.split(" - ", 2)[-1] for line in captured.getvalue().splitlines() if line.strip()]
        outcome.update(ok=ok, error=("apprise: " + lines[-1]) if lines else None)
    except Exception as exc:  # any failure is a failed delivery, retried later
        outcome.update(ok=False, error=f"apprise: {type(exc).__name__}")


def _instantiate(url: str, asset: Any = None) -> Any:
    import apprise

    return apprise.Apprise.instantiate(url, asset=asset, suppress_exceptions=True)


def _host_port(hostport: str) -> tuple[str, str, str]:
    if hostport.startswith("["):  # [ipv6]:port
        host, _, rest = hostport.partition("]")
        return host + "]", ":", rest.lstrip(":")
    return hostport.partition(":")


def _is_hostname(host: str) -> bool:
    return host == "localhost" or host.startswith("[") or ("." in host and all(host.split(".")))
