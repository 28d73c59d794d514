"""Every writer × layer level × write (replace, lower or raise by upload, 定密/解密 by the route) on both stores.

The expected answer is computed from the rule (onemap/security/write_access.py), independently of the code:
a layer the writer may not see is 404 word for word as a missing one; a visible layer the writer may not
write is a Chinese 403; an upload never lowers a level; the store is unchanged after every refusal.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pyogrio

from onemap.ingest.importer import ImportOptions, import_path
from onemap.security.accounts import create_user
from onemap.security.sessions import login
from onemap.standards.codes import security_rank
from onemap.store import open_store
from tests.api.conftest import PASSWORD, Api
from tests.builders import dltb

LEVELS = ("公开", "内部", "秘密", "机密")
COUNTY_CODES = ("3411231000010000000", "3411232000010000000")  # two townships of county 341123
TOWNSHIP = "341123100"


@dataclass(frozen=True)
class Writer:
    """An account of the matrix: roles, clearance and region."""

    roles: tuple[str, ...]
    clearance: str
    region: str = ""

    @property
    def imports(self) -> bool:
        return "业务人员" in self.roles

    @property
    def classifies(self) -> bool:
        return "安全管理员" in self.roles

    def sees(self, level: str) -> bool:
        return "审计管理员" not in self.roles and security_rank(self.clearance) >= security_rank(level)


WRITERS = {
    "公开业务人员": Writer(("业务人员",), "公开"),
    "内部业务人员": Writer(("业务人员",), "内部"),
    "秘密业务人员": Writer(("业务人员",), "秘密"),
    "乡镇业务人员": Writer(("业务人员",), "秘密", TOWNSHIP),
    "安全管理员": Writer(("安全管理员",), "秘密"),
    "系统管理员": Writer(("系统管理员",), "秘密"),
    "审计管理员": Writer(("审计管理员",), "秘密"),
}
OPS = ("replace", "lower_upload", "raise_upload", "declassify_route", "raise_route")


def _step(level: str, by: int) -> str | None:
    index = LEVELS.index(level) + by
    return LEVELS[index] if 0 <= index < len(LEVELS) else None


def target_level(level: str, op: str) -> str | None:
    """The level ``op`` gives a layer of ``level`` (None: the op makes no sense there, e.g. lowering 公开)."""
    if op == "replace":
        return level
    return _step(level, -1 if op.startswith(("lower", "declassify")) else 1)


def expected_status(writer: Writer, level: str, op: str) -> int:
    """The rule, restated: 404 when the layer is hidden, 403 when visible but not writable, else 200."""
    new = target_level(level, op)
    if op.endswith("upload") or op == "replace":
        if not writer.imports:
            return 403  # no import permission at all: refused before any layer is looked at
        if not writer.sees(level):
            return 404
        if op == "lower_upload":
            return 403
    else:
        if not writer.sees(level):
            return 404
        if not writer.classifies:
            return 403
    if security_rank(writer.clearance) < security_rank(new) or writer.region:
        return 403  # the township account: the county layer has features outside its township
    return 200


def county_frame(shift: int = 0) -> gpd.GeoDataFrame:
    frame = dltb(4, dlbm_shift=shift)
    frame["ZLDWDM"] = [COUNTY_CODES[i % 2] for i in range(len(frame))]
    return frame


def gpkg_bytes(folder: Path, frame: gpd.GeoDataFrame, name: str) -> bytes:
    path = folder / f"{name}.gpkg"
    pyogrio.write_dataframe(frame, path, layer="DLTB")
    return path.read_bytes()


def add(api: Api, name: str, level: str, frame: gpd.GeoDataFrame | None = None) -> None:
    """A layer added by the console (as the bureau's data manager does on the server)."""
    path = api.folder / f"add-{name}.gpkg"
    pyogrio.write_dataframe(county_frame() if frame is None else frame, path, layer="DLTB")
    with open_store(api.store_url) as store:
        import_path(path, store, ImportOptions(name=name, security_level=level),
                    security=api.client.app.state.ctx.security)


def sign_in(api: Api, username: str, writer: Writer) -> dict[str, str]:
    """An account of ``writer``'s kind, signed in without the login route (whose per-address limit counts)."""
    with api.records.begin() as conn:
        create_user(conn, actor=None, username=username, password=PASSWORD, roles=writer.roles,
                    clearance=writer.clearance, region_code=writer.region, must_change_password=False)
    token = login(api.records, username=username, password=PASSWORD, ip=f"test-{username}",
                  settings=api.client.app.state.ctx.security).token
    return {"Authorization": f"Bearer {token}"}


def state(api: Api, name: str) -> tuple[int, str, int] | None:
    """(version, level, features) of a layer as the store holds it."""
    with open_store(api.store_url) as store:
        if not store.has_layer(name):
            return None
        entry = store.entry(name)
        return entry.current.version, entry.meta.security_level, entry.current.feature_count


def perform(api: Api, headers: dict, name: str, level: str, op: str, upload: bytes):
    new = target_level(level, op)
    if op.endswith("route"):
        return api.client.post(f"/api/layers/{name}/classification", headers=headers,
                               json={"level": new, "reason": "按定密审批单 2026-17 办理"})
    data = {"name": name} if op == "replace" else {"name": name, "security_level": new}
    return api.client.post("/api/imports", headers=headers, files={"file": ("d.gpkg", io.BytesIO(upload))},
                           data=data)


def _check_refusal(api: Api, headers: dict, name: str, op: str, response, status: int) -> str | None:
    """None if the refusal looks as it must: Chinese, nothing written, a 404 like a missing layer's."""
    message = str(response.json().get("message", ""))
    if not any("\u4e00" <= ch <= "\u9fff" for ch in message):
        return f"not Chinese: {message}"
    if status == 404:
        missing = perform(api, headers, "NOSUCHLYR", "内部", "declassify_route", b"")
        if response.json() != {k: (v.replace("NOSUCHLYR", name) if isinstance(v, str) else v)
                               for k, v in missing.json().items()}:
            return f"404 differs from a missing layer's: {response.json()} vs {missing.json()}"
    if "removed" in response.text:
        return f"{op}: the refusal discloses the layer's size: {response.text[:200]}"
    return None


def run_case(api: Api, headers: dict, writer: Writer, level: str, op: str, upload: bytes,
             fresh: list[int]) -> str | None:
    """One case; a description of what went wrong, or None."""
    status = expected_status(writer, level, op)
    name = f"L{LEVELS.index(level)}"
    if status == 200:  # a write that succeeds changes its layer: each gets one of its own
        fresh[0] += 1
        name = f"F{fresh[0]}"
        add(api, name, level)
    before = state(api, name)
    response = perform(api, headers, name, level, op, upload)
    if response.status_code != status:
        return f"{op} on {level}: {response.status_code} instead of {status}: {response.text[:160]}"
    after = state(api, name)
    if status != 200:
        return _check_refusal(api, headers, name, op, response, status) or (
            None if after == before else f"{op} on {level}: refused but the store changed {before} → {after}")
    if after is None or after[0] != before[0] + 1 or after[1] != target_level(level, op) or after[2] != 4:
        return f"{op} on {level}: allowed but the store holds {after} (was {before})"
    return None


def test_write_matrix(classified_api: Api) -> None:
    """Every writer × level × write, both stores; the failures all listed at once."""
    api = classified_api
    for level in LEVELS[:3]:
        add(api, f"L{LEVELS.index(level)}", level)
    upload = gpkg_bytes(api.folder, county_frame(shift=1), "upload")
    failures, fresh = [], [0]
    for index, (label, writer) in enumerate(WRITERS.items()):
        headers = sign_in(api, f"writer{index}", writer)
        for level in LEVELS[:3]:
            for op in OPS:
                if target_level(level, op) is None:
                    continue
                problem = run_case(api, headers, writer, level, op, upload, fresh)
                if problem:
                    failures.append(f"{label}: {problem}")
    assert not failures, "\n".join(failures)


def test_the_reported_attack_no_longer_works(classified_api: Api) -> None:
    """Issue 20 item 1: a 公开 业务人员 replacing and declassifying a 秘密 layer, then reading its version 1."""
    api = classified_api
    add(api, "SEC", "秘密")
    public = sign_in(api, "public1", WRITERS["公开业务人员"])
    upload = gpkg_bytes(api.folder, county_frame(shift=1), "attack")
    for data in ({"name": "SEC"}, {"name": "SEC", "security_level": "公开"}):
        response = api.client.post("/api/imports", headers=public, files={"file": ("d.gpkg", upload)}, data=data)
        assert response.status_code == 404 and response.json()["message"] == "图层不存在:SEC"
        assert "removed" not in response.text
    assert state(api, "SEC") == (1, "秘密", 4)
    assert api.client.get("/ogc/collections/SEC/items?version=1", headers=public).status_code == 404
    internal = sign_in(api, "internal1", WRITERS["内部业务人员"])
    response = api.client.post("/api/imports", headers=internal, files={"file": ("d.gpkg", upload)},
                               data={"name": "SEC"})
    assert response.status_code == 404 and state(api, "SEC") == (1, "秘密", 4)


def test_a_township_account_writes_only_layers_wholly_in_its_township(classified_api: Api) -> None:
    api = classified_api
    add(api, "GHFQ", "内部")  # county-wide
    add(api, "PLAIN", "内部", dltb(4))  # no 行政区划 field: hidden from region-limited accounts, as for reads
    inside = county_frame()
    inside["ZLDWDM"] = f"{TOWNSHIP}0010000000"
    add(api, "TOWN", "内部", inside)
    town = sign_in(api, "town1", WRITERS["乡镇业务人员"])

    def upload(name: str, frame: gpd.GeoDataFrame):
        data = gpkg_bytes(api.folder, frame, f"town-{name}")
        return api.client.post("/api/imports", headers=town, files={"file": ("d.gpkg", data)}, data={"name": name})

    changed = inside.copy()
    changed["DLBM"] = "0301"
    refused = upload("GHFQ", changed)
    assert refused.status_code == 403 and TOWNSHIP in refused.json()["message"]
    hidden, unread = upload("PLAIN", changed), api.client.get("/ogc/collections/PLAIN/items", headers=town)
    assert hidden.status_code == unread.status_code == 404 and hidden.json() == unread.json()
    assert hidden.json()["message"] == "图层不存在:PLAIN"
    outside = upload("TOWN", county_frame(shift=1))
    assert outside.status_code == 403 and "以外" in outside.json()["message"]
    no_field = upload("TOWN", dltb(4))
    assert no_field.status_code == 403 and "行政区划代码字段" in no_field.json()["message"]
    assert state(api, "GHFQ") == state(api, "TOWN") == state(api, "PLAIN") == (1, "内部", 4)
    assert upload("TOWN", changed).status_code == 200 and state(api, "TOWN") == (2, "内部", 4)
    assert upload("NEWTOWN", changed).status_code == 200 and state(api, "NEWTOWN") == (1, "内部", 4)


def test_declassification_keeps_features_and_history_and_is_audited(classified_api: Api) -> None:
    api = classified_api
    add(api, "SEC", "秘密")
    officer = sign_in(api, "officer1", WRITERS["安全管理员"])
    bad = api.client.post("/api/layers/SEC/classification", headers=officer, json={"level": "公开", "reason": " "})
    assert bad.status_code == 422 and "理由" in bad.json()["message"]
    same = api.client.post("/api/layers/SEC/classification", headers=officer, json={"level": "秘密", "reason": "复核"})
    assert same.status_code == 422 and "已是" in same.json()["message"]
    response = api.client.post("/api/layers/SEC/classification", headers=officer,
                               json={"level": "公开", "reason": "解密审批单 2026-17"})
    assert response.status_code == 200, response.text
    assert response.json() == {"layer": "SEC", "version": 2, "previous": "秘密", "level": "公开", "kind": "解密",
                               "reason": "解密审批单 2026-17"}
    with open_store(api.store_url) as store:
        v1, v2 = store.entry("SEC").history
        assert (v1.security_level, v2.security_level) == ("秘密", "公开")
        assert (v2.added, v2.changed, v2.removed, v2.feature_count) == (0, 0, 0, 4)
        assert "解密审批单 2026-17" in v2.note
        first, second = store.read("SEC", version=1), store.read("SEC", version=2)
        assert first.drop(columns="geometry").equals(second.drop(columns="geometry"))
        assert first.geometry.geom_equals(second.geometry).all()
    auditor = sign_in(api, "auditor1", WRITERS["审计管理员"])
    rows = [r for r in api.client.get("/api/audit", headers=auditor).json() if r["action"] == "layer:classify"]
    assert [r["result"] for r in rows] == ["success", "failure", "failure"]  # newest first
    assert rows[0]["username"] == "officer1" and rows[0]["detail"]["kind"] == "解密"


def test_classification_needs_csrf_with_a_cookie_session(classified_api: Api) -> None:
    api = classified_api
    add(api, "INT", "内部")
    sign_in(api, "officer2", WRITERS["安全管理员"])
    signed = api.client.post("/api/auth/login", json={"username": "officer2", "password": PASSWORD})
    body = {"level": "公开", "reason": "解密审批单 2026-18"}
    refused = api.client.post("/api/layers/INT/classification", json=body)  # the cookie, no CSRF header
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    assert state(api, "INT") == (1, "内部", 4)
    allowed = api.client.post("/api/layers/INT/classification", json=body,
                              headers={"X-CSRF-Token": signed.json()["csrf_token"]})
    assert allowed.status_code == 200 and state(api, "INT") == (2, "公开", 4)


def test_a_government_upload_neither_lowers_nor_exceeds_the_edition(api: Api) -> None:
    """政务版: re-importing an 内部 layer as 公开 is refused (403), as 秘密 is beyond the edition (422)."""
    add(api, "INT", "内部")
    writer = sign_in(api, "biz1", WRITERS["秘密业务人员"])
    upload = gpkg_bytes(api.folder, county_frame(shift=1), "gov")
    above = api.client.post("/api/imports", headers=writer, files={"file": ("d.gpkg", upload)},
                            data={"name": "INT", "security_level": "秘密"})
    assert above.status_code == 422 and "政务" in above.json()["message"]
    lower = api.client.post("/api/imports", headers=writer, files={"file": ("d.gpkg", upload)},
                            data={"name": "INT", "security_level": "公开"})
    assert lower.status_code == 403 and "定密/解密" in lower.json()["message"]
    assert "安全管理员" in lower.json()["message"]  # the role the policy names
    assert state(api, "INT") == (1, "内部", 4)
