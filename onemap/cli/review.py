"""onemap check-project: 项目合规性审查 of one project boundary against the one map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from onemap.cli.progress import console, progress_bar
from onemap.cli.progress import out as stdout
from onemap.errors import OnemapError

# Exit codes: 0 全部符合, 1 有不符合, 3 仅有需说明, 4 无效几何, 2 输入或运行错误 (as the other commands).
EXIT_CODES = {"符合": 0, "不符合": 1, "需说明": 3, "无效几何": 4}
COLOURS = {"符合": "green", "需说明": "yellow", "不符合": "red", "无效几何": "red"}


def check_project(
    path: Annotated[Path, typer.Argument(help="项目范围:GeoJSON、Shapefile/zip、GeoPackage、部标界址点坐标文本(.txt)"
                                               "或坐标列表文本(每行 x,y)")],
    store: Annotated[str | None, typer.Option("--store", help="存储地址:gpkg:///…/store.gpkg 或 postgresql://…;"
                                                               "默认为本节点的内置存储")] = None,
    out: Annotated[Path, typer.Option("--out", help="输出目录(result.json、report.pdf、report.docx)")] = Path("."),
    project_id: Annotated[str | None, typer.Option("--id", help="项目编号;默认取坐标文件中的项目编号或自动生成")]
    = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="审查规则文件(YAML);默认为内置规则")] = None,
    crs: Annotated[str | None, typer.Option("--crs", help="输入未带坐标系时指定,如 EPSG:4527")] = None,
    encoding: Annotated[str | None, typer.Option(help="坐标文本或 DBF 编码,如 gbk;默认自动识别")] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="是否生成 report.pdf")] = True,
    save: Annotated[bool, typer.Option("--save/--no-save", help="是否按项目编号保存审查记录(业务记录库)")] = True,
    records: Annotated[str | None, typer.Option("--records", help="业务记录库地址;默认为本节点的记录库")] = None,
    name: Annotated[str | None, typer.Option("--name", help="项目名称(写入报告表头);默认取坐标文件中的")] = None,
    builder: Annotated[str | None, typer.Option("--builder", help="建设单位(写入报告表头)")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="用途(写入报告表头);默认取地块用途")] = None,
) -> None:
    """项目合规性审查:叠加三条控制线、现状与规划,按规则给出结论并出具报告。

    退出码:0 全部符合;1 有不符合;3 无不符合但有需说明;4 项目范围几何无效;2 输入或运行错误。
    """
    from onemap.config import get_settings
    from onemap.records import open_records
    from onemap.records.database import default_records_url
    from onemap.review.compliance import load_boundary, save_result
    from onemap.review.compliance.context import ReviewContext
    from onemap.review.compliance.header import given
    from onemap.review.compliance.report import write_report
    from onemap.review.compliance.service import review_project
    from onemap.store import open_store

    try:
        with progress_bar("合规性审查") as update, open_store(store or get_settings().store_url) as opened:
            update("读取项目范围", 0.05)
            boundary = given(load_boundary(path, crs=crs, encoding=encoding), name=name, builder=builder,
                             purpose=purpose)
            update("读取管控图层", 0.2)
            context = ReviewContext(opened, rules)
            update("叠加分析", 0.5)
            review = review_project(opened, boundary, project_id=project_id, context=context)
            update("生成报告", 0.7)
            paths = write_report(review, out, pdf=pdf)
            if save:
                engine = open_records(records or default_records_url(get_settings()))
                with engine.begin() as conn:  # one transaction
                    saved = save_result(conn, review.result, boundary, actor="cli", source="cli",
                                        security_level=context.security_level, report_dir=out.resolve())
                engine.dispose()
                paths["记录"] = f"业务记录库 项目 {review.result['project']['id']} 第 {saved} 号审查结果"
    except OnemapError as error:
        console.print(f"[red]错误:{error.message_zh}[/red]")
        raise typer.Exit(code=2) from None
    result = review.result
    colour = COLOURS[result["result"]]
    stdout.print(f"[{colour}]项目 {result['project']['id']}:{result['result']}[/{colour}]"
                  f"(用地 {result['project']['area_m2']:.2f} 平方米,{result['project']['area_mu']:.4f} 亩)")
    for conclusion in result["conclusions"]:
        tint = COLOURS[conclusion["result"]]
        stdout.print(f"  [{tint}]{conclusion['result']}[/{tint}] {conclusion['title']}:{conclusion['message']}")
    for name, written in paths.items():
        stdout.print(f"  {name} → {written}")
    raise typer.Exit(code=EXIT_CODES[result["result"]])
