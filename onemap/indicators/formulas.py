"""Formulas: read from YAML, checked, and the small arithmetic of expression indicators.

An expression (``TJ046 / TJ044 * 10000``) is parsed by :mod:`ast` and walked here: only numbers,
indicator codes, ``+ - * /`` and parentheses are accepted, so nothing is ever evaluated by Python.
Every problem raises :class:`FormulaError` with a Chinese message naming the indicator.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from typing import Any

from onemap.errors import InputError
from onemap.geometry.units import convert
from onemap.indicators.model import EXPRESSION_KINDS, FORMULA_KINDS, LAYER_KINDS, Formula

CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,31}$")
MAX_EXPRESSION = 500
# Area units a formula may name → (area_units unit, extra factor): 万亩 is 10,000 亩 (1 公顷 = 15 亩 exactly).
AREA_UNITS = {"平方米": ("m2", 1.0), "m²": ("m2", 1.0), "m2": ("m2", 1.0), "公顷": ("ha", 1.0), "ha": ("ha", 1.0),
              "hm²": ("ha", 1.0), "亩": ("mu", 1.0), "万亩": ("mu", 1e-4), "平方千米": ("km2", 1.0),
              "平方公里": ("km2", 1.0), "km²": ("km2", 1.0), "km2": ("km2", 1.0)}
LENGTH_UNITS = {"米": 1.0, "m": 1.0, "千米": 1e-3, "公里": 1e-3, "km": 1e-3}
_OPERATORS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
              ast.Div: lambda a, b: a / b}


class FormulaError(InputError):
    """A formula or indicator definition that cannot be used (message in Chinese)."""


def area_in(area_m2: float, unit: str) -> float:
    """An area in m² expressed in a formula's unit (公顷, 万亩, 平方千米 …)."""
    name, factor = AREA_UNITS[unit]
    return convert(area_m2, name) * factor


def length_in(length_m: float, unit: str) -> float:
    """A length in metres expressed in a formula's unit (米, 千米)."""
    return length_m * LENGTH_UNITS[unit]


def parse_formula(code: str, body: Mapping[str, Any]) -> Formula:
    """A :class:`Formula` from its YAML/JSON mapping, checked for shape (not yet against layers)."""
    if not isinstance(body, Mapping):
        raise FormulaError(f"指标 {code} 的公式应为键值表", f"{code}: formula is {type(body).__name__}")
    known = set(Formula.__dataclass_fields__)
    unknown = sorted(set(body) - known)
    if unknown:
        raise FormulaError(f"指标 {code} 的公式有未知项:{'、'.join(unknown)}", f"{code}: unknown keys {unknown}")
    kind = str(body.get("kind", ""))
    if kind not in FORMULA_KINDS:
        raise FormulaError(f"指标 {code} 的公式类型“{kind}”未知,应为 {'、'.join(FORMULA_KINDS)}",
                           f"{code}: bad kind {kind!r}")
    try:
        version = int(body.get("version", 1))
    except (TypeError, ValueError):
        raise FormulaError(f"指标 {code} 的公式版本应为正整数", f"{code}: bad version") from None
    if version < 1:
        raise FormulaError(f"指标 {code} 的公式版本应为正整数", f"{code}: version {version}")
    values = {k: str(v if v is not None else "") for k, v in body.items() if k not in ("kind", "version")}
    formula = Formula(kind=kind, version=version, **values)
    _check_shape(code, formula)
    return formula


def _check_shape(code: str, formula: Formula) -> None:
    if formula.kind in LAYER_KINDS and not formula.layer:
        raise FormulaError(f"指标 {code} 的公式缺少图层(layer)", f"{code}: no layer")
    if formula.kind == "area" and formula.unit not in AREA_UNITS:
        raise FormulaError(f"指标 {code} 的面积单位“{formula.unit}”未知,应为 {'、'.join(AREA_UNITS)}",
                           f"{code}: bad area unit {formula.unit!r}")
    if formula.kind == "length" and formula.unit not in LENGTH_UNITS:
        raise FormulaError(f"指标 {code} 的长度单位“{formula.unit}”未知,应为 {'、'.join(LENGTH_UNITS)}",
                           f"{code}: bad length unit {formula.unit!r}")
    if formula.codes and not formula.code_field:
        raise FormulaError(f"指标 {code} 给了地类代码(codes)但没有代码字段(code_field)", f"{code}: codes w/o field")
    if formula.kind in EXPRESSION_KINDS:
        if not formula.expr:
            raise FormulaError(f"指标 {code} 的公式缺少表达式(expr)", f"{code}: no expr")
        references(code, formula.expr)


def _tree(code: str, expr: str) -> ast.expr:
    if len(expr) > MAX_EXPRESSION:
        raise FormulaError(f"指标 {code} 的表达式过长(最多 {MAX_EXPRESSION} 个字符)", f"{code}: expr too long")
    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError as exc:
        raise FormulaError(f"指标 {code} 的表达式语法错误:第 {exc.offset or 0} 个字符附近", f"{code}: {exc}") from None
    for node in ast.walk(tree):
        allowed = (ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.USub, ast.UAdd, *_OPERATORS)
        if not isinstance(node, allowed) or (isinstance(node, ast.Constant) and (
                isinstance(node.value, bool) or not isinstance(node.value, int | float))):
            raise FormulaError(f"指标 {code} 的表达式只能包含指标代码、数字、+ - * / 和括号",
                               f"{code}: {type(node).__name__} in expr")
        if isinstance(node, ast.Name) and not CODE.match(node.id):
            raise FormulaError(f"指标 {code} 的表达式中“{node.id}”不是指标代码", f"{code}: bad name {node.id}")
    return tree


def references(code: str, expr: str) -> list[str]:
    """The indicator codes an expression reads, in order of first use."""
    names = sorted((n for n in ast.walk(_tree(code, expr)) if isinstance(n, ast.Name)), key=lambda n: n.col_offset)
    return list(dict.fromkeys(n.id for n in names))


def evaluate(code: str, expr: str, values: Mapping[str, float]) -> float:
    """The expression's value over ``values``; FormulaError on a missing input or a division by zero."""
    def walk(node: ast.expr) -> float:
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise FormulaError(f"缺少指标 {node.id} 的值", f"{code}: no value of {node.id}")
            return float(values[node.id])
        if isinstance(node, ast.UnaryOp):
            inner = walk(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        assert isinstance(node, ast.BinOp)
        left, right = walk(node.left), walk(node.right)
        if isinstance(node.op, ast.Div) and right == 0:
            raise FormulaError("除数为零", f"{code}: division by zero")
        return _OPERATORS[type(node.op)](left, right)

    result = walk(_tree(code, expr))
    if not math.isfinite(result):
        raise FormulaError("结果不是有限数", f"{code}: result {result}")
    return result


def dependency_order(formulas: Mapping[str, Formula], known: set[str]) -> list[str]:
    """Expression indicators in an order where each comes after its inputs; FormulaError on a cycle or unknown code.

    ``known`` holds every indicator code of the library (inputs may be any of them).
    """
    inputs = {code: references(code, f.expr) for code, f in formulas.items() if f.kind in EXPRESSION_KINDS}
    for code, refs in inputs.items():
        unknown = [r for r in refs if r not in known]
        if unknown:
            raise FormulaError(f"指标 {code} 的表达式引用了不存在的指标:{'、'.join(unknown)}",
                               f"{code}: unknown references {unknown}")
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(code: str, path: list[str]) -> None:
        if state.get(code) == 2 or code not in inputs:
            return
        if state.get(code) == 1:
            cycle = path[path.index(code):] + [code]
            raise FormulaError(f"指标公式循环引用:{' → '.join(cycle)}", f"cycle {cycle}")
        state[code] = 1
        for ref in inputs[code]:
            visit(ref, [*path, code])
        state[code] = 2
        order.append(code)

    for code in inputs:
        visit(code, [])
    return order
