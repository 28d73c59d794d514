"""onemap indicators (指标管理): list, show, formula, compute, report, confirm, target, plan-table, values, compare."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onemap.cli.progress import console, out
from onemap.cli.records import console_actor, records_session

indicators_app = typer.Typer(help="指标管理:指标体系、公式、按区域和年份计算与填报指标值、比较两期。",
                             no_args_is_help=True)
RecordsOption = Annotated[str | None, typer.Option("--records", help="应用记录库;默认为本节点的内置记录库")]
StoreOption = Annotated[str | None, typer.Option("--store", help="存储地址;默认为本节点的内置存储")]
ExtraOption = Annotated[list[Path] | None, typer.Option(
    "--extra", help="省级扩展的指标定义文件(YAML,可多次给出);"
                    "ONEMAP_STANDARDS_EXTRA 目录中的 indicators*.yaml 总会读取")]
RegionOption = Annotated[str, typer.Option("--region", help="行政区划代码(县 6 位、乡镇 9 位、村 12 位)")]
PeriodOption = Annotated[int, typer.Option("--period", help="年份,如 2024")]
JsonOption = Annotated[bool, typer.Option("--json", help="输出 JSON")]


_actor = console_actor


def _session(records: str | None, extra: list[Path] | None):
    """The records engine and the library (with edited formulas); errors printed in Chinese, exit code 2."""
    from onemap.indicators import load_library

    return records_session(records, lambda engine: load_library(extra or [], records=engine))


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:,.4f}".rstrip("0").rstrip(".")


def _audit(engine, action: str, obj: str, detail: dict) -> None:
    from onemap.security import audit

    with engine.begin() as conn:
        audit.record(conn, user=_actor(), ip="", action=action, object=obj, result="success", detail=detail)


@indicators_app.command("list")
def list_command(records: RecordsOption = None, extra: ExtraOption = None, json_: JsonOption = False,
                 system: Annotated[str | None, typer.Option("--system", help="只列某一体系,如 体检评估")] = None,
                 ) -> None:
    """列出指标体系:代码、名称、单位、维度、类别、属性、公式类型。"""
    with _session(records, extra) as (_, library):
        indicators = [i for i in library.indicators.values() if system is None or i.system == system]
        if json_:
            typer.echo(json.dumps([i.to_dict() for i in indicators], ensure_ascii=False, indent=2))
            return
        table = Table("代码", "名称", "单位", "体系", "维度", "类别", "属性", "公式")
        for i in indicators:
            table.add_row(i.code, i.name, i.unit, i.system, i.dimension, i.category, i.attribute,
                          i.formula.kind if i.formula else "")
        out.print(table)


@indicators_app.command("show")
def show_command(code: Annotated[str, typer.Argument(help="指标代码,如 TJ011")], records: RecordsOption = None,
                 extra: ExtraOption = None) -> None:
    """显示一个指标的定义、公式(含版本)与来源。"""
    with _session(records, extra) as (engine, library):
        from onemap.indicators.values import formula_history

        body = library.get(code).to_dict()
        with engine.connect() as conn:
            body["formula_history"] = formula_history(conn, code=code)
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))


@indicators_app.command("compute")
def compute_command(region: RegionOption, period: PeriodOption, store: StoreOption = None,
                    records: RecordsOption = None, extra: ExtraOption = None, json_: JsonOption = False,
                    code: Annotated[list[str] | None, typer.Option("--code", help="只算这些指标(及其依赖)")] = None
                    ) -> None:
    """计算区域某年全部可计算指标,一次事务写入记录库(状态:计算)。"""
    from onemap.config import get_settings
    from onemap.indicators import compute_and_record
    from onemap.store import open_store

    with _session(records, extra) as (engine, library):
        with open_store(store or get_settings().store_url) as opened:
            result = compute_and_record(opened, engine, library, region=region, period=period, actor=_actor(),
                                        codes=code)
        _audit(engine, "indicator:compute", region, {"period": period, "computed": len(result.computed)})
        if json_:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
            return
        table = Table("代码", "名称", "值", "单位", "公式版本")
        for v in result.computed:
            table.add_row(v.code, library.get(v.code).name, _number(v.value), v.unit, str(v.formula_version))
        out.print(table)
        for v in result.skipped:
            console.print(f"未计算 {v.code} {library.get(v.code).name}:{v.reason}")
        console.print(f"已计算 {len(result.computed)} 项,未计算 {len(result.skipped)} 项")


@indicators_app.command("report")
def report_command(code: Annotated[str, typer.Argument(help="指标代码")],
                   value: Annotated[float, typer.Argument(help="指标值")], region: RegionOption, period: PeriodOption,
                   unit: Annotated[str, typer.Option("--unit", help="单位;默认为指标的单位")] = "",
                   note: Annotated[str, typer.Option("--note", help="说明,如 数据来源")] = "",
                   records: RecordsOption = None, extra: ExtraOption = None) -> None:
    """填报部门提供的指标值(状态:填报),如 常住人口、用水总量、GDP。"""
    from onemap.indicators.values import report_value

    with _session(records, extra) as (engine, library):
        with engine.begin() as conn:
            row = report_value(conn, library, code=code, region=region, period=period, value=value, unit=unit,
                               note=note, actor=_actor())
        _audit(engine, "indicator:report", code, {"region": region, "period": period, "value": value})
        out.print(f"已填报 {code} {library.get(code).name} = {_number(row['value'])} {row['unit']}"
                  f"({region},{period} 年)")


@indicators_app.command("confirm")
def confirm_command(code: Annotated[str, typer.Argument(help="指标代码")], region: RegionOption,
                    period: PeriodOption, records: RecordsOption = None, extra: ExtraOption = None) -> None:
    """确认指标的当前值(状态:已确认)。"""
    from onemap.indicators.values import confirm_value

    with _session(records, extra) as (engine, library):
        library.get(code)
        with engine.begin() as conn:
            row = confirm_value(conn, code=code, region=region, period=period, actor=_actor())
        _audit(engine, "indicator:confirm", code, {"region": region, "period": period})
        out.print(f"已确认 {code} = {_number(row['value'])} {row['unit']}({region},{period} 年)")


@indicators_app.command("target")
def target_command(code: Annotated[str, typer.Argument(help="指标代码")],
                   value: Annotated[float, typer.Argument(help="规划目标值")], region: RegionOption,
                   period: Annotated[int, typer.Option("--period", help="目标年,如 2035")],
                   records: RecordsOption = None, extra: ExtraOption = None) -> None:
    """设定区域某目标年的规划目标值(预警与体检评估与之比较)。"""
    from onemap.indicators.values import set_target

    with _session(records, extra) as (engine, library):
        with engine.begin() as conn:
            row = set_target(conn, library, code=code, region=region, period=period, value=value, actor=_actor())
        _audit(engine, "indicator:target", code, {"region": region, "period": period, "value": value})
        out.print(f"已设定 {code} 目标值 {_number(row['value'])} {row['unit']}({region},{period} 年)")


@indicators_app.command("plan-table")
def plan_table_command(file: Annotated[Path, typer.Argument(help="规划指标表(.xlsx),如样例数据的 规划指标表.xlsx")],
                       region: RegionOption, records: RecordsOption = None, extra: ExtraOption = None) -> None:
    """导入规划指标表:各指标目标年的规划目标值与基期年的值(一个事务;无法对应的行列出原因)。"""
    from onemap.indicators.plan_table import import_plan_table

    with _session(records, extra) as (engine, library):
        try:
            content = file.read_bytes()
        except OSError as error:
            console.print(f"[red]错误:无法读取 {file}:{error.strerror}[/red]")
            raise typer.Exit(code=2) from error
        result = import_plan_table(engine, library, content, filename=file.name, region=region, actor=_actor())
        _audit(engine, "indicator:plan-table", file.name[:100], {"region": region, "recorded": len(result["recorded"])})
    for row in result["skipped"]:
        console.print(f"[yellow]未导入 {row['name']}({row['unit']}):{row['reason']}[/yellow]")
    table = Table("代码", "指标", "单位", f"基期年({result['base_year']})", f"目标年({result['target_year']})")
    for row in result["recorded"]:
        table.add_row(row["code"], row["name"], row["unit"], _number(row["base"]), _number(row["target"]))
    out.print(table)
    out.print(f"已导入 {len(result['recorded'])} 项指标({region}),未能对应 {len(result['skipped'])} 项")


@indicators_app.command("values")
def values_command(region: RegionOption, period: PeriodOption, records: RecordsOption = None,
                   extra: ExtraOption = None, json_: JsonOption = False,
                   history: Annotated[str | None, typer.Option("--history", help="显示某指标的全部历史")] = None
                   ) -> None:
    """列出区域某年各指标的当前值与状态(计算、填报、已确认)。"""
    from onemap.indicators.values import current_values, value_history

    with _session(records, extra) as (engine, library):
        with engine.connect() as conn:
            rows = (value_history(conn, code=history, region=region, period=period) if history
                    else list(current_values(conn, region=region, period=period).values()))
        order = {code: n for n, code in enumerate(library.indicators)}
        rows.sort(key=lambda r: (order.get(r["code"], len(order)), -r["id"]))
        if json_:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        table = Table("代码", "名称", "值", "单位", "状态", "公式版本", "操作人", "时间")
        for r in rows:
            name = library.indicators[r["code"]].name if r["code"] in library.indicators else ""
            table.add_row(r["code"], name, _number(r["value"]), r["unit"], r["status_zh"],
                          str(r["formula_version"] or ""), r["actor"], r["at"][:19])
        out.print(table)


@indicators_app.command("compare")
def compare_command(region: RegionOption, start: Annotated[int, typer.Option("--from", help="基期年")],
                    end: Annotated[int, typer.Option("--to", help="比较年")], records: RecordsOption = None,
                    extra: ExtraOption = None, json_: JsonOption = False) -> None:
    """比较区域两期的指标值:两期数值、变化量与变化率。"""
    from onemap.indicators.values import compare_periods

    with _session(records, extra) as (engine, library):
        with engine.connect() as conn:
            rows = compare_periods(conn, library, region=region, start=start, end=end)
        if json_:
            typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        table = Table("代码", "名称", "单位", f"{start} 年", f"{end} 年", "变化", "变化率(%)")
        for r in rows:
            table.add_row(r["code"], r["name"], r["unit"], _number(r["from"]), _number(r["to"]),
                          _number(r["change"]), _number(r["change_percent"]))
        out.print(table)


@indicators_app.command("formula")
def formula_command(code: Annotated[str, typer.Argument(help="指标代码")],
                    formula: Annotated[str, typer.Argument(help='公式 JSON,如 {"kind": "area", "layer": "DLTB", '
                                                                '"unit": "公顷"}')],
                    store: StoreOption = None, records: RecordsOption = None, extra: ExtraOption = None,
                    check: Annotated[bool, typer.Option("--check", help="只校验,不保存")] = False) -> None:
    """修改指标公式:对照存储校验图层、字段、过滤条件、引用与循环,保存为新版本。"""
    from onemap.config import get_settings
    from onemap.indicators import validate_formula
    from onemap.indicators.values import save_formula
    from onemap.store import open_store

    with _session(records, extra) as (engine, library):
        try:
            body = json.loads(formula)
        except json.JSONDecodeError as error:
            console.print(f"[red]错误:公式不是合法的 JSON:第 {error.colno} 个字符附近[/red]")
            raise typer.Exit(code=2) from error
        if not isinstance(body, dict):
            console.print("[red]错误:公式应为 JSON 对象[/red]")
            raise typer.Exit(code=2)
        with open_store(store or get_settings().store_url) as opened:
            validate_formula(library, code, body, opened)
        if check:
            out.print(f"公式有效:{code}")
            return
        with engine.begin() as conn:
            saved = save_formula(conn, library, code=code, body=body, actor=_actor())
        _audit(engine, "indicator:formula", code, {"version": saved.version, "kind": saved.kind})
        out.print(f"已保存 {code} 的公式(第 {saved.version} 版)")
