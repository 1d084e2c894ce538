"""Deterministic seeded hashing: the emulator's only source of randomness.

Python's ``hash()`` is salted per process and ``random`` is stateful, so neither can
answer "what was the stock of (region, plan) at hour h" in O(1) and the same way in
every process. Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import hashlib

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def key64(*parts: object) -> int:
    """A stable 64-bit key for any tuple of printable parts (slow-ish: precompute it)."""
    text = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def mix64(key: int, n: int) -> int:
    """splitmix64 of (key, n): cheap enough to call per pair per request."""
    z = (key + (n + 1) * _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def unit(key: int, n: int = 0) -> float:
    """A uniform float in [0, 1) derived from (key, n)."""
    return mix64(key, n) / 2.0**64


def sold_out(seed: int, region_id: object, plan_id: object, share: float = 0.15) -> bool:
    """The static sold-out rule: a fixed, seeded ~15 % of offered pairs are out of stock."""
    return unit(key64("stock", seed, region_id, plan_id)) < share
