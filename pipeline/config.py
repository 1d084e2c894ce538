"""Frozen settings: flags > environment (VULTR_CATALOG_*) > defaults. The API key is never printed."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import secrets
from pipeline.durations import parse_duration
from pipeline.errors import ConfigError

DEFAULT_BASE_URLS = {"v2": "https://api.vultr.com/v2", "v1": "https://api.vultr.com/v1"}
# Vultr's documented limits: v1 allowed 2 requests/s, v2 allows 30 requests/s per IP.
DEFAULT_RATE_LIMITS = {"v2": 30.0, "v1": 2.0}


DEADLINE_ENV = {"VULTR_CATALOG_REQUEST_DEADLINE": "request_deadline_s",
                "VULTR_CATALOG_COLLECTION_DEADLINE": "collection_deadline_s"}
MAX_RESPONSE_ENV = "VULTR_CATALOG_MAX_RESPONSE_MB"


def default_data_dir() -> Path:
    return Path(os.environ.get("VULTR_CATALOG_DATA_DIR") or "data")


MIN_KEY_LENGTH = 16  # Vultr's keys have 36 characters; masking a shorter one would mask ordinary text


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    api_version: str = "v2"
    base_url: str = ""
    api_key: str | None = field(default=None, repr=False)
    requests_per_second: float = 0.0
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    max_retries: int = 4
    backoff_factor_s: float = 0.5
    retry_after_max_s: float = 60.0
    concurrency: int = 8
    per_page: int = 500
    max_pages: int = 200
    # Wall-clock bounds: a read timeout bounds one socket read, not a response trickled byte by byte.
    request_deadline_s: float = 120.0  # one request, retries and body included
    collection_deadline_s: float = 900.0  # every request of one collection
    max_response_bytes: int = 32 << 20  # compressed and decompressed (Vultr's largest list is ~0.5 MB)

    def __post_init__(self) -> None:
        if self.api_version not in DEFAULT_BASE_URLS:
            raise ConfigError(f"unknown API version {self.api_version!r}: use v2 or v1")
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        if not self.base_url:
            object.__setattr__(self, "base_url", DEFAULT_BASE_URLS[self.api_version])
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.requests_per_second <= 0:
            object.__setattr__(self, "requests_per_second", DEFAULT_RATE_LIMITS[self.api_version])
        if self.api_key is not None and len(self.api_key) < MIN_KEY_LENGTH:
            # every stored, logged or printed text masks the key: a short one would mask ordinary words
            raise ConfigError(f"VULTR_API_KEY is {len(self.api_key)} characters long: a Vultr API key has 36, and "
                              f"one shorter than {MIN_KEY_LENGTH} is refused as implausible; check how it is set")
        secrets.register(self.api_key)  # scrubbed from anything stored, logged or printed from now on


def settings_from_env(**overrides: object) -> Settings:
    """Build Settings from the environment, then apply non-None overrides (the CLI flags)."""
    values: dict[str, object] = {"api_key": api_key_from_env()}
    env_map = {
        "VULTR_CATALOG_API_VERSION": "api_version",
        "VULTR_CATALOG_BASE_URL": "base_url",
        "VULTR_CATALOG_RATE_LIMIT": "requests_per_second",
    }
    for env, key in env_map.items():
        if os.environ.get(env):
            values[key] = os.environ[env]
    for env, key in DEADLINE_ENV.items():
        if os.environ.get(env):
            values[key] = parse_duration(os.environ[env])
    if os.environ.get(MAX_RESPONSE_ENV):
        values["max_response_bytes"] = int(_positive_float(os.environ[MAX_RESPONSE_ENV]) * (1 << 20))
    values.update({k: v for k, v in overrides.items() if v is not None})
    if "requests_per_second" in values:
        values["requests_per_second"] = _positive_float(values["requests_per_second"])
    return Settings(**values)  # type: ignore[arg-type]


def api_key_from_env() -> str | None:
    """VULTR_API_KEY, trimmed (env files often leave a newline); refused, never echoed, if malformed."""
    key = (os.environ.get("VULTR_API_KEY") or "").strip()
    if any(not ch.isprintable() or ch.isspace() for ch in key):
        raise ConfigError("VULTR_API_KEY contains spaces or control characters; check how it is set")
    return key or None


def _positive_float(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"expected a number, got {value!r}") from None
    if number <= 0:
        raise ConfigError(f"expected a positive number, got {value!r}")
    return number
