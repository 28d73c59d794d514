"""The 一张图 web application: the front end built by ``scripts/build_web.sh`` served at ``/app/``.

``/`` opens it (a newcomer's first address is the app); the OGC API landing page is ``/ogc`` and the
Chinese catalog page ``/catalog``.

Same origin as the API, so the session cookie (SameSite=Strict) and the CSP ``default-src 'self'`` hold.
The one exception is optional: with a 天地图 key configured (``ONEMAP_WEB_TIANDITU_KEY``), the app pages'
CSP also lets images come from the 天地图 tile hosts, and ``/api/webapp/config`` tells the app to draw them.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.responses import Response
from starlette.types import Scope

from onemap.api.hardening import SECURE_HEADERS
from onemap.config import get_settings
from onemap.localtime import zone_label

DIST = Path(__file__).parent / "webapp_dist"
MISSING = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>一张图</title>
<p>前端尚未构建:请运行 <code>bash scripts/build_web.sh</code>(或 <code>bash scripts/setup.sh</code>)。</p></html>"""




class WebAppSettings(BaseSettings):
    """Settings of the web app (``ONEMAP_WEB_*``). Without a 天地图 key nothing is requested off-origin."""

    model_config = SettingsConfigDict(env_prefix="ONEMAP_WEB_", env_file=".env", extra="ignore")

    tianditu_key: str = Field("", description="天地图 browser key (tk); empty: no 天地图 base map (default)")
    tianditu_url: str = Field("https://t{0-7}.tianditu.gov.cn", description="天地图 tile hosts, {0-7}: subdomains")

    def tianditu_hosts(self) -> list[str]:
        """The tile hosts, one per subdomain."""
        if "{0-7}" not in self.tianditu_url:
            return [self.tianditu_url]
        return [self.tianditu_url.replace("{0-7}", str(i)) for i in range(8)]

    def content_security_policy(self) -> str:
        """The app pages' CSP: the platform's, with the 天地图 hosts as image sources when a key is set."""
        policy = SECURE_HEADERS["Content-Security-Policy"]
        if not self.tianditu_key:
            return policy
        hosts = " ".join(self.tianditu_hosts())
        return policy.replace("img-src 'self' data: blob:", f"img-src 'self' data: blob: {hosts}")


class _AppFiles(StaticFiles):
    """The built files, with the app's CSP on every response."""

    def __init__(self, *, policy: str, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.policy = policy

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers["Content-Security-Policy"] = self.policy
        return response


def mount_webapp(app: FastAPI, folder: Path = DIST, settings: WebAppSettings | None = None) -> None:
    """Serve the built front end at ``/app/`` (a Chinese hint page when it has not been built)."""
    settings = settings or WebAppSettings()

    @app.get("/api/webapp/config", tags=["一张图应用"], summary="一张图应用配置(本节点时区、可选的天地图底图)")
    def webapp_config() -> dict:
        # every time the app shows is in the node's zone (ONEMAP_TIME_ZONE), not the browser's
        zone = {"time_zone": get_settings().time_zone, "time_zone_label": zone_label()}
        if not settings.tianditu_key:
            return {"tianditu": None, **zone}
        return {"tianditu": {"key": settings.tianditu_key, "url": settings.tianditu_url}, **zone}

    @app.get("/", include_in_schema=False)
    @app.get("/app", include_in_schema=False)
    def app_root() -> RedirectResponse:
        return RedirectResponse("/app/")

    if (folder / "index.html").is_file():
        app.mount("/app", _AppFiles(directory=folder, html=True, policy=settings.content_security_policy()),
                  name="webapp")
        return

    @app.get("/app/{path:path}", include_in_schema=False)
    def not_built(path: str) -> HTMLResponse:
        return HTMLResponse(MISSING, status_code=503)
