"""The simulator's camera routes: status, pictures, live stream, webcams, snapshots."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import io
from typing import Any

import aiohttp
from PIL import Image
import pytest

from tests.simulator import FaultKind, SimPrinter, Simulator
from tests.simulator.frames import Scene, frame_jpeg, parse_colour
from tests.simulator.jpeg import encode_jpeg, jpeg_size
from tests.simulator.testing import ManualClock, running_simulator

API = "/api/v1"
A1_ID = "0f4c1a2b-3d4e-4f50-8a6b-7c8d9e0f1a2b"
PRUSA_CAM_ID = "5b6c7d8e-9f01-4234-8567-89abcdef0123"


def fleet() -> list[SimPrinter]:
    """X1C (live stream), A1 (pictures only), a Prusa with and one without a camera."""
    return [
        SimPrinter("Bambu X1C", "bambu_lab", id="e3e70682-c209-4cac-a29f-6fbed82c07cd"),
        SimPrinter("Bambu A1", "bambu_lab", id=A1_ID),
        SimPrinter(
            "Prusa MK4", "prusa_core", id="19488dec-4f65-44d9-a59f-4329e6f4590b"
        ),
        SimPrinter("Prusa CORE One", "prusa_core", id=PRUSA_CAM_ID, camera=True),
    ]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def sim(socket_enabled: None, clock: ManualClock) -> AsyncIterator[Simulator]:
    async with running_simulator(printers=fleet(), clock=clock) as simulator:
        yield simulator


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def get_json(session: aiohttp.ClientSession, url: str, expect: int = 200) -> Any:
    async with session.get(url) as response:
        assert response.status == expect, await response.text()
        return await response.json()


async def get_image(
    session: aiohttp.ClientSession, url: str
) -> tuple[bytes, aiohttp.ClientResponse]:
    async with session.get(url) as response:
        assert response.status == 200, await response.text()
        return await response.read(), response


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def status_url(sim: Simulator, printer_id: str) -> str:
    return f"{sim.url}{API}/printers/{printer_id}/camera/status"


def camera_url(sim: Simulator, printer_id: str, route: str) -> str:
    return f"{sim.url}{API}/printers/{printer_id}/camera/{route}"


# ---------------------------------------------------------------------------- status


async def test_camera_status_per_printer(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    x1c, a1, mk4, core_one = sim.printers.values()
    status = await get_json(session, status_url(sim, x1c.id))
    # The live stream URL carries the access code in clear text, as the server sends it.
    assert status == {
        "has_camera": True,
        "has_external_webcam": False,
        "is_available": True,
        "stream_url": f"rtsps://bblp:{x1c.access_code}@{x1c.ip_address}:322/streaming/live/1",
        "external_webcam_url": None,
        "external_webcam_type": None,
        "ffmpeg_available": True,
        "ffmpeg_required": False,
        "error_message": None,
        "last_snapshot_at": None,
    }
    status = await get_json(session, status_url(sim, a1.id))
    assert status["stream_url"] == f"/api/v1/printers/{a1.id}/camera/preview"
    status = await get_json(session, status_url(sim, mk4.id))
    assert (status["has_camera"], status["is_available"], status["stream_url"]) == (
        False,
        False,
        None,
    )
    assert status["error_message"].startswith("No camera detected by PrusaLink.")
    status = await get_json(session, status_url(sim, core_one.id))
    assert (status["has_camera"], status["is_available"], status["error_message"]) == (
        True,
        True,
        None,
    )
    a1.camera = False
    status = await get_json(session, status_url(sim, a1.id))
    assert status["error_message"].startswith("Camera not available. Bambu Lab")

    mk4.webcam_url = "http://viewer:hunter2@192.168.1.60:8080/snapshot.jpg"
    status = await get_json(session, status_url(sim, mk4.id))
    assert (status["has_external_webcam"], status["is_available"]) == (True, True)
    assert (
        status["external_webcam_url"]
        == "http://viewer:***@192.168.1.60:8080/snapshot.jpg"
    )
    assert status["external_webcam_type"] == "snapshot"
    assert status["error_message"] is None
    mk4.webcam_url = "rtsp://192.168.1.61/live"
    sim.ffmpeg_available = False
    status = await get_json(session, status_url(sim, mk4.id))
    assert (status["external_webcam_type"], status["ffmpeg_required"]) == ("rtsp", True)
    # Still "available": the server's check only looks at the URL being set here.
    assert (status["ffmpeg_available"], status["is_available"]) == (False, True)
    assert status["error_message"] == (
        "RTSP stream requires ffmpeg. Install with: apt-get install ffmpeg"
    )

    x1c.fail_camera("Camera connection failed: timed out")
    status = await get_json(session, status_url(sim, x1c.id))
    assert status["error_message"] == "Camera connection failed: timed out"
    assert status["stream_url"] == f"/api/v1/printers/{x1c.id}/camera/preview"
    assert status["is_available"] is True


async def test_camera_routes_want_a_uuid(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    body = await get_json(session, status_url(sim, "printer-1"), expect=422)
    (error,) = body["details"]["validation_errors"]
    assert (error["type"], error["loc"], error["input"]) == (
        "uuid_parsing",
        ["path", "printer_id"],
        "printer-1",
    )
    assert "found `p` at 1" in error["msg"]
    body = await get_json(session, camera_url(sim, "abc", "preview"), expect=422)
    assert "invalid length" in body["details"]["validation_errors"][0]["msg"]
    missing = "00000000-0000-4000-8000-000000000000"
    body = await get_json(session, status_url(sim, missing), expect=404)
    assert body["error_code"] == "PRINTER_NOT_FOUND"
    # Config-file printers may have any id; the camera routes cannot reach them.
    sim.add_printer(SimPrinter("Garage", "bambu_lab", id="garage"))
    await get_json(session, camera_url(sim, "garage", "preview"), expect=422)


# --------------------------------------------------------------------------- pictures


async def test_preview_is_a_decodable_jpeg_that_changes(
    sim: Simulator, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    x1c = sim.printer(0)
    url = camera_url(sim, x1c.id, "preview")
    first, response = await get_image(session, url)
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Cache-Control"] == "public, max-age=5"
    assert response.headers["Content-Disposition"] == "inline"
    assert response.headers["X-Timezone"] == "Europe/Berlin"
    image = decode(first)
    assert (image.format, image.size) == ("JPEG", (160, 120))
    # Within the server's 5 s cache the same picture comes back.
    clock.advance(4.9)
    assert (await get_image(session, url))[0] == first
    clock.advance(0.1)
    second, _ = await get_image(session, url)
    assert second != first
    assert decode(second).size == (160, 120)

    # The part on the bed grows with the print, in the active filament's colour.
    idle_part = decode(second).getpixel((80, 90))
    assert max(idle_part) < 80
    x1c.start_job("benchy.gcode", duration_minutes=10)
    sim.advance(120)  # 20 %: the first AMS slot, white PLA, is feeding
    clock.advance(5)
    printing = decode((await get_image(session, url))[0])
    assert min(printing.getpixel((80, 90))) > 200
    sim.advance(180)  # 50 %: the second slot, black PLA
    clock.advance(5)
    printing = decode((await get_image(session, url))[0])
    assert max(printing.getpixel((80, 90))) < 40


async def test_prusa_camera_delivers_png(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    data, response = await get_image(session, camera_url(sim, PRUSA_CAM_ID, "preview"))
    assert response.headers["Content-Type"] == "image/png"
    image = decode(data)
    assert (image.format, image.size) == ("PNG", (160, 120))


async def test_preview_refusals(sim: Simulator, session: aiohttp.ClientSession) -> None:
    x1c, a1, mk4, _ = sim.printers.values()
    body = await get_json(session, camera_url(sim, mk4.id, "preview"), expect=400)
    assert {k: v for k, v in body.items() if k != "timestamp"} == {
        "status": "error",
        "message": "Validation failed for 'camera': Printer does not have camera support",
        "error_code": "VALIDATION",
        "details": {"field": "camera", "error": "Printer does not have camera support"},
    }
    no_frame = {
        "service": "camera_preview",
        "reason": "Failed to get preview: No frame available",
    }
    for make_it_fail, make_it_work in (
        (a1.go_offline, a1.come_online),
        (a1.go_unreachable, a1.come_online),
        (a1.fail_camera, a1.restore_camera),
    ):
        make_it_fail()
        body = await get_json(session, camera_url(sim, a1.id, "preview"), expect=503)
        assert (body["error_code"], body["details"]) == (
            "SERVICE_UNAVAILABLE",
            no_frame,
        )
        make_it_work()
        await get_image(session, camera_url(sim, a1.id, "preview"))

    hang = sim.fault(FaultKind.HANG, path=f"{API}/printers/*/camera/preview")
    pending = asyncio.ensure_future(session.get(camera_url(sim, x1c.id, "preview")))
    await asyncio.wait_for(hang.hit.wait(), 2)
    assert not pending.done()
    hang.clear()
    async with await pending as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/jpeg"


async def test_live_stream_redirect(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    x1c, a1, mk4, core_one = sim.printers.values()
    async with session.get(
        camera_url(sim, x1c.id, "stream"), allow_redirects=False
    ) as response:
        assert response.status == 302
        assert response.headers["Location"] == (
            f"rtsps://bblp:{x1c.access_code}@{x1c.ip_address}:322/streaming/live/1"
        )
    unavailable = {"service": "camera_stream", "reason": "Camera stream not available"}
    for printer in (a1, core_one):
        body = await get_json(
            session, camera_url(sim, printer.id, "stream"), expect=503
        )
        assert body["details"] == unavailable
    body = await get_json(session, camera_url(sim, mk4.id, "stream"), expect=400)
    assert body["details"]["field"] == "camera"
    x1c.go_offline()
    await get_json(session, camera_url(sim, x1c.id, "stream"), expect=503)
    status = await get_json(session, status_url(sim, x1c.id))
    assert status["stream_url"] == f"/api/v1/printers/{x1c.id}/camera/preview"


async def test_external_webcam_preview(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    _, a1, mk4, _ = sim.printers.values()
    url = camera_url(sim, mk4.id, "external-preview")
    body = await get_json(session, url, expect=400)
    assert body["details"] == {
        "field": "webcam_url",
        "error": "No external webcam URL configured for this printer",
    }
    mk4.webcam_url = "http://192.168.1.60/snapshot.jpg"
    mk4.go_offline()  # the webcam does not depend on the printer
    data, response = await get_image(session, url)
    assert response.headers["Content-Type"] == "image/jpeg"
    assert decode(data).format == "JPEG"
    mk4.fail_webcam("Connection refused")
    body = await get_json(session, url, expect=503)
    assert body["message"] == (
        "external_camera is unavailable: Failed to get external preview: "
        "Connection refused"
    )
    mk4.restore_camera()
    mk4.webcam_url = "rtsp://192.168.1.61/live"
    sim.ffmpeg_available = False
    await get_json(session, url, expect=503)
    sim.ffmpeg_available = True
    await get_image(session, url)
    missing = "00000000-0000-4000-8000-000000000000"
    body = await get_json(
        session, camera_url(sim, missing, "external-preview"), expect=503
    )
    assert body["details"]["service"] == "external_camera"
    # The built-in camera route ignores the webcam.
    a1.webcam_url = "http://192.168.1.62/snapshot.jpg"
    a1.fail_camera()
    await get_json(session, camera_url(sim, a1.id, "preview"), expect=503)


# -------------------------------------------------------------------------- snapshots


async def post_snapshot(
    session: aiohttp.ClientSession,
    sim: Simulator,
    printer_id: str,
    body: Any = None,
    expect: int = 200,
) -> Any:
    async with session.post(
        camera_url(sim, printer_id, "snapshot"),
        json={"printer_id": printer_id} if body is None else body,
    ) as response:
        assert response.status == expect, await response.text()
        assert response.headers["X-RateLimit-Limit"] == "10"
        return await response.json()


async def test_snapshots_are_stored_listed_and_downloaded(
    sim: Simulator, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    x1c = sim.printer(0)
    listing = f"{sim.url}{API}/printers/{x1c.id}/snapshots"
    assert await get_json(session, listing) == []
    first = await post_snapshot(session, sim, x1c.id)
    assert first["id"] == 1
    assert first["filename"].startswith(f"snapshot_{x1c.id}_")
    assert first["filename"].endswith(".jpg")
    assert (first["content_type"], first["width"], first["height"]) == (
        "image/jpeg",
        160,
        120,
    )
    assert (first["capture_trigger"], first["is_valid"], first["job_id"]) == (
        "manual",
        True,
        None,
    )
    assert (first["printer_name"], first["printer_type"]) == ("Bambu X1C", "bambu_lab")
    clock.advance(1)
    second = await post_snapshot(
        session,
        sim,
        x1c.id,
        {"printer_id": x1c.id, "capture_trigger": "auto", "job_id": 7, "notes": "hi"},
    )
    assert (second["id"], second["job_id"], second["notes"]) == (2, 7, "hi")
    listed = await get_json(session, listing)
    assert [s["id"] for s in listed] == [2, 1]
    assert await get_json(session, f"{listing}?limit=1&offset=1") == [listed[1]]
    async with session.get(f"{sim.url}{API}/printers/snapshots/1/download") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="{first["filename"]}"'
        )
        data = await response.read()
    assert len(data) == first["file_size"]
    assert decode(data).size == (160, 120)
    body = await get_json(
        session, f"{sim.url}{API}/printers/snapshots/99/download", expect=404
    )
    assert (body["error_code"], body["message"]) == (
        "NOT_FOUND",
        "Snapshot not found: 99",
    )
    body = await get_json(
        session, f"{sim.url}{API}/printers/snapshots/one/download", expect=422
    )
    assert body["details"]["validation_errors"][0]["loc"] == ["path", "snapshot_id"]
    # The server never fills last_snapshot_at ...
    assert (await get_json(session, status_url(sim, x1c.id)))[
        "last_snapshot_at"
    ] is None
    # ... unless asked to, like a server that would.
    sim.report_last_snapshot = True
    status = await get_json(session, status_url(sim, x1c.id))
    assert status["last_snapshot_at"] == listed[0]["captured_at"]


async def test_prusa_snapshot_is_png_but_reported_as_jpeg(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    stored = await post_snapshot(session, sim, PRUSA_CAM_ID)
    assert stored["filename"].endswith(".png")
    assert stored["content_type"] == "image/jpeg"  # the route's constant
    listed = await get_json(
        session, f"{sim.url}{API}/printers/{PRUSA_CAM_ID}/snapshots"
    )
    assert listed[0]["content_type"] == "image/png"
    async with session.get(
        f"{sim.url}{API}/printers/snapshots/{stored['id']}/download"
    ) as response:
        assert response.headers["Content-Type"] == "image/png"
        assert decode(await response.read()).format == "PNG"


async def test_snapshot_refusals(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    x1c, a1, mk4, _ = sim.printers.values()
    async with session.post(camera_url(sim, x1c.id, "snapshot")) as response:
        assert response.status == 422
        body = await response.json()
    assert body["details"]["validation_errors"][0]["loc"] == ["body"]
    body = await post_snapshot(session, sim, x1c.id, {}, expect=422)
    assert body["details"]["validation_errors"][0]["loc"] == ["body", "printer_id"]
    body = await post_snapshot(
        session,
        sim,
        x1c.id,
        {"printer_id": x1c.id, "capture_trigger": "now"},
        expect=422,
    )
    assert body["details"]["validation_errors"][0]["type"] == "enum"
    await post_snapshot(session, sim, mk4.id, expect=400)
    a1.go_unreachable()
    body = await post_snapshot(session, sim, a1.id, expect=503)
    assert body["message"] == (
        "camera_snapshot is unavailable: Failed to capture snapshot: No frame available"
    )
    missing = "00000000-0000-4000-8000-000000000000"
    body = await post_snapshot(session, sim, missing, expect=404)
    assert body["error_code"] == "PRINTER_NOT_FOUND"
    assert sim.snapshots == []


# --------------------------------------------------------------------------- controls


async def test_camera_control_route(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    a1 = sim.printers[A1_ID]
    control = f"{sim.url}/_simulator/printers/{a1.id}/camera"

    async def configure(body: dict[str, Any], expect: int = 200) -> Any:
        async with session.post(control, json=body) as response:
            assert response.status == expect, await response.text()
            return await response.json()

    result = await configure({"error": "Camera connection failed: timed out"})
    assert result["error"] == "Camera connection failed: timed out"
    await get_json(session, camera_url(sim, a1.id, "preview"), expect=503)
    status = await get_json(session, status_url(sim, a1.id))
    assert status["error_message"] == "Camera connection failed: timed out"
    await configure({"error": None})
    await get_image(session, camera_url(sim, a1.id, "preview"))
    await configure({"live_stream": True})
    async with session.get(
        camera_url(sim, a1.id, "stream"), allow_redirects=False
    ) as response:
        assert response.status == 302
    await configure({"camera": False})
    await get_json(session, camera_url(sim, a1.id, "preview"), expect=400)
    await configure({"webcam_url": "http://cam/snap.jpg", "webcam_error": "timeout"})
    await get_json(session, camera_url(sim, a1.id, "external-preview"), expect=503)
    await configure({"webcam_error": None})
    await get_image(session, camera_url(sim, a1.id, "external-preview"))
    async with session.post(
        f"{sim.url}/_simulator/printers/nope/camera", json={}
    ) as response:
        assert response.status == 404
    async with session.post(
        f"{sim.url}/_simulator/printers",
        json={"name": "Prusa XL", "printer_type": "prusa_core", "camera": True},
    ) as response:
        added = await response.json()
    data, response = await get_image(session, camera_url(sim, added["id"], "preview"))
    assert response.headers["Content-Type"] == "image/png"
    assert decode(data).format == "PNG"


async def test_frames_change_on_every_request_without_cache(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async with running_simulator(printers=1, camera_frame_seconds=0) as sim:
        url = camera_url(sim, sim.printer(0).id, "preview")
        frames = [(await get_image(session, url))[0] for _ in range(3)]
    assert len(set(frames)) == 3


def test_frame_encoders() -> None:
    scene = Scene(counter=7, progress=None, filament=(0, 0, 0))
    data = frame_jpeg(scene)
    assert jpeg_size(data) == (160, 120)
    assert b"printernizer-sim frame 7" in data  # the comment segment
    assert decode(data).size == (160, 120)
    with pytest.raises(ValueError, match="not a JPEG"):
        jpeg_size(b"\x89PNG")
    with pytest.raises(ValueError, match="width"):
        encode_jpeg(2, 2, b"\x00" * 11)
    # Odd sizes are padded to whole blocks and still decode.
    odd = encode_jpeg(13, 9, b"\x80" * (13 * 9 * 3))
    assert decode(odd).size == (13, 9)
    assert parse_colour("#FF6A13") == (255, 106, 19)
    for bad in (None, "red", "#GG0000", 3):
        assert parse_colour(bad, (1, 2, 3)) == (1, 2, 3)
