"""The pages: the dashboard and an offline Swagger UI, every asset served by this process.

Swagger UI's JS and CSS come from the ``fastapi-offline`` wheel (FastAPI's default ``/docs``
loads them from a CDN, unreachable from many production networks); the dashboard's HTML, CSS and
JS are in ``engine/dashboard/``, its chart library (Chart.js, vendored: version, license and
hash in ``vendor/VENDORED.md``) in ``engine/dashboard/vendor/``.

Example:
    >>> sorted(p.name for p in DASHBOARD_DIR.iterdir())
    ['charts.js', 'dashboard.css', 'dashboard.js', 'index.html', 'vendor']
    >>> sorted(p.name for p in (DASHBOARD_DIR / "vendor").iterdir())
    ['VENDORED.md', 'chart.js.LICENSE.md', 'chart.umd.min.js']
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["DASHBOARD_DIR", "install_pages"]

DASHBOARD_DIR = Path(__file__).resolve().parent.parent / "dashboard"


def install_pages(app: FastAPI, refresh_s: float) -> None:
    """The dashboard and an offline Swagger UI; every asset is served from this process."""
    import fastapi_offline  # ships Swagger UI's JS/CSS, so /docs works with no CDN

    swagger_dir = Path(fastapi_offline.__file__).resolve().parent / "static"
    app.mount("/static/swagger", StaticFiles(directory=swagger_dir), name="swagger")
    app.mount("/static/dashboard", StaticFiles(directory=DASHBOARD_DIR), name="dashboard")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="offerbandit API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger/favicon.png")

    page = (DASHBOARD_DIR / "index.html").read_text().replace("{{REFRESH_MS}}",
                                                              str(int(refresh_s * 1000)))

    @app.get("/dashboard", include_in_schema=False)
    async def dashboard() -> HTMLResponse:
        return HTMLResponse(page)
