"""系统管理 over HTTP: accounts (系统管理员 creates, locks, resets; 安全管理员 gives roles, region,
clearance) and every user's jobs (系统管理员). The audit trail is :mod:`onemap.api.routes.audit`.

Who may do what is the policy data's (:mod:`onemap.security.admin`); these routes only speak HTTP. Every
change is audited with the account change, every refusal on its own; a browser's session cookie needs
the CSRF header on each change, as on every other unsafe route (:func:`onemap.api.auth.current_session`).
"""

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context
from onemap.security import User, accounts
from onemap.security import admin as console
from onemap.services.processes import admin as job_admin

router = APIRouter(prefix="/api/admin", tags=["系统管理"])
UserDep = Annotated[User, Depends(current_user)]
UsernamePath = Annotated[str, Path(min_length=1, max_length=64)]


class AccountCreate(BaseModel):
    """新账号:用户名、初始口令(本人首次登录时须修改)、姓名、行政区划;角色与密级须有相应权限。"""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    display_name: str = Field("", max_length=64)
    region_code: str = Field("", max_length=12)
    roles: list[str] = Field(default_factory=list, max_length=16)
    clearance: str | None = Field(None, max_length=8)


class PasswordReset(BaseModel):
    """新的初始口令(本人下次登录时须修改)。"""

    password: str = Field(min_length=1, max_length=256)


class LockRequest(BaseModel):
    """锁定分钟数;不填为直到解锁。"""

    minutes: int | None = Field(None, ge=1, le=525_600)


class RolesUpdate(BaseModel):
    """账号的全部角色(替换原有角色)。"""

    roles: list[str] = Field(max_length=16)


class RegionUpdate(BaseModel):
    """行政区划代码;空为全国。"""

    region_code: str = Field(max_length=12)


class ClearanceUpdate(BaseModel):
    """密级:可查看的最高数据安全等级。"""

    clearance: str = Field(min_length=1, max_length=8)


def account_view(user: User) -> dict:
    """An account as the console lists it (never its password hash or TOTP secret)."""
    def when(value):
        return value.isoformat(timespec="seconds") if value else None

    return {"username": user.username, "display_name": user.display_name, "roles": list(user.roles),
            "region_code": user.region_code, "clearance": user.clearance, "active": user.active,
            "state": console.account_state(user), "locked_until": when(user.locked_until),
            "must_change_password": user.password_changed_at is None, "totp": user.totp_enabled,
            "last_login_at": when(user.last_login_at)}


def _refusals(request: Request, user: User, action: str, target: str):
    return console.refusals_audited(context(request).records, actor=user, ip=client_ip(request), action=action,
                                    target=target)


def _administer(request: Request, user: User, action: str, username: str,
                change: Callable[[Connection], User]) -> dict:
    account = console.administer(context(request).records, actor=user, ip=client_ip(request), action=action,
                                 target=f"user:{username}", change=change)
    return account_view(account)


@router.get("/console", summary="本人可用的系统管理功能、角色与密级选项")
def console_info(request: Request, user: UserDep) -> dict:
    security = context(request).security
    functions = console.console_functions(user, security)
    return {"functions": [{"action": f.action, "name_zh": f.name_zh, "description_zh": f.description_zh,
                           "reserved_for": f.reserved_for, "granted": f.granted} for f in functions],
            "granted": [f.action for f in functions if f.granted],
            "roles": console.role_choices(), "clearances": console.clearance_choices(security)}


@router.get("/users", summary="账号列表(本辖区;系统管理员或安全管理员)")
def list_accounts(request: Request, user: UserDep) -> list[dict]:
    ctx = context(request)
    return [account_view(u) for u in console.administer(
        ctx.records, actor=user, ip=client_ip(request), action="account.list", target="users",
        change=lambda conn: console.visible_accounts(conn, actor=user, ip=client_ip(request),
                                                     settings=ctx.security))]


@router.post("/users", status_code=201, summary="新建账号(初始口令;系统管理员)")
def create_account(body: AccountCreate, request: Request, user: UserDep) -> dict:
    security = context(request).security
    return _administer(request, user, "user.create", body.username, lambda conn: console.create_account(
        conn, actor=user, username=body.username, password=body.password, display_name=body.display_name,
        region_code=body.region_code, roles=tuple(body.roles), clearance=body.clearance, settings=security))


@router.post("/users/{username}/lock", summary="锁定账号并结束其会话(系统管理员)")
def lock(username: UsernamePath, request: Request, user: UserDep, body: LockRequest | None = None) -> dict:
    minutes = body.minutes if body else None
    return _administer(request, user, "user.lock", username, lambda conn: console.lock_account(
        conn, actor=user, username=username, minutes=minutes))


@router.post("/users/{username}/unlock", summary="解除锁定(系统管理员)")
def unlock(username: UsernamePath, request: Request, user: UserDep) -> dict:
    return _administer(request, user, "user.unlock", username, lambda conn: accounts.unlock_user(
        conn, actor=user, username=username))


@router.post("/users/{username}/deactivate", summary="停用账号(保留以供审计;系统管理员)")
def deactivate(username: UsernamePath, request: Request, user: UserDep) -> dict:
    return _administer(request, user, "user.deactivate", username, lambda conn: accounts.deactivate_user(
        conn, actor=user, username=username))


@router.post("/users/{username}/password", summary="重置口令(本人下次登录须修改;系统管理员)")
def reset_password(username: UsernamePath, body: PasswordReset, request: Request, user: UserDep) -> dict:
    security = context(request).security
    return _administer(request, user, "user.reset_password", username, lambda conn: console.reset_account_password(
        conn, actor=user, username=username, password=body.password, settings=security))


@router.put("/users/{username}/roles", summary="设置角色(安全管理员;三员不得兼任)")
def set_roles(username: UsernamePath, body: RolesUpdate, request: Request, user: UserDep) -> dict:
    return _administer(request, user, "user.set_roles", username, lambda conn: accounts.set_roles(
        conn, actor=user, username=username, roles=body.roles))


@router.put("/users/{username}/region", summary="调整所属行政区(安全管理员)")
def set_region(username: UsernamePath, body: RegionUpdate, request: Request, user: UserDep) -> dict:
    return _administer(request, user, "user.set_region", username, lambda conn: accounts.set_region(
        conn, actor=user, username=username, region_code=body.region_code))


@router.put("/users/{username}/clearance", summary="设置密级(安全管理员)")
def set_clearance(username: UsernamePath, body: ClearanceUpdate, request: Request, user: UserDep) -> dict:
    return _administer(request, user, "user.set_clearance", username, lambda conn: accounts.set_clearance(
        conn, actor=user, username=username, clearance=body.clearance))


@router.get("/jobs", summary="所有用户的后台任务(系统管理员;不含输入和结果)")
def list_jobs(request: Request, user: UserDep, status: Annotated[str | None, Query(max_length=16)] = None,
              owner: Annotated[str | None, Query(max_length=64)] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict]:
    ctx = context(request)
    with _refusals(request, user, "job.list", "jobs"):
        found = job_admin.all_jobs(ctx.records, actor=user, status=status or None, owner=owner or None, limit=limit,
                                   settings=ctx.security)
    return [job.to_dict() for job in found]


@router.post("/jobs/{job_id}/cancel", summary="撤销未完成的任务(系统管理员)")
def cancel_job(job_id: Annotated[str, Path(max_length=36)], request: Request, user: UserDep) -> dict:
    ctx = context(request)
    with _refusals(request, user, "job.cancel", f"job:{job_id}"):
        return job_admin.cancel_job(ctx.records, actor=user, job_id=job_id, ip=client_ip(request),
                                    settings=ctx.security).to_dict()
