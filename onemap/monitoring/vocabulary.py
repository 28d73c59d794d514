"""The vocabulary of monitoring as data: warning levels, warning states, project event kinds, land-use codes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from onemap.standards.registry import get_table

DATA = Path(__file__).parent / "data"
CODE_TABLES = {"sandiao": "sandiao_landuse_codes", "ydyh": "ydyh_codes"}


def _csv(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, dtype=str, keep_default_na=False, encoding="utf-8")


@dataclass(frozen=True)
class Level:
    """A warning level (蓝/黄/橙/红): its rank (higher is more severe), name and map colour."""

    code: str
    rank: int
    name_zh: str
    colour: str


@lru_cache
def levels() -> dict[str, Level]:
    """Warning levels by code, least severe first."""
    frame = _csv("warning_levels.csv")
    found = [Level(r.code, int(r.rank), r.name_zh, r.colour) for r in frame.itertuples()]
    return {level.code: level for level in sorted(found, key=lambda level: level.rank)}


@lru_cache
def states() -> dict[str, dict]:
    """Warning states: the states each may move to and whether a move into it needs an opinion."""
    frame = _csv("warning_states.csv")
    return {r.state: {"name_zh": r.name_zh, "next": r.next_states.split(), "needs_opinion": r.needs_opinion == "true"}
            for r in frame.itertuples()}


def first_state() -> str:
    """The state a new warning starts in (the first row of the table)."""
    return next(iter(states()))


@lru_cache
def event_kinds() -> dict[str, str]:
    """Project event kind → the kind of the 合规性审查 history row it becomes (审批/登记/执法)."""
    frame = _csv("event_kinds.csv")
    return dict(zip(frame["kind"], frame["project_event_kind"], strict=True))


@lru_cache(maxsize=4096)
def known_code(code: str, classification: str) -> bool:
    """Whether ``code`` is in the 三调 (``sandiao``) or 用地用海 (``ydyh``) code table."""
    return get_table(CODE_TABLES[classification]).row(code) is not None


def code_name(code: str, classification: str) -> str:
    """The class name of a code, or the code itself when unknown."""
    row = get_table(CODE_TABLES[classification]).row(code)
    return f"{row['name_zh']}({code})" if row else code
