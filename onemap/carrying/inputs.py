"""The operands of the factors for one region: indicator values, 规划目标值 and constants, with provenance.

An indicator's value is, in this order: the current reported or confirmed value in the records (a department's
figure wins), else computed now from the one map with the library's formula (layer versions valid at the end of
the period), else a computed value already in the records. Each period is computed once per region, in one pass
per layer (:func:`onemap.indicators.compute.compute_indicators`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from onemap.carrying.model import Operand, Term
from onemap.indicators.compute import compute_indicators
from onemap.indicators.library import Library
from onemap.indicators.model import ComputedValue
from onemap.indicators.values import current_values
from onemap.records.tables import indicator_targets
from onemap.store import Store


class Inputs:
    """Resolves operands for one region, remembering each period's values."""

    def __init__(self, conn: sa.Connection, store: Store | None, library: Library, region: str, codes: set[str],
                 readable: Callable[[str], bool] | None = None) -> None:
        self.conn, self.store, self.library, self.region = conn, store, library, region
        self.codes = sorted(c for c in codes if c in library.indicators)
        self.readable = readable
        self._periods: dict[int, tuple[dict[str, dict], dict[str, ComputedValue]]] = {}

    def _period(self, period: int) -> tuple[dict[str, dict], dict[str, ComputedValue]]:
        if period not in self._periods:
            stored = current_values(self.conn, region=self.region, period=period)
            computed: dict[str, ComputedValue] = {}
            wanted = [c for c in self.codes if stored.get(c, {}).get("status") not in ("reported", "confirmed")]
            if self.store is not None and wanted:
                known = {c: (r["value"], r["status"]) for c, r in stored.items() if r["status"] != "computed"}
                result = compute_indicators(self.store, self.library, region=self.region, period=period,
                                            known=known, codes=wanted, readable=self.readable)
                computed = {v.code: v for v in result.values}
            self._periods[period] = (stored, computed)
        return self._periods[period]

    def indicator(self, code: str, period: int) -> Term:
        """The value of one indicator for the region and period, and where it came from."""
        indicator = self.library.get(code)
        stored, computed = self._period(period)
        row = stored.get(code)
        if row is not None and row["status"] in ("reported", "confirmed"):
            return Term(code, row["value"], row["unit"], _recorded(row))
        fresh = computed.get(code)
        if fresh is not None and fresh.value is not None:
            provenance = {"source": "一张图计算", "formula_version": fresh.formula_version, **fresh.provenance}
            return Term(code, fresh.value, fresh.unit, provenance)
        if row is not None:
            return Term(code, row["value"], row["unit"], _recorded(row))
        reason = fresh.reason if fresh is not None and fresh.reason else (
            "无填报值" if indicator.formula is None or not indicator.formula.computable else "无法计算")
        return Term(code, None, indicator.unit, reason=f"{code} {indicator.name} {period} 年{reason}")

    def target(self, code: str, period: int) -> Term:
        """The latest 规划目标值 of the nearest target year not before ``period``."""
        table = indicator_targets
        row = self.conn.execute(sa.select(table).where(table.c.code == code, table.c.region == self.region,
                                                       table.c.period >= int(period))
                                .order_by(table.c.period, table.c.id.desc()).limit(1)).first()
        name = self.library.get(code).name
        if row is None:
            return Term(f"目标 {code}", None, reason=f"{code} {name} 无 {period} 年及以后的规划目标值")
        return Term(f"目标 {code}", row.value, row.unit, {"source": "规划目标值", "target_id": row.id,
                                                         "target_period": row.period, "actor": row.actor,
                                                         "at": row.at.isoformat()})

    def operand(self, operand: Operand, period: int) -> Term:
        """One operand's value (the sum for ``indicators``)."""
        if operand.kind == "value":
            return Term(operand.label(), operand.value, operand.unit, {"source": "定义文件常数"})
        if operand.kind == "target":
            return self.target(operand.codes[0], period)
        terms = [self.indicator(code, period) for code in operand.codes]
        missing = [t for t in terms if t.value is None]
        if missing:
            return Term(operand.label(), None, terms[0].unit, reason=";".join(t.reason for t in missing))
        if len(terms) == 1:
            return terms[0]
        return Term(operand.label(), sum(t.value for t in terms if t.value is not None), terms[0].unit,
                    {"source": "指标之和", "parts": {t.label: {"value": t.value, **t.provenance} for t in terms}})

    def first(self, operands: tuple[Operand, ...], period: int) -> Term:
        """The first operand that has a value; otherwise the reasons of all."""
        tried = []
        for operand in operands:
            term = self.operand(operand, period)
            if term.value is not None:
                return term
            tried.append(term)
        return Term(tried[0].label, None, tried[0].unit, reason=";".join(t.reason for t in tried))


def _recorded(row: dict[str, Any]) -> dict[str, Any]:
    return {"source": "记录库", "status": row["status"], "record_id": row["id"], "actor": row["actor"],
            "at": row["at"], **({"inputs": row["provenance"]} if row.get("provenance") else {})}
