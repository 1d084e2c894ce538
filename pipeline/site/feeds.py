"""Atom 1.0 feeds of catalog changes (RFC 4287): the newest 500 of all (`feed.atom`), and one per region
(`feeds/region/fra.atom`) and per plan type (`feeds/type/vhf.atom`), since a static host cannot answer
`feed.atom?plan=`.

Each entry's id is a UUID derived from the change itself (snapshot, entity, ids, field), so it is the same
in every build and in every feed that carries it: a reader never sees one change twice.
"""
from __future__ import annotations

import uuid
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from pipeline.site.read import SiteData
from pipeline.site.text import change_line, iso, segment

NAMESPACE = uuid.UUID("6f1d6a52-8c0e-4d8e-9a51-5a1c2f0e7b31")  # this project's; never change it
PLAN_ENTITIES = {"plan", "plan_location", "availability", "plan_price"}


def entry_id(change: dict[str, Any]) -> str:
    key = "|".join(str(change[k]) for k in ("snapshot_id", "entity", "entity_id", "region_id", "field"))
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, 'change|' + key)}"


def _link(change: dict[str, Any], base: str) -> str:
    if change["entity"] in PLAN_ENTITIES:
        return f"{base}plan/{segment(change['entity_id'])}/"
    if change["entity"] == "region":
        return f"{base}region/{segment(change['entity_id'])}/"
    return f"{base}changes/"


def _entry(change: dict[str, Any], base: str) -> str:
    title = change_line(change)
    return (f"<entry><id>{entry_id(change)}</id><title>{escape(title)}</title>"
            f"<updated>{iso(change['changed_at'])}</updated><link rel=\"alternate\" href={quoteattr(_link(change, base))}/>"
            f"<category term={quoteattr(change['entity'])}/>"
            f"<content type=\"text\">{escape(title)} (snapshot {change['snapshot_id']}, {iso(change['changed_at'])})"
            f"</content></entry>")


def atom_feed(data: SiteData, changes: list[dict[str, Any]], key: str, title: str, self_path: str, base: str,
              entries: dict[tuple[str, str], str] | None = None) -> str:
    """One feed. `base` is the site's URL when known (--base-url), else the relative path from the feed's
    folder to the site root: Atom allows relative references, resolved against the feed's own URL."""
    demo = " (demo data)" if data.is_demo else ""
    updated = max((c["changed_at"] for c in changes), default=data.fresh["last_ok_at"] or data.generated_at)
    head = (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>urn:uuid:{uuid.uuid5(NAMESPACE, 'feed|' + key)}</id><title>{escape(title + demo)}</title>"
            f"<updated>{iso(updated)}</updated><author><name>vultr-catalog</name></author>"
            f"<generator>vultr-catalog site</generator>"
            f"<link rel=\"self\" type=\"application/atom+xml\" href={quoteattr(base + self_path)}/>"
            f"<link rel=\"alternate\" type=\"text/html\" href={quoteattr(base + 'changes/')}/>")
    entries = {} if entries is None else entries  # a change is in several feeds: its entry is written once
    parts = []
    for change in changes:
        slot = (entry_id(change), base)
        if slot not in entries:
            entries[slot] = _entry(change, base)
        parts.append(entries[slot])
    return head + "".join(parts) + "</feed>\n"


def feeds(data: SiteData, base_url: str | None) -> dict[str, str]:
    """Path (relative to the site root) -> Atom text, for every feed."""
    def base(path: str) -> str:
        return base_url or "../" * path.count("/")

    entries: dict[tuple[str, str], str] = {}
    out = {"feed.atom": atom_feed(data, data.changes, "all", "Vultr catalog changes", "feed.atom", base("feed.atom"),
                                  entries)}
    for region_id, changes in data.changes_by_region.items():
        path = f"feeds/region/{segment(region_id)}.atom"
        out[path] = atom_feed(data, changes, f"region|{region_id}", f"Vultr catalog changes in {region_id}", path,
                              base(path), entries)
    for plan_type, changes in data.changes_by_type.items():
        path = f"feeds/type/{segment(plan_type)}.atom"
        out[path] = atom_feed(data, changes, f"type|{plan_type}", f"Vultr catalog changes to {plan_type} plans", path,
                              base(path), entries)
    return out
