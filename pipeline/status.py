"""A snapshot's status, named once (a leaf). The warehouse's CHECK constraint (schema migration
003_snapshot_status.sql) allows exactly these values."""
from __future__ import annotations

from enum import StrEnum


class SnapshotStatus(StrEnum):
    RUNNING = "running"    # being collected; a killed collector leaves it so until the next run marks it failed
    OK = "ok"              # collected, applied to history, published
    FAILED = "failed"      # an endpoint failed, or the bodies could not be normalized
    REJECTED = "rejected"  # stored raw but not applied: the quality gate found it implausible


FAILURES = (SnapshotStatus.FAILED, SnapshotStatus.REJECTED)
