"""Lookups over the land-use code tables: 三调工作分类 and 用地用海分类."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from onemap.standards.registry import get_table


def sandiao_names() -> dict[str, str]:
    """DLBM → 地类名称, including K/A refinements and 城镇村属性码."""
    return get_table("sandiao_landuse_codes").mapping("name_zh")


def sandiao_parent(code: str) -> str | None:
    """The parent code of a 三调 code (0101 → 01, 0201K → 0201), or None at the top."""
    row = get_table("sandiao_landuse_codes").row(code)
    return (row or {}).get("parent_code") or None


def sandiao_level1(code: str) -> str | None:
    """The 一级类 of a 三调 code, following parents up the tree."""
    seen: set[str] = set()
    current: str | None = code
    while current and current not in seen:
        seen.add(current)
        row = get_table("sandiao_landuse_codes").row(current)
        if row is None:
            return None
        if row["level"] == "1":
            return current
        current = row["parent_code"] or None
    return None


def ydyh_names() -> dict[str, str]:
    """用地用海 code → name (2023 edition plus extensions)."""
    return get_table("ydyh_codes").mapping("name_zh")


def sandiao_to_ydyh() -> dict[str, str]:
    """三调 code → 用地用海 code for the one-to-one (same-name) correspondences only."""
    frame = get_table("sandiao_ydyh_mapping").frame
    unique = frame.groupby("sandiao_code")["ydyh_code"].nunique()
    one_to_one = frame[frame["sandiao_code"].isin(unique[unique == 1].index)]
    return dict(zip(one_to_one["sandiao_code"], one_to_one["ydyh_code"], strict=True))


_RANKS: list = [None, {}]  # (the security_levels table, its code → rank): every read path asks, many times


def security_rank(level: str) -> int:
    """Numeric rank of a security level (公开 0 …); unknown levels raise."""
    from onemap.errors import InputError

    table = get_table("security_levels")
    if _RANKS[0] is not table:  # the table object changes when the configuration is reloaded
        _RANKS[:] = [table, {str(code): int(rank) for code, rank in zip(table.frame["code"], table.frame["rank"],
                                                                          strict=True)}]
    rank = _RANKS[1].get(level)
    if rank is None:
        known = "、".join(table.frame["code"])
        raise InputError(f"未知的数据安全等级“{level}”,可选:{known}", f"unknown security level {level}")
    return rank


def catalog_categories() -> list[str]:
    """The data-resource-catalog categories (现状, 规划, …)."""
    return list(get_table("catalog_categories").frame["code"])


def region_fields() -> list[str]:
    """Fields that carry a feature's 行政区划 code, in order of preference (table ``region_fields``)."""
    frame = get_table("region_fields").frame
    return list(frame.sort_values("priority", key=lambda p: p.astype(int))["field"])


@lru_cache(maxsize=4096)
def _sandiao_level1(code: str) -> str | None:
    """三调 一级类 of a code, remembered (the code table lookup is slow and codes repeat)."""
    return sandiao_level1(code)


def _level1_ydyh(codes: np.ndarray) -> np.ndarray:
    level1 = get_table("ydyh_codes").mapping("level1_code")
    return np.array([level1.get(c, "") for c in codes], dtype=object)


def code_mask(codes: np.ndarray, tokens: str) -> np.ndarray:
    """True where a code belongs to the set ``tokens`` describes (all True for no tokens).

    Tokens: ``sd:01`` every 三调 code of 一级类 01, ``yd:07`` every 用地用海 code of 一级类 07, any other token a
    code prefix (``1001``).
    """
    codes = np.asarray(codes, dtype=object).astype(str)
    if not tokens.strip():
        return np.ones(len(codes), dtype=bool)
    unique, inverse = np.unique(codes, return_inverse=True)
    hit = np.zeros(len(unique), dtype=bool)
    for token in tokens.split():
        if token.startswith("sd:"):
            hit |= np.array([_sandiao_level1(c) == token[3:] for c in unique], dtype=bool)
        elif token.startswith("yd:"):
            hit |= _level1_ydyh(unique) == token[3:]
        else:
            hit |= np.char.startswith(unique.astype(str), token)
    return hit[inverse]
