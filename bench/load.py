"""A closed-loop HTTP load generator, run in its own process so it never shares a CPU
budget with what it measures: ``--connections`` workers each post, wait for the answer,
post again, until ``--duration`` seconds are over. Prints one JSON object: requests,
errors (non-200, a GraphQL ``errors`` key or a typed ``…Error`` answer), req/s, p50
and p99 latency in ms.

    python -m bench.load --url http://127.0.0.1:8000/graphql --requests-file reqs.json
where the file holds a list of {"token", "body"} cycled through by the workers. In a
body, ``@N@`` becomes ``<--tag>-<request number>``: a fresh order number per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import aiohttp


async def run(url: str, requests: list[dict], duration: float, connections: int, tag: str) -> dict:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**12))
    deadline = time.perf_counter() + duration
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                n = next(counter)
                r = requests[n % len(requests)]
                body = r["body"]
                if r["unique"]:
                    body = body.replace(b"@N@", f"{tag}-{n}".encode())
                started = time.perf_counter()
                async with session.post(
                    url,
                    data=body,
                    headers={
                        "Authorization": f"Bearer {r['token']}",
                        "Content-Type": "application/json",
                    },
                ) as resp:
                    payload = await resp.read()
                latencies.append(time.perf_counter() - started)
                if resp.status != 200 or b'"errors"' in payload or b'Error"' in payload:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--requests-file", required=True)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--tag", default="", help="prefix of the @N@ order numbers")
    a = p.parse_args()
    with open(a.requests_file) as f:
        requests = json.load(f)
    for r in requests:
        r["body"] = json.dumps(r["body"]).encode()
        r["unique"] = b"@N@" in r["body"]
    print(json.dumps(asyncio.run(run(a.url, requests, a.duration, a.connections, a.tag))))


if __name__ == "__main__":
    main()
