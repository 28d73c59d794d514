"""Standards as data: code tables, schemas and rules read from files (see ``data/standards.toml``)."""

from onemap.standards.registry import StandardTable, clear_cache, get_table, list_tables

__all__ = ["StandardTable", "clear_cache", "get_table", "list_tables"]
