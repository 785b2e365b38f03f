"""Camera status, frames and their budget, the stream URL and snapshots."""

from __future__ import annotations

from datetime import UTC, datetime
import logging
import socket
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from custom_components.printernizer.api import (
    FRAME_DEADLINE,
    CameraStatus,
    Image,
    PrinternizerClient,
    PrinternizerNoFrameError,
    PrinternizerNotFoundError,
    PrinternizerRateLimitError,
    PrinternizerRequestError,
    PrinternizerResponseError,
    PrinternizerServerError,
    PrinternizerTimeoutError,
    PrinternizerUnreachableError,
    PrinterType,
    RequestBudget,
    Snapshot,
    SnapshotTrigger,
)

from .conftest import (
    BAMBU_ID,
    PRUSA_ID,
    ClientFactory,
    FakeClock,
    FakeServer,
    Reply,
    TimeWarpSession,
    capture,
    capture_json,
)

JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 60
PREVIEW = f"/api/v1/printers/{BAMBU_ID}/camera/preview"
EXTERNAL = f"/api/v1/printers/{BAMBU_ID}/camera/external-preview"
STREAM = f"/api/v1/printers/{BAMBU_ID}/camera/stream"
SNAPSHOT = f"/api/v1/printers/{BAMBU_ID}/camera/snapshot"
SNAPSHOTS = f"/api/v1/printers/{BAMBU_ID}/snapshots"
STATUS = f"/api/v1/printers/{BAMBU_ID}/status"
ACCESS_CODE = "12345678"
LIVE = f"rtsps://bblp:{ACCESS_CODE}@192.168.1.5:322/streaming/live/1"
TOKYO = ZoneInfo("Asia/Tokyo")
NO_LOCATION = (
    "GET /api/v1/printers/{id}/camera/stream: redirect without a usable location"
)


def _snapshot(snapshot_id: int = 7, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": snapshot_id,
        "printer_id": BAMBU_ID,
        "job_id": None,
        "filename": f"snapshot_{BAMBU_ID}_20261128_220301.jpg",
        "file_size": 48213,
        "content_type": "image/jpeg",
        "captured_at": "2026-11-28T22:03:01.021759",
        "capture_trigger": "manual",
        "width": 1280,
        "height": 720,
        "is_valid": True,
        "notes": None,
        "job_name": None,
        "job_status": None,
        "printer_name": "Test Bambu A1",
        "printer_type": "bambu_lab",
    }
    body.update(changes)
    return body


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --------------------------------------------------------------------------
# Camera status


async def test_camera_status_of_the_captured_printers(
    client: PrinternizerClient, server: FakeServer
) -> None:
    bambu = await client.camera_status(BAMBU_ID)
    prusa = await client.camera_status(PRUSA_ID)

    assert bambu == CameraStatus(
        has_camera=True,
        has_external_webcam=False,
        is_available=True,
        stream_url=f"/api/v1/printers/{BAMBU_ID}/camera/preview",
        external_webcam_url=None,
        external_webcam_type=None,
        ffmpeg_available=True,
        ffmpeg_required=False,
        error_message=None,
        last_snapshot_at=None,
    )
    assert prusa.has_camera is False
    assert prusa.is_available is False
    assert prusa.stream_url is None
    assert prusa.error_message is not None
    assert prusa.error_message.startswith("No camera detected by PrusaLink.")
    assert [seen.raw_path for seen in server.requests] == [
        f"/api/v1/printers/{BAMBU_ID}/camera/status",
        f"/api/v1/printers/{PRUSA_ID}/camera/status",
    ]


async def test_camera_status_reads_the_last_snapshot_in_the_server_zone(
    make_client: ClientFactory, server: FakeServer
) -> None:
    client = make_client(time_zone=TOKYO)
    body = capture_json("camera_status_bambu.json")
    body["last_snapshot_at"] = "2026-11-28T22:03:01"
    server.set("GET", f"/api/v1/printers/{BAMBU_ID}/camera/status", Reply(body=body))

    status = await client.camera_status(BAMBU_ID)

    assert status.last_snapshot_at == datetime(2026, 11, 28, 13, 3, 1, tzinfo=UTC)


def test_camera_status_keeps_urls_with_credentials_out_of_its_repr() -> None:
    body = capture_json("camera_status_bambu.json")
    body.update(
        stream_url=LIVE,
        has_external_webcam=True,
        external_webcam_url="http://cam:s3cret@192.168.1.9/snap.jpg",
        external_webcam_type="http",
        error_message="ffmpeg failed on rtsp://cam:s3cret@192.168.1.9/live",
    )

    status = CameraStatus.from_dict(body)

    assert status.stream_url == LIVE
    assert status.external_webcam_url == "http://cam:s3cret@192.168.1.9/snap.jpg"
    assert status.error_message == "ffmpeg failed on rtsp://192.168.1.9/live"
    text = repr(status)
    assert ACCESS_CODE not in text
    assert "s3cret" not in text
    assert "external_webcam_type='http'" in text


def test_camera_status_defaults_and_wrong_types() -> None:
    status = CameraStatus.from_dict({"ffmpeg_available": False})

    assert (status.has_camera, status.is_available, status.ffmpeg_available) == (
        False,
        False,
        False,
    )
    assert CameraStatus.from_dict({}).ffmpeg_available is True
    with pytest.raises(PrinternizerResponseError) as err:
        CameraStatus.from_dict({"has_camera": "yes"})
    assert str(err.value) == "camera_status.has_camera: expected bool, got str"
    with pytest.raises(PrinternizerResponseError) as err:
        CameraStatus.from_dict({"stream_url": {"url": LIVE}})
    assert str(err.value) == "camera_status.stream_url: expected str, got object"
    assert ACCESS_CODE not in str(err.value)


# --------------------------------------------------------------------------
# Frames


async def test_camera_frame(client: PrinternizerClient, server: FakeServer) -> None:
    server.set("GET", PREVIEW, Reply(body=JPEG, content_type="image/jpeg"))
    server.set("GET", EXTERNAL, Reply(body=JPEG, content_type="image/png"))

    frame = await client.camera_frame(BAMBU_ID)
    external = await client.camera_frame(BAMBU_ID, external=True)

    assert frame == Image(content=JPEG, content_type="image/jpeg")
    assert external.content_type == "image/png"
    assert [(seen.raw_path, seen.headers["Accept"]) for seen in server.requests] == [
        (PREVIEW, "image/*"),
        (EXTERNAL, "image/*"),
    ]


async def test_no_frame_is_its_own_error_and_never_retried(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    with pytest.raises(PrinternizerNoFrameError) as err:
        await client.camera_frame(BAMBU_ID)

    assert isinstance(err.value, PrinternizerServerError)
    assert err.value.status == 503
    assert err.value.error_code == "SERVICE_UNAVAILABLE"
    assert err.value.message == (
        "camera_preview is unavailable: Failed to get preview: No frame available"
    )
    assert len(server.hits(PREVIEW)) == 1
    assert clock.sleeps == []
    # The server answered "no picture": not a failed request.
    metrics = client.metrics
    assert (metrics.failed_requests, metrics.successful_fetches) == (0, 1)


async def test_a_printer_without_camera_is_a_request_error(
    client: PrinternizerClient, server: FakeServer
) -> None:
    with pytest.raises(PrinternizerRequestError) as err:
        await client.camera_frame(PRUSA_ID)

    assert err.value.status == 400
    assert err.value.error_code == "VALIDATION"
    assert err.value.message == (
        "Validation failed for 'camera': Printer does not have camera support"
    )


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=502),
        Reply(status=504),
        Reply(status=429, headers={"Retry-After": "1"}),
        Reply(body=b"", content_type="image/jpeg"),
    ],
)
async def test_frames_are_never_retried(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock, reply: Reply
) -> None:
    server.set("GET", PREVIEW, reply, Reply(body=JPEG, content_type="image/jpeg"))

    with pytest.raises(
        (
            PrinternizerServerError,
            PrinternizerRateLimitError,
            PrinternizerResponseError,
        )
    ):
        await client.camera_frame(BAMBU_ID)

    assert len(server.hits(PREVIEW)) == 1
    assert clock.sleeps == []


async def test_a_refused_connection_is_not_retried_for_a_frame(
    socket_enabled: None, make_client: ClientFactory
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{_closed_port()}")

    with pytest.raises(PrinternizerUnreachableError):
        await client.camera_frame(BAMBU_ID)

    assert client.metrics.total_requests == 1


async def test_a_late_frame_is_given_up_after_the_frame_deadline(
    server: FakeServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    warp = TimeWarpSession(session, clock)
    client = PrinternizerClient(
        warp,  # type: ignore[arg-type]
        server.url,
        sleep=clock.sleep,
        clock=clock,
    )
    server.set("GET", PREVIEW, Reply(hang=True))

    with pytest.raises(PrinternizerTimeoutError):
        await client.camera_frame(BAMBU_ID)

    assert [t.total for t in warp.timeouts] == [FRAME_DEADLINE]
    assert clock.elapsed == pytest.approx(FRAME_DEADLINE)
    assert len(server.hits(PREVIEW)) == 1


# --------------------------------------------------------------------------
# The frame budget


async def _ask_for_frame(client: PrinternizerClient) -> bool:
    """Ask for a frame; return whether one came (False when refused unsent)."""
    refusal: PrinternizerRateLimitError | None = None
    try:
        await client.camera_frame(BAMBU_ID)
    except PrinternizerRateLimitError as err:
        refusal = err
    if refusal is None:
        return True
    assert refusal.status is None
    assert refusal.retry_after is not None
    assert refusal.retry_after > 0
    return False


async def test_60_frame_requests_in_a_minute_send_at_most_20(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    server.set("GET", PREVIEW, Reply(body=JPEG, content_type="image/jpeg"))

    answered = 0
    for _ in range(60):
        answered += await _ask_for_frame(client)
        clock.advance(1.0)

    sent = len(server.hits(PREVIEW))
    assert answered == sent
    assert 15 <= sent <= 20
    assert clock.sleeps == []
    # Refused frames are routine, not errors.
    assert client.metrics.last_error is None


async def test_frames_stay_within_20_in_any_minute(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    server.set("GET", PREVIEW, Reply(body=JPEG, content_type="image/jpeg"))

    for _ in range(600):
        await _ask_for_frame(client)
        clock.advance(0.5)

    arrivals = [seen.at for seen in server.hits(PREVIEW)]
    for at in arrivals:
        assert len([t for t in arrivals if at <= t < at + 60.0]) <= 20
    # Over five minutes: the burst of 5, then 15 a minute.
    assert len(arrivals) == pytest.approx(5 + 15 * 5, abs=1)


async def test_a_burst_of_frames_sends_five(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set("GET", PREVIEW, Reply(body=JPEG, content_type="image/jpeg"))

    results = [await _ask_for_frame(client) for _ in range(60)]

    assert results == [True] * 5 + [False] * 55
    assert len(server.hits(PREVIEW)) == 5


async def test_status_polls_keep_their_pace_while_frames_are_requested(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    server.set("GET", PREVIEW, Reply(body=JPEG, content_type="image/jpeg"))

    # Three minutes: a status every 2 s, a frame asked for every 0.5 s.
    for tick in range(360):
        if tick % 4 == 0:
            await client.printer_status(BAMBU_ID)
        await _ask_for_frame(client)
        clock.advance(0.5)

    assert len(server.hits(STATUS)) == 90
    # No status call ever waited for the budget.
    assert clock.sleeps == []


async def test_frames_leave_the_shared_budget_a_reserve_for_status_polls(
    make_client: ClientFactory, server: FakeServer, clock: FakeClock
) -> None:
    # A camera budget so large that only the shared budget's reserve holds
    # frames back.
    client = make_client(camera_budget=RequestBudget(per_minute=10_000, burst=1000))
    server.set("GET", PREVIEW, Reply(body=JPEG, content_type="image/jpeg"))
    refusals: list[str] = []

    for tick in range(1200):
        if tick % 20 == 0:
            await client.printer_status(BAMBU_ID)
        try:
            await client.camera_frame(BAMBU_ID)
        except PrinternizerRateLimitError as err:
            refusals.append(str(err))
        clock.advance(0.1)

    # Two minutes: a status every 2 s, never kept waiting.
    assert len(server.hits(STATUS)) == 60
    assert clock.sleeps == []
    # Frames took the rest of the 60 a minute, and no more.
    frames = len(server.hits(PREVIEW))
    assert 10 + 120 - 60 - 3 <= frames <= 10 + 120 - 60
    assert set(refusals) == {"request budget kept for status polls"}


async def test_one_frame_budget_per_client(
    make_client: ClientFactory, server: FakeServer
) -> None:
    server.set("GET", PREVIEW, Reply(body=JPEG, content_type="image/jpeg"))
    first, second = make_client(), make_client()

    results = [await _ask_for_frame(first) for _ in range(6)]
    results += [await _ask_for_frame(second) for _ in range(6)]

    assert results == ([True] * 5 + [False]) * 2


# --------------------------------------------------------------------------
# The stream URL


@pytest.mark.parametrize("status", [302, 307])
async def test_stream_url_is_the_redirect_not_followed(
    client: PrinternizerClient,
    server: FakeServer,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    server.set("GET", STREAM, Reply(status=status, headers={"Location": LIVE}))

    with caplog.at_level(logging.DEBUG):
        url = await client.camera_stream_url(BAMBU_ID)

    assert url == LIVE
    assert [seen.raw_path for seen in server.requests] == [STREAM]
    assert ACCESS_CODE not in caplog.text


async def test_a_relative_stream_location_is_resolved_against_the_server(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET", STREAM, Reply(status=302, headers={"Location": "/webcam/stream.mjpg"})
    )

    url = await client.camera_stream_url(BAMBU_ID)

    assert url == f"{server.url}/webcam/stream.mjpg"


@pytest.mark.parametrize(
    "reply", [capture("camera_stream_unavailable_503.json"), Reply(status=404)]
)
async def test_no_stream_is_none(
    client: PrinternizerClient, server: FakeServer, reply: Reply
) -> None:
    server.set("GET", STREAM, reply)

    assert await client.camera_stream_url(BAMBU_ID) is None
    assert len(server.hits(STREAM)) == 1


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (
            Reply(status=302),
            PrinternizerResponseError,
            NO_LOCATION,
        ),
        (
            Reply(status=302, headers={"Location": f"http://u:{ACCESS_CODE}@[::1"}),
            PrinternizerResponseError,
            NO_LOCATION,
        ),
        (
            Reply(body="stream", content_type="multipart/x-mixed-replace"),
            PrinternizerResponseError,
            "GET /api/v1/printers/{id}/camera/stream: expected a redirect, got HTTP 200",
        ),
        (
            Reply(status=304, headers={"Location": LIVE}),
            PrinternizerResponseError,
            "GET /api/v1/printers/{id}/camera/stream: unexpected HTTP 304",
        ),
        (
            capture("camera_preview_no_camera_400.json"),
            PrinternizerRequestError,
            (
                "GET /api/v1/printers/{id}/camera/stream: HTTP 400 VALIDATION: "
                "Validation failed for 'camera': Printer does not have camera support"
            ),
        ),
    ],
)
async def test_unusable_stream_answers(
    client: PrinternizerClient,
    server: FakeServer,
    reply: Reply,
    error: type[Exception],
    message: str,
) -> None:
    server.set("GET", STREAM, reply)

    with pytest.raises(error) as err:
        await client.camera_stream_url(BAMBU_ID)

    assert str(err.value) == message
    assert ACCESS_CODE not in (client.metrics.last_error or "")


async def test_a_stream_route_that_streams_is_cut_short(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET",
        STREAM,
        Reply(stream=64 * 1024 * 1024, content_type="multipart/x-mixed-replace"),
    )

    with pytest.raises(PrinternizerResponseError) as err:
        await client.camera_stream_url(BAMBU_ID)

    assert str(err.value) == (
        "GET /api/v1/printers/{id}/camera/stream: response larger than 65536 bytes"
    )


async def test_the_stream_url_is_retried_as_a_read(
    client: PrinternizerClient, server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.set(
        "GET",
        STREAM,
        Reply(status=502),
        Reply(status=302, headers={"Location": LIVE}),
    )

    with caplog.at_level(logging.DEBUG):
        url = await client.camera_stream_url(BAMBU_ID)

    assert url == LIVE
    assert len(server.hits(STREAM)) == 2
    assert ACCESS_CODE not in caplog.text


# --------------------------------------------------------------------------
# Snapshots


async def test_take_snapshot(make_client: ClientFactory, server: FakeServer) -> None:
    client = make_client(time_zone=TOKYO)
    server.set("POST", SNAPSHOT, Reply(body=_snapshot()))

    snapshot = await client.take_snapshot(BAMBU_ID)

    [seen] = server.hits(SNAPSHOT, "POST")
    assert seen.json() == {"printer_id": BAMBU_ID, "capture_trigger": "manual"}
    assert snapshot.id == 7
    assert snapshot.capture_trigger is SnapshotTrigger.MANUAL
    assert snapshot.printer_type is PrinterType.BAMBU_LAB
    assert snapshot.captured_at == datetime(2026, 11, 28, 13, 3, 1, 21759, tzinfo=UTC)
    assert (snapshot.width, snapshot.height, snapshot.file_size) == (1280, 720, 48213)


async def test_a_snapshot_without_a_frame_is_sent_once(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    with pytest.raises(PrinternizerServerError) as err:
        await client.take_snapshot(BAMBU_ID)

    assert not isinstance(err.value, PrinternizerNoFrameError)
    assert err.value.status == 503
    assert err.value.message == (
        "camera_snapshot is unavailable: Failed to capture snapshot: No frame available"
    )
    assert len(server.hits(SNAPSHOT, "POST")) == 1
    assert clock.sleeps == []


async def test_snapshots_count_as_print_commands(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set("POST", SNAPSHOT, Reply(body=_snapshot()))
    server.set("POST", f"/api/v1/printers/{BAMBU_ID}/pause", Reply(body={}))
    for _ in range(9):
        await client.pause(BAMBU_ID)
    await client.take_snapshot(BAMBU_ID)

    with pytest.raises(PrinternizerRateLimitError):
        await client.take_snapshot(BAMBU_ID)

    assert len(server.hits(SNAPSHOT, "POST")) == 1


async def test_snapshots_list(make_client: ClientFactory, server: FakeServer) -> None:
    client = make_client(time_zone=TOKYO)
    server.set(
        "GET",
        SNAPSHOTS,
        Reply(
            body=[
                _snapshot(9, captured_at="2026-11-28T22:10:00", job_id=12),
                _snapshot(8, captured_at="2026-11-28T22:05:00", capture_trigger="auto"),
                _snapshot(7),
            ]
        ),
    )

    snapshots = await client.snapshots(BAMBU_ID, limit=2)

    assert [s.id for s in snapshots] == [9, 8]
    assert snapshots[0].job_id == "12"
    assert snapshots[1].capture_trigger is SnapshotTrigger.AUTO
    assert snapshots[0].captured_at == datetime(2026, 11, 28, 13, 10, tzinfo=UTC)
    [seen] = server.hits(SNAPSHOTS)
    assert seen.query == {"limit": "2"}


async def test_snapshots_empty_capture(client: PrinternizerClient) -> None:
    assert await client.snapshots(BAMBU_ID) == []


async def test_snapshots_wrong_shapes(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET",
        SNAPSHOTS,
        Reply(body={"snapshots": []}),
        Reply(body=[_snapshot(), _snapshot("8")]),
    )

    with pytest.raises(PrinternizerResponseError) as err:
        await client.snapshots(BAMBU_ID)
    assert str(err.value) == "snapshots: expected array, got object"
    with pytest.raises(PrinternizerResponseError) as err:
        await client.snapshots(BAMBU_ID)
    assert str(err.value) == "snapshots[1].id: expected int, got str"
    with pytest.raises(ValueError, match="limit"):
        await client.snapshots(BAMBU_ID, limit=0)


async def test_snapshot_image(client: PrinternizerClient, server: FakeServer) -> None:
    path = "/api/v1/printers/snapshots/7/download"
    server.set(
        "GET",
        path,
        Reply(
            body=JPEG,
            headers={
                "Content-Type": "image/jpeg",
                "Content-Disposition": 'attachment; filename="snapshot.jpg"',
            },
        ),
    )

    image = await client.snapshot_image(7)

    assert image == Image(content=JPEG, content_type="image/jpeg")
    assert server.hits(path)[0].headers["Accept"] == "image/*"


async def test_unknown_snapshot(client: PrinternizerClient, server: FakeServer) -> None:
    server.set(
        "GET",
        "/api/v1/printers/snapshots/99/download",
        Reply(
            status=404,
            body={
                "status": "error",
                "message": "snapshot not found: 99",
                "error_code": "NOT_FOUND",
                "details": {},
            },
        ),
    )

    with pytest.raises(PrinternizerNotFoundError) as err:
        await client.snapshot_image(99)

    assert err.value.error_code == "NOT_FOUND"
    with pytest.raises(TypeError):
        await client.snapshot_image(True)
    with pytest.raises(TypeError):
        await client.snapshot_image("7")  # type: ignore[arg-type]


def test_snapshot_model_leniency_and_strictness() -> None:
    snapshot = Snapshot.from_dict(
        {
            "id": 3,
            "printer_id": "p",
            "job_id": "e8ed46ff",
            "capture_trigger": "timelapse",
            "printer_type": "klipper",
        }
    )

    assert snapshot.job_id == "e8ed46ff"
    assert snapshot.capture_trigger is SnapshotTrigger.UNKNOWN
    assert snapshot.printer_type is PrinterType.UNKNOWN
    assert snapshot.is_valid is True
    assert snapshot.captured_at is None
    with pytest.raises(PrinternizerResponseError) as err:
        Snapshot.from_dict({"id": 3, "printer_id": "p", "job_id": True})
    assert str(err.value) == "snapshot.job_id: expected int or str, got bool"
    with pytest.raises(PrinternizerResponseError) as err:
        Snapshot.from_dict({"printer_id": "p"})
    assert str(err.value) == "snapshot.id: missing"
