"""数据资源目录: the catalog as JSON and as a Chinese page (``/catalog``), filtered by who is asking.

``/`` is the web app (:mod:`onemap.api.webapp`); the OGC API landing page is ``/ogc``.
"""

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from onemap import __version__
from onemap.api.auth import current_user
from onemap.api.context import context, opened_store
from onemap.api.ogc.access import listed_layer
from onemap.catalog import access_marks, entry_record, listed_entries, shown_entry
from onemap.security import SecuritySettings, User
from onemap.store import CatalogEntry, Store

router = APIRouter()
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]


@router.get("/api/catalog", tags=["数据资源目录"], summary="数据资源目录(仅列出当前用户可见的图层)")
def catalog(request: Request, user: UserDep, store: StoreDep) -> list[dict[str, Any]]:
    security = context(request).security
    return [_record(e, user, security) for e in listed_entries(store, user, security)]


@router.get("/api/catalog/{name}", tags=["数据资源目录"], summary="单个图层的目录信息与版本历史")
def catalog_entry(name: str, request: Request, user: UserDep, store: StoreDep) -> dict[str, Any]:
    entry = listed_layer(request, store, user, name)
    return _record(entry, user, context(request).security)


def _record(entry: CatalogEntry, user: User, security: SecuritySettings) -> dict[str, Any]:
    """A catalog record as ``user`` may see it, with what they may open of the layer (``access``)."""
    return {**entry_record(shown_entry(entry, user, security)), "access": access_marks(entry, user, security)}


@router.get("/catalog", response_class=HTMLResponse, include_in_schema=False)
def landing(request: Request, user: UserDep, store: StoreDep) -> HTMLResponse:
    ctx = context(request)
    records = [entry_record(shown_entry(e, user, ctx.security)) for e in listed_entries(store, user, ctx.security)]
    page = {"node": ctx.settings.node_name, "records": records, "version": __version__, "user": user}
    return TEMPLATES.TemplateResponse(request, "landing.html", page)
