"""onemap map render: 专题图制作 from a template file, for a region, layer versions or a date."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from onemap.cli.progress import console
from onemap.cli.progress import out as stdout
from onemap.errors import InputError, OnemapError

map_app = typer.Typer(help="专题图制作:按模板输出 PNG 与 PDF。", no_args_is_help=True)


def _versions(values: list[str]) -> dict[str, int]:
    versions = {}
    for value in values:
        layer, _, number = value.partition("=")
        if not layer or not number.isdigit():
            raise InputError(f"--version 应为 图层=版本号,如 DLTB=2:{value}", f"bad --version {value!r}")
        versions[layer] = int(number)
    return versions


@map_app.command("render")
def render(
    template: Annotated[Path, typer.Argument(help="专题图模板文件(JSON,格式见 docs/maps.md)")],
    store: Annotated[str | None, typer.Option("--store", help="存储地址;默认为本节点的内置存储")] = None,
    region: Annotated[str | None, typer.Option("--region", help="制图区域:行政区划代码(县 6 位、乡镇 9 位、村 12 位)")]
    = None,
    out: Annotated[Path, typer.Option("--out", help="输出目录(map.png、map.pdf、map.json)")] = Path("."),
    version: Annotated[list[str] | None, typer.Option("--version", help="图层版本,如 DLTB=2;可重复")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="数据时点 YYYY-MM-DD")] = None,
) -> None:
    """按模板制作专题图:标题、图例、比例尺、指北针、CGCS2000 经纬网,输出 PNG 与 PDF。"""
    from onemap.cartography import MapRequest, parse_template, render_map
    from onemap.config import get_settings
    from onemap.store import open_store

    try:
        try:
            data = json.loads(template.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"无法读取模板文件 {template}:{exc}", f"cannot read {template}: {exc}") from exc
        try:
            day = date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise InputError(f"--as-of 应为日期 YYYY-MM-DD:{as_of}", f"bad --as-of {as_of}") from exc
        request = MapRequest(parse_template(data), region=region, versions=_versions(version or []), as_of=day)
        with open_store(store or get_settings().store_url) as opened:
            result = render_map(opened, request, out)
    except OnemapError as error:
        console.print(f"[red]错误:{error.message_zh}[/red]")
        raise typer.Exit(code=2) from error
    (out / "map.json").write_text(json.dumps(result.summary(), ensure_ascii=False, indent=2), encoding="utf-8")
    stdout.print(f"已生成 {result.png} 与 {result.pdf}({result.region.name},{result.features} 个要素,"
                  f"比例尺 1:{result.scale:,})")
