"""onemap monitor: publish monitoring traffic to the broker, process a file directly, list warnings and dead letters."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onemap.cli.progress import console, out
from onemap.cli.records import open_engine
from onemap.errors import OnemapError

monitor_app = typer.Typer(help="监测预警:向消息服务发布监测消息、直接处理消息文件、查看预警与死信。",
                          no_args_is_help=True)
RecordsOption = Annotated[str | None, typer.Option("--records", help="应用记录库;默认为本节点的内置记录库")]
StoreOption = Annotated[str | None, typer.Option("--store", help="存储地址;默认为本节点的内置存储")]
TOPICS = {"patch": "patches", "event": "events", "value": "values"}


_engine = open_engine


def _lines(path: Path) -> list[dict]:
    from onemap.sample.traffic import read_traffic

    lines = read_traffic(path)
    bad = [n for n, line in enumerate(lines, start=1) if line.get("kind") not in TOPICS or "message" not in line]
    if bad:
        raise typer.BadParameter(f"第 {bad[0]} 行应为 {{\"kind\": \"patch|event|value\", \"message\": {{…}}}}")
    return lines


def _fail(error: OnemapError) -> typer.Exit:
    console.print(f"[red]错误:{error.message_zh}[/red]")
    return typer.Exit(code=2)


@monitor_app.command("replay")
def replay_command(
    file: Annotated[Path, typer.Argument(help="监测消息文件(JSON Lines,如 onemap sample 写出的 监测消息.jsonl)")],
    rate: Annotated[float, typer.Option("--rate", min=0.0, help="每秒发布条数;0 为不限速")] = 10.0,
    broker: Annotated[str | None, typer.Option("--broker", help="消息服务地址,默认 ONEMAP_MQTT_URL")] = None,
) -> None:
    """按顺序把监测消息以 QoS 1 发布到本节点的主题 onemap/<节点>/monitoring/patches|events|values。"""
    from onemap.config import get_settings
    from onemap.monitoring.mqtt import Broker, publish

    settings = get_settings()
    try:
        target = Broker.from_url(broker or settings.mqtt_url, settings.mqtt_username,
                                 settings.mqtt_password.get_secret_value())
        lines = _lines(file)
        prefix = settings.mqtt_topic_prefix
        console.print(f"发布 {len(lines)} 条消息到 {target.host}:{target.port} {prefix}/…(每秒 {rate or '不限'} 条)")
        started = time.monotonic()
        sent = publish(target, ((f"{prefix}/{TOPICS[line['kind']]}", line["message"]) for line in lines),
                       rate=rate or None)
    except OnemapError as error:
        raise _fail(error) from error
    except OSError as error:
        console.print(f"[red]错误:无法连接消息服务:{error}[/red]")
        raise typer.Exit(code=2) from error
    out.print(f"已发布 {sent} 条消息,用时 {time.monotonic() - started:.1f} 秒")


@monitor_app.command("ingest")
def ingest_command(
    file: Annotated[Path, typer.Argument(help="监测消息文件(JSON Lines)")],
    store: StoreOption = None,
    records: RecordsOption = None,
) -> None:
    """不经消息服务,直接处理消息文件(离线补录);每条消息一个事务,重复编号不重复处理。"""
    from onemap.config import get_settings
    from onemap.monitoring.inbox import Inbox

    settings = get_settings()
    engine = _engine(records)
    try:
        rules = str(settings.warning_rules) if settings.warning_rules else None
        inbox = Inbox(engine, store or settings.store_url, rules_path=rules)
        counts: Counter[str] = Counter()
        warned = 0
        for line in _lines(file):
            receipt = inbox.receive(line["kind"], line["message"], channel="file", topic=str(file.name))
            counts[receipt.status] += 1
            warned += len(receipt.warnings)
            if receipt.status == "dead":
                console.print(f"[yellow]死信 {receipt.message_id or '(无编号)'}:{receipt.reason}[/yellow]")
    except OnemapError as error:
        raise _fail(error) from error
    finally:
        engine.dispose()
    out.print(f"处理 {sum(counts.values())} 条:接收 {counts['accepted']},重复 {counts['duplicate']},"
              f"死信 {counts['dead']};新预警 {warned} 条")


@monitor_app.command("warnings")
def warnings_command(
    level: Annotated[str | None, typer.Option("--level", help="预警等级:蓝、黄、橙、红")] = None,
    state: Annotated[str | None, typer.Option("--state", help="状态:新发、已核实、处置中、已销号")] = None,
    region: Annotated[str | None, typer.Option("--region", help="行政区代码(前缀)")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    records: RecordsOption = None,
) -> None:
    """列出预警(最新在前)。"""
    from onemap.localtime import display, zone_label
    from onemap.monitoring import warnings as service
    from onemap.security import User

    console_user = User(id=0, username="console", roles=("业务人员",), clearance="机密")
    engine = _engine(records)
    try:
        with engine.connect() as conn:
            rows = service.list_warnings(conn, console_user, service.WarningFilter(level, None, region, state,
                                                                                   limit=limit))
    except OnemapError as error:
        raise _fail(error) from error
    finally:
        engine.dispose()
    if as_json:
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    table = Table("编号", "等级", "规则", "行政区", "对象", "状态", f"时间({zone_label()})", "说明")
    for row in rows:
        table.add_row(str(row["id"]), row["level"], row["title"], row["region"], row["subject_id"], row["state"],
                      display(row["created_at"], seconds=False), row["message"])
    out.print(table)


@monitor_app.command("sweep")
def sweep_command(
    period: Annotated[int | None, typer.Option("--period", min=1900, max=2200, help="年度,默认当年")] = None,
    region: Annotated[list[str] | None, typer.Option(
        "--region", help="行政区代码(可重复);默认为有指标值或规划目标的全部行政区")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    store: StoreOption = None,
    records: RecordsOption = None,
) -> None:
    """预警巡检:从“一张图”重新计算所监测的指标,按指标规则与趋势规则生成或升级预警(与定时巡检相同)。"""
    from onemap.config import get_settings
    from onemap.monitoring.process import sweep_inbox
    from onemap.monitoring.sweep import sweep
    from onemap.store import open_store

    settings = get_settings()
    engine = _engine(records)
    url = store or settings.store_url
    try:
        with open_store(url) as opened:
            result = sweep(opened, sweep_inbox(engine, url), period=period, regions=region or None,
                           progress=lambda _pct, message: console.print(message))
    except OnemapError as error:
        raise _fail(error) from error
    finally:
        engine.dispose()
    if as_json:
        out.print_json(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    table = Table("行政区", "计算指标数", "未能计算", "新生成或升级的预警")
    for row in result.regions:
        table.add_row(row["region"], str(row["computed"]), str(len(row["skipped"])),
                      "、".join(map(str, row["warnings"])) or "无")
    out.print(table)
    out.print(f"{result.period} 年巡检 {len(result.regions)} 个行政区,新生成或升级预警 {len(result.warnings)} 条")
