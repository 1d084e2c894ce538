"""A snapshot's status, named once (a leaf). The warehouse's CHECK constraint (schema migration
007_snapshot_status_check.sql) allows exactly these values."""
from __future__ import annotations

from enum import StrEnum


class SnapshotStatus(StrEnum):
    RUNNING = "running"    # being collected; a killed collector leaves it so until the next run marks it failed
    OK = "ok"              # collected, applied to history, published
    FAILED = "failed"      # an endpoint failed, the bodies could not be normalized, or publishing failed
    REJECTED = "rejected"  # stored raw but not applied: the quality gate found it implausible


def history_stands(status: str | None, content_hash: str | None) -> bool:
    """Whether a snapshot's history writes stand: it is ok, or it failed only at publishing, after
    the commit that applied it (that commit is what sets content_hash; a failure never does). In SQL:
    the warehouse's _applied_snapshots view (schema/009_applied_snapshots.sql)."""
    return status == SnapshotStatus.OK or (status == SnapshotStatus.FAILED and content_hash is not None)
