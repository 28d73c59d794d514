"""The FastAPI application: catalog (数据资源目录) as JSON and a Chinese landing page.

No ``from __future__ import annotations`` here: FastAPI must see the real ``Annotated`` dependencies
declared inside ``create_app``.
"""


from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from onemap import __version__
from onemap.api import errors
from onemap.catalog import catalog_records, entry_record
from onemap.config import get_settings
from onemap.store import Store, open_store

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_app(store_url: str | None = None) -> FastAPI:
    """The application serving the store at ``store_url`` (default: the node's embedded store)."""
    url = store_url or get_settings().store_url
    app = FastAPI(title="onemap 国土空间规划“一张图”", version=__version__,
                  description="国土空间基础信息平台与“一张图”实施监督信息系统的服务接口。")
    errors.install(app)
    open_store(url).close()  # create the embedded store now, fail fast on a bad URL

    def store() -> Iterator[Store]:
        with open_store(url) as opened:
            yield opened

    StoreDep = Annotated[Store, Depends(store)]

    @app.get("/api/health", tags=["系统"], summary="健康检查")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/api/catalog", tags=["数据资源目录"], summary="数据资源目录")
    def catalog(opened: StoreDep) -> list[dict[str, Any]]:
        return catalog_records(opened)

    @app.get("/api/catalog/{name}", tags=["数据资源目录"], summary="单个图层的目录信息与版本历史")
    def catalog_entry(name: str, opened: StoreDep) -> dict[str, Any]:
        return entry_record(opened.entry(name))

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def landing(request: Request, opened: StoreDep) -> HTMLResponse:
        context = {"node": get_settings().node_name, "records": catalog_records(opened), "version": __version__}
        return TEMPLATES.TemplateResponse(request, "landing.html", context)

    return app
