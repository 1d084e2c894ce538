"""The recorded responses shipped in ``recordings/`` (provenance: recordings/SOURCES.md), and the
compact JSON the emulator answers with."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SAMPLE_DIR = Path(__file__).resolve().parent / "recordings"  # shipped inside the package


@cache
def read_bytes(relpath: str) -> bytes:
    return (SAMPLE_DIR / relpath).read_bytes()


def load_json(relpath: str) -> Any:
    """A fresh parse of a recorded file (callers may mutate the result)."""
    return json.loads(read_bytes(relpath).decode("utf-8"))


def dumps(obj: Any) -> bytes:
    """Compact JSON as the live API sends it; floats keep their recorded text (7.5, 0.003)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
