"""vultr-catalog: snapshots Vultr's public catalog into DuckDB with full change history."""

__version__ = "0.1.0"
