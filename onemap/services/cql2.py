"""CQL2 filters (OGC API Features Part 3): parse, check, and compile for the stores.

pygeofilter parses CQL2 text and JSON; this module then walks its AST once, refusing what it does not
support, checking every property against the layer's columns (the allow-list) and typing every
literal, and builds the small tree of :mod:`onemap.services.predicates`. That tree runs as SQLAlchemy
Core with bound parameters (pygeofilter's string-building SQL backend is never used) or as vectorised
pandas/Shapely. Caps on length, nesting depth and node count are checked before and while parsing.

Geometry literals are in ``filter-crs`` (default CRS84, lon/lat) in that CRS's own axis order, so an
EPSG:4490 polygon is written lat,lon; they are transformed to the layer CRS once, here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

import cql2
import geopandas as gpd
import numpy as np
import shapely
import sqlalchemy as sa
from lark.exceptions import LarkError, UnexpectedInput
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_json import parse as parse_json
from shapely.geometry.base import BaseGeometry

from onemap.errors import InputError
from onemap.services import ogc_crs
from onemap.services import predicates as p
from onemap.services.cql2_distance import buffered, distance_metres, parse_text
from onemap.store.base import FilterPlan

MAX_LENGTH = 8_000
MAX_DEPTH = 20
MAX_NODES = 400
GEOMETRY_PROPERTY = "geometry"
# CQL2 text the pygeofilter grammar refuses although basic-cql2 allows it: boolean literals as predicates
# (``filter=TRUE``, ``NOT FALSE AND …``); such text is read by the maintained ``cql2`` parser instead.
_BOOLEAN = re.compile(r"\b(TRUE|FALSE)\b", re.IGNORECASE)
_COMPARISONS = {ast.Equal: "=", ast.NotEqual: "<>", ast.LessThan: "<", ast.LessEqual: "<=",
                ast.GreaterThan: ">", ast.GreaterEqual: ">="}
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_TEMPORAL = {ast.TimeBefore: "<", ast.TimeAfter: ">", ast.TimeEquals: "="}
_MIRRORED = {"contains": "within", "within": "contains"}  # S_WITHIN(literal, geometry) = S_CONTAINS(geometry, …)


@dataclass(frozen=True)
class CompiledFilter:
    """A checked filter with its geometry literals in the layer CRS; stores run it through :meth:`plan`."""

    root: p.Node
    properties: frozenset[str]

    def plan(self, table: sa.Table, dialect: str) -> FilterPlan:
        """SQL for what ``dialect`` can run, a vectorised check for the rest, a spatial-index box."""
        if p.runs_in_sql(self.root, dialect):
            return FilterPlan(where=p.to_sql(self.root, table, dialect))
        in_sql = [n for n in p.conjuncts(self.root) if p.runs_in_sql(n, dialect)]
        rest = p.conjunction([n for n in p.conjuncts(self.root) if not p.runs_in_sql(n, dialect)])
        where = p.conjunction(in_sql)
        return FilterPlan(where=None if where is None else p.to_sql(where, table, dialect),
                          refine=lambda frame: p.matches(rest, frame), envelope=p.envelope(self.root))

    def matches(self, frame: gpd.GeoDataFrame) -> np.ndarray:
        """The whole filter on ``frame`` (layer CRS) in Python: True where a feature matches."""
        return p.matches(self.root, frame)

    def and_(self, other: CompiledFilter | None) -> CompiledFilter:
        """Both filters."""
        if other is None:
            return self
        return CompiledFilter(p.Logical("and", (*p.conjuncts(self.root), *p.conjuncts(other.root))),
                              self.properties | other.properties)


def intersects_filter(geometry: BaseGeometry, layer_epsg: int) -> CompiledFilter:
    """``S_INTERSECTS(geometry, g)`` for a geometry already in the layer CRS (e.g. a bbox in another CRS)."""
    return CompiledFilter(p.Spatial("intersects", geometry, int(layer_epsg)), frozenset())


def compile_filter(text_or_json: str | dict, *, lang: str = "cql2-text", columns: dict[str, str],
                   filter_crs: str | int | None = None, layer_epsg: int, aliases: dict[str, str] | None = None,
                   max_length: int = MAX_LENGTH, max_depth: int = MAX_DEPTH,
                   max_nodes: int = MAX_NODES) -> CompiledFilter:
    """Parse and check a CQL2 filter for a layer; :class:`InputError` (in Chinese) for anything wrong.

    ``columns`` maps the queryable property names to their simple types (the allow-list); ``aliases``
    maps a public name to its stored column (e.g. 椭球面积 → _ellipsoid_area). ``filter_crs`` is an OGC
    CRS URI (default CRS84).
    """
    source = _checked_source(text_or_json, lang, max_length, max_depth)
    as_json = lang == "cql2-json"
    try:
        try:
            tree = parse_text(source) if lang == "cql2-text" else parse_json(_standard_json(json.loads(source)))
        except UnexpectedInput:
            if lang != "cql2-text" or not _BOOLEAN.search(source) or (tree := _standard_text(source)) is None:
                raise
            as_json = True  # read through its CQL2 JSON form
    except UnexpectedInput as exc:
        hint = ""
        if getattr(exc, "char", "").isalpha() and not exc.char.isascii():
            hint = "(中文属性名请加双引号,如 \"椭球面积\" > 100)"
        raise InputError(f"过滤条件语法错误:第 {exc.line} 行第 {exc.column} 列附近无法解析{hint}",
                         f"cql2 syntax: {_short(exc)}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"过滤条件不是合法的 JSON:第 {exc.lineno} 行第 {exc.colno} 列附近",
                         f"cql2 json: {exc}") from exc
    except (LarkError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        # pygeofilter's messages are English and echo the input: logged, not shown.
        shape = "CQL2 JSON(检查 op、args 与 property 的写法)" if lang == "cql2-json" else "CQL2 文本"
        raise InputError(f"过滤条件语法错误:不是合法的{shape}", f"cql2 parse: {exc!r}") from exc
    _check_size(tree, max_depth, max_nodes)
    builder = _Builder(columns, aliases or {}, ogc_crs.parse_crs(filter_crs, what="filter-crs"), int(layer_epsg),
                       as_json)
    root = builder.node(tree)
    return CompiledFilter(root, p.properties(root))


def _standard_text(source: str) -> object | None:
    """CQL2 text the pygeofilter text grammar refuses but the standard allows (``BBOX(…)`` literals, a bare
    ``TRUE``/``FALSE``), read by the maintained ``cql2`` parser into CQL2 JSON and then into the same AST;
    None when that parser refuses it too (the caller reports the first parser's error, with its position)."""
    try:
        standard = cql2.Expr(source).to_json()
        return parse_json(_standard_json(standard))
    except Exception:  # noqa: BLE001 - the Rust binding raises its own error classes besides ValueError & co.
        return None


def _standard_json(node: object) -> object:
    """CQL2 JSON as pygeofilter 0.4 reads it: BETWEEN's standard three arguments as (property, [low, high])."""
    if isinstance(node, list):
        return [_standard_json(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _standard_json(value) for key, value in node.items()}
    args = node.get("args")
    if node.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        node["args"] = [args[0], args[1:]]
    return node


def _short(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def _checked_source(text_or_json: str | dict, lang: str, max_length: int, max_depth: int) -> str:
    """The filter as text, refused when too long or nested too deeply (checked before any parser runs)."""
    if lang not in ("cql2-text", "cql2-json"):
        raise InputError(f"不支持的过滤语言:{lang}(可选 cql2-text、cql2-json)", f"bad filter-lang {lang!r}")
    if isinstance(text_or_json, dict) and lang == "cql2-json":
        text_or_json = json.dumps(text_or_json, ensure_ascii=False)
    if not isinstance(text_or_json, str) or not text_or_json.strip():
        raise InputError("过滤条件为空或类型不正确", f"bad filter {type(text_or_json).__name__}")
    if len(text_or_json) > max_length:
        raise InputError(f"过滤条件过于复杂:长度 {len(text_or_json)} 超过上限 {max_length} 个字符",
                         f"filter length {len(text_or_json)}")
    # JSON nests two brackets per operator and five for multipolygon coordinates; text one per level.
    limit = 2 * max_depth + 8 if lang == "cql2-json" else max_depth + 6
    if _bracket_depth(text_or_json) > limit:
        raise InputError(f"过滤条件过于复杂:嵌套层数超过上限 {max_depth}", "filter nesting too deep")
    return text_or_json


def _bracket_depth(text: str) -> int:
    """The deepest bracket nesting outside quoted strings."""
    depth = deepest = 0
    quote, escaped = None, False
    for char in text:
        if quote:
            escaped, quote = (False, quote) if escaped else (char == "\\", None if char == quote else quote)
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def _children(node: object) -> list:
    if isinstance(node, ast.Node):
        return [c for c in node.get_sub_nodes() if c is not None]
    if isinstance(node, list | tuple):
        return list(node)
    return []


def _check_size(tree: object, max_depth: int, max_nodes: int) -> None:
    """Count nodes and logical depth without recursion (a chain of ANDs counts as one level)."""
    stack, count = [(tree, 1)], 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > max_nodes or depth > max_depth:
            what = f"节点数超过上限 {max_nodes}" if count > max_nodes else f"嵌套层数超过上限 {max_depth}"
            raise InputError(f"过滤条件过于复杂:{what}", f"filter too complex: {count} nodes, depth {depth}")
        for child in _children(node):
            same_chain = isinstance(node, ast.Combination) and type(child) is type(node)
            stack.append((child, depth if same_chain else depth + 1))


class _Builder:
    """pygeofilter AST → :mod:`predicates` tree, checking properties, literals and support."""

    def __init__(self, columns: dict[str, str], aliases: dict[str, str], crs: ogc_crs.OgcCRS, layer_epsg: int,
                 json: bool):
        self.columns, self.aliases, self.crs, self.layer_epsg = columns, aliases, crs, layer_epsg
        self.json = json

    def node(self, node: object) -> p.Node:
        if isinstance(node, ast.Combination):
            op = "and" if isinstance(node, ast.And) else "or"
            return p.Logical(op, tuple(self.node(n) for n in _chain(node)))
        if isinstance(node, ast.Not):
            return p.Not(self.node(node.sub_node))
        if isinstance(node, bool):  # CQL2 boolean literal as the whole filter (filter=TRUE)
            return p.Constant(node)
        if isinstance(node, ast.Include):
            return p.Constant(not node.not_)
        if isinstance(node, ast.Comparison):
            return self.comparison(_COMPARISONS[type(node)], node.lhs, node.rhs)
        if isinstance(node, ast.TemporalPredicate):
            return self.temporal(node)
        if isinstance(node, ast.SpatialComparisonPredicate):
            return self.spatial(node.op.name.lower(), node.lhs, node.rhs)
        if isinstance(node, ast.DistanceWithin):
            return self.within_distance(node)
        if isinstance(node, ast.BBox):
            if node.crs:
                raise InputError("BBOX 不能自带坐标系,请用 filter-crs 参数指定", "bbox with crs")
            box = values.Geometry(shapely.geometry.mapping(shapely.box(node.minx, node.miny, node.maxx, node.maxy)))
            return self.spatial("intersects", node.lhs, box)
        predicate = self.predicate(node)
        if predicate is None:
            raise InputError(f"不支持的过滤条件:{_describe(node)}", f"unsupported node {node!r}")
        return predicate

    def predicate(self, node: object) -> p.Node | None:
        """LIKE, IN, BETWEEN and IS NULL (their NOT forms as NOT of the positive)."""
        if isinstance(node, ast.Like):
            prop, kind, casei = self.prop(node.lhs, text_only=True)
            pattern = self.literal(_casei_literal(node.pattern, casei), "string", prop)
            built: p.Node = p.Like(prop, kind, pattern.lower() if casei or node.nocase else pattern,
                                   casei or node.nocase)
        elif isinstance(node, ast.In):
            prop, kind, _ = self.prop(node.lhs, casei=False)
            if not isinstance(node.sub_nodes, list) or not node.sub_nodes:
                raise InputError(f"IN 列表不能为空:{prop}", "empty IN list")
            built = p.InList(prop, kind, tuple(self.literal(v, kind, prop) for v in node.sub_nodes))
        elif isinstance(node, ast.Between):
            prop, kind, _ = self.prop(node.lhs, casei=False)
            built = p.Between(prop, kind, self.literal(node.low, kind, prop), self.literal(node.high, kind, prop))
        elif isinstance(node, ast.IsNull):
            prop, kind, _ = self.prop(node.lhs, casei=False)
            built = p.IsNull(prop, kind)
        else:
            return None
        return p.Not(built) if getattr(node, "not_", False) else built

    def comparison(self, op: str, lhs: object, rhs: object) -> p.Node:
        if not _is_property(lhs) and _is_property(rhs):
            lhs, rhs, op = rhs, lhs, _FLIPPED[op]
        if _is_property(rhs):
            raise InputError("不支持属性与属性之间的比较,比较值须为常量", "property-property comparison")
        prop, kind, casei = self.prop(lhs)
        value = self.literal(_casei_literal(rhs, casei), kind, prop)
        if kind == "boolean" and op not in ("=", "<>"):
            raise InputError(f"布尔属性 {prop} 只能用 = 或 <> 比较", f"ordering on boolean {prop}")
        return p.Compare(prop, kind, op, value.lower() if casei else value, casei)

    def temporal(self, node: ast.TemporalPredicate) -> p.Node:
        """T_BEFORE / T_AFTER / T_EQUALS with an instant, T_DURING / T_INTERSECTS with an interval."""
        if type(node) in _TEMPORAL:
            return self.comparison(_TEMPORAL[type(node)], node.lhs, node.rhs)
        if not isinstance(node, ast.TimeDuring | ast.TimeOverlaps) or not isinstance(node.rhs, values.Interval):
            raise InputError(f"不支持的时间谓词:{_describe(node)}", f"unsupported temporal {node!r}")
        strict = isinstance(node, ast.TimeDuring)
        parts = [self.comparison(">" if strict else ">=", node.lhs, node.rhs.start) if node.rhs.start else None,
                 self.comparison("<" if strict else "<=", node.lhs, node.rhs.end) if node.rhs.end else None]
        return p.conjunction([x for x in parts if x is not None]) or p.Constant(True)

    def spatial(self, op: str, lhs: object, rhs: object) -> p.Node:
        if _is_geometry_property(rhs) and not _is_geometry_property(lhs):
            lhs, rhs, op = rhs, lhs, _MIRRORED.get(op, op)
        if not _is_geometry_property(lhs):
            raise InputError(f"空间谓词须有一个参数为几何属性 {GEOMETRY_PROPERTY}",
                             f"spatial without property: {lhs!r}")
        rhs = _bbox_literal(rhs)
        if not isinstance(rhs, values.Geometry | values.Envelope):
            raise InputError("空间谓词的另一个参数须为几何常量(WKT 或 GeoJSON)", f"spatial rhs {rhs!r}")
        return p.Spatial(op, self.geometry(rhs), self.layer_epsg)

    def within_distance(self, node: ast.DistanceWithin) -> p.Node:
        """S_DWITHIN(geometry, g, d, units) as S_INTERSECTS(geometry, g buffered by d metres) — 缓冲区查询."""
        metres = distance_metres(node.distance, node.units)
        spatial = self.spatial("intersects", node.lhs, node.rhs)
        return p.Spatial("intersects", buffered(spatial.geometry, metres, self.layer_epsg), self.layer_epsg)

    def geometry(self, literal: values.Geometry | values.Envelope) -> BaseGeometry:
        """The literal in the layer CRS (from filter-crs, in that CRS's axis order)."""
        if isinstance(literal, values.Envelope):
            if not self.json:  # pygeofilter's text ENVELOPE is not CQL2 and orders its numbers otherwise
                raise InputError("CQL2 文本中请用 POLYGON 表示范围", "text ENVELOPE")
            # CQL2 JSON {"bbox": [minx, miny, maxx, maxy]}: pygeofilter stores the four numbers in order.
            shape = shapely.box(literal.x1, literal.x2, literal.y1, literal.y2)
        else:
            if "crs" in literal.geometry:
                raise InputError("几何常量不能自带坐标系(如 EWKT 的 SRID),请用 filter-crs 参数指定", "literal crs")
            try:
                shape = shapely.geometry.shape(literal.geometry)
            except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
                raise InputError(f"几何常量不合法:{_short(exc)}", f"bad geometry literal: {exc!r}") from exc
        if shape.is_empty or not shape.is_valid:
            raise InputError(f"几何常量为空或不合法(自相交等):{shapely.is_valid_reason(shape)}",
                             "empty or invalid geometry literal")
        return ogc_crs.geometry_to_layer(shape, self.crs, self.layer_epsg)

    def prop(self, node: object, *, casei: bool = True, text_only: bool = False) -> tuple[str, str, bool]:
        """The stored column, its type and whether CASEI wraps it; unknown properties are refused."""
        lowered = isinstance(node, ast.Function) and node.name == "lower" and len(node.arguments) == 1
        if isinstance(node, ast.Function) and not (lowered and casei):
            raise InputError(f"不支持的函数:{_name(node.name)}", f"unsupported function {node.name!r}")
        target = node.arguments[0] if lowered else node
        if not isinstance(target, ast.Attribute) or not isinstance(target.name, str):
            raise InputError(f"此处须为属性名:{_describe(target)}", f"expected property, got {target!r}")
        name = target.name
        if name not in self.columns:
            allowed = "、".join(self.columns)
            raise InputError(f"未知属性 {name[:60]},可用属性:{allowed}", f"unknown property {name!r}")
        kind = self.columns[name]
        if (lowered or text_only) and kind != "string":
            raise InputError(f"属性 {name} 不是文本,不能用 LIKE 或 CASEI", f"text op on {kind} {name}")
        return self.aliases.get(name, name), kind, lowered

    def literal(self, value: object, kind: str, prop: str) -> object:
        """``value`` checked against the property's type (numbers for numbers, quoted text for text…)."""
        if kind == "string" and isinstance(value, str):
            return value
        if kind in ("integer", "number") and isinstance(value, int | float) and not isinstance(value, bool):
            return value
        if kind == "boolean" and isinstance(value, bool):
            return value
        if kind == "date" and isinstance(value, date) and not isinstance(value, datetime):
            return value
        if kind == "datetime" and isinstance(value, date):
            return p.as_utc(value)
        expected = {"string": "加单引号的文本", "integer": "整数", "number": "数值", "boolean": "TRUE 或 FALSE",
                    "date": "DATE('YYYY-MM-DD')", "datetime": "TIMESTAMP('YYYY-MM-DDThh:mm:ssZ')"}[kind]
        raise InputError(f"属性 {prop} 的比较值 {_describe(value)} 类型不符,应为{expected}",
                         f"{prop}: {kind} vs {value!r}")


def _bbox_literal(node: object) -> object:
    """CQL2 text ``BBOX(minx, miny, maxx, maxy)`` (or 6 numbers with z), which the text grammar reads as a
    function call, as the polygon it stands for (in filter-crs axis order, like every literal)."""
    if not isinstance(node, ast.Function) or str(node.name).lower() != "bbox":
        return node
    args = node.arguments
    if len(args) not in (4, 6) or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in args):
        raise InputError("BBOX 须为 4 个(或 6 个)数值:BBOX(最小x, 最小y, 最大x, 最大y)", f"bad bbox {args!r}")
    minx, miny, maxx, maxy = (args[0], args[1], args[2], args[3]) if len(args) == 4 else (
        args[0], args[1], args[3], args[4])
    if not (minx <= maxx and miny <= maxy):
        raise InputError("BBOX 的最小值须不大于最大值", f"inverted bbox {args!r}")
    return values.Geometry(shapely.geometry.mapping(shapely.box(minx, miny, maxx, maxy)))


def _chain(node: ast.Combination) -> list:
    """The operands of a chain of the same combination (AND of AND of …), without recursion."""
    operands, stack = [], [node]
    while stack:
        current = stack.pop()
        if type(current) is type(node):
            stack.extend([current.rhs, current.lhs])
        else:
            operands.append(current)
    return operands


def _is_property(node: object) -> bool:
    return isinstance(node, ast.Attribute) or (isinstance(node, ast.Function) and node.name == "lower"
                                               and any(isinstance(a, ast.Attribute) for a in node.arguments))


def _is_geometry_property(node: object) -> bool:
    return isinstance(node, ast.Attribute) and node.name == GEOMETRY_PROPERTY


def _casei_literal(value: object, casei: bool) -> object:
    """CASEI('text') → 'text' (lower-cased later, with the property)."""
    if isinstance(value, ast.Function) and value.name == "lower" and len(value.arguments) == 1:
        if not casei:
            raise InputError("CASEI 须同时用于属性和比较值", "CASEI literal without CASEI property")
        return value.arguments[0]
    return value


def _describe(value: object) -> str:
    """A short text for a node in a message; a property or function "name" may be any JSON value."""
    if isinstance(value, ast.Attribute):
        return f"属性 {_name(value.name)}"
    if isinstance(value, ast.Function):
        return f"函数 {_name(value.name)}"
    return repr(value)[:80]


def _name(name: object) -> str:
    return name[:60] if isinstance(name, str) else f"(应为文本,实为 {type(name).__name__})"
