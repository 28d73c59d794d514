"""onemap assess (体检评估): run an assessment for a region and year, list the criteria, check a package."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onemap.cli.progress import console, out, progress_bar
from onemap.errors import OnemapError

assess_app = typer.Typer(help="体检评估:按区域和年份计算并评价 TD/T 1063 指标,生成评估报告和上报成果包。",
                         no_args_is_help=True)
ExtraOption = Annotated[list[Path] | None, typer.Option(
    "--extra", help="省级扩展的评估口径文件(YAML,可多次给出);"
                    "ONEMAP_STANDARDS_EXTRA 目录中的 assessment*.yaml 总会读取")]
GRADE_STYLE = {"达标": "green", "预警": "yellow", "未达标": "red"}


def _fail(error: OnemapError) -> typer.Exit:
    console.print(f"[red]错误:{error.message_zh}[/red]")
    return typer.Exit(code=2)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


@assess_app.command("run")
def run_command(
    region: Annotated[str, typer.Option("--region", help="行政区划代码(县 6 位、乡镇 9 位)")],
    year: Annotated[int, typer.Option("--year", help="评估年份,如 2024")],
    out_dir: Annotated[Path, typer.Option("--out", help="报告和成果包写入的目录")] = Path("."),
    store: Annotated[str | None, typer.Option("--store", help="存储地址;默认为本节点的内置存储")] = None,
    records: Annotated[str | None, typer.Option("--records", help="应用记录库;默认为本节点的内置记录库")] = None,
    extra: ExtraOption = None,
    no_compute: Annotated[bool, typer.Option("--no-compute", help="不重新计算,只评价记录库中已有的指标值")] = False,
    json_: Annotated[bool, typer.Option("--json", help="输出 JSON(assessment.json 的内容)")] = False,
) -> None:
    """计算、评价并生成体检评估报告(PDF、Word)和上报成果包(ZIP);结果表在标准输出,进度在标准错误。"""
    from onemap.assessment import assess, load_grading
    from onemap.assessment.package import write_outputs
    from onemap.config import get_settings
    from onemap.indicators import load_library
    from onemap.records import open_records
    from onemap.records.database import default_records_url
    from onemap.security import audit
    from onemap.store import open_store

    settings = get_settings()
    actor = f"console:{getpass.getuser()}"
    engine = open_records(records or default_records_url(settings))
    try:
        with progress_bar("体检评估") as step, open_store(store or settings.store_url) as opened:
            def progress(percent: int, message: str) -> None:
                step(message, percent / 100)

            library, grading = load_library(records=engine), load_grading(extra or [])
            assessment = assess(opened, engine, library, grading, region=region, year=year, actor=actor,
                                compute=not no_compute, progress=progress, node=settings.node_name)
            outputs = write_outputs(opened, assessment, grading, out_dir, progress=progress)
        with engine.begin() as conn:
            audit.record(conn, user=actor, ip="", action="assessment:run", object=region, result="success",
                         detail={"year": year, "summary": assessment.counts()})
    except OnemapError as error:
        raise _fail(error) from error
    finally:
        engine.dispose()
    if json_:
        typer.echo(json.dumps(assessment.to_dict(), ensure_ascii=False, indent=2))
    else:
        table = Table("代码", "指标", "单位", "本年值", "来源", "目标值(年)", "应达值", "评价", "趋势", "说明",
                      title=f"{assessment.region_name}({region}){year} 年体检评估")
        for r in assessment.rows:
            if r.has_value or r.target is not None:
                target = f"{_number(r.target)}({r.target_year})" if r.target is not None else ""
                style = GRADE_STYLE.get(r.grade, "dim")
                table.add_row(r.code, r.name, r.unit, _number(r.value), r.to_dict()["source_zh"], target,
                              _number(r.expected), f"[{style}]{r.grade}[/{style}]", r.trend, r.reason)
        out.print(table)
        counts = assessment.counts()
        out.print(f"指标 {counts['total']} 项,有值 {counts['valued']} 项,分级 {counts['graded']} 项:"
                  f"达标 {counts['达标']},预警 {counts['预警']},未达标 {counts['未达标']}")
    for path in (outputs.pdf, outputs.docx, outputs.package):
        console.print(f"已写出 {path}")
    console.print(f"本年无数值 {len(assessment.missing())} 项(原因见报告第五节);{outputs.map_note}")


@assess_app.command("criteria")
def criteria_command(extra: ExtraOption = None,
                     json_: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """列出评估口径:各指标的属性(约束性/预期性)、优劣方向与分级幅度。"""
    from onemap.assessment import load_grading

    try:
        grading = load_grading(extra or [])
    except OnemapError as error:
        raise _fail(error) from error
    if json_:
        typer.echo(json.dumps(grading.to_dict(), ensure_ascii=False, indent=2))
        return
    rules = Table("属性", "逼近底线预警幅度", "差距预警幅度", "应达值")
    for name, rule in grading.attributes.items():
        rules.add_row(name, f"{rule.near_margin:.1%}", f"{rule.shortfall_margin:.1%}",
                      "基期至目标年线性推算" if rule.path == "linear" else "目标值")
    out.print(rules)
    table = Table("代码", "属性", "优劣方向", "依据")
    for item in grading.to_dict()["criteria"]:
        table.add_row(item["code"], item["attribute"], item["better_zh"], item["basis"])
    out.print(table)


@assess_app.command("verify")
def verify_command(package: Annotated[Path, typer.Argument(help="上报成果包(ZIP)")]) -> None:
    """校验上报成果包:按清单(manifest.json)重算每个文件的 SHA-256。"""
    from onemap.assessment.package import verify_package

    try:
        manifest = verify_package(package)
    except OnemapError as error:
        raise _fail(error) from error
    out.print(f"成果包完整:{manifest['title']},{len(manifest['files'])} 个文件,校验算法 {manifest['checksum']}")
