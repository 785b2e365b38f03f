"""The simulator behind an authenticating reverse proxy (Basic credentials or a token)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
import re
import sys

import aiohttp
import pytest

from tests.simulator import ProxyAuth, Simulator
from tests.simulator.testing import ManualClock, running_simulator

API = "/api/v1"
REPO_ROOT = Path(__file__).resolve().parents[1]
BASIC_OK = {"Authorization": aiohttp.encode_basic_auth("admin", "s3cret")}
BASIC_WRONG = {"Authorization": aiohttp.encode_basic_auth("admin", "guess")}


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def status_of(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
) -> int:
    async with session.get(url, headers=headers) as response:
        return response.status


async def test_basic_auth_guards_every_route(session: aiohttp.ClientSession) -> None:
    async with running_simulator(auth=("admin", "s3cret")) as sim:
        printer = sim.printer(0)
        for path in (
            f"{API}/health",
            f"{API}/printers",
            f"{API}/printers/{printer.id}/status",
            f"{API}/printers/{printer.id}/camera/preview",
            "/nothing-here",
        ):
            async with session.get(sim.url + path) as response:
                assert response.status == 401, path
                assert response.headers["WWW-Authenticate"] == (
                    'Basic realm="Printernizer"'
                )
                assert response.headers["Content-Type"] == "text/html"
                assert response.headers["Server"] == "nginx"
                # The proxy's own page: no envelope, no server headers.
                assert "X-Timezone" not in response.headers
                assert "X-RateLimit-Limit" not in response.headers
                assert "401 Authorization Required" in await response.text()
        async with session.get(f"{sim.url}{API}/health", headers=BASIC_OK) as response:
            assert response.status == 200
            assert response.headers["Server"] == "uvicorn"
            assert (await response.json())["status"] == "healthy"
        async with session.post(
            f"{sim.url}{API}/printers/{printer.id}/pause", headers=BASIC_OK
        ) as response:
            assert response.status == 503  # the server's own answer: nothing to pause
        async with session.get(
            f"{sim.url}{API}/health", headers=BASIC_WRONG
        ) as response:
            assert response.status == 401
            assert "WWW-Authenticate" in response.headers
        # Another scheme, or garbage, is wrong credentials as well.
        for header in ("Bearer s3cret", "Basic !!!", "Basic"):
            assert (
                await status_of(
                    session, f"{sim.url}{API}/health", {"Authorization": header}
                )
                == 401
            ), header


async def test_rejected_requests_are_recorded_and_cost_no_tokens(
    session: aiohttp.ClientSession,
) -> None:
    async with running_simulator(auth=("admin", "s3cret"), clock=ManualClock()) as sim:
        url = f"{sim.url}{API}/readiness"
        for _ in range(130):
            assert await status_of(session, url) == 401
        # The proxy answered all of them; the server's bucket is untouched.
        async with session.get(url, headers=BASIC_OK) as response:
            assert response.status == 200
            assert response.headers["X-RateLimit-Remaining"] == "119"
        assert len(sim.requests) == 131
        assert sum(r.auth_rejected for r in sim.requests) == 130
        assert sim.requests[-1].authorization == BASIC_OK["Authorization"]
        assert sim.requests[0].authorization is None


async def test_bearer_token_and_forbidden_variant(
    session: aiohttp.ClientSession,
) -> None:
    async with running_simulator(auth="tok-123", auth_failure_status=403) as sim:
        url = f"{sim.url}{API}/health"
        async with session.get(url) as response:
            # Missing credentials always get the challenge.
            assert response.status == 401
            assert response.headers["WWW-Authenticate"] == 'Bearer realm="Printernizer"'
        async with session.get(
            url, headers={"Authorization": "Bearer wrong"}
        ) as response:
            assert response.status == 403
            assert "WWW-Authenticate" not in response.headers
            assert "403 Forbidden" in await response.text()
        assert await status_of(session, url, {"Authorization": "Bearer tok-123"}) == 200
        assert await status_of(session, url, {"Authorization": "bearer tok-123"}) == 200
        sim.set_auth("tok-123")
        async with session.get(
            url, headers={"Authorization": "Bearer wrong"}
        ) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"] == (
                'Bearer realm="Printernizer", error="invalid_token"'
            )


async def test_websocket_handshake_needs_credentials(
    session: aiohttp.ClientSession,
) -> None:
    async with running_simulator(auth=("admin", "s3cret")) as sim:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(sim.ws_url)
        assert refused.value.status == 401
        assert sim.ws_clients == 0
        async with session.ws_connect(sim.ws_url, headers=BASIC_OK) as ws:
            await ws.send_json({"type": "ping"})
            assert (await ws.receive_json(timeout=2)) == {"type": "pong"}


async def test_auth_changes_while_running(session: aiohttp.ClientSession) -> None:
    async with running_simulator() as sim:
        health = f"{sim.url}{API}/health"
        control = f"{sim.url}/_simulator"
        assert await status_of(session, health) == 200
        async with session.post(
            f"{control}/auth", json={"username": "admin", "password": "s3cret"}
        ) as response:
            assert response.status == 200
            assert (await response.json())["auth"] == {
                "scheme": "basic",
                "username": "admin",
                "failure_status": 401,
            }
        assert await status_of(session, health) == 401
        assert await status_of(session, health, BASIC_OK) == 200
        # The control API stays reachable without credentials.
        async with session.get(f"{control}/state") as response:
            assert response.status == 200
            assert (await response.json())["auth"]["scheme"] == "basic"
        async with session.post(
            f"{control}/auth", json={"token": "t0k", "failure_status": 403}
        ) as response:
            assert response.status == 200
        assert await status_of(session, health, BASIC_OK) == 403
        assert await status_of(session, health, {"Authorization": "Bearer t0k"}) == 200
        async with session.post(f"{control}/auth", json={}) as response:
            assert (await response.json()) == {"auth": None}
        assert await status_of(session, health) == 200
        async with session.post(
            f"{control}/auth", json={"token": "x", "failure_status": 500}
        ) as response:
            assert response.status == 400
        sim.set_auth(("admin", "s3cret"))
        assert await status_of(session, health) == 401
        sim.set_auth(None)
        assert await status_of(session, health) == 200


def test_proxy_auth_configuration() -> None:
    basic = ProxyAuth.from_option(("admin", "s3cret"))
    assert basic.scheme == "Basic"
    assert basic.header_value() == BASIC_OK["Authorization"]
    assert basic.rejection_status(BASIC_OK["Authorization"]) is None
    assert basic.rejection_status(None) == 401
    assert ProxyAuth.from_option("tok").header_value() == "Bearer tok"
    assert "s3cret" not in repr(basic.describe())
    for bad in (
        {},
        {"username": "a"},
        {"username": "a", "password": "b", "token": "c"},
        {"token": "c", "failure_status": 500},
    ):
        with pytest.raises(ValueError, match=r"give either|needs|failure_status"):
            ProxyAuth(**bad)  # type: ignore[arg-type]


async def test_command_line_auth_and_fresh(session: aiohttp.ClientSession) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.simulator",
        "--port",
        "0",
        "--auth",
        "admin:s3cret",
        "--fresh",
        "--cameras",
        "none",
        "--no-analytics",
        "--currency",
        "CHF",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        url = match.group(0)
        assert await status_of(session, f"{url}{API}/health") == 401
        async with session.get(f"{url}{API}/library/files", headers=BASIC_OK) as r:
            assert (await r.json())["files"] == []
        async with session.get(
            f"{url}{API}/settings/application", headers=BASIC_OK
        ) as r:
            assert (await r.json())["currency"] == "CHF"
        assert (
            await status_of(session, f"{url}{API}/materials", headers=BASIC_OK) == 404
        )
        async with session.get(f"{url}/_simulator/state") as r:
            state = await r.json()
        printer_id = state["printers"][0]["id"]
        async with session.get(
            f"{url}{API}/printers/{printer_id}/camera/status", headers=BASIC_OK
        ) as r:
            assert (await r.json())["has_camera"] is False
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_command_line_rejects_auth_without_password() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.simulator",
        "--auth",
        "admin",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode != 0
    assert b"USER:PASSWORD" in stderr


def test_simulator_rejects_bad_auth_options() -> None:
    with pytest.raises(ValueError, match="failure_status"):
        Simulator(auth="t", auth_failure_status=418)
