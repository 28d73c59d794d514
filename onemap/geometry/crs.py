"""CRS policy: the one map is CGCS2000 (EPSG:4490 and its Gauss–Krüger zones).

Axis order: inside onemap every coordinate pair is (x=easting/longitude, y=northing/latitude), as
GDAL's traditional GIS order gives. EPSG:4490 is *defined* as latitude, longitude and the GK CRSs as
northing (X), easting (Y): only the web services swap axes, when a client asks for EPSG:4490 or a GK
CRS by URI (see the services layer).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as ProjCRSError

from onemap.errors import CRSError
from onemap.standards.registry import get_table

GEOGRAPHIC_EPSG = 4490


@dataclass(frozen=True)
class OnemapCRS:
    """A CRS the one map accepts."""

    epsg: int
    name: str
    kind: str  # "geographic", "gk3" or "gk6"
    central_meridian: float | None = None
    zone: int | None = None
    zone_prefix: bool = False  # false easting carries the zone number (e.g. 39500000)
    vertical_epsg: int | None = None  # the height datum of a compound CRS (EPSG:5737, 1985国家高程基准)
    vertical_zh: str | None = None

    @property
    def is_projected(self) -> bool:
        """True for the Gauss–Krüger zones."""
        return self.kind != "geographic"

    @property
    def false_easting(self) -> float:
        """500 km, plus zone × 1e6 in the 'big number' form."""
        return 500_000.0 + (self.zone * 1_000_000.0 if self.zone_prefix and self.zone else 0.0)

    @property
    def label_zh(self) -> str:
        """A Chinese label, e.g. 'CGCS2000 3度带高斯-克吕格 第39带 (EPSG:4527)', with '+ 1985国家高程基准
        (EPSG:5737)' for a compound CRS."""
        height = f" + {self.vertical_zh} (EPSG:{self.vertical_epsg})" if self.vertical_epsg else ""
        if self.kind == "geographic":
            return f"CGCS2000 地理坐标系 (EPSG:{self.epsg}){height}"
        width = "3度带" if self.kind == "gk3" else "6度带"
        prefix = f"第{self.zone}带" if self.zone_prefix else f"中央经线{self.central_meridian:g}°"
        return f"CGCS2000 {width}高斯-克吕格 {prefix} (EPSG:{self.epsg}){height}"


def _policy(rule: str) -> list[dict[str, str]]:
    frame = get_table("crs_policy").frame
    return frame[frame["rule"] == rule].to_dict("records")


def _describe(epsg: int, crs: CRS) -> OnemapCRS:
    if crs.is_geographic:
        return OnemapCRS(epsg, crs.name, "geographic")
    params = {int(p.code): p.value for p in crs.coordinate_operation.params}
    cm, false_easting = params[8802], params[8806]
    width = 3 if "3-degree" in crs.name else 6
    zone = round(cm / 3) if width == 3 else round((cm + 3) / 6)
    return OnemapCRS(epsg, crs.name, f"gk{width}", cm, zone, zone_prefix=false_easting > 1_000_000)


@lru_cache
def accepted_crs() -> dict[int, OnemapCRS]:
    """Every accepted CRS by EPSG code, described from PROJ's registry."""
    codes = [int(r["value"]) for r in _policy("accept_epsg")]
    for row in _policy("accept_epsg_range"):
        low, high = (int(v) for v in row["value"].split("-"))
        codes.extend(range(low, high + 1))
    return {code: _describe(code, CRS.from_epsg(code)) for code in codes}


def _match_gk(crs: CRS) -> OnemapCRS | None:
    """Identify a CGCS2000 GK zone from its parameters (ESRI .prj files often lack the code)."""
    if not crs.is_projected or crs.coordinate_operation is None:
        return None
    params = {p.name.lower(): p.value for p in crs.coordinate_operation.params}
    cm = params.get("longitude of natural origin", params.get("central_meridian"))
    fe = params.get("false easting")
    if cm is None or fe is None:
        return None
    for candidate in accepted_crs().values():
        if candidate.is_projected and candidate.central_meridian == cm and candidate.false_easting == fe:
            return candidate
    return None


def _is_cgcs2000(crs: CRS) -> bool:
    datum = (crs.datum.name if crs.datum else "").lower()
    return "china 2000" in datum or "china_2000" in datum or "cgcs2000" in datum


def _parse(crs_like: object) -> CRS:
    try:
        return CRS.from_user_input(crs_like)
    except ProjCRSError as exc:
        raise CRSError(f"无法识别的坐标系定义:{crs_like}", f"unparseable CRS {crs_like!r}") from exc


def resolve_crs(crs_like: object, *, allow_wgs84: bool = False) -> OnemapCRS:
    """The accepted CRS that ``crs_like`` denotes, or a :class:`CRSError` naming what was found.

    With ``allow_wgs84`` a WGS 84 geographic CRS is taken as EPSG:4490 (the two frames differ by a
    few centimetres, below the precision of 1:500 surveys); the caller must report the relabelling.
    """
    if crs_like is None or crs_like == "":
        raise CRSError("数据没有坐标系定义(缺少 .prj 或空间参考),请提供 CGCS2000 坐标系", "no CRS")
    crs = _parse(crs_like)
    if crs.is_compound:
        return _resolve_compound(crs, allow_wgs84)
    epsg = crs.to_epsg(min_confidence=70)
    if epsg in accepted_crs():
        return accepted_crs()[epsg]
    if _is_cgcs2000(crs):
        if crs.is_geographic:
            return accepted_crs()[GEOGRAPHIC_EPSG]
        matched = _match_gk(crs)
        if matched:
            return matched
    datum = crs.datum.name if crs.datum else ""
    for row in _policy("reject_datum"):
        if row["value"].lower() in datum.lower():
            raise CRSError(
                f"数据坐标系为{row['message_zh']}({crs.name}),一张图统一采用 CGCS2000,请先转换坐标系",
                f"rejected datum {datum}",
            )
    if "world geodetic system 1984" in datum.lower() and crs.is_geographic:
        if allow_wgs84:
            return accepted_crs()[GEOGRAPHIC_EPSG]
        raise CRSError(
            f"数据坐标系为 WGS 84({crs.name}),一张图统一采用 CGCS2000;如确认可按 CGCS2000 处理,请显式允许 WGS 84",
            "WGS 84 without explicit permission",
        )
    raise CRSError(
        f"数据坐标系为 {crs.name},不是 CGCS2000 地理坐标系或高斯-克吕格投影,无法导入",
        f"unsupported CRS {crs.name}",
    )


def _resolve_compound(crs: CRS, allow_wgs84: bool) -> OnemapCRS:
    """A compound CRS (horizontal + vertical, e.g. EPSG:4527+5737): the horizontal part decides as on its
    own; the vertical part must be the 1985国家高程基准 (GB/T 17160), the national height datum. Heights
    are kept as delivered; the layer is stored under the horizontal EPSG code."""
    parts = crs.sub_crs_list
    if len(parts) != 2:
        raise CRSError(f"无法识别的复合坐标系:{crs.name}", f"compound CRS with {len(parts)} parts")
    horizontal = resolve_crs(parts[0], allow_wgs84=allow_wgs84)
    vertical = parts[1]
    accepted = _accepted_vertical(vertical)
    if accepted is None:
        named = _vertical_name_zh(vertical)
        code = vertical.to_epsg(min_confidence=70)
        raise CRSError(
            f"数据的高程基准为{named}({vertical.name}{f',EPSG:{code}' if code else ''}),一张图采用"
            f"1985国家高程基准(EPSG:5737);请先转换高程,或只保留平面坐标系 {horizontal.label_zh} 后导入",
            f"vertical CRS {vertical.name} ({code}) not accepted",
        )
    return replace(horizontal, vertical_epsg=accepted[0], vertical_zh=accepted[1])


def _accepted_vertical(vertical: CRS) -> tuple[int, str] | None:
    """(EPSG code, Chinese name) of an accepted height datum, by code or (WKT without codes) by datum name."""
    code = vertical.to_epsg(min_confidence=70)
    for row in _policy("accept_vertical_epsg"):
        if code == int(row["value"]):
            return code, row["message_zh"]
    datum = (vertical.datum.name if vertical.datum else "").lower()
    for row in _policy("accept_vertical_datum"):
        if row["value"].lower() in datum:
            first = _policy("accept_vertical_epsg")[0]
            return int(first["value"]), row["message_zh"]
    return None


def _vertical_name_zh(vertical: CRS) -> str:
    datum = (vertical.datum.name if vertical.datum else "").lower()
    for row in _policy("name_vertical_datum"):
        if row["value"].lower() in datum:
            return row["message_zh"]
    return f" {vertical.datum.name if vertical.datum else vertical.name} "


def check_extent(bounds: tuple[float, float, float, float], crs: OnemapCRS) -> None:
    """Raise when coordinates fall outside the CRS's zone (wrong zone, swapped axes, other units)."""
    xmin, ymin, xmax, ymax = bounds
    if crs.kind == "geographic":
        ok = 70.0 <= xmin <= xmax <= 140.0 and 0.0 <= ymin <= ymax <= 60.0
        hint = "经度应在70°–140°、纬度0°–60°之间(是否经纬度颠倒?)"
    else:
        half_width = 330_000.0 if crs.kind == "gk3" else 660_000.0  # zone half-width with margin at 0°N
        low, high = crs.false_easting - half_width, crs.false_easting + half_width
        ok = low <= xmin <= xmax <= high and 0.0 <= ymin <= ymax <= 6_700_000.0
        hint = f"横坐标应在 {low:.0f}–{high:.0f} 之间(是否投影带或带号错误、X/Y颠倒?)"
    if not ok:
        raise CRSError(
            f"坐标超出{crs.label_zh}的范围:[{xmin:.3f}, {ymin:.3f}, {xmax:.3f}, {ymax:.3f}];{hint}",
            f"coordinates outside {crs.epsg}: {bounds}",
        )


def detect_gk_zone(xmin: float, xmax: float) -> OnemapCRS | None:
    """The 3° zone of 'big number' eastings (zone × 1e6 + 500 km), or None if not of that form."""
    zone = int(xmin // 1_000_000)
    if zone != int(xmax // 1_000_000):
        return None
    for candidate in accepted_crs().values():
        if candidate.kind == "gk3" and candidate.zone_prefix and candidate.zone == zone:
            return candidate
    return None


def transformer(source: int | str, target: int | str) -> Transformer:
    """The x/y-ordered transformer between two CRSs (EPSG codes or PROJ strings), built once per process.

    ``Transformer.from_crs`` is an operation search (up to about 0.4 s with the database cold): never per request.
    pyproj repeats the search once in each further thread that uses the object (tens of ms; the server's
    threads are a bounded pool). It keeps both CRSs, so ``transform_bounds`` works (a transformer re-made from
    the bare PROJ pipeline answers ``inf`` there).
    """
    return _transformer(_crs_key(source), _crs_key(target))


def _crs_key(crs: int | str) -> str:
    return f"EPSG:{crs}" if isinstance(crs, int) else str(crs)


@lru_cache(maxsize=512)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)
