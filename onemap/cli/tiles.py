"""onemap tiles: 瓦片预生成 — fill the tile cache of a layer version (whole, or where a new version changed)."""

from __future__ import annotations

from typing import Annotated

import typer

from onemap.cli.progress import console, out, progress_bar
from onemap.errors import OnemapError

tiles_app = typer.Typer(help="矢量瓦片缓存:预生成(切片)与增量更新。", no_args_is_help=True)


@tiles_app.command("seed")
def seed(
    layer: Annotated[str, typer.Argument(help="图层名称,如 DLTB")],
    store: Annotated[str | None, typer.Option("--store", help="存储地址:gpkg:///… 或 postgresql://…;默认为本节点存储")]
    = None,
    tms: Annotated[str, typer.Option("--tms", help="瓦片矩阵集,逗号分隔:WebMercatorQuad、CGCS2000Quad、GK…Quad")]
    = "WebMercatorQuad",
    max_zoom: Annotated[int, typer.Option("--max-zoom", help="预生成到第几级(含)")] = 16,
    version: Annotated[int | None, typer.Option("--version", help="图层版本(默认当前版本)")] = None,
    full: Annotated[bool, typer.Option("--full", help="全部重新生成,不沿用旧版本未变化的瓦片")] = False,
    workers: Annotated[int, typer.Option("--workers", min=1, max=16, help="并行线程数(每个线程一个数据库连接)")] = 2,
    cache_dir: Annotated[str | None, typer.Option("--cache-dir", help="瓦片缓存目录(默认 数据目录/tiles)")] = None,
) -> None:
    """预生成图层某一版本的矢量瓦片;缓存中已有旧版本时只重建变化要素所在的瓦片,其余以硬链接沿用。"""
    from onemap.config import get_settings
    from onemap.services.tiles.cache import TileCache
    from onemap.services.tiles.seed import seed_layer
    from onemap.store import open_store

    tms_ids = [t.strip() for t in tms.split(",") if t.strip()]
    try:
        with open_store(store or get_settings().store_url) as opened, progress_bar(f"预生成 {layer}") as update:
            report = seed_layer(opened, layer, tms_ids=tms_ids, max_zoom=max_zoom, version=version,
                                cache=TileCache(cache_dir) if cache_dir else None, incremental=not full,
                                workers=workers, progress=update)
    except OnemapError as error:
        console.print(f"[red]错误:{error.message_zh}[/red]")
        raise typer.Exit(code=2) from None
    out.print(f"[green]{report.summary_zh()}[/green](CPU {report.cpu_seconds:.1f} 秒)")
    for tms_id, levels in report.levels.items():
        out.print(f"  {tms_id}: " + ",".join(f"{z} 级 {n}" for z, n in levels.items() if n))


@tiles_app.command("prepare")
def prepare(
    layer: Annotated[str, typer.Argument(help="图层名称,如 DLTB")],
    store: Annotated[str | None, typer.Option("--store", help="PostGIS 存储地址 postgresql://…")] = None,
) -> None:
    """为早先导入的 PostGIS 图层补建瓦片派生列(3857/4490 几何、外包框尺寸及索引),冷瓦片不再逐要素投影。"""
    from onemap.config import get_settings
    from onemap.store import open_store
    from onemap.store.postgis import PostGISStore

    try:
        with open_store(store or get_settings().store_url) as opened:
            if not isinstance(opened, PostGISStore):
                console.print("GeoPackage 存储无需派生列:瓦片按需投影,尺寸筛选使用空间索引。")
                return
            opened.entry(layer)
            added = opened.add_tile_columns(layer)
    except OnemapError as error:
        console.print(f"[red]错误:{error.message_zh}[/red]")
        raise typer.Exit(code=2) from None
    out.print(f"[green]图层 {layer}:{'已补建 ' + '、'.join(added) if added else '派生列齐全,无需补建'}[/green]")
