"""FES 2.0 filters (the WFS FILTER parameter) as CQL2 JSON, compiled by the same CQL2 path as OGC items.

pygeofilter's FES parser needs pygml, whose wheel breaks our ``tests`` package, so the small subset we offer
is translated here: And/Or/Not, the six binary comparisons and BBOX. XML is parsed with entities, DTDs and
network access off; a document type declaration is refused outright.
"""

from lxml import etree

from onemap.errors import UnsafeInputError

FES = "{http://www.opengis.net/fes/2.0}"
GML = "{http://www.opengis.net/gml/3.2}"
COMPARISONS = {"PropertyIsEqualTo": "=", "PropertyIsNotEqualTo": "<>", "PropertyIsLessThan": "<",
               "PropertyIsGreaterThan": ">", "PropertyIsLessThanOrEqualTo": "<=",
               "PropertyIsGreaterThanOrEqualTo": ">="}
LOGICAL = {"And": "and", "Or": "or"}
MAX_LENGTH = 20_000
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                          remove_comments=True)


class FesError(UnsafeInputError):
    """A FILTER that is not well-formed, unsafe or outside the supported subset (400)."""


def parse_fes(text: str, types: dict[str, str]) -> tuple[dict, str | None]:
    """The CQL2 JSON of a FES 2.0 filter (literals typed by the property ``types``) and the CRS of its envelopes."""
    if len(text) > MAX_LENGTH:
        raise FesError(f"FILTER 过长(上限 {MAX_LENGTH} 字符)", "FES too long")
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise FesError("FILTER 不能含文档类型声明或实体(DOCTYPE/ENTITY)", "FES DTD refused")
    try:
        root = etree.fromstring(text.encode(), _PARSER)
    except etree.XMLSyntaxError as exc:
        raise FesError(f"FILTER 不是合法的 XML:{str(exc)[:80]}", "FES syntax") from None
    if root.tag != f"{FES}Filter" or len(root) != 1:
        raise FesError("FILTER 应为含一个条件的 fes:Filter(FES 2.0 命名空间)", "FES root")
    crs: list[str] = []
    return _node(root[0], crs, types), (crs[0] if crs else None)


def _local(element) -> str:
    return etree.QName(element).localname if element.tag.startswith(FES) else ""


def _node(element, crs: list[str], types: dict[str, str]) -> dict:
    name = _local(element)
    if name in LOGICAL:
        if len(element) < 2:
            raise FesError(f"fes:{name} 至少需要两个条件", "FES arity")
        return {"op": LOGICAL[name], "args": [_node(child, crs, types) for child in element]}
    if name == "Not" and len(element) == 1:
        return {"op": "not", "args": [_node(element[0], crs, types)]}
    if name in COMPARISONS:
        reference = _reference(element)
        return {"op": COMPARISONS[name], "args": [reference, _literal(element, types.get(reference["property"]))]}
    if name == "BBOX":
        return {"op": "s_intersects", "args": [{"property": "geometry"}, _envelope(element, crs)]}
    raise FesError(f"不支持的过滤条件:{etree.QName(element).localname[:40]}(支持 And、Or、Not、比较运算和 BBOX)",
                   "FES operator")


def _reference(element) -> dict:
    found = element.find(f"{FES}ValueReference")
    if found is None or not (found.text or "").strip():
        raise FesError("比较条件缺少 fes:ValueReference", "FES reference")
    return {"property": found.text.strip().split(":", 1)[-1]}


def _literal(element, kind: str | None) -> object:
    found = element.find(f"{FES}Literal")
    if found is None:
        raise FesError("比较条件缺少 fes:Literal", "FES literal")
    text = (found.text or "").strip()
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        raise FesError(f"比较值应为数值:{text[:40]}", "FES number literal") from None
    return text  # text, dates: the CQL2 compiler checks them against the property's type


def _envelope(element, crs: list[str]) -> dict:
    box = element.find(f"{GML}Envelope")
    if box is None:
        raise FesError("BBOX 应含 gml:Envelope", "FES envelope")
    try:
        a, b = (float(v) for v in box.findtext(f"{GML}lowerCorner").split())
        c, d = (float(v) for v in box.findtext(f"{GML}upperCorner").split())
    except (AttributeError, ValueError):
        raise FesError("gml:Envelope 的 lowerCorner/upperCorner 应各为两个数值", "FES corners") from None
    srs = box.get("srsName")
    if srs:
        if crs and crs[0] != srs:
            raise FesError("FILTER 中各 BBOX 的坐标系须一致", "FES mixed CRS")
        crs[:1] = [srs]
    ring = [[a, b], [c, b], [c, d], [a, d], [a, b]]
    return {"type": "Polygon", "coordinates": [ring]}
