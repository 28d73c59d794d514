"""onemap documents: attach the plan's text, drawings and indicator table to a catalog entry, list them."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from onemap.cli.progress import console, out
from onemap.cli.records import open_engine
from onemap.errors import OnemapError

documents_app = typer.Typer(help="规划成果文档:为图层挂接规划文本、图件、指标表。", no_args_is_help=True)
RecordsOption = Annotated[str | None, typer.Option("--records", help="应用记录库;默认为本节点的内置记录库")]


_engine = open_engine


@documents_app.command("attach")
def attach_command(
    layer: Annotated[str, typer.Argument(help="图层名称,如 GHYDYH")],
    files: Annotated[list[Path], typer.Argument(help="DOCX、XLSX、PDF、PNG 或 JPEG 文件")],
    store: Annotated[str | None, typer.Option("--store", help="存储地址;默认为本节点的内置存储")] = None,
    records: RecordsOption = None,
) -> None:
    """为图层挂接规划成果文档(如 规划文本.docx、规划指标表.xlsx),在“一张图”中于地图旁查看。"""
    from onemap.config import get_settings
    from onemap.documents import attach_all
    from onemap.security import audit
    from onemap.store import open_store

    settings = get_settings()
    engine = _engine(records)
    try:
        with open_store(store or settings.store_url) as opened:
            opened.entry(layer)  # the layer must exist
        attached = attach_all(engine, settings.data_dir, layer=layer, owner=f"console:{getpass.getuser()}",
                              files=[(path.name, path.read_bytes(), "") for path in files])  # all or none
        for document in attached:
            with engine.begin() as conn:
                audit.record(conn, user=f"console:{getpass.getuser()}", ip="", action="document:attach",
                             object=layer, result="success", detail={"document": document.id})
            out.print(f"已挂接 {document.title}({document.kind},{document.size:,} 字节)")
    except OnemapError as error:
        console.print(f"[red]错误:{error.message_zh}[/red]")
        raise typer.Exit(code=2) from error
    except OSError as error:
        console.print(f"[red]错误:无法读取文件:{error}[/red]")
        raise typer.Exit(code=2) from error
    finally:
        engine.dispose()


@documents_app.command("list")
def list_command(layer: Annotated[str, typer.Argument(help="图层名称")], records: RecordsOption = None) -> None:
    """列出图层的规划成果文档。"""
    from onemap.documents import list_documents

    engine = _engine(records)
    try:
        for document in list_documents(engine, layer):
            typer.echo(f"{document.id}  {document.title}  {document.filename}  {document.size:,} 字节")
    finally:
        engine.dispose()
