"""onemap 命令行: 样例数据、导入、数据资源目录、版本差异、服务。"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onemap.cli.assess import assess_app
from onemap.cli.carrying import carrying_app
from onemap.cli.documents import documents_app
from onemap.cli.indicators import indicators_app
from onemap.cli.layers import layer_app
from onemap.cli.maps import map_app
from onemap.cli.monitor import monitor_app
from onemap.cli.progress import capture_library_warnings, console, out, progress_bar, report_library_warnings
from onemap.cli.qc import qc as qc_command
from onemap.cli.review import check_project as check_project_command
from onemap.cli.security import admin_app, audit_app, config_app, token_app, user_app
from onemap.cli.tiles import tiles_app
from onemap.config import get_settings
from onemap.errors import OnemapError

# Help as wide as the terminal allows, and 160 columns when piped (click's fallback of 80 cuts command summaries).
HELP_WIDTH = {"max_content_width": 160, **({} if sys.stdout.isatty() else {"terminal_width": 160})}
app = typer.Typer(
    help="onemap —— 国土空间规划“一张图”:基础信息平台与实施监督信息系统。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click help (for every sub-command too): it wraps long Chinese help text at any width, where rich's
    # option tables cut an unbroken Chinese sentence with "…" at 80 columns (pipes, CI logs, narrow terminals).
    rich_markup_mode=None,
    context_settings=HELP_WIDTH,
)



@app.callback()
def _streams(ctx: typer.Context) -> None:
    """Library warnings of every command go to ``<data_dir>/logs/cli-warnings.log`` (see onemap.cli.progress)."""
    handler = capture_library_warnings(get_settings().data_dir / "logs" / "cli-warnings.log")
    ctx.call_on_close(lambda: report_library_warnings(handler))


app.command("qc")(qc_command)
app.command("check-project")(check_project_command)
app.add_typer(admin_app, name="admin")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(config_app, name="config")
app.add_typer(map_app, name="map")
app.add_typer(documents_app, name="documents")
app.add_typer(tiles_app, name="tiles")
app.add_typer(layer_app, name="layer")
app.add_typer(monitor_app, name="monitor")
app.add_typer(indicators_app, name="indicators")
app.add_typer(assess_app, name="assess")
app.add_typer(carrying_app, name="carrying")

StoreOption = Annotated[str | None, typer.Option("--store", help="存储地址:gpkg:///路径/store.gpkg 或 postgresql://…;"
                                                           "默认为本节点的内置 GeoPackage 存储")]


def _store_url(store: str | None) -> str:
    return store or get_settings().store_url


def _fail(error: OnemapError) -> None:
    console.print(f"[red]错误:{error.message_zh}[/red]")
    raise typer.Exit(code=2)


def _audit_console(records: str | None, action: str, obj: str, result: str, detail: dict) -> None:
    """Record a console action in the audit trail (全过程留痕), as ``console:<OS user>``."""
    import getpass

    from onemap.records import open_records
    from onemap.records.database import default_records_url
    from onemap.security import audit

    engine = open_records(records or default_records_url(get_settings()))
    try:
        with engine.begin() as conn:
            audit.record(conn, user=f"console:{getpass.getuser()}", ip="", action=action, object=obj,
                         result=result, detail=detail)
    finally:
        engine.dispose()


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        console.print(f"[red]错误:{option} 应为日期 YYYY-MM-DD,收到“{value}”[/red]")
        raise typer.Exit(code=2) from None


@app.command()
def sample(
    out_dir: Annotated[Path, typer.Argument(help="输出目录")],
    parcels: Annotated[int, typer.Option(help="地类图斑数量(2000–1000000)")] = 20_000,
    seed: Annotated[int, typer.Option(help="随机种子;相同种子生成相同数据")] = 1,
    defects: Annotated[bool, typer.Option(help="另写一份植入已知质检缺陷的样例(用于检验质检规则)")] = False,
) -> None:
    """生成样例县数据(三调、三条控制线、规划数据库、监测数据),格式为 FileGDB、GeoPackage 和 GBK Shapefile。"""
    from onemap.sample import generate_county

    if not 2_000 <= parcels <= 1_000_000:
        console.print("[red]错误:--parcels 应在 2000 到 1000000 之间[/red]")
        raise typer.Exit(code=2)
    with progress_bar("生成样例县") as update:
        result = generate_county(out_dir, parcels=parcels, seed=seed, progress=update)
    out.print(f"已生成 {result.county_name}({result.county_code})于 {out_dir}")
    if defects:
        from onemap.qc.defects import write_defective_sample

        written = write_defective_sample(out_dir, seed=seed)
        out.print(f"已写出含已知缺陷的样例:{written}")
    for name, count in result.layers.items():
        out.print(f"  {name}: {count} 个要素")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="FileGDB、GeoPackage、Shapefile、GeoJSON,或它们的 zip/tar 压缩包")],
    store: StoreOption = None,
    layer: Annotated[str | None, typer.Option(help="只导入数据中的这个图层")] = None,
    name: Annotated[str | None, typer.Option(help="存储中的图层代码(如 DLTB);默认取源图层名")] = None,
    title: Annotated[str | None, typer.Option(help="图层中文名称")] = None,
    encoding: Annotated[str | None, typer.Option(help="Shapefile DBF 编码,如 gbk;默认按 .cpg 或自动识别")] = None,
    category: Annotated[str | None, typer.Option(help="数据分类:现状|规划|管理|社会经济|基础地理|其他")] = None,
    security_level: Annotated[str | None, typer.Option(
        help="数据安全等级:公开|内部|秘密|机密;默认沿用图层当前等级,新图层为内部")] = None,
    department: Annotated[str, typer.Option(help="来源部门")] = "",
    year: Annotated[int | None, typer.Option(help="调查或规划年份")] = None,
    valid_date: Annotated[str | None, typer.Option(help="数据时点 YYYY-MM-DD(按时点查询历史版本时使用)")] = None,
    key_field: Annotated[str | None, typer.Option(help="要素唯一标识字段;默认 BSM")] = None,
    crs: Annotated[str | None, typer.Option(help="数据缺少坐标系时指定,如 EPSG:4527")] = None,
    allow_wgs84: Annotated[bool, typer.Option(help="允许把 WGS 84 数据按 CGCS2000 导入")] = False,
    note: Annotated[str, typer.Option(help="版本说明")] = "",
    records: Annotated[str | None, typer.Option(help="应用记录库(审计日志);默认为本节点的内置记录库")] = None,
) -> None:
    """导入数据为新版本(整次导入为一个事务:失败时存储保持原样);导入记入审计日志。"""
    from onemap.ingest.importer import ImportOptions, import_path
    from onemap.store import open_store

    options = ImportOptions(layer=layer, name=name, title=title, category=category, department=department,
                            year=year, security_level=security_level, encoding=encoding, crs=crs,
                            allow_wgs84=allow_wgs84, key_field=key_field,
                            valid_date=_parse_date(valid_date, "--valid-date"), note=note)
    try:
        with open_store(_store_url(store)) as opened, progress_bar("导入") as update:
            report = import_path(path, opened, options, progress=update, writer=None)  # the console
    except OnemapError as error:
        _audit_console(records, "layer:import", str(path), "failure", {"reason": error.log[:500]})
        _fail(error)
    for version in report.versions:
        _audit_console(records, "layer:import", version.layer, "success",
                       {"version": version.version, "features": version.feature_count, "source": str(path)})
    for layer_report, version in zip(report.layers, report.versions, strict=True):
        encoding_text = f",编码 {layer_report.encoding}({layer_report.encoding_how})" if layer_report.encoding else ""
        out.print(f"[green]{layer_report.name}[/green] ← {layer_report.source}:{layer_report.features} 个要素,"
                      f"{layer_report.crs}{encoding_text};版本 {version.version}"
                      f"(新增 {version.added},变更 {version.changed},删除 {version.removed})")
        for warning in layer_report.warnings:
            console.print(f"  [yellow]注意:{warning}[/yellow]")


@app.command()
def layers(
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON(全部字段)")] = False,
    full: Annotated[bool, typer.Option("--full", help="表格中也列出来源部门、范围和版本历史")] = False,
) -> None:
    """列出数据资源目录:名称、分类、来源、年份、坐标系、要素数、范围、安全等级、版本历史。"""
    from onemap.catalog import catalog_records
    from onemap.store import open_store

    try:
        with open_store(_store_url(store)) as opened:
            records = catalog_records(opened)
    except OnemapError as error:
        _fail(error)
    if as_json:
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2, default=str))
        return
    out.print(_catalog_table(records, full))


def _catalog_table(records: list[dict], full: bool) -> Table:
    from onemap.localtime import display

    table = Table(title="数据资源目录")
    columns = ["名称", "中文名", "分类", "年份", "坐标系", "要素数", "安全等级", "当前版本"]
    columns += ["来源部门", "范围", "版本历史"] if full else []
    for column in columns:
        table.add_column(column, no_wrap=column in ("名称", "坐标系"))
    for r in records:
        row = [r["name"], r["title"], r["category"], str(r["year"] or ""), f"EPSG:{r['epsg']}",
               str(r["feature_count"]), r["security_level"], f"v{r['version']}"]
        if full:
            history = "; ".join(f"v{v['version']} {display(v['created'], label=False)[:10]} "
                                f"+{v['added']}/~{v['changed']}/-{v['removed']}" for v in r["versions"])
            extent = ", ".join(f"{v:.1f}" for v in r["extent"]) if r["extent"] else ""
            row += [r["department"], extent, history]
        table.add_row(*row)
    return table


@app.command()
def diff(
    layer: Annotated[str, typer.Argument(help="图层代码")],
    v1: Annotated[int, typer.Argument(help="起始版本")],
    v2: Annotated[int, typer.Argument(help="对比版本")],
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出两个版本之间新增、删除和变更的要素(按标识码)。"""
    from onemap.store import open_store

    try:
        with open_store(_store_url(store)) as opened:
            result = opened.diff(layer, v1, v2)
    except OnemapError as error:
        _fail(error)
    if as_json:
        typer.echo(json.dumps({"layer": layer, "from": v1, "to": v2, "added": result.added,
                               "removed": result.removed, "changed": result.changed}, ensure_ascii=False))
        return
    out.print(f"{layer} v{v1} → v{v2}:新增 {len(result.added)},删除 {len(result.removed)},"
                  f"变更 {len(result.changed)}")
    for label, keys in (("新增", result.added), ("删除", result.removed), ("变更", result.changed)):
        for key in keys:
            typer.echo(f"{label}\t{key}")


@app.command()
def serve(
    store: StoreOption = None,
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8000,
    records: Annotated[str | None, typer.Option(
        help="应用记录库(账号、会话、审计):sqlite:///… 或 postgresql://…")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="服务进程数(默认 ONEMAP_WORKERS,否则等于 CPU 核数);任务执行器只在其中一个进程运行")] = None,
    access_log: Annotated[bool | None, typer.Option(
        help="逐请求访问日志(默认 ONEMAP_ACCESS_LOG,否则关闭;开启时吞吐量约降三分之一)")] = None,
) -> None:
    """启动服务:数据资源目录、登录与权限、导入、审计,以及中文首页。"""
    import uvicorn

    from onemap.api.app import create_app
    from onemap.api.serving import get_serve_settings

    url, settings = _store_url(store), get_serve_settings()
    try:
        create_app(url, records_url=records)  # check the configuration once, with a clear message
    except OnemapError as error:
        _fail(error)
    # Each worker process builds its own application from the environment (uvicorn factory).
    os.environ["ONEMAP_STORE"] = url
    if records:
        os.environ["ONEMAP_RECORDS_URL"] = records
    uvicorn.run("onemap.api.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers or settings.workers, timeout_worker_healthcheck=settings.worker_start_seconds,
                access_log=settings.access_log if access_log is None else access_log)


@app.command()
def standards() -> None:
    """列出内置和扩展的标准数据表(版本、来源、未经证实的默认行数)。"""
    from onemap.standards import list_tables

    table = Table(title="标准数据表")
    for column in ("表", "名称", "标准", "版本", "行数", "未证实行", "文件"):
        table.add_column(column)
    for t in list_tables():
        table.add_row(t.name, t.title, t.standard, t.version, str(len(t.frame)), str(len(t.unconfirmed())),
                      "; ".join(Path(s).name for s in t.sources))
    out.print(table)


if __name__ == "__main__":
    app()
