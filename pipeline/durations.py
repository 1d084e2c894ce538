"""Durations as people write them (`30s`, `15m`, `1h`, `1h30m`, `2d`) and back."""
from __future__ import annotations

import re

from pipeline.errors import ConfigError

_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
MAX_DAYS = 3650  # a longer step overflows the datetimes a scheduler adds it to


def parse_duration(text: str) -> float:
    """Seconds in a duration such as `30s`, `15m`, `1h30m` or `2d`; ConfigError if malformed or zero."""
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ConfigError(f"not a duration: {text!r} (use e.g. 30s, 15m, 1h, 1h30m, 2d)")
    seconds = sum(float(number) * _UNITS_S[unit] for number, unit in parts)
    if seconds <= 0:
        raise ConfigError(f"duration must be positive, got {text!r}")
    if seconds > MAX_DAYS * _UNITS_S["d"]:
        raise ConfigError(f"duration too long: {text[:40]!r} (at most {MAX_DAYS}d)")
    return seconds


def format_duration(seconds: float) -> str:
    """A short human form: `45s`, `12m 5s`, `3h 20m`, `2d 4h` (at most two units, rounded down)."""
    total = int(abs(seconds))
    sign = "-" if seconds < 0 else ""
    if total < 60:
        return f"{sign}{total}s"
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    pairs = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    first = next(i for i, (value, _) in enumerate(pairs) if value)
    shown = [f"{value}{unit}" for value, unit in pairs[first:first + 2] if value]
    return sign + " ".join(shown)
