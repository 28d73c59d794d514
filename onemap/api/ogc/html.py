"""HTML encodings (Chinese pages) of the OGC API: chosen by ``f=html`` or a browser's ``Accept: text/html``.

JSON stays the default for every other client (GDAL, QGIS, OWSLib send no ``text/html`` preference).
Pages are Jinja2 templates with autoescaping on: every value shown (layer titles, attributes) is user data.
No script and no off-origin resource is used, so the CSP ``default-src 'self'`` holds; the page map is
inline SVG.
"""

from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse

from onemap.api.ogc.html_svg import svg_map

HTML = "text/html"
GEOJSON = "application/geo+json"
FORMAT_DESCRIPTION = "输出格式:json(默认)或 html(网页);浏览器(Accept: text/html)默认得到网页"
HTML_RESPONSE = {200: {"content": {HTML: {"schema": {"type": "string"}}},
                       "description": "JSON(默认)或网页(f=html / Accept: text/html)"}}
_JSON_TYPES = ("application/json", "application/geo+json", "application/schema+json")
_ENV = jinja2.Environment(loader=jinja2.PackageLoader("onemap.api", "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True)


def _accepted(accept: str) -> list[tuple[str, float]]:
    """The media ranges of an ``Accept`` header with their quality (RFC 9110 §12.5.1)."""
    ranges = []
    for part in accept.split(",")[:50]:
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = max(0.0, min(1.0, float(value)))
                except ValueError:
                    quality = 0.0
        if media:
            ranges.append((media.lower(), quality))
    return ranges


def _quality(ranges: list[tuple[str, float]], media: str) -> float:
    """The quality of ``media`` by its most specific matching range (0 when none matches)."""
    kind = media.split("/")[0]
    best, rank = 0.0, -1
    for candidate, quality in ranges:
        specificity = 2 if candidate == media else 1 if candidate == f"{kind}/*" else 0 if candidate == "*/*" else -1
        if specificity > rank:
            best, rank = quality, specificity
    return best if rank >= 0 else 0.0


def wants_html(request: Request, f: str | None) -> bool:
    """An explicit ``f`` decides; otherwise HTML only when the client prefers ``text/html`` to JSON."""
    if f is not None:
        return f == "html"
    ranges = _accepted(request.headers.get("accept", ""))
    html = _quality(ranges, HTML)
    return html > 0 and html > max(_quality(ranges, media) for media in _JSON_TYPES)


def format_url(request: Request, fmt: str) -> str:
    """The current URL (absolute, all its parameters) with ``f`` set to ``fmt``."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "f"]
    query.append(("f", fmt))
    return str(request.url.replace(query=urlencode(query)))


def alternate(request: Request) -> list[dict]:
    """The link a JSON document adds: this resource as a web page (``alternate``, text/html)."""
    return [{"href": format_url(request, "html"), "rel": "alternate", "type": HTML, "title": "网页"}]


def _page_links(request: Request, media: str, links: Iterable[dict]) -> list[dict]:
    """A page's links: ``self`` (text/html), ``alternate`` (the JSON encoding), then the document's others."""
    own = [{"href": format_url(request, "html"), "rel": "self", "type": HTML, "title": "本页"},
           {"href": format_url(request, "json"), "rel": "alternate", "type": media, "title": "JSON"}]
    return own + [_paging_as_html(x) for x in links if x.get("rel") not in ("self", "alternate")]


def _paging_as_html(link: dict) -> dict:
    """On a page, the next/prev links lead to the next/prev page (text/html), not to the JSON."""
    if link.get("rel") not in ("next", "prev"):
        return link
    return {**link, "href": _as_html(link["href"]), "type": HTML}


def render(request: Request, template: str, *, title: str, media: str = "application/json",
           links: Iterable[dict] = (), **context: object) -> HTMLResponse:
    """A page of ``template`` (under ``templates/ogc``) with the self/alternate links of this resource."""
    page = _ENV.get_template(f"ogc/{template}")
    body = page.render(title=title, links=_page_links(request, media, links), base=str(request.base_url).rstrip("/"),
                       **context)
    return HTMLResponse(body, headers={"Vary": "Accept"})


def respond(request: Request, f: str | None, body: dict, template: str, *, title: str,
            media: str = "application/json", response: type[JSONResponse] = JSONResponse,
            headers: dict[str, str] | None = None, **context: object) -> HTMLResponse | JSONResponse:
    """The document as JSON (with an ``alternate`` link to its page) or as the page a browser asked for."""
    if wants_html(request, f):
        return render(request, template, title=title, media=media, links=body.get("links", ()), doc=body, **context)
    links = body.get("links", [])
    if not any(x.get("rel") == "alternate" and x.get("type") == HTML for x in links):
        links = [*links, *alternate(request)]
    body["links"] = links
    return response(body, media_type=media, headers={"Vary": "Accept", **(headers or {})})


def _code_titles(schema: dict) -> dict[str, str]:
    return {choice["const"]: choice["title"] for choice in schema.get("oneOf", ()) if "const" in choice}


def attribute_columns(queryables: dict, features: list[dict]) -> list[dict]:
    """The table columns of a feature page: name, Chinese title and code names (0101 → 水田), in layer order."""
    present = {name for feature in features for name in (feature.get("properties") or {})}
    return [{"name": name, "title": schema.get("title", name), "codes": _code_titles(schema)}
            for name, schema in queryables.get("properties", {}).items()
            if name != "geometry" and (not features or name in present)]


def cell(value: object, codes: dict[str, str]) -> str:
    """An attribute shown in a table cell: a code with its name (``0101 水田``), empty for null."""
    if value is None:
        return ""
    text = str(value)
    return f"{text} {codes[text]}" if text in codes else text


def feature_map(features: list[dict], *, swap: bool, href: str = "") -> dict | None:
    """The SVG map of ``features`` (``href``: link of each shape, ``{id}`` replaced by the feature id)."""
    return svg_map(features, swap=swap, href=href)


_ENV.globals["cell"] = cell
_ENV.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}  # Chinese titles stay readable


def items_page(request: Request, body: dict, queryables: dict, *, layer: str, swap: bool) -> HTMLResponse:
    """The page of ``/collections/{layer}/items``: a map of the page's features and their attribute table."""
    base = str(request.base_url).rstrip("/") + f"/ogc/collections/{quote(layer, safe='')}"
    item_href = f"{base}/items/{{id}}?f=html"
    features = body["features"]
    next_link = next((x["href"] for x in body["links"] if x["rel"] == "next"), None)  # made text/html below
    return render(request, "items.html", title=f"{queryables.get('title') or layer} · 要素", media=GEOJSON,
                  links=body["links"], doc=body, columns=attribute_columns(queryables, features),
                  map=feature_map(features, swap=swap, href=item_href), item_href=item_href,
                  first=_first_page(request), next=_as_html(next_link) if next_link else None)


def item_page(request: Request, body: dict, queryables: dict, *, layer: str, swap: bool) -> HTMLResponse:
    """The page of one feature: its map and its attributes with Chinese names."""
    collection_href = str(request.base_url).rstrip("/") + f"/ogc/collections/{quote(layer, safe='')}?f=html"
    return render(request, "item.html", title=f"{queryables.get('title') or layer} · {body.get('id')}",
                  media=GEOJSON, links=body["links"], doc=body,
                  columns=attribute_columns(queryables, [body]), map=feature_map([body], swap=swap),
                  layer_title=queryables.get("title") or layer,
                  collection_href=collection_href)


def _first_page(request: Request) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("after", "version", "f")]
    return str(request.url.replace(query=urlencode([*query, ("f", "html")])))


def _as_html(href: str) -> str:
    parts = urlsplit(href)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "f"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("f", "html")])))
