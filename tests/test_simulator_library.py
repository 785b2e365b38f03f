"""The simulator's file library and printing a library file on a printer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.simulator import FaultKind, LibraryFile, Simulator
from tests.simulator.testing import fresh_session, running_simulator

API = "/api/v1"
UNKNOWN = "0" * 64


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    async with running_simulator(printers=2, upload_delay=120) as simulator:
        yield simulator


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def get_json(session: aiohttp.ClientSession, url: str, expect: int = 200) -> Any:
    async with session.get(url) as response:
        assert response.status == expect, await response.text()
        return await response.json()


def print_url(sim: Simulator, checksum: str) -> str:
    return f"{sim.url}{API}/library/files/{checksum}/print"


async def request_print(
    session: aiohttp.ClientSession,
    sim: Simulator,
    checksum: str,
    body: Any,
    expect: int,
) -> Any:
    async with session.post(print_url(sim, checksum), json=body) as response:
        assert response.status == expect, await response.text()
        # Not under /api/v1/printers: the ordinary bucket.
        assert response.headers["X-RateLimit-Limit"] == "100"
        return await response.json()


# --------------------------------------------------------------------------- listing


async def test_library_listing(sim: Simulator, session: aiohttp.ClientSession) -> None:
    base = f"{sim.url}{API}/library/files"
    body = await get_json(session, base)
    names = [f["filename"] for f in body["files"]]
    # Newest first.
    assert names == [
        "planter_vase.stl",
        "phone_stand.3mf",
        "calibration_cube.gcode",
        "benchy.gcode",
    ]
    assert body["pagination"] == {
        "page": 1,
        "limit": 50,
        "total_items": 4,
        "total_pages": 1,
        "page_size": 50,
        "current_page": 1,
        "has_previous": False,
        "has_next": False,
    }
    benchy = body["files"][3]
    assert benchy["checksum"] == sim.library_file_named("benchy.gcode").checksum
    assert len(benchy["checksum"]) == 64
    assert (benchy["file_type"], benchy["role"], benchy["has_thumbnail"]) == (
        ".gcode",
        "printfile",
        True,
    )
    assert benchy["file_size"] == 1_846_213
    assert benchy["total_filament_weight"] == 11.9
    vase = body["files"][0]
    assert (vase["file_type"], vase["role"], vase["last_analyzed"]) == (
        ".stl",
        "model",
        None,
    )

    page = await get_json(session, f"{base}?limit=3&page=2")
    assert [f["filename"] for f in page["files"]] == ["benchy.gcode"]
    assert page["pagination"]["has_previous"] is True
    assert page["pagination"]["total_pages"] == 2
    found = await get_json(session, f"{base}?search=STAND")
    assert [f["filename"] for f in found["files"]] == ["phone_stand.3mf"]
    assert (await get_json(session, f"{base}?search=zz"))["files"] == []
    found = await get_json(
        session, f"{base}?file_type=.gcode&sort_by=filename&sort_order=asc"
    )
    assert [f["filename"] for f in found["files"]] == [
        "benchy.gcode",
        "calibration_cube.gcode",
    ]
    for query, loc, kind in (
        ("search=b", "search", "string_too_short"),
        ("limit=201", "limit", "less_than_equal"),
        ("page=0", "page", "greater_than_equal"),
    ):
        body = await get_json(session, f"{base}?{query}", expect=422)
        (error,) = body["details"]["validation_errors"]
        assert (error["loc"], error["type"]) == (["query", loc], kind)


async def test_library_statistics(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    stats = await get_json(session, f"{sim.url}{API}/library/statistics")
    assert stats == {
        "total_files": 4,
        "total_size": 1_846_213 + 402_188 + 2_953_330 + 5_120_684,
        "files_with_thumbnails": 3,
        "files_analyzed": 3,
        "available_files": 4,
        "processing_files": 0,
        "error_files": 0,
        "unique_file_types": 3,
        "avg_file_size": (1_846_213 + 402_188 + 2_953_330 + 5_120_684) / 4,
        "total_material_cost": 1.18,
    }
    sim.library.append(
        LibraryFile("broken.3mf", 10, status="error", has_thumbnail=False)
    )
    stats = await get_json(session, f"{sim.url}{API}/library/statistics")
    assert (stats["total_files"], stats["error_files"], stats["available_files"]) == (
        5,
        1,
        4,
    )


# --------------------------------------------------------------------------- printing


async def test_print_starts_after_the_upload(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    prusa = sim.printer(1)
    checksum = sim.library_file_named("benchy.gcode").checksum
    pending = asyncio.ensure_future(
        request_print(session, sim, checksum, {"printer_id": prusa.id}, expect=200)
    )
    await asyncio.wait_for(sim.print_request_received.wait(), 2)
    (request,) = sim.print_requests
    assert (request.checksum, request.printer_id, request.filename) == (
        checksum,
        prusa.id,
        "benchy.gcode",
    )
    assert request.outcome is None
    assert sim.pending_uploads == 1
    sim.advance(119)
    await asyncio.sleep(0.01)
    assert not pending.done()
    assert prusa.status == "online"
    sim.advance(1)
    assert await asyncio.wait_for(pending, 2) == {
        "status": "started",
        "filename": "benchy.gcode",
    }
    assert (prusa.status, prusa.job_name, prusa.remaining_minutes) == (
        "printing",
        "benchy.gcode",
        42,
    )
    assert (request.outcome, request.status, request.done) == ("started", 200, True)
    assert sim.request_count(f"{API}/library/files/*/print", "POST") == 1
    # The job record follows.
    (job,) = (await get_json(session, f"{sim.url}{API}/jobs"))["jobs"]
    assert (job["job_name"], job["status"], job["printer_id"]) == (
        "benchy",
        "running",
        prusa.id,
    )


async def test_finish_uploads_control(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    bambu = sim.printer(0)
    checksum = sim.library_file_named("phone_stand.3mf").checksum
    pending = asyncio.ensure_future(
        request_print(session, sim, checksum, {"printer_id": bambu.id}, expect=200)
    )
    await asyncio.wait_for(sim.print_request_received.wait(), 2)
    async with session.get(f"{sim.url}/_simulator/state") as response:
        assert (await response.json())["pending_uploads"] == 1
    async with session.post(f"{sim.url}/_simulator/uploads/finish") as response:
        assert await response.json() == {"finished": 1}
    await asyncio.wait_for(pending, 2)
    assert bambu.job_name == "phone_stand.3mf"
    async with session.get(f"{sim.url}/_simulator/print-requests") as response:
        assert await response.json() == [
            {
                "checksum": checksum,
                "printer_id": bambu.id,
                "filename": "phone_stand.3mf",
                "outcome": "started",
                "status": 200,
            }
        ]


async def test_print_refusals(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async with running_simulator(printers=2) as sim:  # uploads take no time
        bambu, prusa = sim.printer(0), sim.printer(1)
        benchy = sim.library_file_named("benchy.gcode").checksum
        vase = sim.library_file_named("planter_vase.stl").checksum
        body = await request_print(
            session, sim, UNKNOWN, {"printer_id": bambu.id}, expect=404
        )
        assert (body["error_code"], body["message"], body["details"]) == (
            "LIBRARY_ITEM_NOT_FOUND",
            f"Library item not found: {UNKNOWN}",
            {"item_id": UNKNOWN},
        )
        body = await request_print(
            session, sim, vase, {"printer_id": bambu.id}, expect=400
        )
        assert (body["error_code"], body["message"]) == (
            "HTTP_400",
            "File is not a printable print file",
        )
        body = await request_print(
            session, sim, benchy, {"printer_id": "nope"}, expect=404
        )
        assert (body["error_code"], body["message"]) == (
            "HTTP_404",
            "Printer not found",
        )
        prusa.go_offline()
        body = await request_print(
            session, sim, benchy, {"printer_id": prusa.id}, expect=502
        )
        assert (body["error_code"], body["message"]) == (
            "HTTP_502",
            "Failed to upload file to printer",
        )
        prusa.come_online()
        bambu.start_job("other.gcode")
        body = await request_print(
            session, sim, benchy, {"printer_id": bambu.id}, expect=502
        )
        assert body["message"] == "Uploaded but failed to start print"
        assert bambu.job_name == "other.gcode"
        prusa.refuse_prints("upload")
        await request_print(session, sim, benchy, {"printer_id": prusa.id}, expect=502)
        async with session.post(
            f"{sim.url}/_simulator/printers/{prusa.id}/prints", json={"refuse": "start"}
        ) as response:
            assert await response.json() == {"refuse": "start"}
        body = await request_print(
            session, sim, benchy, {"printer_id": prusa.id}, expect=502
        )
        assert body["message"] == "Uploaded but failed to start print"
        async with session.post(
            f"{sim.url}/_simulator/printers/{prusa.id}/prints", json={"refuse": None}
        ) as response:
            assert response.status == 200
        await request_print(session, sim, benchy, {"printer_id": prusa.id}, expect=200)
        assert prusa.job_name == "benchy.gcode"
        async with session.post(
            f"{sim.url}/_simulator/printers/{prusa.id}/prints", json={"refuse": "later"}
        ) as response:
            assert response.status == 400
        assert [r.outcome for r in sim.print_requests] == [
            "not_found",
            "not_printable",
            "printer_not_found",
            "upload_failed",
            "start_failed",
            "upload_failed",
            "start_failed",
            "started",
        ]
        # A bad body never reaches the route (and is not a print request).
        for bad in ({}, {"printer_id": 3}, [bambu.id]):
            body = await request_print(session, sim, benchy, bad, expect=422)
            assert body["error_code"] == "VALIDATION_ERROR"
        assert len(sim.print_requests) == 8
        with pytest.raises(ValueError, match="stage"):
            prusa.refuse_prints("never")


async def test_printer_going_away_during_the_upload(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    prusa = sim.printer(1)
    checksum = sim.library_file_named("benchy.gcode").checksum
    pending = asyncio.ensure_future(
        request_print(session, sim, checksum, {"printer_id": prusa.id}, expect=502)
    )
    await asyncio.wait_for(sim.print_request_received.wait(), 2)
    prusa.go_unreachable()
    sim.advance(120)
    body = await asyncio.wait_for(pending, 2)
    assert body["message"] == "Failed to upload file to printer"
    assert prusa.job_name is None


async def test_print_request_held_by_a_fault_arrives_once(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    bambu = sim.printer(0)
    checksum = sim.library_file_named("benchy.gcode").checksum
    hang = sim.fault(FaultKind.HANG, path=f"{API}/library/files/*/print")
    pending = asyncio.ensure_future(
        request_print(session, sim, checksum, {"printer_id": bambu.id}, expect=200)
    )
    await asyncio.wait_for(hang.hit.wait(), 2)
    assert sim.print_requests == []  # held before the route
    hang.clear()
    await asyncio.wait_for(sim.print_request_received.wait(), 2)
    sim.finish_uploads()
    await asyncio.wait_for(pending, 2)
    assert len(sim.print_requests) == 1
    assert sim.request_count(f"{API}/library/files/{checksum}/print", "POST") == 1


async def test_restart_interrupts_an_upload(sim: Simulator) -> None:
    bambu = sim.printer(0)
    checksum = sim.library_file_named("benchy.gcode").checksum
    async with fresh_session() as session:
        pending = asyncio.ensure_future(
            session.post(print_url(sim, checksum), json={"printer_id": bambu.id})
        )
        await asyncio.wait_for(sim.print_request_received.wait(), 2)
        await sim.restart()
        with pytest.raises(aiohttp.ClientError):
            await asyncio.wait_for(pending, 5)
    assert sim.print_requests[0].outcome == "interrupted"
    assert bambu.job_name is None
    assert sim.pending_uploads == 0


async def test_realtime_upload_takes_real_seconds(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async with running_simulator(realtime=True, upload_delay=0.2) as sim:
        prusa = sim.printer(1)
        checksum = sim.library_file_named("calibration_cube.gcode").checksum
        loop = asyncio.get_running_loop()
        started = loop.time()
        await request_print(
            session, sim, checksum, {"printer_id": prusa.id}, expect=200
        )
        assert loop.time() - started >= 0.2
        assert prusa.job_name == "calibration_cube.gcode"
    assert Simulator(realtime=True).upload_delay == 3.0
    assert Simulator().upload_delay == 0.0
    with pytest.raises(ValueError, match="upload_delay"):
        Simulator(upload_delay=-1)
