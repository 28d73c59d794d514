"""Sets of land-use codes written as tokens in the rule tables.

``sd:01`` — every 三调 code whose 一级类 is 01 (from the 三调 code table); ``yd:07`` — every
用地用海 code whose 一级类 is 07 (from the 用地用海 table); any other token is a code prefix.
"""

from __future__ import annotations

import numpy as np

from onemap.standards.codes import sandiao_level1
from onemap.standards.registry import get_table


def sandiao_level1_of(codes: np.ndarray) -> np.ndarray:
    """三调 一级类 of each code (looked up once per distinct code; '' when unknown)."""
    unique, inverse = np.unique(np.asarray(codes).astype(str), return_inverse=True)
    return np.array([sandiao_level1(c) or "" for c in unique], dtype=object)[inverse]


def ydyh_level1_of(codes: np.ndarray) -> np.ndarray:
    """用地用海 一级类 of each code ('' when unknown)."""
    level1 = get_table("ydyh_codes").mapping("level1_code")
    unique, inverse = np.unique(np.asarray(codes).astype(str), return_inverse=True)
    return np.array([level1.get(c, "") for c in unique], dtype=object)[inverse]


def matches(codes: np.ndarray, tokens: str | list[str]) -> np.ndarray:
    """True where a code belongs to the set the tokens describe."""
    codes = np.asarray(codes).astype(str)
    tokens = tokens.split() if isinstance(tokens, str) else list(tokens)
    result = np.zeros(len(codes), dtype=bool)
    sd = [t[3:] for t in tokens if t.startswith("sd:")]
    yd = [t[3:] for t in tokens if t.startswith("yd:")]
    prefixes = [t for t in tokens if ":" not in t]
    if sd:
        result |= np.isin(sandiao_level1_of(codes), sd)
    if yd:
        result |= np.isin(ydyh_level1_of(codes), yd)
    for prefix in prefixes:
        result |= np.char.startswith(codes, prefix)
    return result


def describe_codes(tokens: str, family: str) -> str:
    """The tokens in words: 'sd:01 1003' → '三调一级类01(耕地)、1003(公路用地)'.

    ``family`` ('sandiao' or 'ydyh') says which table names the bare codes.
    """
    sandiao = get_table("sandiao_landuse_codes").mapping("name_zh")
    ydyh = get_table("ydyh_codes").mapping("name_zh")
    words = []
    for token in tokens.split():
        if token.startswith("sd:"):
            words.append(f"三调一级类{token[3:]}({sandiao.get(token[3:], '')})")
        elif token.startswith("yd:"):
            words.append(f"用地用海一级类{token[3:]}({ydyh.get(token[3:], '')})")
        else:
            words.append(f"{token}({(sandiao if family == 'sandiao' else ydyh).get(token, '')})")
    return "、".join(words)
