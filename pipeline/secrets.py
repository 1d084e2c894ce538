"""The API key in every form it can take in a text (raw, `Bearer <key>`, URL-encoded, JSON-escaped),
and scrubbing those forms out of anything before it is stored, logged, printed or exported.

A leaf: imports nothing from pipeline. Settings registers the key it was given, so code that never
sees the key (the warehouse, the state file, the CLI's error line) can still scrub it.
"""
from __future__ import annotations

import logging
import re
import threading
from urllib.parse import quote, quote_plus

MASK = "***"
_keys: set[str] = set()
_guard = threading.Lock()


def register(key: str | None) -> None:
    """Remember a secret for every later scrub in this process."""
    if key:
        with _guard:
            _keys.add(key)


def registered() -> tuple[str, ...]:
    with _guard:
        return tuple(_keys)


def forms(key: str) -> list[str]:
    """Every spelling of the key worth looking for, longest first (so `Bearer k` goes before `k`)."""
    encoded = {quote(key, safe=""), quote_plus(key, safe=""), quote(key)}
    encoded |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), e) for e in encoded}
    spelled = {key, key.replace("/", "\\/"), *encoded}
    return sorted({f"Bearer {s}" for s in spelled} | spelled, key=len, reverse=True)


def scrub(text: str, keys: tuple[str, ...] | None = None) -> str:
    """The text with every form of every registered (or given) key replaced by ***."""
    for key in keys if keys is not None else registered():
        for form in forms(key):
            if form in text:
                text = text.replace(form, f"Bearer {MASK}" if form.startswith("Bearer ") else MASK)
    return text


def scrub_bytes(data: bytes, keys: tuple[str, ...] | None = None) -> bytes:
    for key in keys if keys is not None else registered():
        for form in forms(key):
            encoded = form.encode("utf-8")
            if encoded in data:
                data = data.replace(encoded, (f"Bearer {MASK}" if form.startswith("Bearer ") else MASK).encode())
    return data


def contains_secret(text: str | bytes, keys: tuple[str, ...] | None = None) -> bool:
    as_bytes = text.encode("utf-8") if isinstance(text, str) else text
    return any(f.encode("utf-8") in as_bytes for k in (keys if keys is not None else registered()) for f in forms(k))


class ScrubFilter(logging.Filter):
    """A handler filter: a log record never carries a registered key (whatever logged it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if registered():
            message = record.getMessage()
            clean = scrub(message)
            if clean != message:
                record.msg, record.args = clean, None
        return True
