"""The FastAPI application: assembles routers, security and hardening over the domain core.

No ``from __future__ import annotations`` in the api package: FastAPI must see the real
``Annotated`` dependencies.
"""

from fastapi import FastAPI, Request

from onemap import __version__
from onemap.api import errors, hardening
from onemap.api.context import AppContext
from onemap.api.ogc import common as ogc_common
from onemap.api.ogc import features as ogc_features
from onemap.api.ogc import processes as ogc_processes
from onemap.api.ogc import records as ogc_records
from onemap.api.ogc import tiles as ogc_tiles
from onemap.api.ogc import wmts as ogc_wmts
from onemap.api.routes import audit, auth, catalog, documents, imports, maps, projects, qc
from onemap.api.webapp import mount_webapp
from onemap.config import Settings, get_settings
from onemap.records import open_records
from onemap.records.database import default_records_url
from onemap.security.deployment import assert_deployable
from onemap.security.settings import SecuritySettings, get_security_settings
from onemap.services.tiles import TileCache
from onemap.store import open_store


def create_app(store_url: str | None = None, *, records_url: str | None = None, settings: Settings | None = None,
               security: SecuritySettings | None = None) -> FastAPI:
    """The application serving one node: its store and its records database.

    Refuses to start with a placeholder secret outside development mode (``onemap config check``).
    """
    settings = settings or get_settings()
    security = security or get_security_settings()
    assert_deployable(security)
    url = store_url or settings.store_url
    open_store(url).close()  # create the embedded store now, fail fast on a bad URL
    ctx = AppContext(url, open_records(records_url or default_records_url(settings)), settings, security,
                     TileCache(settings.data_dir / "tiles"))
    app = FastAPI(title="onemap 国土空间规划“一张图”", version=__version__,
                  description="国土空间基础信息平台与“一张图”实施监督信息系统的服务接口。",
                  lifespan=ogc_processes.lifespan)  # the job runner starts and stops with the server
    app.state.ctx = ctx
    errors.install(app)
    hardening.install(app, body_limit=settings.body_limit, upload_limit=settings.upload_limit,
                      upload_paths=(imports.router.prefix, qc.router.prefix))
    routers = (auth.router, catalog.router, imports.router, qc.router, audit.router, ogc_common.router,
               ogc_records.router, ogc_features.router, ogc_tiles.router, ogc_wmts.router,
               ogc_processes.router, projects.router, maps.router, documents.router)
    for router in routers:  # records before features: /ogc/collections/catalog is the record collection
        app.include_router(router)

    mount_webapp(app)

    @app.get("/api/health", tags=["系统"], summary="健康检查")
    def health(request: Request) -> dict[str, str]:
        return {"status": "ok", "version": __version__, "edition": request.app.state.ctx.security.edition}

    return app
