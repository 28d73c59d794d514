"""The write rule below the web layer: a stale decision, region codes, the kinds of level decision."""

from __future__ import annotations

import pytest

from onemap.errors import ConflictError, InputError, NotFoundError
from onemap.ingest.prepare import build_batch
from onemap.security import PermissionDeniedError, User
from onemap.security.classification import Classification, checked_reason, classify
from onemap.security.settings import SecuritySettings
from onemap.security.write_access import authorize_import, writable_layers
from onemap.store import LayerMeta, Store
from tests.builders import dltb

CLASSIFIED = SecuritySettings(edition="classified")


def _batch(name: str, level: str, codes: list[str | None] | None = None, shift: int = 0):
    frame = dltb(3, dlbm_shift=shift)
    if codes is not None:
        frame["ZLDWDM"] = codes
    meta = LayerMeta(name=name, title=name, epsg=4527, geometry_type="MultiPolygon", key_field="BSM",
                     security_level=level)
    return build_batch(frame, meta, source="test")


def test_a_decision_taken_on_a_version_is_not_applied_to_a_later_one(store: Store) -> None:
    store.commit([_batch("DLTB", "内部")])
    writer = User(id=1, username="biz", roles=("业务人员",), clearance="内部")
    expected = authorize_import(store, [_batch("DLTB", "内部", shift=1)], writer=writer, settings=CLASSIFIED)
    store.commit([_batch("DLTB", "秘密", shift=2)])  # raised to 秘密 meanwhile, by someone cleared for it
    with pytest.raises(ConflictError):
        store.commit([_batch("DLTB", "内部", shift=1)], expected=expected)
    assert store.entry("DLTB").meta.security_level == "秘密"


def test_a_missing_region_code_is_not_inside_the_region(store: Store) -> None:
    town = User(id=2, username="town", roles=("业务人员",), clearance="内部", region_code="341123100")
    inside = "3411231000010000000"
    authorize_import(store, [_batch("NEW", "内部", [inside] * 3)], writer=town)
    with pytest.raises(PermissionDeniedError, match="以外"):
        authorize_import(store, [_batch("NEW", "内部", [inside, None, inside])], writer=town)
    store.commit([_batch("PLAIN", "内部")])
    assert "PLAIN" not in writable_layers(store, town) and "PLAIN" in writable_layers(store, None)


def test_classify_refuses_hidden_and_missing_layers_alike(store: Store) -> None:
    store.commit([_batch("SEC", "秘密")])
    officer = User(id=3, username="officer", roles=("安全管理员",), clearance="内部")
    answers = []
    for name in ("SEC", "NOSUCH"):
        with pytest.raises(NotFoundError) as caught:
            classify(store, name, level="公开", reason="解密审批单", actor=officer, settings=CLASSIFIED)
        answers.append(caught.value.message_zh.replace(name, "X"))
    assert answers[0] == answers[1]
    cleared = User(id=4, username="cleared", roles=("安全管理员",), clearance="秘密")
    with pytest.raises(PermissionDeniedError, match="机密"):
        classify(store, "SEC", level="机密", reason="升密审批单", actor=cleared, settings=CLASSIFIED)
    decision = classify(store, "SEC", level="内部", reason="解密审批单", actor=cleared, settings=CLASSIFIED)
    assert (decision.kind, decision.version) == ("解密", 2)
    assert "解密审批单" in store.entry("SEC").history[-1].note


@pytest.mark.parametrize(("previous", "level", "kind"), [
    ("公开", "秘密", "定密"), ("内部", "公开", "解密"), ("秘密", "机密", "升密"), ("机密", "秘密", "降密"),
    ("秘密", "内部", "解密"),
])
def test_kinds_of_level_decision(previous: str, level: str, kind: str) -> None:
    assert Classification("X", 2, previous, level, "依据").kind == kind


@pytest.mark.parametrize("reason", ["", " ", "x", "理" * 501])
def test_a_decision_needs_a_reason(reason: str) -> None:
    with pytest.raises(InputError, match="理由"):
        checked_reason(reason)
