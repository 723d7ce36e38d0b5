"""How long an oversize document takes to refuse: ``python -m bench.refusal``.

In-process (httpx over ASGI, embedded SQLite), median of ``--repeat`` requests per
document, with the default limits and with the old ones (no document length cap and no
token estimate before parsing, 5,000 tokens, 30 aliases), on the same machine in the same
run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

DOCUMENTS = {
    "5,000 duplicate fields (80 KB)": "{ " + "viewer { kind } " * 5_000 + "}",
    "9,000 tokens in 18 KB": "{ " + "a " * 9_000 + "}",
    "100 aliases": "{ " + " ".join(f"a{i}: viewer {{ kind }}" for i in range(100)) + " }",
    "member-home-sized query (control)": "{ viewer { kind } }",
}


async def measure(overrides: dict, repeat: int) -> dict[str, tuple[float, int]]:
    from domain import migrations
    from domain.config import Settings
    from server import create_app

    tmp = Path(tempfile.mkdtemp())
    settings = Settings(
        app_env="test", var_dir=tmp, log_level="ERROR", log_json=False, **overrides
    ).with_dev_secrets()
    await migrations.migrate(settings, progress=lambda _m: None)
    app = create_app(settings)
    out = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://b") as client:
            for name, query in DOCUMENTS.items():
                times = []
                for i in range(repeat):
                    body = {"query": query + " " * (i % 2)}  # two texts: no parser-cache hit
                    start = time.perf_counter()
                    r = await client.post("/graphql", json=body)
                    times.append((time.perf_counter() - start) * 1000)
                out[name] = (statistics.median(times), r.status_code)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    from schema import limits

    old = {"gql_max_document_chars": 1_000_000, "gql_max_tokens": 5_000, "gql_max_aliases": 30}
    estimate, limits.estimated_tokens = limits.estimated_tokens, lambda _doc: 0
    before = asyncio.run(measure(old, args.repeat))
    limits.estimated_tokens = estimate
    after = asyncio.run(measure({}, args.repeat))
    print(f"{'document':40} {'old limits':>12} {'defaults':>12}")
    for name in DOCUMENTS:
        print(f"{name:40} {before[name][0]:10.1f}ms {after[name][0]:10.1f}ms")


if __name__ == "__main__":
    main()
