"""Behaviour of the Printernizer simulator (tests/simulator) over real loopback sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import json
from pathlib import Path
import re
import signal
import sys
from typing import Any

import aiohttp
import pytest

from tests.simulator import Fault, FaultKind, SimPrinter, Simulator
from tests.simulator.__main__ import build_parser
from tests.simulator.png import png_size, thumbnail_png
from tests.simulator.testing import ManualClock, fresh_session, running_simulator

API = "/api/v1"
REPO_ROOT = Path(__file__).resolve().parents[1]
NAIVE_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$")


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    """A deterministic simulator with the default fleet (Bambu X1C, Prusa MK4)."""
    async with running_simulator(printers=2) as simulator:
        yield simulator


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session (keep-alive)."""
    async with aiohttp.ClientSession() as client:
        yield client


async def get_json(session: aiohttp.ClientSession, url: str, expect: int = 200) -> Any:
    async with session.get(url) as response:
        assert response.status == expect, await response.text()
        return await response.json()


async def post_json(
    session: aiohttp.ClientSession, url: str, data: Any = None, expect: int = 200
) -> Any:
    async with session.post(url, json=data) as response:
        assert response.status == expect, await response.text()
        return await response.json()


async def next_json(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await asyncio.wait_for(ws.receive(), 2)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    return json.loads(message.data)


async def expect_no_message(ws: aiohttp.ClientWebSocketResponse) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.receive(), 0.05)


# ---------------------------------------------------------------------------- fleet


def test_default_fleet_is_deterministic() -> None:
    one, two, other = Simulator(), Simulator(seed=0), Simulator(seed=1)
    assert [p.printer_type for p in one.printers.values()] == [
        "bambu_lab",
        "prusa_core",
    ]
    assert [p.name for p in one.printers.values()] == ["Bambu X1C", "Prusa MK4"]
    assert list(one.printers) == list(two.printers)
    assert set(one.printers).isdisjoint(other.printers)
    assert all(p.status == "online" for p in one.printers.values())
    bambu, prusa = one.printers.values()
    assert bambu.access_code
    assert bambu.serial_number
    assert bambu.api_key is None
    assert prusa.api_key
    assert prusa.access_code is None
    assert one.secrets == [bambu.access_code, bambu.serial_number, prusa.api_key]
    assert len(set(one.secrets)) == 3


def test_random_jobs_are_seeded() -> None:
    runs = []
    for _ in range(2):
        sim = Simulator(printers=4, seed=7)
        sim.printer(0).go_offline()
        started = sim.start_random_jobs(chance=1.0)
        runs.append([(p.id, p.job_name, p.job_duration_s) for p in started])
        assert sim.printer(0) not in started
        assert all(p.status == "printing" for p in started)
    assert runs[0] == runs[1]
    assert len(runs[0]) == 3


def test_fleet_sizes_and_custom_printers() -> None:
    five = Simulator(printers=5)
    assert [p.printer_type for p in five.printers.values()] == [
        "bambu_lab",
        "prusa_core",
        "bambu_lab",
        "prusa_core",
        "bambu_lab",
    ]
    assert len({p.name for p in five.printers.values()}) == 5
    assert Simulator(printers=0).printers == {}
    custom = SimPrinter("Garage", "prusa_core", id="garage", api_key="k")
    sim = Simulator(printers=[custom])
    assert sim.printers == {"garage": custom}
    assert custom.secrets == ["k"]
    with pytest.raises(ValueError, match="printer_type"):
        SimPrinter("x", "octoprint")
    with pytest.raises(ValueError, match="trending"):
        Simulator(trending="maybe")


def test_job_lifecycle_in_simulated_time() -> None:
    sim = Simulator()
    printer = sim.printer(0)
    assert printer.remaining_minutes is None
    printer.start_job("benchy.gcode", duration_minutes=30)
    assert (printer.status, printer.progress, printer.remaining_minutes) == (
        "printing",
        0,
        30,
    )
    sim.advance(15 * 60)
    assert printer.progress == pytest.approx(50)
    assert printer.remaining_minutes == 15
    assert printer.nozzle_temp > 200
    assert printer.bed_temp > 50
    printer.pause()
    sim.advance(600)
    assert printer.status == "paused"
    assert printer.progress == pytest.approx(50)
    assert printer.nozzle_temp < 200
    printer.resume()
    sim.advance(16 * 60)
    assert printer.status == "online"
    assert printer.job_name is None
    assert printer.total_jobs == 1
    sim.advance(3600)
    assert printer.nozzle_temp == pytest.approx(22, abs=0.5)
    printer.start_job("cube.gcode")
    printer.fail("Nozzle clog")
    assert (printer.status, printer.status_message(), printer.job_name) == (
        "error",
        "Nozzle clog",
        None,
    )
    printer.clear_error()
    assert printer.status == "online"
    printer.go_offline()
    assert printer.status == "offline"
    printer.come_online()
    assert printer.status == "online"


# --------------------------------------------------------------------------- health


async def test_health_follows_services(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    url = f"{sim.url}{API}/health"
    body = await get_json(session, url)
    assert body["status"] == "healthy"
    assert body["services"]["trending_service"] == {
        "status": "disabled",
        "details": {"reason": "temporarily disabled"},
    }
    assert body["services"]["printer_service"]["details"] == {
        "printer_count": 0,
        "monitoring_active": False,
    }
    assert body["uptime_seconds"] is None
    assert NAIVE_TS.match(body["timestamp"])

    sim.set_service_status("file_service", "degraded")
    body = await get_json(session, url)
    assert body["status"] == "degraded"
    assert body["services"]["file_service"] == {
        "status": "degraded",
        "details": {"error": "file_service is degraded"},
    }
    sim.set_service_status("event_service", "unhealthy", details={"error": "boom"})
    assert (await get_json(session, url))["status"] == "unhealthy"
    sim.set_service_status("event_service", "disabled")
    sim.set_service_status("file_service", "healthy")
    assert (await get_json(session, url))["status"] == "healthy"

    sim.set_service_status("database", "unhealthy")
    body = await get_json(session, url)
    assert body["database"] == {
        "type": "sqlite",
        "healthy": False,
        "connection_count": 0,
    }
    assert body["services"]["database"]["details"] == {"connected": False}
    sim.set_service_status("database", "healthy")

    sim.add_service("new_service", "degraded")
    body = await get_json(session, url)
    assert body["status"] == "degraded"
    assert "new_service" in body["services"]
    sim.remove_service("new_service")
    assert (await get_json(session, url))["status"] == "healthy"
    with pytest.raises(KeyError):
        sim.set_service_status("nope", "healthy")
    with pytest.raises(ValueError, match="status"):
        sim.set_service_status("file_service", "fine")

    sim.health_error = "database is locked"
    body = await get_json(session, url)
    assert body["status"] == "unhealthy"
    assert body["services"] == {"error": "database is locked"}


async def test_system_endpoints(sim: Simulator, session: aiohttp.ClientSession) -> None:
    assert await get_json(session, f"{sim.url}{API}/readiness") == {"status": "ready"}
    assert await get_json(session, f"{sim.url}{API}/liveness") == {"status": "alive"}
    info = await get_json(session, f"{sim.url}{API}/system/info")
    assert info["version"] == "unknown"
    assert info["timezone"] == "Europe/Berlin"
    assert isinstance(info["uptime_seconds"], int)
    update = await get_json(session, f"{sim.url}{API}/update-check")
    assert update["current_version"] == "2.42.0"
    assert update["update_available"] is False
    assert update["check_failed"] is False
    sim.set_update_check(latest_version="2.43.1")
    update = await get_json(session, f"{sim.url}{API}/update-check")
    assert update["update_available"] is True
    assert update["release_url"].endswith("/v2.43.1")
    sim.set_update_check(check_failed=True, error_message="Request timed out")
    update = await get_json(session, f"{sim.url}{API}/update-check")
    assert (update["check_failed"], update["latest_version"]) == (True, None)


async def test_unknown_routes_and_trailing_slashes(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    for path in (
        f"{API}/printers/",
        f"{API}/health/",
        f"{API}/version",
        "/metrics",
        "/ws",
    ):
        assert await get_json(session, sim.url + path, expect=404) == {
            "detail": "Not Found"
        }
    async with session.delete(f"{sim.url}{API}/health") as response:
        assert response.status == 405
    assert await get_json(
        session, f"{sim.url}{API}/trending/statistics", expect=404
    ) == {"detail": "Not Found"}


# ------------------------------------------------------------------------- printers


async def test_printer_list_filters_and_pagination(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    base = f"{sim.url}{API}/printers"
    body = await get_json(session, base)
    assert body["total_count"] == 2
    assert body["pagination"] == {
        "page": 1,
        "limit": 50,
        "total_items": 2,
        "total_pages": 1,
    }
    assert [p["total_jobs"] for p in body["printers"]] == [0, 0]
    bambu = body["printers"][0]
    assert bambu["connection_config"]["access_code"] == sim.printer(0).access_code
    assert bambu["filaments"][0] == {
        "slot": 0,
        "color": "#FFFFFF",
        "type": "PLA",
        "is_active": True,
    }

    page2 = await get_json(session, f"{base}?limit=1&page=2")
    assert [p["name"] for p in page2["printers"]] == ["Prusa MK4"]
    assert page2["pagination"]["total_pages"] == 2
    assert (await get_json(session, f"{base}?page=5"))["printers"] == []
    prusa = await get_json(session, f"{base}?printer_type=prusa_core")
    assert [p["printer_type"] for p in prusa["printers"]] == ["prusa_core"]
    assert (await get_json(session, f"{base}?printer_type=octoprint"))[
        "total_count"
    ] == 0
    assert (await get_json(session, f"{base}?is_active=true"))["total_count"] == 2
    assert (await get_json(session, f"{base}?is_active=false"))["total_count"] == 0
    sim.printer(1).go_offline()
    offline = await get_json(session, f"{base}?status=offline")
    assert [p["name"] for p in offline["printers"]] == ["Prusa MK4"]
    assert offline["printers"][0]["temperatures"] is None

    for query, loc, kind in (
        ("status=idle", "status", "enum"),
        ("printer_type=klipper", "printer_type", "enum"),
        ("limit=0", "limit", "greater_than_equal"),
        ("limit=101", "limit", "less_than_equal"),
        ("page=0", "page", "greater_than_equal"),
        ("page=x", "page", "int_parsing"),
        ("is_active=maybe", "is_active", "bool_parsing"),
    ):
        body = await get_json(session, f"{base}?{query}", expect=422)
        assert body["error_code"] == "VALIDATION_ERROR"
        (error,) = body["details"]["validation_errors"]
        assert (error["loc"], error["type"]) == (["query", loc], kind)

    sim.remove_printer(sim.printer(0).id)
    sim.remove_printer(sim.printer(0).id)
    empty = await get_json(session, base)
    assert empty == {
        "printers": [],
        "total_count": 0,
        "pagination": {"page": 1, "limit": 50, "total_items": 0, "total_pages": 0},
    }


async def test_printer_detail_status_and_job(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    bambu = sim.printer(0)
    detail = await get_json(session, f"{sim.url}{API}/printers/{bambu.id}")
    assert detail["total_jobs"] is None
    assert detail["current_job"] is None
    assert NAIVE_TS.match(detail["created_at"])
    status_url = f"{sim.url}{API}/printers/{bambu.id}/status"
    status = await get_json(session, status_url)
    assert status["current_job"] is None
    assert status["temperatures"] == {
        "bed": {"current": 22.0, "target": None},
        "nozzle": {"current": 22.0, "target": None},
    }

    bambu.start_job("benchy.gcode", duration_minutes=60)
    sim.advance(6 * 60)
    await sim.poll()
    status = await get_json(session, status_url)
    assert status["status"] == "printing"
    assert status["current_job"] == {
        "name": "benchy.gcode",
        "progress": 10,
        "remaining_time": 54,
    }
    assert status["temperatures"]["nozzle"]["current"] > 200
    detail = await get_json(session, f"{sim.url}{API}/printers/{bambu.id}")
    assert detail["current_job"]["status"] == "printing"
    assert detail["current_job"]["started_at"] == detail["last_seen"]
    assert isinstance(detail["temperatures"]["bed"], float)

    missing = await get_json(session, f"{sim.url}{API}/printers/nope", expect=404)
    assert missing["error_code"] == "PRINTER_NOT_FOUND"
    assert missing["details"] == {"printer_id": "nope"}
    await get_json(session, f"{sim.url}{API}/printers/nope/status", expect=404)
    details = await get_json(
        session, f"{sim.url}{API}/printers/{bambu.id}/details", expect=500
    )
    assert details["error_code"] == "INTERNAL_SERVER_ERROR"


async def test_printer_controls(sim: Simulator, session: aiohttp.ClientSession) -> None:
    bambu, prusa = sim.printer(0), sim.printer(1)
    base = f"{sim.url}{API}/printers"
    failed = await post_json(session, f"{base}/{bambu.id}/pause", expect=503)
    assert failed["error_code"] == "PRINTER_CONNECTION"
    assert failed["details"]["printer_id"] == bambu.id
    bambu.start_job("benchy.gcode")
    assert await post_json(session, f"{base}/{bambu.id}/pause") == {
        "status": "success",
        "data": {"status": "paused"},
    }
    assert bambu.status == "paused"
    assert (await post_json(session, f"{base}/{bambu.id}/resume"))["data"] == {
        "status": "resumed"
    }
    assert bambu.status == "printing"
    assert (await post_json(session, f"{base}/{bambu.id}/stop"))["data"] == {
        "status": "stopped"
    }
    assert (bambu.status, bambu.job_name) == ("online", None)
    await post_json(session, f"{base}/{bambu.id}/resume", expect=503)

    prusa.start_job("x.gcode")
    prusa.go_offline()
    failed = await post_json(session, f"{base}/{prusa.id}/pause", expect=503)
    assert "Cannot connect to host" in failed["details"]["reason"]
    await post_json(session, f"{base}/{prusa.id}/connect", expect=503)
    prusa.come_online()
    assert (await post_json(session, f"{base}/{prusa.id}/connect"))["data"] == {
        "status": "connected"
    }
    await post_json(session, f"{base}/nope/pause", expect=404)


async def test_thumbnail_png(sim: Simulator, session: aiohttp.ClientSession) -> None:
    bambu, prusa = sim.printer(0), sim.printer(1)
    url = f"{sim.url}{API}/printers/{bambu.id}/thumbnail"
    missing = await get_json(session, url, expect=404)
    assert missing["error_code"] == "FILE_NOT_FOUND"
    assert missing["details"]["file_id"] == "current_job_thumbnail"
    bambu.start_job("benchy.gcode")
    prusa.start_job("cube.gcode")
    images = []
    for printer in (bambu, prusa):
        async with session.get(
            f"{sim.url}{API}/printers/{printer.id}/thumbnail"
        ) as response:
            assert response.status == 200
            assert response.content_type == "image/png"
            images.append(await response.read())
    assert images[0] != images[1]
    assert png_size(images[0]) == (32, 32)
    assert images[0] == thumbnail_png("benchy.gcode")
    with pytest.raises(ValueError, match="CRC"):
        png_size(images[0][:20] + b"x" + images[0][21:])


async def test_unreachable_printers(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    bambu, prusa = sim.printer(0), sim.printer(1)
    bambu.go_unreachable()
    prusa.go_unreachable()
    body = await get_json(session, f"{sim.url}{API}/printers")
    first, second = body["printers"]
    assert (first["status"], first["temperatures"], first["filaments"]) == (
        "online",
        {"bed": 0.0, "nozzle": 0.0},
        None,
    )
    assert (second["status"], second["temperatures"]) == ("error", None)


async def test_printers_added_and_removed_while_running(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    added = sim.add_printer(SimPrinter("Prusa XL", "prusa_core"))
    assert added.id
    assert added.api_key
    assert added.api_key in sim.secrets
    body = await get_json(session, f"{sim.url}{API}/printers")
    assert [p["name"] for p in body["printers"]] == [
        "Bambu X1C",
        "Prusa MK4",
        "Prusa XL",
    ]
    sim.remove_printer(added.id)
    await get_json(session, f"{sim.url}{API}/printers/{added.id}", expect=404)
    with pytest.raises(ValueError, match="duplicate"):
        sim.add_printer(SimPrinter("again", id=sim.printer(0).id))


async def test_create_and_delete_printers_over_rest(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    base = f"{sim.url}{API}/printers"
    created = await post_json(
        session,
        base,
        {
            "name": "Shelf MK4",
            "printer_type": "octoprint",
            "connection_config": {"ip_address": "10.0.0.5", "api_key": "abc"},
        },
        expect=201,
    )
    assert (created["printer_type"], created["status"]) == ("prusa_core", "unknown")
    assert sim.printers[created["id"]].status == "online"
    assert "abc" in sim.secrets
    body = await post_json(session, base, {"printer_type": "bambu_lab"}, expect=422)
    assert [e["loc"] for e in body["details"]["validation_errors"]] == [
        ["body", "name"],
        ["body", "connection_config"],
    ]
    missing_code = {
        "name": "B",
        "printer_type": "bambu_lab",
        "connection_config": {"ip_address": "10.0.0.6"},
    }
    assert (await post_json(session, base, missing_code, expect=400))[
        "error_code"
    ] == "VALIDATION"
    async with session.post(base, data="nope") as response:
        assert response.status == 422

    async with session.delete(f"{base}/{created['id']}") as response:
        assert response.status == 204
        assert response.headers["X-RateLimit-Limit"] == "20"
    assert created["id"] not in sim.printers
    async with session.delete(f"{base}/{created['id']}") as response:
        assert response.status == 404
    busy = sim.printer(0).start_job("x.gcode")
    async with session.delete(f"{base}/{busy.id}") as response:
        assert response.status == 409
        assert (await response.json())["error_code"] == "HTTP_409"
    async with session.delete(f"{base}/{busy.id}?force=true") as response:
        assert response.status == 204
    assert busy.id not in sim.printers


# ------------------------------------------------------------------------ websocket


async def test_websocket_protocol(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    bambu, prusa = sim.printer(0), sim.printer(1)
    async with session.ws_connect(sim.ws_url) as ws:
        await asyncio.wait_for(sim.wait_for_ws(), 2)
        assert sim.ws_clients == 1
        await ws.send_str('{"type": "ping"}')
        assert await next_json(ws) == {"type": "pong"}
        await ws.send_json({"type": "subscribe_printer", "printer_id": bambu.id})
        assert await next_json(ws) == {"type": "subscribed", "printer_id": bambu.id}
        await ws.send_json({"type": "subscribe_printer"})
        await ws.send_json({"type": "hello"})
        assert await next_json(ws) == {
            "type": "error",
            "message": "Unknown message type: hello",
        }
        await ws.send_str("not json at all")
        assert await next_json(ws) == {
            "type": "error",
            "message": "Invalid JSON format",
        }
        await ws.send_json({"type": "subscribe_printer", "printer_id": prusa.id})
        assert await next_json(ws) == {"type": "subscribed", "printer_id": prusa.id}
        assert list(sim.ws_subscriptions.values()) == [{bambu.id, prusa.id}]
        assert sim.subscribed_printer_ids == {bambu.id, prusa.id}

        bambu.start_job("benchy.gcode", duration_minutes=10)
        sim.advance(60)
        prusa.go_offline()
        assert await sim.poll() == 1
        push = await next_json(ws)
        assert push["type"] == "printer_status"
        assert push["printer_id"] == bambu.id
        data = push["data"]
        assert (data["status"], data["progress"], data["current_job"]) == (
            "printing",
            10,
            "benchy.gcode",
        )
        assert data["current_job_has_thumbnail"] is True
        assert (
            data["current_job_thumbnail_url"]
            == f"/api/v1/printers/{bambu.id}/thumbnail"
        )
        assert isinstance(data["temperature_nozzle"], float)
        assert NAIVE_TS.match(data["timestamp"])
        await expect_no_message(ws)  # nothing for the offline Prusa

        await ws.send_json({"type": "unsubscribe_printer", "printer_id": bambu.id})
        assert await next_json(ws) == {"type": "unsubscribed", "printer_id": bambu.id}
        assert await sim.poll(bambu.id) == 0
        await expect_no_message(ws)
        # WebSocket-level pings are answered too.
        await ws.ping(b"x")
        await ws.close()
    await asyncio.wait_for(sim.wait_for_ws(lambda s: s.ws_clients == 0), 2)


async def test_websocket_handshake_is_not_rate_limited(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(sim.ws_url) as ws:
        assert "X-RateLimit-Limit" not in ws._response.headers
    assert sim.requests[-1].websocket
    assert sim.rate_limiter.tokens("127.0.0.1") is None


async def test_drop_websockets(sim: Simulator, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(sim.ws_url) as ws:
        await asyncio.wait_for(sim.wait_for_ws(), 2)
        assert await sim.drop_websockets() == 1
        message = await asyncio.wait_for(ws.receive(), 2)
        assert message.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
    assert sim.ws_clients == 0


# --------------------------------------------------------------------------- faults


async def test_fault_hang_until_cleared(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    fault = sim.fault(FaultKind.HANG, path=f"{API}/health")
    assert isinstance(fault, Fault)
    pending = asyncio.ensure_future(session.get(f"{sim.url}{API}/health"))
    await asyncio.wait_for(fault.hit.wait(), 2)
    assert fault.hits == 1
    assert not pending.done()
    # Other routes are unaffected.
    await get_json(session, f"{sim.url}{API}/liveness")
    fault.clear()
    async with await pending as response:
        assert response.status == 200
    assert not sim.faults
    await get_json(session, f"{sim.url}{API}/health")


async def test_fault_hang_released_by_stop(socket_enabled: None) -> None:
    sim = Simulator()
    await sim.start()
    fault = sim.fault("hang")
    async with fresh_session() as session:
        pending = asyncio.ensure_future(session.get(f"{sim.url}{API}/printers"))
        await asyncio.wait_for(fault.hit.wait(), 2)
        await asyncio.wait_for(sim.stop(), 5)
        with pytest.raises(aiohttp.ClientError):
            await pending


async def test_fault_slow(sim: Simulator, session: aiohttp.ClientSession) -> None:
    fault = sim.fault(FaultKind.SLOW, path=f"{API}/readiness", delay=0.05, count=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await get_json(session, f"{sim.url}{API}/readiness") == {"status": "ready"}
    assert loop.time() - started >= 0.05
    assert fault.hits == 1
    assert not fault.active


@pytest.mark.parametrize(
    ("status", "content_type", "error_code"),
    [
        (500, "application/json", "INTERNAL_SERVER_ERROR"),
        (503, "application/json", "SERVICE_UNAVAILABLE"),
        (502, "text/plain", None),
        (504, "text/plain", None),
        (400, "application/json", "HTTP_400"),
    ],
)
async def test_fault_status(
    sim: Simulator,
    session: aiohttp.ClientSession,
    status: int,
    content_type: str,
    error_code: str | None,
) -> None:
    sim.fault(FaultKind.STATUS, path=f"{API}/printers/*/status", status=status)
    async with session.get(
        f"{sim.url}{API}/printers/{sim.printer(0).id}/status"
    ) as response:
        assert response.status == status
        assert response.content_type == content_type
        if error_code:
            body = await response.json()
            assert body["error_code"] == error_code
            assert NAIVE_TS.match(body["timestamp"])
        else:
            assert "Gateway" in await response.text()
    await get_json(session, f"{sim.url}{API}/printers")


async def test_fault_malformed_and_wrong_shape(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.fault(FaultKind.MALFORMED, path=f"{API}/health", count=1)
    async with session.get(f"{sim.url}{API}/health") as response:
        assert (response.status, response.content_type) == (200, "application/json")
        with pytest.raises(json.JSONDecodeError):
            json.loads(await response.text())
    sim.fault(FaultKind.WRONG_SHAPE, path=f"{API}/health", count=1)
    assert isinstance(await get_json(session, f"{sim.url}{API}/health"), list)
    sim.fault("WRONG_SHAPE", path=f"{API}/health", body={"status": 3}, count=1)
    assert await get_json(session, f"{sim.url}{API}/health") == {"status": 3}
    assert (await get_json(session, f"{sim.url}{API}/health"))["status"] == "healthy"


async def test_fault_reset(sim: Simulator) -> None:
    # aiohttp's client retries an idempotent request once on a dropped connection,
    # so a single reset is invisible to a GET: the retry gets the real answer.
    once = sim.fault(FaultKind.RESET, path=f"{API}/health", count=1)
    async with fresh_session() as session:
        await get_json(session, f"{sim.url}{API}/health")
        assert once.hits == 1
        assert sim.request_count(f"{API}/health") == 2
        fault = sim.fault(FaultKind.RESET, path=f"{API}/health")
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await session.get(f"{sim.url}{API}/health")
        assert fault.hits == 2
        fault.clear()
        await get_json(session, f"{sim.url}{API}/health")


async def test_fault_rate_limit(sim: Simulator, session: aiohttp.ClientSession) -> None:
    sim.fault(FaultKind.RATE_LIMIT, path=f"{API}/printers", retry_after=7, count=1)
    async with session.get(f"{sim.url}{API}/printers") as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "7"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        body = await response.json()
    assert body["error_code"] == "RATE_LIMIT_EXCEEDED"
    assert body["details"]["retry_after_seconds"] == 7.0
    assert "timestamp" not in body


async def test_fault_matching_rules(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    post_only = sim.fault(
        FaultKind.STATUS, path=f"{API}/printers/*", method="post", status=500
    )
    await get_json(session, f"{sim.url}{API}/printers/{sim.printer(0).id}")
    await post_json(
        session, f"{sim.url}{API}/printers/{sim.printer(0).id}/pause", expect=500
    )
    assert post_only.hits == 1
    everything = sim.fault(FaultKind.STATUS, status=503, count=2)
    await get_json(session, f"{sim.url}{API}/liveness", expect=503)
    await get_json(session, f"{sim.url}/nothing-here", expect=503)
    await get_json(session, f"{sim.url}{API}/liveness")
    assert (everything.hits, everything.active) == (2, False)
    # Control routes are never faulted, limited or recorded.
    sim.fault(FaultKind.STATUS, status=500)
    recorded = len(sim.requests)
    state = await get_json(session, f"{sim.url}/_simulator/state")
    assert state["faults"][0]["kind"] == "status"
    assert len(sim.requests) == recorded
    sim.clear_faults()
    assert sim.faults == []
    await get_json(session, f"{sim.url}{API}/liveness")
    with pytest.raises(ValueError, match="count"):
        sim.fault(FaultKind.HANG, count=0)


async def test_fault_ws_drop(sim: Simulator, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(sim.ws_url) as ws:
        await asyncio.wait_for(sim.wait_for_ws(), 2)
        fault = sim.fault(FaultKind.WS_DROP)
        message = await asyncio.wait_for(ws.receive(), 2)
        assert message.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
        assert fault.hits == 1
    async with session.ws_connect(sim.ws_url) as ws:
        message = await asyncio.wait_for(ws.receive(), 2)
        assert message.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
    assert fault.hits == 2
    fault.clear()
    async with session.ws_connect(sim.ws_url) as ws:
        await ws.send_json({"type": "ping"})
        assert await next_json(ws) == {"type": "pong"}


async def test_fault_ws_silent(sim: Simulator, session: aiohttp.ClientSession) -> None:
    bambu = sim.printer(0)
    async with session.ws_connect(sim.ws_url, autoping=False) as ws:
        await ws.send_json({"type": "subscribe_printer", "printer_id": bambu.id})
        assert (await next_json(ws))["type"] == "subscribed"
        fault = sim.fault(FaultKind.WS_SILENT)
        await ws.send_json({"type": "ping"})
        await ws.ping(b"hb")
        await expect_no_message(ws)
        assert await sim.poll() == 0
        assert fault.hits == 3
        assert sim.ws_clients == 1
        fault.clear()
        await sim.poll(bambu.id)
        assert (await next_json(ws))["type"] == "printer_status"
        await ws.ping(b"hb")
        message = await asyncio.wait_for(ws.receive(), 2)
        assert message.type is aiohttp.WSMsgType.PONG


async def test_fault_hang_with_frozen_clock(socket_enabled: None, freezer: Any) -> None:
    """A held request can be awaited through `hit` and released without time passing."""
    async with running_simulator() as sim, aiohttp.ClientSession() as session:
        fault = sim.fault(FaultKind.SLOW, path=f"{API}/health", delay=30)
        pending = asyncio.ensure_future(session.get(f"{sim.url}{API}/health"))
        await fault.hit.wait()
        fault.clear()
        async with await pending as response:
            assert response.status == 200
        hang = sim.fault(FaultKind.HANG)
        pending = asyncio.ensure_future(session.get(f"{sim.url}{API}/health"))
        await hang.hit.wait()
        await sim.stop()
        with pytest.raises(aiohttp.ClientError):
            await pending


# ---------------------------------------------------------------------- rate limits


async def test_rate_limit_burst_then_refill(socket_enabled: None) -> None:
    clock = ManualClock()
    async with (
        running_simulator(clock=clock) as sim,
        aiohttp.ClientSession() as session,
    ):
        url = f"{sim.url}{API}/readiness"
        for expected in range(119, -1, -1):
            async with session.get(url) as response:
                assert response.status == 200
                assert response.headers["X-RateLimit-Limit"] == "100"
                assert response.headers["X-RateLimit-Remaining"] == str(expected)
        async with session.get(url) as response:
            assert response.status == 429
            assert response.headers["Retry-After"] == "1"
            assert response.headers["X-RateLimit-Remaining"] == "0"
            assert int(response.headers["X-RateLimit-Reset"]) > 0
            assert "X-Timezone" not in response.headers
            body = await response.json()
        assert body["details"] == {
            "retry_after_seconds": 0.6,
            "rate_limit_per_minute": 100,
        }
        # Health is exempt and carries no rate-limit headers.
        async with session.get(f"{sim.url}{API}/health") as response:
            assert response.status == 200
            assert "X-RateLimit-Limit" not in response.headers
        # Another client (behind a proxy) has its own bucket.
        async with session.get(
            url, headers={"X-Forwarded-For": "10.0.0.9, 10.0.0.1"}
        ) as response:
            assert response.headers["X-RateLimit-Remaining"] == "119"
        clock.advance(0.61)
        async with session.get(url) as response:
            assert response.status == 200
        async with session.get(url) as response:
            assert response.status == 429
        clock.advance(60)
        async with session.get(url) as response:
            assert response.headers["X-RateLimit-Remaining"] == "99"


async def test_rate_limit_printer_posts(socket_enabled: None) -> None:
    clock = ManualClock()
    async with (
        running_simulator(clock=clock) as sim,
        aiohttp.ClientSession() as session,
    ):
        url = f"{sim.url}{API}/printers/{sim.printer(0).id}/pause"
        remaining = []
        for _ in range(31):
            async with session.post(url) as response:
                remaining.append(
                    (response.status, response.headers.get("X-RateLimit-Remaining"))
                )
                assert response.headers["X-RateLimit-Limit"] == "10"
        assert remaining[0] == (503, "29")
        assert remaining[29] == (503, "0")
        assert remaining[30] == (429, "0")
        clock.advance(6)  # 10 per minute: one token
        async with session.post(url) as response:
            assert response.status == 503
        # The shared bucket was capped at 30 tokens by the POSTs.
        async with session.get(f"{sim.url}{API}/liveness") as response:
            assert response.status == 429


async def test_rate_limit_can_be_disabled(socket_enabled: None) -> None:
    async with (
        running_simulator(rate_limit=False) as sim,
        aiohttp.ClientSession() as session,
    ):
        for _ in range(130):
            async with session.get(f"{sim.url}{API}/liveness") as response:
                assert response.status == 200
                assert "X-RateLimit-Limit" not in response.headers


# ------------------------------------------------------------- recording, restarts


async def test_request_recording(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    await get_json(session, f"{sim.url}{API}/printers?limit=5")
    for printer in sim.printers.values():
        await get_json(session, f"{sim.url}{API}/printers/{printer.id}/status")
    await post_json(
        session, f"{sim.url}{API}/printers/{sim.printer(0).id}/stop", expect=503
    )
    assert sim.request_count() == 4
    assert sim.request_count(f"{API}/printers") == 1
    assert sim.request_count(f"{API}/printers/*/status") == 2
    assert sim.request_count(method="POST") == 1
    assert sim.request_count(f"{API}/printers/*", method="GET") == 2
    first = sim.requests[0]
    assert (first.method, first.path, first.query) == (
        "GET",
        f"{API}/printers",
        {"limit": "5"},
    )
    assert first.time <= sim.requests[-1].time
    assert sim.request_received.is_set()
    counts = await get_json(session, f"{sim.url}/_simulator/requests")
    assert counts["total"] == 4
    assert counts["counts"][f"GET {API}/printers"] == 1
    sim.clear_requests()
    assert sim.request_count() == 0


async def test_restart_refuses_connections_then_same_port(
    sim: Simulator,
) -> None:
    port = sim.port
    async with fresh_session() as session:
        async with session.ws_connect(sim.ws_url) as ws:
            await asyncio.wait_for(sim.wait_for_ws(), 2)
            await sim.go_down()
            message = await asyncio.wait_for(ws.receive(), 2)
            assert message.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
        assert not sim.is_up
        assert sim.ws_clients == 0
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(f"{sim.url}{API}/health")
        await sim.come_up()
        assert sim.port == port
        await get_json(session, f"{sim.url}{API}/health")
        await sim.restart()
        assert sim.port == port
        await get_json(session, f"{sim.url}{API}/health")
        restarting = asyncio.ensure_future(sim.restart(down_for=0.2))
        while sim.is_up:  # noqa: ASYNC110 - the restart runs in the background
            await asyncio.sleep(0.005)
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(f"{sim.url}{API}/health")
        await restarting
        await get_json(session, f"{sim.url}{API}/health")


# ---------------------------------------------------------------------- trending


async def test_trending_seed(socket_enabled: None) -> None:
    async with (
        running_simulator(trending="seed") as sim,
        aiohttp.ClientSession() as session,
    ):
        health = await get_json(session, f"{sim.url}{API}/health")
        assert health["services"]["trending_service"]["status"] == "healthy"
        first = await get_json(session, f"{sim.url}{API}/trending/statistics")
        assert set(first) == {
            "total_cached",
            "valid_items",
            "by_platform",
            "last_refresh",
            "performance_metrics",
        }
        metrics = first["performance_metrics"]
        assert re.fullmatch(r"\d+\.\d\d%", metrics["success_rate"])
        assert sum(first["by_platform"].values()) == first["valid_items"]
        assert (
            metrics["successful_fetches"] + metrics["failed_requests"]
            == metrics["total_requests"]
        )
        sim.advance(7200)
        second = await get_json(session, f"{sim.url}{API}/trending/statistics")
        assert (
            second["performance_metrics"]["total_requests"] > metrics["total_requests"]
        )
        assert second["performance_metrics"]["cache_hits"] > metrics["cache_hits"]


# ------------------------------------------------------------------- control API


async def test_control_api(sim: Simulator, session: aiohttp.ClientSession) -> None:
    control = f"{sim.url}/_simulator"
    bambu = sim.printer(0)
    created = await post_json(
        session,
        f"{control}/faults",
        {"kind": "status", "status": 500, "path": f"{API}/health", "count": 1},
        expect=201,
    )
    assert created["kind"] == "status"
    await get_json(session, f"{sim.url}{API}/health", expect=500)
    await post_json(
        session,
        f"{control}/faults",
        {"kind": "hang", "path": f"{API}/health"},
        expect=201,
    )
    assert (await get_json(session, f"{control}/faults"))[-1]["kind"] == "hang"
    async with session.delete(f"{control}/faults") as response:
        assert (await response.json()) == {"cleared": 2}  # spent faults count too
    await post_json(session, f"{control}/faults", {"kind": "bogus"}, expect=400)

    result = await post_json(
        session, f"{control}/services/file_service", {"status": "unhealthy"}
    )
    assert result["overall_status"] == "unhealthy"
    assert (await get_json(session, f"{sim.url}{API}/health"))["status"] == "unhealthy"
    await post_json(
        session, f"{control}/services/file_service", {"status": "nope"}, expect=400
    )
    await post_json(session, f"{control}/services/file_service", {"status": "healthy"})

    printer = await post_json(
        session,
        f"{control}/printers/{bambu.id}/start_job",
        {"name": "boat.gcode", "duration_minutes": 10},
    )
    assert printer["current_job"]["name"] == "boat.gcode"
    await post_json(session, f"{control}/printers/{bambu.id}/pause")
    assert bambu.status == "paused"
    await post_json(session, f"{control}/printers/{bambu.id}/pause", expect=409)
    for action, status in (
        ("resume", "printing"),
        ("finish", "online"),
        ("fail", "error"),
        ("clear_error", "online"),
        ("offline", "offline"),
        ("online", "online"),
    ):
        await post_json(session, f"{control}/printers/{bambu.id}/{action}")
        assert bambu.status == status, action
    await post_json(session, f"{control}/printers/{bambu.id}/explode", expect=400)
    await post_json(session, f"{control}/printers/nope/pause", expect=404)
    await post_json(session, f"{control}/advance", {"seconds": 30})
    assert sim.sim_time == 30

    added = await post_json(
        session,
        f"{control}/printers",
        {"name": "Prusa XL", "printer_type": "prusa_core"},
        expect=201,
    )
    assert added["id"] in sim.printers
    await post_json(
        session, f"{control}/printers", {"name": "x", "colour": "red"}, expect=400
    )
    await post_json(
        session, f"{control}/printers", {"printer_type": "klipper"}, expect=400
    )
    async with session.delete(f"{control}/printers/{added['id']}") as response:
        assert response.status == 200
    assert added["id"] not in sim.printers

    async with session.ws_connect(sim.ws_url) as ws:
        await ws.send_json({"type": "subscribe_printer", "printer_id": bambu.id})
        await next_json(ws)
        assert (await post_json(session, f"{control}/poll", {"printer_id": bambu.id}))[
            "sent"
        ] == 1
        assert (await next_json(ws))["type"] == "printer_status"
        assert (await post_json(session, f"{control}/websockets/drop"))["dropped"] == 1
    state = await get_json(session, f"{control}/state")
    assert {"printers", "services", "faults", "ws_clients", "url"} <= set(state)
    assert state["printers"][0]["connection_config"]["access_code"] == bambu.access_code
    update = await post_json(
        session, f"{control}/update-check", {"latest_version": "3.0.0"}
    )
    assert update["update_available"] is True
    async with session.post(f"{control}/faults", data="{not json") as response:
        assert response.status == 400

    assert sim.request_count("/_simulator*") == 0
    async with session.delete(f"{control}/requests") as response:
        assert response.status == 200
    assert sim.request_count() == 0


async def test_control_restart(sim: Simulator) -> None:
    async with fresh_session() as session:
        await post_json(
            session, f"{sim.url}/_simulator/restart", {"down_for": 0.2}, expect=202
        )
        while sim.is_up:  # noqa: ASYNC110 - the restart runs in the background
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.01)
        with pytest.raises(aiohttp.ClientConnectorError):
            await session.get(f"{sim.url}{API}/health")
        while not sim.is_up:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        await get_json(session, f"{sim.url}{API}/health")


# --------------------------------------------------------------------- realtime


async def test_realtime_mode_polls_and_pushes(socket_enabled: None) -> None:
    async with (
        running_simulator(realtime=True, poll_interval=0.05, scenario="demo") as sim,
        aiohttp.ClientSession() as session,
    ):
        printing = sim.printer(0)
        assert printing.status == "printing"
        assert sim.printer(1).status == "paused"
        before = printing.progress
        async with session.ws_connect(sim.ws_url) as ws:
            await ws.send_json({"type": "subscribe_printer", "printer_id": printing.id})
            assert (await next_json(ws))["type"] == "subscribed"
            push = await next_json(ws)
            assert push["type"] == "printer_status"
            assert push["data"]["current_job"] == "benchy.gcode"
        assert printing.progress > before


async def test_command_line(socket_enabled: None) -> None:
    help_text = build_parser().format_help()
    for option in (
        "--port",
        "--printers",
        "--trending",
        "--poll-interval",
        "--host",
        "--seed",
        "--scenario",
        "--auth",
        "--auth-token",
        "--auth-failure-status",
        "--fresh",
        "--cameras",
        "--webcam-url",
        "--no-analytics",
        "--currency",
        "--upload-delay",
    ):
        assert option in help_text
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.simulator",
        "--port",
        "0",
        "--printers",
        "3",
        "--trending",
        "seed",
        "--scenario",
        "demo",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=REPO_ROOT,
    )
    assert process.stdout is not None
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 20)).decode()
        match = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert match, line
        async with aiohttp.ClientSession() as session:
            body = await get_json(session, f"{match.group(0)}{API}/printers")
            assert [p["status"] for p in body["printers"]] == [
                "printing",
                "paused",
                "online",
            ]
            await get_json(session, f"{match.group(0)}{API}/trending/statistics")
        process.send_signal(signal.SIGINT)
        stdout, _ = await asyncio.wait_for(process.communicate(), 10)
        assert process.returncode == 0
        assert b"stopped" in stdout
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
