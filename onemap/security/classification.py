"""数据定密/解密: a layer's security level changed as a decision of its own (G1, P9).

An import keeps or raises a layer's level, never lowers it (:mod:`onemap.security.write_access`).
Raising or lowering it is done here, by a role the policy grants ``layer:classify`` (the 安全管理员 by
default: 三员分立 gives data security levels to the security administrator, GB/T 22239-2019 8.1.5.3),
who states a reason and needs, like every writer, clearance ≥ the current and the new level and a region
covering the layer. The API and the CLI both audit the decision (``layer:classify``).

The decision is a new version holding the same features at the new level: the history stays as it was
(an older version keeps the level it was read under), and the reason is the new version's note.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from onemap.errors import InputError
from onemap.geometry.coverage import FACT as COVERAGE_FACT
from onemap.security.clearance import assert_storable
from onemap.security.settings import SecuritySettings
from onemap.security.users import User
from onemap.security.write_access import CLASSIFY, LayerWrite, authorize_write
from onemap.standards.codes import security_rank
from onemap.store import CatalogEntry, LayerBatch, Store
from onemap.store.base import FID, VFROM, VTO

MAX_REASON = 500
SECRET = "秘密"  # the lowest level of a state secret (国家秘密); 内部 is a 工作秘密


@dataclass(frozen=True)
class Classification:
    """One 定密/解密 decision: the layer, the version it made, the levels before and after, and why."""

    layer: str
    version: int
    previous: str
    level: str
    reason: str

    @property
    def kind(self) -> str:
        """定密 / 升密 (raised), 降密 / 解密 (lowered, 解密 when it is no state secret afterwards)."""
        secret = security_rank(SECRET)
        if security_rank(self.level) > security_rank(self.previous):
            return "升密" if security_rank(self.previous) >= secret else "定密"
        return "降密" if security_rank(self.level) >= secret else "解密"

    def record(self) -> dict[str, str | int]:
        """The decision as the API answers it and the audit trail keeps it."""
        return {"layer": self.layer, "version": self.version, "previous": self.previous, "level": self.level,
                "kind": self.kind, "reason": self.reason}


def checked_reason(reason: str) -> str:
    """The stated reason (required: a decision without one is not a decision)."""
    text = (reason or "").strip()
    if not 2 <= len(text) <= MAX_REASON:
        raise InputError(f"请说明定密/解密的理由(2–{MAX_REASON} 个字)", f"bad reason length {len(text)}")
    return text


def classify(store: Store, name: str, *, level: str, reason: str, actor: User,
             settings: SecuritySettings | None = None) -> Classification:
    """Set layer ``name`` to security ``level`` as a new version with the same features."""
    reason = checked_reason(reason)
    security_rank(level)  # an unknown level is an input error, before anything about the layer
    assert_storable(level, settings)
    base = authorize_write(store, LayerWrite(name, level, CLASSIFY), writer=actor, settings=settings)
    entry = store.entry(name)
    if entry.meta.security_level == level:
        raise InputError(f"图层 {name} 的数据安全等级已是“{level}”", f"{name} already {level}")
    decision = Classification(name, base + 1, entry.meta.security_level, level, reason)
    (info,) = store.commit([_same_features(store, entry, decision)], expected={name: base})
    return replace(decision, version=info.version)


def _same_features(store: Store, entry: CatalogEntry, decision: Classification) -> LayerBatch:
    """The current version's features, keys and hashes unchanged: the store writes no feature row."""
    current = entry.current
    frame = store.read(entry.meta.name, version=current.version, system_columns=True)
    frame = frame.drop(columns=[c for c in (FID, VFROM, VTO) if c in frame.columns])
    coverage = store.version_fact(entry.meta.name, current.version, COVERAGE_FACT)
    return LayerBatch(meta=replace(entry.meta, security_level=decision.level), frame=frame, source=current.source,
                      valid_date=current.valid_date, encoding=current.encoding,
                      note=f"{decision.kind}:{decision.reason}", facts={COVERAGE_FACT: coverage} if coverage else {})
