"""GraphiQL works on a closed network: the IDE page references only this host, and every
file it (or a stylesheet it loads) references is served here, with the right type."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = {"Accept": "text/html"}
TYPES = {".js": "text/javascript", ".css": "text/css"}
URL = re.compile(r"""(?:https?:|wss?:)?//[^\s"'`)<>]+""")  # absolute or scheme-relative


class _Page(HTMLParser):
    """Every URL attribute, and the text of every inline script or import map."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, dict[str, str | None]]] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("src", "href"):
            if a.get(name) is not None:
                self.refs.append((tag, a[name] or "", a))
        self._in_script = tag == "script" and not a.get("src")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append(data)


@pytest.fixture
async def ide(settings, app) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app as `make run` serves it: GRAPHIQL on."""
    from server import create_app

    on = settings.model_copy(update={"graphiql": True})
    ide_app = create_app(on)
    # the database is already open in this process: share the running app's state
    ide_app.state.rt, ide_app.state.settings = app.state.rt, on
    ide_app.state.broker, ide_app.state.relay = app.state.broker, app.state.relay
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=ide_app), base_url="http://t"
    ) as c:
        yield c


async def test_ide_page_loads_only_local_assets(ide):
    page = await ide.get("/graphql", headers=HTML)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    parsed = _Page()
    parsed.feed(page.text)
    assert URL.findall(page.text) == []  # nothing off-host, in attributes or scripts
    for text in parsed.inline:  # (there are none: the CSP below allows no inline script)
        assert URL.findall(text) == []
    local = [(tag, ref, a) for tag, ref, a in parsed.refs if not ref.startswith("data:")]
    scripts = {urlsplit(ref).path.rsplit("/", 1)[-1] for tag, ref, _ in local if tag == "script"}
    assert {"react.production.min.js", "graphiql.min.js", "index.umd.js"} <= scripts
    for _tag, ref, attrs in local:
        assert ref.startswith("/") and not ref.startswith("//"), ref
        asset = await ide.get(ref)
        path = urlsplit(ref).path
        assert asset.status_code == 200, ref
        assert asset.headers["content-type"].split(";")[0] == TYPES[Path(path).suffix], ref
        assert "immutable" in asset.headers["cache-control"], ref  # the URL has ?v=<hash>
        assert asset.headers["x-content-type-options"] == "nosniff"
        digest = base64.b64encode(hashlib.sha384(asset.content).digest()).decode()
        assert attrs["integrity"] == f"sha384-{digest}", ref  # the browser checks it too
        if path.endswith(".css"):  # fonts and images inside stylesheets: data: URLs only
            for target in re.findall(r"url\(\s*['\"]?([^'\")]+)", asset.text):
                assert target.startswith("data:"), (ref, target[:80])


async def test_the_ide_starts_and_queries_this_host(ide):
    """Our start-up script uses the page's own address, and nothing else off-host."""
    page = await ide.get("/graphql", headers=HTML)
    start = re.search(r'src="(/graphiql/loyalty-graphiql\.js\?v=\w+)"', page.text)
    assert start is not None
    script = (await ide.get(start.group(1))).text
    assert URL.findall(script) == []
    assert "window.location.href" in script and "explorerPlugin" in script
    assert "isHeadersEditorEnabled: true" in script  # the Authorization header editor


async def test_ide_page_sets_a_same_origin_content_security_policy(ide):
    page = await ide.get("/graphql", headers=HTML)
    policy = dict(
        d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";")
    )
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"  # no inline script, no CDN
    assert policy["connect-src"] == "'self'"  # the fetcher posts to this /graphql only
    assert page.headers["cache-control"] == "no-cache"  # new asset hashes reach the browser


async def test_assets_are_not_served_while_graphiql_is_off(client):
    for path in (
        "/graphiql/react-18.2.0/react.production.min.js",
        "/graphiql/loyalty-graphiql.js",
    ):
        assert (await client.get(path)).status_code == 404
    page = await client.get("/graphql", headers=HTML)
    assert "graphiql" not in page.text.lower()


async def test_only_files_of_the_asset_folder_are_served(ide):
    for path in ("/graphiql/", "/graphiql/missing.js", "/graphiql/%2e%2e/__init__.py"):
        assert (await ide.get(path)).status_code == 404, path


def test_an_installed_package_ships_the_page_and_assets(tmp_path):
    """`pip install .` (not editable) carries them: setuptools' build of a clean copy."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "server.py", "serving.py"):
        shutil.copy(ROOT / name, src / name)
    junk = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "resolvers", src / "resolvers", ignore=junk)
    built = tmp_path / "lib"
    setup = "from setuptools import setup; setup()"
    subprocess.run(
        [sys.executable, "-c", setup, "-q", "build_py", "--build-lib", str(built)],
        cwd=src,
        check=True,
        capture_output=True,
    )
    package = ROOT / "resolvers" / "graphiql"
    wanted = {
        p.relative_to(package)
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    installed = built / "resolvers" / "graphiql"
    shipped = {p.relative_to(installed) for p in installed.rglob("*") if p.is_file()}
    assert Path("page.html") in wanted and Path("assets/graphiql-3.8.3/graphiql.min.js") in wanted
    assert wanted - shipped == set()
