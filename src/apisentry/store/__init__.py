"""The embedded DuckDB store: events, findings, and the files they came from."""

from apisentry.store.duckdb_store import Store, StoreError

__all__ = ["Store", "StoreError"]
