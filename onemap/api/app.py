"""The FastAPI application: assembles routers, security and hardening over the domain core.

No ``from __future__ import annotations`` in the api package: FastAPI must see the real
``Annotated`` dependencies.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from onemap import __version__
from onemap.api import errors, hardening
from onemap.api.context import AppContext
from onemap.api.fastpath import CachedTiles
from onemap.api.ogc import common as ogc_common
from onemap.api.ogc import features as ogc_features
from onemap.api.ogc import openapi as ogc_openapi
from onemap.api.ogc import processes as ogc_processes
from onemap.api.ogc import records as ogc_records
from onemap.api.ogc import tiles as ogc_tiles
from onemap.api.ogc import wfs as ogc_wfs
from onemap.api.ogc import wmts as ogc_wmts
from onemap.api.overload import LoadShedding
from onemap.api.routes import (
    admin,
    assessment,
    audit,
    auth,
    carrying,
    catalog,
    classification,
    documents,
    imports,
    indicators,
    maps,
    monitoring,
    projects,
    qc,
    versions,
)
from onemap.api.serving import ServeSettings, get_serve_settings
from onemap.api.session_cache import SessionCache
from onemap.api.stores import StorePool
from onemap.api.webapp import mount_webapp
from onemap.config import Settings, get_settings
from onemap.indicators.plan_table import MAX_BYTES as PLAN_TABLE_BYTES
from onemap.monitoring.attachments import MAX_ATTACHMENT_BYTES
from onemap.monitoring.service import Monitoring
from onemap.records import open_records
from onemap.records.database import default_records_url
from onemap.review.compliance.context import warm_up_in_background
from onemap.security.deployment import assert_deployable
from onemap.security.read_audit import ReadAudit
from onemap.security.session_epoch import epoch_path
from onemap.security.settings import SecuritySettings, get_security_settings
from onemap.services.processes.registry import load as load_processes
from onemap.services.tiles import TileCache
from onemap.store import open_store

log = logging.getLogger(__name__)
FORM_OVERHEAD = 64 * 1024  # a multipart form around its one file

def _prepare(ctx: AppContext) -> None:
    """What must be whole before the first request: the process registry (built-ins and plug-ins, so no
    request or recovered job sees a half-loaded one), and no plaintext staging copy left by a killed import."""
    load_processes()
    with ctx.stores.store() as store:
        removed = store.remove_leftovers()
    if removed:
        log.warning("removed %d staging folders left by stopped imports", len(removed))


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Before the server accepts requests: :func:`_prepare`. The job runner and the read-audit flusher start
    and stop with the server; pooled stores close; the review layers are read in the background
    (``ServeSettings.warm_review``)."""
    ctx: AppContext = app.state.ctx
    _prepare(ctx)
    ctx.reads.start()
    ctx.monitoring.start()  # subscribes to the node's monitoring topics (ONEMAP_MONITORING_SUBSCRIBE)
    if ctx.serve.warm_review:
        warm_up_in_background(ctx.store_url)
    try:
        async with ogc_processes.lifespan(app):
            yield
    finally:
        ctx.reads.stop()
        ctx.monitoring.stop()
        ctx.stores.close()


def create_app(store_url: str | None = None, *, records_url: str | None = None, settings: Settings | None = None,
               security: SecuritySettings | None = None, serve: ServeSettings | None = None) -> FastAPI:
    """The application serving one node: its store and its records database.

    Refuses to start with a placeholder secret outside development mode (``onemap config check``).
    """
    settings = settings or get_settings()
    security = security or get_security_settings()
    assert_deployable(security)
    url = store_url or settings.store_url
    open_store(url).close()  # create the embedded store now, fail fast on a bad URL
    serve = serve or get_serve_settings()
    records = open_records(records_url or default_records_url(settings))
    ctx = AppContext(url, records, settings, security, TileCache(settings.data_dir / "tiles"), serve,
                     StorePool(url, serve.store_pool_size, fresh_catalog=serve.catalog_cache_seconds <= 0),
                     SessionCache(serve.auth_cache_seconds, epoch_path(records)), ReadAudit(records),
                     monitoring=Monitoring(records, url, settings))
    app = FastAPI(title="onemap 国土空间规划“一张图”", version=__version__,
                  description="国土空间基础信息平台与“一张图”实施监督信息系统的服务接口。",
                  lifespan=lifespan)
    app.state.ctx = ctx
    errors.install(app)
    hardening.install(app, body_limit=settings.body_limit, upload_limit=settings.upload_limit,
                      upload_paths=(imports.router.prefix, qc.router.prefix),
                      limits={monitoring.HANDLE_PATH: MAX_ATTACHMENT_BYTES + FORM_OVERHEAD,
                              indicators.PLAN_TABLE_PATH: PLAN_TABLE_BYTES + FORM_OVERHEAD})
    # A bounded number of requests in flight, 503 + Retry-After beyond it; inside the fast path, which is not counted.
    app.add_middleware(LoadShedding, limit=serve.max_in_flight, retry_after=serve.overload_retry_seconds,
                       client_limit=serve.max_in_flight_per_client)
    app.add_middleware(CachedTiles)  # outermost: a cached tile is answered before anything else runs
    if settings.cors_origins:  # off by default; only the configured origins, never "*"
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type", "Accept"],
                           expose_headers=["Content-Crs", "Link", "OGC-NumberReturned"])
    routers = (auth.router, catalog.router, imports.router, qc.router, audit.router, ogc_common.router,
               ogc_records.router, ogc_features.router, ogc_tiles.router, ogc_wmts.router, ogc_wfs.router,
               ogc_processes.router, projects.router, maps.router, documents.router, classification.router,
               admin.router, versions.router, monitoring.router,
               indicators.router, assessment.router, carrying.router)
    for router in routers:  # records before features: /ogc/collections/catalog is the record collection
        app.include_router(router)

    mount_webapp(app)
    ogc_openapi.install(app)

    @app.get("/api/health", tags=["系统"], summary="健康检查")
    async def health(request: Request) -> dict[str, str]:  # async: answered even when every thread is busy
        return {"status": "ok", "version": __version__, "edition": request.app.state.ctx.security.edition}

    return app


def app_from_environment() -> FastAPI:
    """The application factory of ``onemap serve`` (each worker process calls it): store from
    ``ONEMAP_STORE``, records database from ``ONEMAP_RECORDS_URL``, the rest from the settings."""
    serve = get_serve_settings()  # read now, not from a cache filled before ``onemap serve`` set the variables
    return create_app(Settings().store_url, records_url=serve.records_url, serve=serve)
