"""The filter's internal form and its two evaluators: SQL (SQLAlchemy Core) and vectorised pandas/Shapely.

CQL2 text and JSON compile (in :mod:`onemap.services.cql2`) to this small tree of frozen dataclasses.
Property names are checked against the layer's columns and literals typed before a node is built, so
the evaluators trust their input. SQL gets every value as a bound parameter. Both evaluators follow
SQL's three-valued logic (a comparison with NULL is unknown, NOT unknown is unknown): the GeoPackage
store, which runs spatial predicates in Python, selects exactly what PostGIS selects.

Spatial nodes hold their literal geometry already in the layer CRS; the geometry property is always
the first argument (``S_WITHIN(geometry, literal)``: the feature lies within the literal).
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import reduce

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Compare:
    """``prop op value``; ``casei`` compares lower-cased text (CQL2 CASEI)."""

    prop: str
    kind: str  # the property's simple type: string, integer, number, boolean, date, datetime
    op: str  # =, <>, <, <=, >, >=
    value: object
    casei: bool = False


@dataclass(frozen=True)
class Like:
    """``prop LIKE pattern``: ``%`` any run, ``_`` one character, ``\\`` escapes (CQL2 §7.9)."""

    prop: str
    kind: str
    pattern: str
    casei: bool = False


@dataclass(frozen=True)
class InList:
    """``prop IN (values…)``."""

    prop: str
    kind: str
    values: tuple


@dataclass(frozen=True)
class Between:
    """``prop BETWEEN low AND high`` (inclusive)."""

    prop: str
    kind: str
    low: object
    high: object


@dataclass(frozen=True)
class IsNull:
    """``prop IS NULL``."""

    prop: str
    kind: str


@dataclass(frozen=True)
class Spatial:
    """``S_<op>(geometry, literal)`` with the literal in the layer CRS."""

    op: str  # intersects, disjoint, contains, within, touches, crosses, overlaps, equals
    geometry: BaseGeometry
    srid: int  # the layer's EPSG code


@dataclass(frozen=True)
class Not:
    """``NOT item``."""

    item: Node


@dataclass(frozen=True)
class Logical:
    """``item AND item …`` or ``item OR item …``."""

    op: str  # "and" or "or"
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Constant:
    """``INCLUDE`` (true) or ``EXCLUDE`` (false)."""

    value: bool


Node = Compare | Like | InList | Between | IsNull | Spatial | Not | Logical | Constant
SPATIAL_OPS = ("intersects", "disjoint", "contains", "within", "touches", "crosses", "overlaps", "equals")
_COMPARE = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
            ">=": operator.ge}
_SQL_TYPES = {"string": sa.Text, "integer": sa.BigInteger, "number": sa.Float, "boolean": sa.Boolean,
              "date": sa.Date, "datetime": lambda: sa.DateTime(timezone=True)}
_ST = {op: f"ST_{op.capitalize()}" for op in SPATIAL_OPS}


def walk(node: Node):
    """Every node of the tree, depth first."""
    yield node
    if isinstance(node, Not):
        yield from walk(node.item)
    elif isinstance(node, Logical):
        for item in node.items:
            yield from walk(item)


def properties(node: Node) -> frozenset[str]:
    """The attribute names a tree reads."""
    return frozenset(n.prop for n in walk(node) if hasattr(n, "prop"))


def conjuncts(node: Node) -> tuple[Node, ...]:
    """The items of a top-level AND (or the node itself)."""
    return node.items if isinstance(node, Logical) and node.op == "and" else (node,)


def conjunction(items: list[Node]) -> Node | None:
    """The AND of ``items`` (None for none)."""
    if not items:
        return None
    return items[0] if len(items) == 1 else Logical("and", tuple(items))


def envelope(node: Node) -> tuple[float, float, float, float] | None:
    """A box every match intersects, from top-level spatial conjuncts (all but DISJOINT imply intersecting)."""
    boxes = [n.geometry.bounds for n in conjuncts(node) if isinstance(n, Spatial) and n.op != "disjoint"]
    boxes = [b for b in boxes if not any(np.isnan(b))]
    if not boxes:
        return None
    return max(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes), min(b[3] for b in boxes)


# -- SQL ------------------------------------------------------------------------------------------
def runs_in_sql(node: Node, dialect: str) -> bool:
    """Whether ``dialect`` can run the whole tree: plain SQLite has no spatial SQL and keeps datetimes as text."""
    if dialect == "postgresql":
        return True
    return not any(isinstance(n, Spatial) or getattr(n, "kind", None) == "datetime" for n in walk(node))


def to_sql(node: Node, table: sa.Table, dialect: str, geometry: str = "geom") -> sa.ColumnElement[bool]:
    """The tree as a SQLAlchemy condition on ``table``; values are bound parameters."""
    if isinstance(node, Logical):
        parts = [to_sql(item, table, dialect, geometry) for item in node.items]
        return sa.and_(*parts) if node.op == "and" else sa.or_(*parts)
    if isinstance(node, Not):
        return sa.not_(to_sql(node.item, table, dialect, geometry))
    if isinstance(node, Constant):
        return sa.true() if node.value else sa.false()
    if isinstance(node, Spatial):
        # A constant literal (not one built per row) lets PostGIS use the spatial index.
        literal = sa.func.ST_GeomFromWKB(sa.literal(shapely.to_wkb(node.geometry), sa.LargeBinary),
                                         sa.literal(node.srid, sa.Integer))
        return getattr(sa.func, _ST[node.op])(table.c[geometry], literal)
    column = _sql_column(node, table, dialect)
    if isinstance(node, IsNull):
        return column.is_(None)
    if isinstance(node, Like):
        return column.like(_bind(node.pattern, "string", dialect), escape="\\")
    if isinstance(node, InList):
        return column.in_([_bind(v, node.kind, dialect) for v in node.values])
    if isinstance(node, Between):
        return column.between(_bind(node.low, node.kind, dialect), _bind(node.high, node.kind, dialect))
    return _COMPARE[node.op](column, _bind(node.value, node.kind, dialect))


def _sql_column(node: Node, table: sa.Table, dialect: str) -> sa.ColumnElement:
    column = table.c[node.prop]
    if getattr(node, "casei", False):
        column = sa.func.lower(column)
    if node.kind == "string" and dialect == "postgresql" and not isinstance(node, Like | IsNull):
        # Code-point order, as SQLite and Python compare text, whatever the database's locale.
        column = column.collate("C")
    return column


def _bind(value: object, kind: str, dialect: str) -> sa.BindParameter:
    if dialect == "sqlite" and kind == "date":
        return sa.literal(value.isoformat(), sa.Text)  # GeoPackage keeps DATE as ISO text
    return sa.literal(value, _SQL_TYPES[kind]())


# -- pandas / Shapely ----------------------------------------------------------------------------
def evaluate(node: Node, frame: gpd.GeoDataFrame) -> pd.arrays.BooleanArray:
    """The tree on every row, vectorised, with SQL's three-valued logic (NA = unknown)."""
    if isinstance(node, Logical):
        combine = operator.and_ if node.op == "and" else operator.or_
        return reduce(combine, (evaluate(item, frame) for item in node.items))
    if isinstance(node, Not):
        return ~evaluate(node.item, frame)
    if isinstance(node, Constant):
        return pd.array(np.full(len(frame), node.value), dtype="boolean")
    if isinstance(node, Spatial):
        geometries = frame.geometry.to_numpy()
        shapely.prepare(node.geometry)
        # Same argument order as the SQL: the feature first.
        result = getattr(shapely, node.op)(geometries, node.geometry)
        return _known(result, shapely.is_missing(geometries))
    missing = frame[node.prop].isna().to_numpy()
    values = _values(frame[node.prop], node, missing)
    if isinstance(node, IsNull):
        return pd.array(missing, dtype="boolean")
    if isinstance(node, Like):
        return _known(values.map(_like_regex(node.pattern).fullmatch).notna().to_numpy(), missing)
    if isinstance(node, InList):
        return _known(values.isin([_python(v, node.kind) for v in node.values]).to_numpy(), missing)
    if isinstance(node, Between):
        low, high = _python(node.low, node.kind), _python(node.high, node.kind)
        return _known(((values >= low) & (values <= high)).to_numpy(bool), missing)
    return _known(_COMPARE[node.op](values, _python(node.value, node.kind)).to_numpy(bool), missing)


def matches(node: Node, frame: gpd.GeoDataFrame) -> np.ndarray:
    """Rows for which the tree is true (unknown counts as false, as in a WHERE clause)."""
    return evaluate(node, frame).fillna(False).to_numpy(dtype=bool)


def _known(result: np.ndarray, missing: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(result, dtype=bool), np.asarray(missing, dtype=bool).copy())


_FILLERS = {"string": "", "integer": 0, "number": 0.0, "boolean": False}


def _values(series: pd.Series, node: Node, missing: np.ndarray) -> pd.Series:
    """A column in the form its literals take, NULLs filled (``missing`` masks them afterwards)."""
    if node.kind == "date":
        return pd.Series(pd.to_datetime(series, errors="coerce", utc=True).dt.tz_localize(None).dt.normalize())
    if node.kind == "datetime":
        return pd.Series(pd.to_datetime(series, errors="coerce", utc=True))
    filled = series.astype(object).where(~missing, _FILLERS[node.kind])
    if node.kind == "string" and getattr(node, "casei", False):
        return filled.str.lower()
    return filled


def _python(value: object, kind: str) -> object:
    if kind == "date":
        return pd.Timestamp(value)
    if kind == "datetime":
        stamp = pd.Timestamp(value)
        return stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    return value


def _like_regex(pattern: str) -> re.Pattern:
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append({"%": ".*", "_": "."}.get(char, re.escape(char)))
    return re.compile("".join(parts), re.DOTALL)


def as_utc(value: date | datetime) -> datetime:
    """A datetime in UTC (naive means UTC; a date means its midnight)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
