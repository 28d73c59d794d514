"""onemap 安全管理命令:首个系统管理员、账号、审计日志、部署配置检查。

The main CLI mounts these apps (``admin``, ``user``, ``audit``, ``config``). Account commands run as
the local console: whoever can run them on the server already holds the records database, and each
change is audited as ``console``. Reading the audit log still needs an 审计管理员's sign-in.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from onemap.cli.progress import console, out
from onemap.config import get_settings
from onemap.errors import OnemapError
from onemap.records import default_records_url, open_records, parse_records_url

admin_app = typer.Typer(help="系统管理员初始化(无默认口令)。", no_args_is_help=True)
user_app = typer.Typer(help="账号管理(本机控制台,操作记入审计日志)。", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志:校验哈希链、查看记录(仅审计管理员)。", no_args_is_help=True)
config_app = typer.Typer(help="部署配置检查。", no_args_is_help=True)


# A callback keeps one-command apps as groups, so ``onemap admin create-first`` reads the same whether the
# app is mounted on the main CLI or invoked on its own.
@admin_app.callback()
def _admin() -> None:
    """系统管理员初始化(无默认口令)。"""


@config_app.callback()
def _config() -> None:
    """部署配置检查。"""

RecordsOption = Annotated[str | None, typer.Option(
    "--records", help="业务记录库地址:sqlite:///路径/records.sqlite 或 postgresql://…?schema=…;默认为本节点内置库")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取口令(一行),用于脚本")]
RolesOption = Annotated[list[str], typer.Option("--role", help="角色,可重复:系统管理员|安全管理员|审计管理员|"
                                                               "编制单位|审查人员|业务人员|领导|公众")]


def _records_url(records: str | None) -> str:
    return records or default_records_url(get_settings())


def _fail(error: OnemapError) -> None:
    console.print(f"[red]错误:{error.message_zh}[/red]")
    raise typer.Exit(code=2)


@contextmanager
def _database(records: str | None) -> Iterator[Engine]:
    """The migrated records database; domain errors become a Chinese message and exit code 2."""
    engine = None
    try:
        engine = open_records(_records_url(records))
        yield engine
    except OnemapError as error:
        _fail(error)
    finally:
        if engine is not None:
            engine.dispose()


def _password(from_stdin: bool, *, confirm: bool, prompt: str = "口令") -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            console.print("[red]错误:标准输入中没有口令[/red]")
            raise typer.Exit(code=2)
        return password
    return typer.prompt(prompt, hide_input=True, confirmation_prompt="再次输入口令" if confirm else False, err=True)


@admin_app.command("create-first")
def create_first(
    username: Annotated[str, typer.Option("--username", help="首个系统管理员的用户名")],
    password_stdin: PasswordStdin = False,
    records: RecordsOption = None,
) -> None:
    """创建首个系统管理员(口令由本人输入两次;已有系统管理员时拒绝)。"""
    from onemap.security.accounts import create_first_admin

    password = _password(password_stdin, confirm=True)
    with _database(records) as engine, engine.begin() as conn:
        user = create_first_admin(conn, username=username, password=password)
    console.print(f"已创建系统管理员 {user.username}(密级 {user.clearance})")


def _user_row(user, locked_addresses: list | None = None) -> dict:
    return {"username": user.username, "display_name": user.display_name, "roles": list(user.roles),
            "region_code": user.region_code, "clearance": user.clearance, "active": user.active,
            "locked_until": user.locked_until.isoformat() if user.locked_until else None,
            "locked_addresses": {ip: until.isoformat() for ip, until in locked_addresses or []},
            "totp": user.totp_enabled,
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
            "grants": [f"{action}:{obj}" for action, obj in user.grants]}


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="用户名")],
    role: RolesOption,
    region: Annotated[str, typer.Option(help="行政区划代码,如 341123;空为全国")] = "",
    clearance: Annotated[str | None, typer.Option(help="密级:公开|内部|秘密|机密;默认按角色")] = None,
    display_name: Annotated[str, typer.Option(help="姓名")] = "",
    password_stdin: PasswordStdin = False,
    records: RecordsOption = None,
) -> None:
    """新建账号(初始口令须在首次登录时修改)。"""
    from onemap.security.accounts import create_user

    password = _password(password_stdin, confirm=True, prompt="初始口令")
    with _database(records) as engine, engine.begin() as conn:
        user = create_user(conn, actor=None, username=username, password=password, roles=role,
                           region_code=region, clearance=clearance, display_name=display_name)
    console.print(f"已创建账号 {user.username}:{'、'.join(user.roles) or '无角色'},密级 {user.clearance}")


@user_app.command("list")
def user_list(records: RecordsOption = None,
              as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """列出全部账号。"""
    from onemap.security.login_guard import locked_addresses
    from onemap.security.users import list_users

    with _database(records) as engine, engine.connect() as conn:
        rows = [_user_row(u, locked_addresses(conn, u.username)) for u in list_users(conn)]
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    from onemap.localtime import display, zone_label

    table = Table("用户名", "姓名", "角色", "区域", "密级", "状态", "动态口令", f"最近登录({zone_label()})")
    for row in rows:
        state = "停用" if not row["active"] else ("锁定" if row["locked_until"] else "正常")
        if state == "正常" and row["locked_addresses"]:  # failed sign-ins lock only the addresses they came from
            state = "地址锁定"
        table.add_row(row["username"], row["display_name"], "、".join(row["roles"]), row["region_code"] or "全国",
                      row["clearance"], state, "是" if row["totp"] else "否",
                      display(row["last_login_at"], label=False))
    out.print(table)


def _change(records: str | None, message: str, function, **arguments) -> None:
    with _database(records) as engine, engine.begin() as conn:
        user = function(conn, actor=None, **arguments)
    console.print(message.format(user=user))


@user_app.command("lock")
def user_lock(username: str, minutes: Annotated[int | None, typer.Option(help="锁定分钟数;默认直到解锁")] = None,
              records: RecordsOption = None) -> None:
    """锁定账号并结束其会话。"""
    from onemap.security.accounts import lock_user

    _change(records, "已锁定 {user.username}", lock_user, username=username, minutes=minutes)


@user_app.command("unlock")
def user_unlock(username: str, records: RecordsOption = None) -> None:
    """解除锁定:管理员锁定,以及任何地址上登录失败造成的锁定(管理员被锁在外时由控制台解锁)。"""
    from onemap.security.accounts import unlock_user

    _change(records, "已解锁 {user.username}", unlock_user, username=username)


@user_app.command("deactivate")
def user_deactivate(username: str, records: RecordsOption = None) -> None:
    """停用账号(保留以供审计)并结束其会话。"""
    from onemap.security.accounts import deactivate_user

    _change(records, "已停用 {user.username}", deactivate_user, username=username)


@user_app.command("set-roles")
def user_set_roles(username: str, role: RolesOption, records: RecordsOption = None) -> None:
    """设置账号的角色(三员不得兼任)。"""
    from onemap.security.accounts import set_roles

    _change(records, "{user.username} 的角色:{user.roles}", set_roles, username=username, roles=role)


@user_app.command("set-region")
def user_set_region(username: str, region: Annotated[str, typer.Argument(help="行政区划代码;000000 为全国")],
                    records: RecordsOption = None) -> None:
    """设置账号所属行政区(权限范围)。"""
    from onemap.security.accounts import set_region

    _change(records, "{user.username} 的区域:{user.region_code}", set_region, username=username, region_code=region)


@user_app.command("set-clearance")
def user_set_clearance(username: str, clearance: Annotated[str, typer.Argument(help="公开|内部|秘密|机密")],
                       records: RecordsOption = None) -> None:
    """设置账号密级(可查看的最高数据安全等级)。"""
    from onemap.security.accounts import set_clearance

    _change(records, "{user.username} 的密级:{user.clearance}", set_clearance, username=username,
            clearance=clearance)


@user_app.command("reset-password")
def user_reset_password(username: str, password_stdin: PasswordStdin = False, records: RecordsOption = None) -> None:
    """重置口令(本人须在下次登录时修改)。"""
    from onemap.security.accounts import reset_password

    password = _password(password_stdin, confirm=True, prompt="新口令")
    _change(records, "已重置 {user.username} 的口令", reset_password, username=username, password=password)


@user_app.command("passwd")
def user_passwd(
    username: Annotated[str, typer.Argument(help="本人用户名")],
    totp: Annotated[str | None, typer.Option(help="动态口令(已启用时)")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="从标准输入读取两行:原口令、新口令,用于脚本")] = False,
    records: RecordsOption = None,
) -> None:
    """修改本人口令(首次登录、管理员重置或过期后亦可;须输入原口令,登录失败处理与审计同登录)。"""
    from onemap.security.authentication import change_password

    old = _password(password_stdin, confirm=False, prompt="原口令")
    new = _password(password_stdin, confirm=not password_stdin, prompt="新口令")
    with _database(records) as engine:
        user = change_password(engine, username=username, old_password=old, new_password=new, totp=totp,
                               ip="console")
    console.print(f"已修改 {user.username} 的口令;原有会话均已结束,请用新口令登录")


@user_app.command("totp-enable")
def user_totp_enable(username: str, records: RecordsOption = None) -> None:
    """为账号启用动态口令:显示密钥,输入验证器上的 6 位数字确认。"""
    from onemap.security.totp import confirm_totp, enable_totp

    with _database(records) as engine:
        with engine.begin() as conn:
            setup = enable_totp(conn, actor=None, username=username)
        out.print(f"密钥:{setup.secret}\n二维码内容:{setup.uri}")
        code = typer.prompt("验证器上显示的 6 位数字", err=True)
        with engine.begin() as conn:
            confirm_totp(conn, username=username, code=code)
    console.print(f"已为 {username} 启用动态口令")


@user_app.command("totp-disable")
def user_totp_disable(username: str, records: RecordsOption = None) -> None:
    """停用账号的动态口令(如手机丢失)。"""
    from onemap.security.totp import disable_totp

    _change(records, "已停用 {user.username} 的动态口令", disable_totp, username=username)


AnchorOption = Annotated[str | None, typer.Option(
    "--anchor", help="外部保存的链头:onemap audit head 输出的 JSON,或保存它的文件")]


def _anchor_head(anchor: str | None):
    from onemap.security.audit_chain import parse_head

    if anchor is None:
        return None
    text = anchor
    if not anchor.lstrip().startswith("{"):
        try:
            text = Path(anchor).read_text(encoding="utf-8")
        except OSError:
            console.print(f"[red]错误:--anchor 应为链头 JSON 或保存它的文件,无法读取“{anchor}”[/red]")
            raise typer.Exit(code=2) from None
    try:
        return parse_head(text)
    except OnemapError as error:
        _fail(error)


def _verified(records: str | None, anchor: str | None):
    """Verify (and sign a checkpoint of) the chain as the console; exit 1 with the Chinese message if it fails."""
    from onemap.security.audit import verify_and_checkpoint

    head = _anchor_head(anchor)
    try:
        with _database(records) as engine, engine.begin() as conn:
            result = verify_and_checkpoint(conn, by="console", ip="console", anchor=head)
    except OnemapError as error:
        _fail(error)
    if not result.ok:
        print(f"{result.message}(reason={result.reason},此前 {result.count} 条完好)", file=sys.stderr)
        raise typer.Exit(code=1)
    return result


@audit_app.command("verify")
def audit_verify(anchor: AnchorOption = None, records: RecordsOption = None) -> None:
    """校验审计日志哈希链、签名检查点和外部链头;发现篡改或截断时退出码为 1。"""
    result = _verified(records, anchor)
    out.print(f"OK:审计日志完整,共 {result.count} 条;末条 id={result.last_id},哈希 {result.last_hash}")
    console.print("请用 onemap audit head 把链头保存在系统之外,以便发现对最新记录的截断。")


@audit_app.command("head")
def audit_head(records: RecordsOption = None) -> None:
    """校验后输出当前链头(id、条数、哈希)JSON,供在系统之外保存。"""
    result = _verified(records, None)
    if result.head is None:
        print("审计日志为空,尚无链头", file=sys.stderr)
        raise typer.Exit(code=1)
    sys.stdout.write(result.head.as_json() + "\n")


@audit_app.command("rotate-key")
def audit_rotate_key(records: RecordsOption = None) -> None:
    """轮换审计密钥:校验哈希链后,此后的记录改用新密钥签名(旧密钥保留在密钥文件中,用于校验旧记录)。"""
    from onemap.security.audit import rotate_key

    try:
        with _database(records) as engine, engine.begin() as conn:
            entry = rotate_key(conn, by="console", ip="console")
    except OnemapError as error:
        _fail(error)
    out.print(f"OK:审计密钥已轮换为 {entry.detail['key_id']}(原密钥 {entry.detail['previous_key_id']}),"
              f"轮换记录 id={entry.id}")
    console.print("旧密钥仍须保留(密钥文件第二行起,或 ONEMAP_AUDIT_PREVIOUS_KEYS),否则旧记录无法校验;"
                  "请备份新的密钥文件,并用 onemap audit head 重新保存链头。")


def _parse_time(value: str | None, option: str) -> datetime | None:
    """An option's time; without an offset it is the node's local time (as the table shows it)."""
    from onemap.localtime import zone

    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=zone())
    except ValueError:
        console.print(f"[red]错误:{option} 应为日期时间,如 2025-01-31 或 2025-01-31T08:00[/red]")
        raise typer.Exit(code=2) from None


@audit_app.command("show")
def audit_show(
    username: Annotated[str, typer.Option("--username", help="审计管理员用户名")],
    since: Annotated[str | None, typer.Option(help="起始时间(含,本节点时区),如 2025-01-31T08:00")] = None,
    until: Annotated[str | None, typer.Option(help="截止时间(不含,本节点时区)")] = None,
    user: Annotated[str | None, typer.Option(help="只看这个用户的操作")] = None,
    action: Annotated[str | None, typer.Option(help="只看这种操作,如 auth.login")] = None,
    limit: Annotated[int, typer.Option(help="最多显示条数")] = 200,
    totp: Annotated[str | None, typer.Option(help="动态口令(已启用时)")] = None,
    password_stdin: PasswordStdin = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    records: RecordsOption = None,
) -> None:
    """查看审计日志(须以审计管理员身份登录)。"""
    from onemap.security.audit import read
    from onemap.security.authentication import authenticate

    password = _password(password_stdin, confirm=False)
    start, end = _parse_time(since, "--since"), _parse_time(until, "--until")
    with _database(records) as engine:
        reader = authenticate(engine, username=username, password=password, totp=totp, ip="console")
        with engine.begin() as conn:
            entries = read(conn, reader=reader, since=start, until=end, user=user, action=action, limit=limit,
                           ip="console")
    if as_json:
        rows = [{"id": e.id, "at": e.at.isoformat(), "user": e.username, "ip": e.ip, "action": e.action,
                 "object": e.object, "result": e.result, "detail": e.detail} for e in entries]
        out.print_json(json.dumps(rows, ensure_ascii=False, default=str))
        return
    from onemap.localtime import display, zone_label

    table = Table(expand=True)
    for header in ("id", f"时间({zone_label()})", "用户", "IP", "操作", "对象", "结果", "详情"):
        table.add_column(header, overflow="fold")
    for e in entries:
        table.add_row(str(e.id), display(e.at, label=False), e.username, e.ip, e.action, e.object, e.result,
                      json.dumps(e.detail, ensure_ascii=False, default=str) if e.detail else "")
    out.print(table)


_MARKS = {"error": "[red]✗[/red]", "warning": "[yellow]![/yellow]"}


@config_app.command("check")
def config_check(records: RecordsOption = None) -> None:
    """检查安全配置(占位密钥、登录失败处理、口令策略、审计保存期、版本、权限策略)和业务记录库。"""
    from onemap.security.deployment import check_deployment
    from onemap.security.settings import get_security_settings

    settings = get_security_settings()
    checks = check_deployment(settings)
    failed = False
    for check in [*checks, *_records_checks(records)]:
        mark = "[green]✓[/green]" if check.ok else _MARKS[check.severity]
        out.print(f"{mark} {check.title}:{check.message}")
        failed |= not check.ok and check.severity == "error"
    if failed and not settings.dev_mode:
        out.print("[red]配置检查未通过:生产部署前须修正标为 ✗ 的项目[/red]")
        raise typer.Exit(code=1)
    out.print("配置检查通过" if not failed else "开发模式:存在不符合生产要求的项目")


def _records_checks(records: str | None) -> list:
    """Reachability, first administrator and audit chain of the records database (never creates it)."""
    from onemap.security.accounts import has_system_admin
    from onemap.security.audit import verify
    from onemap.security.deployment import Check

    url = _records_url(records)
    try:
        parsed = parse_records_url(url)
    except OnemapError as error:
        return [Check("业务记录库", False, error.message_zh)]
    if not parsed.is_postgresql and not Path(parsed.sqlalchemy_url.removeprefix("sqlite:///")).exists():
        return [Check("业务记录库", False, f"尚未创建:{url}(首次运行 onemap admin create-first 时创建)", "warning")]
    try:
        engine = open_records(url)
    except OnemapError as error:
        return [Check("业务记录库", False, error.message_zh)]
    try:
        with engine.connect() as conn:
            admin, chain = has_system_admin(conn), verify(conn)
    finally:
        engine.dispose()
    return [
        Check("业务记录库", True, "可以连接,结构为最新版本"),
        Check("系统管理员", admin, "已创建" if admin else "尚未创建,请运行 onemap admin create-first", "warning"),
        Check("审计日志", chain.ok, f"哈希链完整,共 {chain.count} 条" if chain.ok else
              f"哈希链在 id={chain.first_bad_id} 处断裂,日志可能被篡改"),
    ]


token_app = typer.Typer(help="个人访问令牌(只读,供 QGIS、GDAL 等桌面客户端以 Basic 认证访问)。", no_args_is_help=True)


@token_app.command("create")
def token_create(username: str, name: Annotated[str, typer.Option(help="令牌名称,如“QGIS 办公室”")],
                 days: Annotated[int, typer.Option(help="有效期(天),不超过配置的上限")] = 30,
                 records: RecordsOption = None) -> None:
    """为账号创建只读访问令牌;令牌只显示这一次。"""
    from onemap.security.access_tokens import create_token
    from onemap.security.users import get_user

    with _database(records) as engine, engine.begin() as conn:
        secret, token = create_token(conn, get_user(conn, username), name=name, days=days, ip="console")
    console.print(f"令牌 #{token.id}(有效至 {token.expires_at:%Y-%m-%d %H:%M} UTC),仅显示一次:")
    out.print(secret, highlight=False)


@token_app.command("list")
def token_list(username: str, records: RecordsOption = None) -> None:
    """列出账号的访问令牌(不含令牌本身)。"""
    from onemap.security.access_tokens import list_tokens
    from onemap.security.users import get_user

    with _database(records) as engine, engine.connect() as conn:
        tokens = list_tokens(conn, get_user(conn, username))
    table = Table("编号", "名称", "创建", "有效至", "最近使用", "状态")
    for t in tokens:
        table.add_row(str(t.id), t.name, f"{t.created_at:%Y-%m-%d}", f"{t.expires_at:%Y-%m-%d}",
                      f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "-",
                      "已撤销" if t.revoked_at else "有效")
    out.print(table)


@token_app.command("revoke")
def token_revoke(username: str, token_id: int, records: RecordsOption = None) -> None:
    """撤销账号的一个访问令牌(下一次请求起即被拒绝)。"""
    from onemap.security.access_tokens import revoke_token
    from onemap.security.users import get_user

    with _database(records) as engine, engine.begin() as conn:
        revoke_token(conn, get_user(conn, username), token_id, ip="console")
    console.print(f"已撤销令牌 #{token_id}")
