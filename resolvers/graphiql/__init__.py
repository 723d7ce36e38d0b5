"""GraphiQL from this package, so the IDE works on a closed network: the page that
``GET /graphql`` renders when GRAPHIQL is on, and the vendored assets it loads, served
under ``/graphiql/`` (what they are and how to update them: README.md beside this file)."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
from pathlib import Path

from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

HERE = Path(__file__).parent
ASSETS = HERE / "assets"
PREFIX = "/graphiql"

# Asset URLs carry a hash of their content (?v=...), so a browser may keep them for good.
CACHE_FOREVER = "public, max-age=31536000, immutable"
# Only this host; styles may be inline because GraphiQL's CSS-in-JS (emotion) writes
# <style> elements; fonts and the favicon are data: URLs.
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)


class _Assets(StaticFiles):
    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = CACHE_FOREVER
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def routes(enabled: bool) -> list[BaseRoute]:
    """The assets' route, only while the IDE is served (GRAPHIQL)."""
    return [Mount(PREFIX, app=_Assets(directory=ASSETS), name="graphiql")] if enabled else []


async def render_ide(view: object, request: object) -> Response:
    """strawberry's ``GraphQL.render_graphql_ide`` hook: the IDE page, local URLs only."""
    return HTMLResponse(
        _html(),
        headers={
            "Content-Security-Policy": CSP,
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


@functools.cache
def _html() -> str:
    """page.html with each ``"@/name"`` made ``"/graphiql/name?v=<hash>"`` plus its
    subresource-integrity hash, read once per process."""

    def local(match: re.Match[str]) -> str:
        attr, name = match.group(1), match.group(2)
        body = (ASSETS / name).read_bytes()
        version = hashlib.sha256(body).hexdigest()[:16]
        integrity = base64.b64encode(hashlib.sha384(body).digest()).decode()
        return f'{attr}="{PREFIX}/{name}?v={version}" integrity="sha384-{integrity}"'

    return re.sub(r'\b(src|href)="@/([^"]+)"', local, (HERE / "page.html").read_text())
