"""The address per-IP limits count comes from TRUSTED_PROXY_HOPS alone, in the real
server process: uvicorn does not rewrite it from X-Forwarded-For on its own."""

from __future__ import annotations

import secrets
import subprocess

import httpx
import pytest

from tests.conftest import ROOT
from tests.processes import LOYALTY, OTP, clean_env, free_port, running

pytestmark = [pytest.mark.e2e, pytest.mark.backend("sqlite")]


def test_a_spoofed_forwarded_for_does_not_reset_the_per_ip_limit(tmp_path):
    env = clean_env(
        VAR_DIR=str(tmp_path), DEMO_DATA="false", OTP_MAX_PER_IP_PER_HOUR="2", LOG_JSON="false"
    )
    env.pop("TRUSTED_PROXY_HOPS", None)  # the default: no proxy in front
    env.pop("FORWARDED_ALLOW_IPS", None)  # uvicorn's default then trusts 127.0.0.1
    migrated = subprocess.run(
        [LOYALTY, "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    argv = [LOYALTY, "serve", "--port", str(port)]
    with running(argv, env, port, tmp_path / "server.log") as base:
        answers = []
        for n in range(3):
            r = httpx.post(
                f"{base}/graphql",
                json={"query": OTP, "variables": {"p": f"+86134{secrets.randbelow(10**8):08d}"}},
                headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},  # a new "address" each time
                timeout=10,
            )
            answers.append(r.json()["data"]["otpRequest"]["__typename"])
    assert answers == ["OtpRequestSuccess", "OtpRequestSuccess", "RateLimitedError"]
