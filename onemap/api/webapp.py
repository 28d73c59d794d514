"""The 一张图 web application: the front end built by ``scripts/build_web.sh`` served at ``/app/``.

Same origin as the API, so the session cookie (SameSite=Strict) and the CSP ``default-src 'self'`` hold.
"""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

DIST = Path(__file__).parent / "webapp_dist"
MISSING = """<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>一张图</title>
<p>前端尚未构建:请运行 <code>bash scripts/build_web.sh</code>(或 <code>bash scripts/setup.sh</code>)。</p></html>"""


def mount_webapp(app: FastAPI, folder: Path = DIST) -> None:
    """Serve the built front end at ``/app/`` (a Chinese hint page when it has not been built)."""

    @app.get("/app", include_in_schema=False)
    def app_root() -> RedirectResponse:
        return RedirectResponse("/app/")

    if (folder / "index.html").is_file():
        app.mount("/app", StaticFiles(directory=folder, html=True), name="webapp")
        return

    @app.get("/app/{path:path}", include_in_schema=False)
    def not_built(path: str) -> HTMLResponse:
        return HTMLResponse(MISSING, status_code=503)
