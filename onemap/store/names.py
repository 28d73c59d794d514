"""图层名称规则: one rule for every layer name a store accepts (both providers, the importer, the API).

A layer name becomes a table name in SQLite and PostgreSQL, a path segment of the OGC API and a file
name in exports, so it is held to the narrowest form all of them take unquoted: an ASCII letter, then
letters, digits or underscores, at most ``MAX_LENGTH`` characters (PostgreSQL truncates identifiers at
63 bytes; the stores derive index and R-tree names such as ``rtree_<name>_geom`` from it). Names
the stores or the services use themselves are reserved (``data/reserved_layer_names.csv``), compared
without regard to case because SQLite table names are case-insensitive.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from importlib import resources

from onemap.errors import InputError

MAX_LENGTH = 48
_RULE = re.compile(rf"[A-Za-z][A-Za-z0-9_]{{0,{MAX_LENGTH - 1}}}")


class LayerNameError(InputError):
    """A layer name breaks the layer-name rule (answered 400)."""


@lru_cache
def reserved_names() -> tuple[tuple[str, str, str], ...]:
    """``(pattern, kind, reason)`` rows of the reserved-name list; ``kind`` is ``name`` or ``prefix``."""
    text = resources.files("onemap.store").joinpath("data", "reserved_layer_names.csv").read_text(encoding="utf-8")
    return tuple((row["pattern"].lower(), row["kind"], row["reason"]) for row in csv.DictReader(text.splitlines()))


def _reserved_reason(name: str) -> str | None:
    lowered = name.lower()
    for pattern, kind, reason in reserved_names():
        if (kind == "prefix" and lowered.startswith(pattern.rstrip("*"))) or (kind == "name" and lowered == pattern):
            return reason
    return None


def check_layer_name(name: object) -> str:
    """Return ``name`` when it follows the layer-name rule, else raise :class:`LayerNameError`.

    >>> check_layer_name("DLTB")
    'DLTB'
    >>> try:
    ...     check_layer_name("catalog")
    ... except LayerNameError as error:
    ...     print(error.message_zh[:18])
    图层名称“catalog”是保留名称
    """
    text = name if isinstance(name, str) else ""
    shown = text[:MAX_LENGTH] + ("…" if len(text) > MAX_LENGTH else "")
    if not _RULE.fullmatch(text):
        raise LayerNameError(
            f"图层名称“{shown}”不合法:须以英文字母开头,只含英文字母、数字和下划线,不超过 {MAX_LENGTH} 个字符(如 DLTB)",
            f"layer name {text[:200]!r} breaks the rule",
        )
    reason = _reserved_reason(text)
    if reason:
        raise LayerNameError(f"图层名称“{text}”是保留名称({reason}),请换一个名称", f"reserved layer name {text!r}")
    return text
