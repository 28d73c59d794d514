"""onemap layer: decisions on a layer as a whole — 数据定密/解密 (``onemap layer classify``).

A level decision names the person responsible (定密责任人): the command signs in as an account holding
``layer:classify`` (the 安全管理员 by default), never as the anonymous console, and is audited under it.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from onemap.cli.progress import console
from onemap.errors import OnemapError

layer_app = typer.Typer(help="图层管理:数据定密/解密(须以具有该权限的账号登录,记入审计日志)。", no_args_is_help=True)


@layer_app.callback()
def _layer() -> None:
    """图层管理:数据定密/解密。"""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("口令", hide_input=True, err=True)


@layer_app.command("classify")
def classify_command(
    name: Annotated[str, typer.Argument(help="图层代码,如 DLTB")],
    level: Annotated[str, typer.Option("--level", help="新的数据安全等级:公开|内部|秘密|机密")],
    reason: Annotated[str, typer.Option("--reason", help="定密/解密的理由或依据(如 解密审批文号)")],
    username: Annotated[str, typer.Option("--username", help="办理人账号(须具有“数据定密/解密”权限)")],
    totp: Annotated[str | None, typer.Option(help="动态口令(已启用时)")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="从标准输入读取口令(一行)")] = False,
    store: Annotated[str | None, typer.Option("--store", help="存储地址;默认为本节点的内置存储")] = None,
    records: Annotated[str | None, typer.Option("--records", help="应用记录库;默认为本节点的内置记录库")] = None,
) -> None:
    """变更图层的数据安全等级(定密、升密、降密、解密):生成一个要素不变、等级为新等级的版本。"""
    from onemap.config import get_settings
    from onemap.records import open_records
    from onemap.records.database import default_records_url
    from onemap.security import audit, get_security_settings
    from onemap.security.authentication import authenticate
    from onemap.security.classification import classify
    from onemap.security.write_access import CLASSIFY
    from onemap.store import open_store

    settings, security = get_settings(), get_security_settings()
    password = _password(password_stdin)
    engine = open_records(records or default_records_url(settings))
    try:
        actor = authenticate(engine, username=username, password=password, totp=totp, ip="console",
                             settings=security)
        try:
            with open_store(store or settings.store_url) as opened:
                decision = classify(opened, name, level=level, reason=reason, actor=actor, settings=security)
        except OnemapError as error:
            with engine.begin() as conn:
                audit.record(conn, user=actor, ip="console", action=CLASSIFY, object=name[:200], result="failure",
                             detail={"level": level, "reason": error.log[:500]})
            raise
        with engine.begin() as conn:
            audit.record(conn, user=actor, ip="console", action=CLASSIFY, object=name, result="success",
                         detail=decision.record())
    except OnemapError as error:
        console.print(f"[red]错误:{error.message_zh}[/red]")
        raise typer.Exit(code=2) from error
    finally:
        engine.dispose()
    console.print(f"{decision.kind}:图层 {name} 由“{decision.previous}”改为“{decision.level}”,"
                  f"版本 v{decision.version};已记入审计日志")
