"""onemap qc: 成果质检 of a FileGDB, GeoPackage, Shapefile folder or zip, or of layers in a store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onemap.cli.progress import console, progress_bar
from onemap.cli.progress import out as stdout
from onemap.errors import OnemapError


def _list_rules(ruleset: str | None) -> None:
    from onemap.qc.rulesets import available, load_ruleset

    table = Table(title="质检规则")
    for column in ("规则集", "规则", "检查函数", "类别", "严重程度", "名称", "依据", "参数", "定义文件"):
        table.add_column(column, overflow="fold")
    for name in [ruleset] if ruleset else available():
        for spec in load_ruleset(name).rules:
            table.add_row(name, spec.id, spec.check, spec.category, spec.severity, spec.title, spec.source,
                          json.dumps(spec.params, ensure_ascii=False) if spec.params else "", spec.origin)
    stdout.print(table)


def _node_records() -> str | None:
    """The node's embedded records database when it exists (its catalog documents hold the 规划指标表)."""
    from onemap.config import get_settings
    from onemap.records.database import default_records_url

    settings = get_settings()
    return default_records_url(settings) if (settings.data_dir / "records.sqlite").is_file() else None


def qc(
    path: Annotated[Path | None, typer.Argument(help="FileGDB、GeoPackage、Shapefile 目录或 zip 压缩包")] = None,
    ruleset: Annotated[str | None, typer.Option("--ruleset", help="规则集:sandiao|plan-county|plan-city|supplementary")]
    = None,
    out: Annotated[Path | None, typer.Option("--out", help="输出目录(qc.json、报告、错误清单)")] = None,
    fix: Annotated[bool, typer.Option("--fix", help="另存修复副本 fixed.gpkg(仅安全修复)及修复日志,不改动输入")]
    = False,
    store: Annotated[str | None, typer.Option("--store", help="检查存储中的图层:gpkg:///… 或 postgresql://…")] = None,
    layers: Annotated[str | None, typer.Option(
        "--layers", help="与 --store 合用:图层名,逗号分隔(默认取规则集涉及的图层)")] = None,
    list_rules: Annotated[bool, typer.Option(
        "--list-rules", help="列出规则(编号、类别、严重程度、依据、参数)")] = False,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="是否生成 report.pdf")] = True,
    indicators: Annotated[Path | None, typer.Option(
        "--indicators", help="规划指标表(xlsx),用于图数一致性检查;默认取数据旁或压缩包内的 *指标表*.xlsx")] = None,
    records: Annotated[str | None, typer.Option(
        "--records", help="与 --store 合用:读取图层所附规划指标表的记录库(默认为本节点已有的内置记录库)")] = None,
) -> None:
    """成果质检:按规则集检查数据,输出 qc.json、report.html/pdf、errors.xlsx、errors.gpkg;发现错误时退出码为 1。"""
    from onemap.qc.engine import check_path, check_store
    from onemap.qc.fix import write_fixed
    from onemap.qc.output import write_all
    from onemap.qc.rulesets import load_ruleset

    try:
        if list_rules:
            _list_rules(ruleset)
            return
        if ruleset is None or out is None or (path is None) == (store is None):
            console.print("[red]错误:请给出数据路径或 --store(二选一),以及 --ruleset 和 --out[/red]")
            raise typer.Exit(code=2)
        with progress_bar(f"质检 {ruleset}") as update:
            if store:
                names = [n.strip() for n in (layers or "").split(",") if n.strip()]
                result, dataset = check_store(store, names, ruleset, progress=update, indicators=indicators,
                                              records=records or _node_records())
            else:
                result, dataset = check_path(path, ruleset, progress=update, indicators=indicators)
            update("写出报告", 0.99)
            paths = write_all(result, dataset, out, pdf=pdf)
        summary = result.summary()
        colour = "red" if summary["errors"] else "green"
        stdout.print(f"[{colour}]质检完成:错误 {summary['errors']} 处,警告 {summary['warnings']} 处,"
                      f"用时 {result.seconds:.1f} 秒[/{colour}]")
        for rule_id, count in summary["by_rule"].items():
            stdout.print(f"  {rule_id}: {count}")
        for name, written in paths.items():
            stdout.print(f"  {name} → {written}")
        if fix:
            fixed, log_path, changes = write_fixed(dataset, load_ruleset(ruleset), out)
            stdout.print(f"修复副本 {fixed}:{len(changes)} 项修改,日志 {log_path}")
    except OnemapError as error:
        console.print(f"[red]错误:{error.message_zh}[/red]")
        raise typer.Exit(code=2) from None
    if summary["errors"]:
        raise typer.Exit(code=1)
