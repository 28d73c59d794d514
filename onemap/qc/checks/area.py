"""面积 (area) checks: TBMJ is the ellipsoid area, the deduction identities, and village/county sums."""

from __future__ import annotations

import numpy as np
import pandas as pd

from onemap.qc.checks._util import feature_findings, number
from onemap.qc.dataset import Dataset
from onemap.qc.model import Finding, RuleSpec
from onemap.qc.registry import rule


@rule("AREA_ELLIPSOID")
def area_ellipsoid(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """TBMJ equals the 三调 椭球面积 of the polygon within ``abs_tol`` m² (SD-AR-02)."""
    field, tol = spec.param("field", "TBMJ"), float(spec.param("abs_tol", 0.05))
    findings = []
    for name in spec.layers:
        if (layer := data.get(name)) is None or field not in layer.frame.columns or layer.epsg is None:
            continue
        given, computed = number(layer, field), np.round(layer.areas, 2)
        index = np.flatnonzero(np.isnan(given) | (np.abs(given - computed) > tol))
        findings += feature_findings(spec, layer, index, [
            f"{field} {given[i]:.2f} 与椭球面积 {computed[i]:.2f} 相差 {abs(given[i] - computed[i]):.2f} 平方米"
            for i in index])
    return findings


@rule("AREA_IDENTITY")
def area_identity(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """KCMJ = TBMJ × KCXS and TBDLMJ = TBMJ − KCMJ, to 2 decimals (SD-AR-01)."""
    tol = float(spec.param("abs_tol", 0.011))
    findings = []
    for name in spec.layers:
        if (layer := data.get(name)) is None:
            continue
        tbmj, kcxs, kcmj, tbdlmj = (np.nan_to_num(number(layer, f)) for f in ("TBMJ", "KCXS", "KCMJ", "TBDLMJ"))
        bad_kc = np.abs(np.round(tbmj * kcxs, 2) - kcmj) > tol
        bad_dl = np.abs(tbmj - kcmj - tbdlmj) > tol
        index = np.flatnonzero(bad_kc | bad_dl)
        findings += feature_findings(spec, layer, index, [
            (f"KCMJ {kcmj[i]:.2f} ≠ TBMJ×KCXS {tbmj[i] * kcxs[i]:.2f};" if bad_kc[i] else "")
            + (f"TBDLMJ {tbdlmj[i]:.2f} ≠ TBMJ−KCMJ {tbmj[i] - kcmj[i]:.2f}" if bad_dl[i] else "") for i in index])
    return findings


@rule("AREA_SUM")
def area_sum(data: Dataset, spec: RuleSpec) -> list[Finding]:
    """Σ TBMJ of the parcels of each survey area equals its DCMJ (SD-AR-02), matched by code prefix."""
    child, parent = data.get(spec.layers[0]), data.get(spec.param("parent", "CJDCQ"))
    if child is None or parent is None:
        return []
    child_field, parent_field = spec.param("child_code", "ZLDWDM"), spec.param("parent_code", "ZLDWDM")
    length = spec.param("prefix_length")
    tol = float(spec.param("abs_tol", 0.1))
    codes = pd.Series(child.strings(child_field))
    codes = codes.str[:length] if length else codes
    sums = pd.Series(np.nan_to_num(number(child, spec.param("child_area", "TBMJ")))).groupby(codes.to_numpy()).sum()
    parent_codes = parent.strings(parent_field)
    expected = number(parent, spec.param("parent_area", "DCMJ"))
    actual = sums.reindex(parent_codes).fillna(0.0).to_numpy()
    index = np.flatnonzero(np.isnan(expected) | (np.abs(actual - expected) > tol))
    return feature_findings(spec, parent, index, [
        f"{parent_codes[i]} 内图斑面积之和 {actual[i]:.2f} 与调查面积 {expected[i]:.2f} 相差 "
        f"{abs(actual[i] - expected[i]):.2f} 平方米" for i in index])
