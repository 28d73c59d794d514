"""系统管理 API: 三员分立 as the policy data says — the 系统管理员 creates, locks and resets accounts and oversees
jobs, the 安全管理员 gives roles, region and clearance, the 审计管理员 reads the trail; every other caller is
refused, and every change and refusal is in the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from onemap.records import audit_log
from onemap.security.accounts import create_user
from onemap.security.roles import actions_catalog, load_policy
from onemap.security.users import get_user
from onemap.services.processes import create_job, load_job
from tests.api.conftest import PASSWORD, Api

NEW = {"username": "wangwu", "password": "Chushi#Kouling2024", "display_name": "王五", "region_code": "341123"}


def _sign_in(api: Api, roles: list[str], region_code: str = "") -> tuple[str, dict[str, str]]:
    headers = api.user(roles, clearance="公开" if roles and roles[0].endswith("管理员") else "内部",
                       region_code=region_code)
    return f"user{api._count[0]}", headers


def _target(api: Api, username: str = "lisi", region_code: str = "341123") -> str:
    with api.records.begin() as conn:
        create_user(conn, actor=None, username=username, password=PASSWORD, roles=["业务人员"],
                    region_code=region_code, must_change_password=False)
    return username


def _audit_rows(api: Api, action: str) -> list[tuple[str, str, str]]:
    """Rows of ``action`` done by signed-in accounts (not the console that set the test up)."""
    with api.records.connect() as conn:
        query = (select(audit_log.c.username, audit_log.c.object, audit_log.c.result)
                 .where(audit_log.c.action == action, audit_log.c.username != "console"))
        return [tuple(row) for row in conn.execute(query.order_by(audit_log.c.id))]


def test_console_functions_are_read_from_the_policy_data(api: Api) -> None:
    reserved = {a: row["reserved_for"] for a, row in actions_catalog().items() if row["reserved_for"]}
    for role in ("系统管理员", "安全管理员", "审计管理员", "业务人员"):
        _, headers = _sign_in(api, [role])
        body = api.client.get("/api/admin/console", headers=headers).json()
        held = {rule.action for rule in load_policy() if rule.role == role} & reserved.keys()
        assert set(body["granted"]) == held
        assert {f["action"] for f in body["functions"]} == reserved.keys()
    assert "jobs:admin" in held or role == "业务人员"
    assert api.client.get("/api/admin/console").json()["granted"] == []  # anonymous: nothing, no error
    assert {r["role"] for r in body["roles"]} >= {"系统管理员", "业务人员"} and body["clearances"][0] == "公开"


def test_system_admin_creates_locks_unlocks_and_resets(api: Api) -> None:
    admin, headers = _sign_in(api, ["系统管理员"])
    created = api.client.post("/api/admin/users", json=NEW, headers=headers)
    assert created.status_code == 201, created.text
    expected = {"username": "wangwu", "roles": [], "clearance": "公开", "region_code": "341123", "state": "待改口令",
                "must_change_password": True}
    assert {key: created.json()[key] for key in expected} == expected
    login = api.client.post("/api/auth/login", json={"username": "wangwu", "password": NEW["password"]})
    assert login.status_code == 401 and "修改口令" in login.json()["message"]  # the initial password must change
    assert api.client.post("/api/admin/users/wangwu/lock", headers=headers).json()["state"] == "锁定"
    assert api.client.post("/api/admin/users/wangwu/unlock", headers=headers).json()["state"] == "待改口令"
    reset = api.client.post("/api/admin/users/wangwu/password", json={"password": "Xin#Kouling2025x"}, headers=headers)
    assert reset.status_code == 200 and reset.json()["must_change_password"]
    listed = api.client.get("/api/admin/users", headers=headers).json()
    assert "wangwu" in {u["username"] for u in listed}
    assert all("argon2" not in str(u) and "password_hash" not in u for u in listed)
    for action in ("user.create", "user.lock", "user.unlock", "user.reset_password"):
        assert _audit_rows(api, action) == [(admin, "user:wangwu", "success")]
    assert api.client.post("/api/admin/users/wangwu/deactivate", headers=headers).json()["state"] == "停用"


def test_bad_input_is_refused_in_chinese_and_nothing_is_written(api: Api) -> None:
    _, headers = _sign_in(api, ["系统管理员"])
    weak = api.client.post("/api/admin/users", json={**NEW, "password": "123456"}, headers=headers)
    assert weak.status_code == 422 and "口令不符合安全策略" in weak.json()["message"]
    bad_region = api.client.post("/api/admin/users", json={**NEW, "region_code": "34x"}, headers=headers)
    assert bad_region.status_code == 422 and "行政区划代码" in bad_region.json()["message"]
    assert api.client.post("/api/admin/users/nobody/lock", headers=headers).status_code == 404
    for own in ("lock", "password", "deactivate"):  # the console does not lock itself out
        answer = api.client.post(f"/api/admin/users/user1/{own}", json={"password": "Xin#Kouling2025x"},
                                 headers=headers)
        assert answer.status_code == 422 and "自己的账号" in answer.json()["message"], own
    assert "wangwu" not in {u["username"] for u in api.client.get("/api/admin/users", headers=headers).json()}
    assert _audit_rows(api, "user.create") == []


def test_security_admin_sets_roles_region_and_clearance(api: Api) -> None:
    security, headers = _sign_in(api, ["安全管理员"])
    _target(api)
    roles = api.client.put("/api/admin/users/lisi/roles", json={"roles": ["审查人员"]}, headers=headers)
    assert roles.status_code == 200 and roles.json()["roles"] == ["审查人员"]
    assert api.client.put("/api/admin/users/lisi/region", json={"region_code": "341100"},
                          headers=headers).json()["region_code"] == "3411"
    assert api.client.put("/api/admin/users/lisi/clearance", json={"clearance": "秘密"},
                          headers=headers).json()["clearance"] == "秘密"
    both = api.client.put("/api/admin/users/lisi/roles", json={"roles": ["系统管理员", "审计管理员"]}, headers=headers)
    assert both.status_code == 422 and "三员分立" in both.json()["message"]
    assert _audit_rows(api, "user.set_roles") == [(security, "user:lisi", "success")]


SYSTEM = [("post", "/api/admin/users", NEW), ("post", "/api/admin/users/lisi/lock", None),
          ("post", "/api/admin/users/lisi/unlock", None), ("post", "/api/admin/users/lisi/deactivate", None),
          ("post", "/api/admin/users/lisi/password", {"password": "Xin#Kouling2025x"}),
          ("get", "/api/admin/jobs", None)]
SECURITY = [("put", "/api/admin/users/lisi/roles", {"roles": ["领导"]}),
            ("put", "/api/admin/users/lisi/region", {"region_code": "341123"}),
            ("put", "/api/admin/users/lisi/clearance", {"clearance": "内部"})]


@pytest.mark.parametrize(("role", "refused"), [
    ("系统管理员", SECURITY), ("安全管理员", SYSTEM), ("审计管理员", SYSTEM + SECURITY),
    ("业务人员", SYSTEM + SECURITY),
])
def test_each_role_is_refused_what_the_policy_does_not_give_it(api: Api, role: str, refused: list) -> None:
    username, headers = _sign_in(api, [role])
    _target(api)
    for method, path, body in refused:
        answer = api.client.request(method, path, json=body, headers=headers)
        assert answer.status_code == 403, (role, path, answer.text)
        assert answer.json()["message"].startswith("无权")
    denied = [row for row in _all_rows(api) if row[0] == username and row[2] == "denied"]
    assert len(denied) == len(refused)  # every refusal is in the trail
    with api.records.connect() as conn:  # and nothing changed
        target = get_user(conn, "lisi")
    assert (target.roles, target.region_code, target.clearance, target.active, target.locked_until) == \
        (("业务人员",), "341123", "内部", True, None)
    assert [row for row in _all_rows(api) if row[2] == "success" and row[1].startswith("user.")] == \
        [("console", "user.create", "success")] * 2  # the signed-in account and lisi, made from the console


def _all_rows(api: Api) -> list[tuple[str, str, str]]:
    with api.records.connect() as conn:
        return [tuple(r) for r in conn.execute(select(audit_log.c.username, audit_log.c.action, audit_log.c.result))]


def test_business_users_and_the_auditor_do_not_list_accounts(api: Api) -> None:
    for role in ("业务人员", "审计管理员"):
        _, headers = _sign_in(api, [role])
        assert api.client.get("/api/admin/users", headers=headers).status_code == 403
    assert api.client.get("/api/admin/users").status_code == 403  # anonymous


def test_system_admin_gives_neither_roles_nor_clearance_at_creation(api: Api) -> None:
    _, headers = _sign_in(api, ["系统管理员"])
    for extra in ({"roles": ["业务人员"]}, {"clearance": "机密"}):
        answer = api.client.post("/api/admin/users", json={**NEW, **extra}, headers=headers)
        assert answer.status_code == 403, answer.text
    assert _audit_rows(api, "user.create") == [("user1", "user:wangwu", "denied")] * 2


def test_a_county_admin_sees_and_changes_only_its_county(api: Api) -> None:
    _, headers = _sign_in(api, ["系统管理员"], region_code="341123")
    _target(api, "local", "341123")
    _target(api, "neighbour", "341124")
    listed = {u["username"] for u in api.client.get("/api/admin/users", headers=headers).json()}
    assert "local" in listed and "neighbour" not in listed
    assert api.client.post("/api/admin/users/neighbour/lock", headers=headers).status_code == 403


def test_changes_through_the_session_cookie_need_the_csrf_header(api: Api) -> None:
    _sign_in(api, ["系统管理员"])  # the login set the session cookie on the client
    _target(api)
    assert api.client.post("/api/admin/users/lisi/lock").status_code == 403
    me = api.client.get("/api/auth/me").json()
    locked = api.client.post("/api/admin/users/lisi/lock", headers={"X-CSRF-Token": me["csrf_token"]})
    assert locked.status_code == 200 and locked.json()["state"] == "锁定"


def test_system_admin_lists_every_job_without_its_data_and_cancels_one(api: Api) -> None:
    _, headers = _sign_in(api, ["系统管理员"])
    clerk, clerk_headers = _sign_in(api, ["业务人员"])
    job = create_job(api.records, process="area-statistics", inputs={"layer": "DLTB", "secret": "x"}, owner=clerk)
    listed = api.client.get("/api/admin/jobs", headers=headers).json()
    assert [(j["id"], j["owner"], j["status"], j["cancellable"]) for j in listed] == [(job.id, clerk, "accepted", True)]
    assert "inputs" not in listed[0] and "secret" not in str(listed)
    assert api.client.get("/api/admin/jobs", headers=clerk_headers).status_code == 403
    assert api.client.post(f"/api/admin/jobs/{job.id}/cancel", headers=clerk_headers).status_code == 403
    cancelled = api.client.post(f"/api/admin/jobs/{job.id}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "dismissed"
    assert load_job(api.records, job.id).status == "dismissed"
    again = api.client.post(f"/api/admin/jobs/{job.id}/cancel", headers=headers)
    assert again.status_code == 409 and "不能撤销" in again.json()["message"]
    assert api.client.get("/api/admin/jobs?status=bogus", headers=headers).status_code == 422
    assert _audit_rows(api, "job.cancel") == [(clerk, f"job:{job.id}", "denied"), ("user1", f"job:{job.id}", "success")]


def test_the_auditor_filters_the_trail_by_object(api: Api) -> None:
    _, admin = _sign_in(api, ["系统管理员"])
    _target(api)
    api.client.post("/api/admin/users/lisi/lock", headers=admin)
    _, auditor = _sign_in(api, ["审计管理员"])
    rows = api.client.get("/api/audit?object=lisi", headers=auditor).json()
    assert {r["action"] for r in rows} == {"user.create", "user.lock"}
    assert api.client.get("/api/audit?object=lisi", headers=admin).status_code == 403


def test_a_county_admin_sees_and_cancels_only_its_county_jobs(api: Api) -> None:
    _, headers = _sign_in(api, ["系统管理员"], region_code="341123")
    _target(api, "local", "341123")
    _target(api, "neighbour", "341124")
    mine = create_job(api.records, process="area-statistics", inputs={}, owner="local")
    theirs = create_job(api.records, process="area-statistics", inputs={}, owner="neighbour")
    listed = api.client.get("/api/admin/jobs", headers=headers).json()
    assert [j["id"] for j in listed] == [mine.id]
    assert api.client.post(f"/api/admin/jobs/{theirs.id}/cancel", headers=headers).status_code == 404
    assert load_job(api.records, theirs.id).status == "accepted"
