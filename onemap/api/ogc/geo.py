"""Small geographic helpers of the OGC endpoints."""

from onemap.errors import InputError
from onemap.geometry.crs import transformer
from onemap.store import CatalogEntry


def lonlat_extent(entry: CatalogEntry) -> list[float] | None:
    """The layer's current extent in CRS84 (lon/lat)."""
    if not entry.current.extent:
        return None
    return lonlat_bounds(entry.current.extent, int(entry.meta.epsg))


def lonlat_bounds(extent: tuple[float, float, float, float], epsg: int) -> list[float]:
    """A box in EPSG:``epsg`` as a CRS84 box (the cached transformer)."""
    return [round(v, 7) for v in transformer(epsg, "OGC:CRS84").transform_bounds(*extent, densify_pts=21)]


def parse_bbox(text: str | None) -> list[float] | None:
    """A bbox query parameter as numbers (4 or 6), or None."""
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"bbox 应为 4 个数值,以逗号分隔:{text[:100]}", "bad bbox") from None
    if len(values) not in (4, 6):
        raise InputError("bbox 应为 4 个(或 6 个)数值", "bad bbox arity")
    return values
