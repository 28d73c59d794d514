"""onemap carrying (承载能力监测预警): factors, evaluate, results, history, measures, report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onemap.cli.progress import console, out
from onemap.cli.records import console_actor, records_session

carrying_app = typer.Typer(help="承载能力监测预警:按因子评价各区域超载/临界超载/不超载,超载因子,调控措施,报告。",
                           no_args_is_help=True)
RecordsOption = Annotated[str | None, typer.Option("--records", help="应用记录库;默认为本节点的内置记录库")]
StoreOption = Annotated[str | None, typer.Option("--store", help="存储地址;默认为本节点的内置存储")]
ExtraOption = Annotated[list[Path] | None, typer.Option(
    "--extra", help="省级扩展的承载能力定义文件(YAML,可多次给出);"
                    "ONEMAP_STANDARDS_EXTRA 目录中的 carrying*.yaml 总会读取")]
PeriodOption = Annotated[int, typer.Option("--period", help="评价年份,如 2024")]
RegionOption = Annotated[str | None, typer.Option("--region", help="行政区划代码前缀;默认为全部区域")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON")]


_actor = console_actor


def _session(records: str | None, extra: list[Path] | None):
    """The records engine and the definition; errors printed in Chinese, exit code 2."""
    from onemap.carrying import load_definition

    return records_session(records, lambda engine: load_definition(extra or []))


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _results_table(rows: list[dict], factor_names: list[tuple[str, str]]) -> Table:
    table = Table("区域", "名称", "等级", *[name for _, name in factor_names], "超载因子(贡献)")
    for row in rows:
        by_id = {f["id"]: f for f in row["factors"]}
        table.add_row(row["region"], row["name"], row["grade"],
                      *[_number(by_id[fid]["value"]) if fid in by_id else "—" for fid, _ in factor_names],
                      "、".join(f"{o['name']}({o['share'] * 100:.1f}%)" for o in row["overload"]) or "—")
    return table


@carrying_app.command("factors")
def factors_command(extra: ExtraOption = None, records: RecordsOption = None, json_: JsonOption = False) -> None:
    """列出承载能力因子、阈值、可信度与集成规则。"""
    with _session(records, extra) as (_, definition):
        body = definition.to_dict()
        if json_:
            typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
            return
        table = Table("id", "维度", "因子", "类型", "临界超载", "超载", "可信度")
        for f in body["factors"]:
            table.add_row(f["id"], f["dimension"], f["name"], f["kind"], f"{f['critical']:g}", f"{f['over']:g}",
                          f["confidence"])
        out.print(table)
        out.print(f"集成规则:{body['integration']['text']}(定义版本 {body['version']})")


@carrying_app.command("evaluate")
def evaluate_command(period: PeriodOption, region: RegionOption = None, store: StoreOption = None,
                     records: RecordsOption = None, extra: ExtraOption = None, json_: JsonOption = False) -> None:
    """评价县域及各乡级区域某年的承载能力,一次事务写入记录库(历史可查)。"""
    from onemap.carrying import evaluate_and_record
    from onemap.config import get_settings
    from onemap.indicators import load_library
    from onemap.store import open_store

    with _session(records, extra) as (engine, definition):
        console.print(f"正在评价 {period} 年{('区域 ' + region) if region else '全部区域'}的承载能力……")
        with open_store(store or get_settings().store_url) as opened:
            result = evaluate_and_record(opened, engine, load_library(records=engine), definition, period=period,
                                         user=_actor(), within=region)
        body = result.to_dict()
        if json_:
            typer.echo(json.dumps(body, ensure_ascii=False, indent=2, default=str))
            return
        out.print(_results_table(body["regions"], [(f.id, f.name) for f in definition.factors]))
        console.print("、".join(f"{g} {n} 个" for g, n in body["counts"].items()))


@carrying_app.command("results")
def results_command(period: PeriodOption, region: RegionOption = None, records: RecordsOption = None,
                    extra: ExtraOption = None, json_: JsonOption = False,
                    graded: Annotated[bool, typer.Option("--graded", help="只列超载与临界超载的区域")] = False
                    ) -> None:
    """列出某年各区域当前的评价结果(最近一次评价)。"""
    from onemap.carrying import history

    with _session(records, extra) as (engine, definition):
        with engine.connect() as conn:
            rows = (history.graded(conn, period=period, within=region) if graded
                    else history.latest(conn, period=period, within=region))
        if json_:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            console.print(f"{period} 年尚无评价结果")
        out.print(_results_table(rows, [(f.id, f.name) for f in definition.factors]))


@carrying_app.command("history")
def history_command(region: Annotated[str, typer.Argument(help="行政区划代码")], records: RecordsOption = None,
                    json_: JsonOption = False) -> None:
    """一个区域各期的等级与因子值(趋势)。"""
    from onemap.carrying import history
    from onemap.carrying.regions import check_region

    with _session(records, None) as (engine, definition):
        with engine.connect() as conn:
            rows = history.trend(conn, region=check_region(region))
        if json_:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        table = Table("年份", "等级", *[f.name for f in definition.factors])
        for row in rows:
            table.add_row(str(row["period"]), row["grade"],
                          *[_number(row["factors"].get(f.id)) for f in definition.factors])
        out.print(table)


measures_app = typer.Typer(help="调控措施:登记、记录进展、列出。", no_args_is_help=True)
carrying_app.add_typer(measures_app, name="measures")


@measures_app.command("list")
def measures_list(region: RegionOption = None, records: RecordsOption = None, json_: JsonOption = False,
                  status: Annotated[str | None, typer.Option("--status", help="未开始、实施中或已完成")] = None,
                  ) -> None:
    """列出调控措施及其最新进展。"""
    from onemap.carrying import measures

    with _session(records, None) as (engine, _):
        with engine.connect() as conn:
            rows = measures.list_measures(conn, within=region, status=status)
        if json_:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        table = Table("编号", "区域", "措施", "责任部门", "开始", "期限", "状态", "最新进展")
        for m in rows:
            latest = m["notes"][-1]["note"] if m["notes"] else ""
            table.add_row(str(m["id"]), m["region"], m["title"], m["department"], m["start"], m["due"],
                          m["status"] + ("(逾期)" if m["overdue"] else ""), latest)
        out.print(table)


@measures_app.command("add")
def measures_add(region: Annotated[str, typer.Option("--region", help="行政区划代码")],
                 title: Annotated[str, typer.Option("--title", help="措施名称")],
                 department: Annotated[str, typer.Option("--department", help="责任部门")],
                 start: Annotated[str, typer.Option("--start", help="开始日期,如 2025-01-01")],
                 due: Annotated[str, typer.Option("--due", help="完成期限")],
                 factor: Annotated[str, typer.Option("--factor", help="针对的因子 id")] = "",
                 note: Annotated[str, typer.Option("--note", help="说明")] = "",
                 records: RecordsOption = None) -> None:
    """登记一项调控措施(状态:未开始)。"""
    from onemap.carrying import measures

    with _session(records, None) as (engine, definition):
        if factor:
            definition.factor(factor)
        with engine.begin() as conn:
            row = measures.add_measure(conn, user=_actor(), region=region, title=title, department=department,
                                       start=start, due=due, factor=factor, note=note)
        out.print(f"已登记措施 {row['id']}:{row['title']}({row['region']},{row['status']})")


@measures_app.command("progress")
def measures_progress(measure_id: Annotated[int, typer.Argument(help="措施编号")],
                      status: Annotated[str | None, typer.Option("--status", help="未开始、实施中或已完成")] = None,
                      note: Annotated[str, typer.Option("--note", help="进展说明")] = "",
                      records: RecordsOption = None) -> None:
    """记录措施进展:改变状态和/或写进展说明。"""
    from onemap.carrying import measures

    with _session(records, None) as (engine, _):
        with engine.begin() as conn:
            row = measures.update_measure(conn, measure_id, user=_actor(), status=status, note=note)
        out.print(f"措施 {row['id']} 当前状态:{row['status']}")


@carrying_app.command("report")
def report_command(period: PeriodOption, output: Annotated[Path, typer.Argument(help="输出文件(.pdf 或 .docx)")],
                   region: RegionOption = None, store: StoreOption = None, records: RecordsOption = None,
                   extra: ExtraOption = None) -> None:
    """生成承载能力监测预警报告(PDF 或 DOCX,由文件扩展名决定)。"""
    from onemap.carrying import report
    from onemap.config import get_settings
    from onemap.store import open_store

    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".docx"):
        console.print("[red]错误:输出文件的扩展名应为 .pdf 或 .docx[/red]")
        raise typer.Exit(code=2)
    with _session(records, extra) as (engine, definition):
        with engine.connect() as conn, open_store(store or get_settings().store_url) as opened:
            data = report.report_data(conn, opened, definition, period=period, within=region)
        console.print("正在生成报告……")
        (report.write_pdf if suffix == ".pdf" else report.write_docx)(data, output)
        out.print(str(output))
