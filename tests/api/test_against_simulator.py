"""The client against the simulator: every endpoint it uses, over real sockets.

The other client tests program exact replies; these check that the client and the
fake server agree on the contract end to end, faults and the WebSocket included.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator

import aiohttp
import pytest

from custom_components.printernizer.api import (
    Filament,
    HealthStatus,
    PrinternizerClient,
    PrinternizerConnectionError,
    PrinternizerNoFrameError,
    PrinternizerNotFoundError,
    PrinternizerRateLimitError,
    PrinternizerRequestError,
    PrinternizerResponseError,
    PrinternizerServerError,
    PrinternizerUnreachableError,
    PrinterState,
    PrinterStatusEvent,
    PrinterType,
    RequestBudget,
    RetryPolicy,
    ServiceStatus,
    SnapshotTrigger,
)
from tests.simulator import Simulator
from tests.simulator.testing import running_simulator

NO_WAIT = RetryPolicy(base_delay=0, max_delay=0, deadline=10)


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncGenerator[Simulator]:
    async with running_simulator(printers=2, trending="seed") as simulator:
        yield simulator


@pytest.fixture
async def client(sim: Simulator) -> AsyncGenerator[PrinternizerClient]:
    async with aiohttp.ClientSession() as session:
        yield PrinternizerClient(session, sim.url, retry=NO_WAIT)


async def test_every_endpoint(sim: Simulator, client: PrinternizerClient) -> None:
    """Health, system info, printers, status, controls, trending and thumbnails."""
    health = await client.health()
    assert health.status is HealthStatus.HEALTHY
    assert health.services["trending_service"].status is ServiceStatus.HEALTHY

    info = await client.system_info()
    assert info.timezone == "Europe/Berlin"
    assert str(client.time_zone) == "Europe/Berlin"

    printers = await client.printers()
    assert {p.id for p in printers} == set(sim.printers)
    bambu = next(p for p in printers if p.printer_type.value == "bambu_lab")
    assert (await client.printer(bambu.id)).name == bambu.name

    sim.printers[bambu.id].start_job("benchy.gcode", duration_minutes=30)
    status = await client.printer_status(bambu.id)
    assert status.state is PrinterState.PRINTING
    assert status.job_name == "benchy.gcode"
    assert status.remaining_time == 30
    assert status.timestamp is not None
    assert status.timestamp.tzinfo is not None
    thumbnail = await client.thumbnail(bambu.id)
    assert thumbnail is not None
    assert thumbnail.content_type == "image/png"
    assert thumbnail.content.startswith(b"\x89PNG")

    await client.pause(bambu.id)
    assert (await client.printer_status(bambu.id)).state is PrinterState.PAUSED
    await client.resume(bambu.id)
    await client.stop(bambu.id)
    assert (await client.printer_status(bambu.id)).state is PrinterState.ONLINE
    assert await client.thumbnail(bambu.id) is None

    trending = await client.trending_statistics()
    assert trending.performance_metrics is not None
    assert trending.performance_metrics.success_rate is not None

    check = await client.update_check()
    assert check.current_version == "2.42.0"


async def test_camera_status(sim: Simulator, client: PrinternizerClient) -> None:
    """A live stream's URL carries the access code, which the model never shows."""
    printers = await client.printers()
    for printer in printers:
        status = await client.camera_status(printer.id)
        served = sim.printer(printer.id)
        bambu = printer.printer_type is PrinterType.BAMBU_LAB
        assert status.has_camera is served.camera is bambu
        if served.live_stream:
            assert status.stream_url is not None
            assert status.stream_url.startswith("rtsps://bblp:")
            assert served.access_code is not None
            assert served.access_code in status.stream_url
            assert served.access_code not in repr(status)
        elif bambu:
            assert status.stream_url == f"/api/v1/printers/{printer.id}/camera/preview"
        else:
            assert status.stream_url is None
        assert (status.error_message is None) is bambu


async def test_secrets_stay_on_the_server(
    sim: Simulator, client: PrinternizerClient
) -> None:
    """The printer models keep none of the secrets the server sends in clear text."""
    printers = await client.printers()
    text = repr(printers)
    assert sim.secrets
    for secret in sim.secrets:
        assert secret not in text


async def test_errors_from_the_simulator(
    sim: Simulator, client: PrinternizerClient
) -> None:
    """Each kind of failure surfaces as its own error, retried only when it can help."""
    with pytest.raises(PrinternizerNotFoundError):
        await client.printer_status("does-not-exist")

    sim.fault("status", path="/api/v1/health", status=500)
    with pytest.raises(PrinternizerServerError) as err:
        await client.health()
    assert err.value.error_code == "INTERNAL_SERVER_ERROR"
    assert sim.request_count("/api/v1/health") == 1  # 500 is not retried

    sim.clear_faults()
    sim.fault("status", path="/api/v1/health", status=503, count=1)
    assert (await client.health()).status is HealthStatus.HEALTHY
    assert client.metrics.retries == 1

    sim.fault("malformed", path="/api/v1/system/info")
    with pytest.raises(PrinternizerResponseError):
        await client.system_info()

    sim.fault("rate_limit", path="/api/v1/update-check", retry_after=0)
    with pytest.raises(PrinternizerRateLimitError):
        await client.update_check()
    assert client.metrics.rate_limited == 3

    await sim.go_down()
    with pytest.raises(PrinternizerConnectionError):
        await client.health()


async def test_event_stream_pushes_and_resubscribes(
    sim: Simulator, client: PrinternizerClient
) -> None:
    """Subscribed pushes arrive; after a drop the stream reconnects and re-subscribes."""
    events: list[PrinterStatusEvent] = []
    both_pushed = asyncio.Event()
    connected = asyncio.Event()

    def on_event(event: PrinterStatusEvent) -> None:
        events.append(event)
        if len(events) == 2:
            both_pushed.set()

    stream = client.event_stream(
        on_event=on_event, on_connect=connected.set, ping_interval=5
    )
    stream.set_printers(sim.printers)
    stream.start()
    try:
        async with asyncio.timeout(5):
            await connected.wait()
            await sim.wait_for_ws(lambda s: len(s.subscribed_printer_ids) == 2)
        await sim.poll()
        async with asyncio.timeout(5):
            await both_pushed.wait()
        assert {e.printer_id for e in events} == set(sim.printers)

        connected.clear()
        await sim.drop_websockets()
        async with asyncio.timeout(5):
            await connected.wait()
            await sim.wait_for_ws(lambda s: len(s.subscribed_printer_ids) == 2)
        assert stream.stats.connects == 2
    finally:
        await stream.close()
    assert not stream.connected


async def test_a_stopped_server_is_unreachable(
    sim: Simulator, client: PrinternizerClient
) -> None:
    """Refused connections are told apart from a server that answers badly."""
    sim.fault("reset", path="/api/v1/health")
    with pytest.raises(PrinternizerConnectionError) as broken:
        await client.health()
    assert not isinstance(broken.value, PrinternizerUnreachableError)

    await sim.go_down()
    with pytest.raises(PrinternizerUnreachableError):
        await client.health()


async def test_print_commands_stay_within_ten_a_minute(sim: Simulator) -> None:
    """The eleventh command within a minute is refused without being sent."""
    now = 0.0
    async with aiohttp.ClientSession() as session:
        client = PrinternizerClient(session, sim.url, retry=NO_WAIT, clock=lambda: now)
        printer_id = next(iter(sim.printers))
        sim.printers[printer_id].start_job("benchy.gcode", duration_minutes=30)
        for _ in range(5):
            await client.pause(printer_id)
            await client.resume(printer_id)
        with pytest.raises(PrinternizerRateLimitError) as refused:
            await client.pause(printer_id)
        assert refused.value.retry_after == pytest.approx(6.0)
        assert sim.request_count("/api/v1/printers/*/*", "POST") == 10
        now = 6.0  # one command's worth of the server's refill
        await client.pause(printer_id)
    assert sim.request_count("/api/v1/printers/*/*", "POST") == 11


async def test_fleet_statistics(sim: Simulator, client: PrinternizerClient) -> None:
    """The analytics summary counts the server's jobs; the money is text on the wire."""
    printers = list(sim.printers.values())
    printers[0].start_job("benchy.gcode", duration_minutes=30).finish()
    printers[1].start_job("cube.gcode", duration_minutes=10).fail("Nozzle clog")
    printers[0].start_job("vase.gcode", duration_minutes=60)
    summary = await client.analytics_summary()
    assert (summary.total_jobs, summary.completed_jobs, summary.failed_jobs) == (
        3,
        1,
        1,
    )
    assert summary.success_rate_percent == pytest.approx(33.3)
    # The server's service sums columns its job table lacks: always 0.
    assert summary.total_print_time_hours == 0.0
    assert summary.total_cost_eur == 0.0

    stats = await client.materials_stats()
    assert stats.total_spools == len(sim.materials) == 5
    assert stats.remaining_value == pytest.approx(
        float(sum(spool.remaining_value for spool in sim.materials))
    )
    low = {spool.id for spool in sim.materials if spool.remaining_percentage < 20}
    assert {spool.material_id for spool in stats.low_stock} == low
    assert stats.by_type["PLA"].count == 2

    settings = await client.application_settings()
    assert settings.currency == "EUR"
    assert settings.timezone == "Europe/Berlin"
    assert settings.library_enabled is True

    await sim.restart(forget_jobs=True)
    after = await client.analytics_summary()
    # The running print is found again as a new job; the finished ones are gone.
    assert (after.total_jobs, after.completed_jobs, after.failed_jobs) == (1, 0, 0)


async def test_fresh_and_older_servers(socket_enabled: None) -> None:
    """Zeros and empty lists on a fresh server; 404 for analytics on an older one."""
    async with (
        running_simulator(printers=1, fresh=True) as fresh,
        aiohttp.ClientSession() as session,
    ):
        client = PrinternizerClient(session, fresh.url, retry=NO_WAIT)
        summary = await client.analytics_summary()
        assert summary.total_jobs == summary.completed_jobs == 0
        stats = await client.materials_stats()
        assert (stats.total_spools, stats.remaining_value, stats.low_stock) == (
            0,
            0.0,
            (),
        )
        assert await client.library_files() == []
    async with (
        running_simulator(printers=1, analytics=False) as older,
        aiohttp.ClientSession() as session,
    ):
        client = PrinternizerClient(session, older.url, retry=NO_WAIT)
        with pytest.raises(PrinternizerNotFoundError):
            await client.analytics_summary()
        with pytest.raises(PrinternizerNotFoundError):
            await client.materials_stats()
        assert (await client.application_settings()).currency == "EUR"


async def test_library_files(sim: Simulator, client: PrinternizerClient) -> None:
    """Newest first, search and pages as the server serves them."""
    files = await client.library_files()
    assert [f.filename for f in files] == [
        "planter_vase.stl",
        "phone_stand.3mf",
        "calibration_cube.gcode",
        "benchy.gcode",
    ]
    assert [f.printable for f in files] == [False, True, True, True]
    benchy = files[-1]
    assert benchy.checksum == sim.library_file_named("benchy.gcode").checksum
    assert benchy.name == "benchy"
    assert benchy.has_thumbnail is True
    assert benchy.added_to_library is not None
    assert benchy.added_to_library.tzinfo is not None

    assert [f.filename for f in await client.library_files(search="CUBE")] == [
        "calibration_cube.gcode"
    ]
    sim.clear_requests()
    assert len(await client.library_files(limit=3)) == 3
    first = await client.library_files(limit=1)
    assert [f.filename for f in first] == ["planter_vase.stl"]
    assert [
        r.query["page"] for r in sim.requests_matching("/api/v1/library/files")
    ] == [
        "1",
        "1",
    ]


async def test_printing_a_library_file(
    sim: Simulator, client: PrinternizerClient
) -> None:
    """Printed once after the upload; each refusal keeps the server's code."""
    printers = list(sim.printers.values())
    bambu, prusa = printers[0], printers[1]
    cube = sim.library_file_named("calibration_cube.gcode")
    await client.print_library_file(cube.checksum, prusa.id)
    assert prusa.job_name == "calibration_cube.gcode"
    assert [(r.printer_id, r.outcome) for r in sim.print_requests] == [
        (prusa.id, "started")
    ]

    with pytest.raises(PrinternizerNotFoundError) as unknown:
        await client.print_library_file("0" * 64, bambu.id)
    assert unknown.value.error_code == "LIBRARY_ITEM_NOT_FOUND"
    with pytest.raises(PrinternizerRequestError) as model:
        await client.print_library_file(
            sim.library_file_named("planter_vase.stl").checksum, bambu.id
        )
    assert model.value.status == 400
    with pytest.raises(PrinternizerNotFoundError) as no_printer:
        await client.print_library_file(cube.checksum, "no-such-printer")
    assert no_printer.value.message == "Printer not found"
    bambu.refuse_prints("upload")
    with pytest.raises(PrinternizerServerError) as refused:
        await client.print_library_file(cube.checksum, bambu.id)
    assert refused.value.status == 502
    assert refused.value.message == "Failed to upload file to printer"
    # A busy printer takes the upload but does not start it.
    with pytest.raises(PrinternizerServerError) as busy:
        await client.print_library_file(cube.checksum, prusa.id)
    assert busy.value.message == "Uploaded but failed to start print"
    # Every refusal was sent once: writes are never repeated.
    assert sim.request_count("/api/v1/library/files/*/print", "POST") == 6


async def test_filament_slots_that_do_not_parse_are_left_out(
    sim: Simulator, client: PrinternizerClient
) -> None:
    """Odd slots cost neither the printer nor the list; null means no slots."""
    bambu = next(p for p in sim.printers.values() if p.printer_type == "bambu_lab")
    bambu.set_filaments(
        [
            {"slot": 0, "color": "#FF0000", "type": "PLA", "is_active": True},
            {"slot": "A", "colour": "#00FF00"},
            {"color": None, "type": "ABS", "is_active": False, "nozzle": 2},
            "PLA",
            None,
            {"slot": 2, "color": "#0000FF", "type": 7, "is_active": False},
        ]
    )
    printers = {printer.id: printer for printer in await client.printers()}
    assert set(printers) == set(sim.printers)
    assert printers[bambu.id].filaments == (
        Filament(slot=0, color="#FF0000", material="PLA", is_active=True),
        Filament(slot=None, color=None, material="ABS", is_active=False),
    )
    bambu.set_filaments(None)
    assert (await client.printer(bambu.id)).filaments == ()


async def test_spare_camera_reads_only_use_a_full_budget(sim: Simulator) -> None:
    """A spare read takes no token another call could use, and waits for none."""
    now = 0.0
    bambu = next(p for p in sim.printers.values() if p.printer_type == "bambu_lab")
    async with aiohttp.ClientSession() as session:
        client = PrinternizerClient(session, sim.url, retry=NO_WAIT, clock=lambda: now)
        assert (await client.camera_status(bambu.id, spare=True)).has_camera
        # One token short of full: both spare reads are refused, nothing is sent.
        with pytest.raises(PrinternizerRateLimitError) as refused:
            await client.camera_status(bambu.id, spare=True)
        assert refused.value.retry_after == pytest.approx(1.0)
        with pytest.raises(PrinternizerRateLimitError):
            await client.snapshots(bambu.id, spare=True)
        assert sim.request_count("/api/v1/printers/*/camera/status") == 1
        assert sim.request_count("/api/v1/printers/*/snapshots") == 0
        # An ordinary read still gets its token at once.
        await client.printer_status(bambu.id)
        assert client.metrics.last_error is None
        now = 2.0  # the budget is full again
        assert await client.snapshots(bambu.id, spare=True) == []
        assert sim.request_count("/api/v1/printers/*/snapshots") == 1
        # One attempt only: a spare read is never retried.
        now = 10.0
        sim.fault("status", path="/api/v1/printers/*/camera/status", status=503)
        with pytest.raises(PrinternizerServerError):
            await client.camera_status(bambu.id, spare=True)
        assert sim.request_count("/api/v1/printers/*/camera/status") == 2


async def test_camera_reads_that_must_not_wait_take_only_a_token_there_now(
    sim: Simulator,
) -> None:
    """Without ``wait`` a read takes any token the budget holds, or none at all."""
    now = 0.0
    bambu = next(p for p in sim.printers.values() if p.printer_type == "bambu_lab")
    async with aiohttp.ClientSession() as session:
        client = PrinternizerClient(
            session,
            sim.url,
            retry=NO_WAIT,
            clock=lambda: now,
            budget=RequestBudget(60, burst=2),
        )
        # The last token of the budget, which a spare read does not take.
        await client.printer_status(bambu.id)
        with pytest.raises(PrinternizerRateLimitError):
            await client.camera_status(bambu.id, spare=True)
        assert (await client.camera_status(bambu.id, wait=False)).has_camera
        with pytest.raises(PrinternizerRateLimitError) as refused:
            await client.snapshots(bambu.id, limit=1, wait=False)
        assert refused.value.retry_after == pytest.approx(1.0)
        assert refused.value.status is None  # refused here, never sent
        assert sim.request_count("/api/v1/printers/*/snapshots") == 0
        assert client.metrics.last_error is None
        now = 1.0
        assert await client.snapshots(bambu.id, limit=1, wait=False) == []
        # One attempt only, like a spare read.
        now = 10.0
        sim.fault("status", path="/api/v1/printers/*/camera/status", status=503)
        with pytest.raises(PrinternizerServerError):
            await client.camera_status(bambu.id, wait=False)
        assert sim.request_count("/api/v1/printers/*/camera/status") == 2


async def test_camera_routes(sim: Simulator) -> None:
    """Pictures, the stream redirect, snapshots, and what a camera without one says."""
    async with aiohttp.ClientSession() as session:
        # Room for a test's worth of frames at once.
        client = PrinternizerClient(
            session, sim.url, retry=NO_WAIT, budget=RequestBudget(600, burst=100)
        )
        await _camera_routes(sim, client)


async def _camera_routes(sim: Simulator, client: PrinternizerClient) -> None:
    bambu = next(p for p in sim.printers.values() if p.printer_type == "bambu_lab")
    prusa = next(p for p in sim.printers.values() if p.printer_type == "prusa_core")
    frame = await client.camera_frame(bambu.id)
    assert frame.content_type == "image/jpeg"
    assert frame.content.startswith(b"\xff\xd8")
    # The default Bambu printer is an X1C: its stream is the printer's own.
    assert bambu.live_stream
    url = await client.camera_stream_url(bambu.id)
    assert url == (
        f"rtsps://bblp:{bambu.access_code}@{bambu.ip_address}:322/streaming/live/1"
    )
    with pytest.raises(PrinternizerRequestError) as no_camera:
        await client.camera_frame(prusa.id)
    assert no_camera.value.error_code == "VALIDATION"

    # A Prusa with a camera gives PNG; a webcam gives JPEG.
    prusa.camera = True
    assert (await client.camera_frame(prusa.id)).content_type == "image/png"
    assert await client.camera_stream_url(prusa.id) is None
    prusa.webcam_url = "http://192.168.1.40/snapshot.jpg"
    webcam = await client.camera_frame(prusa.id, external=True)
    assert webcam.content_type == "image/jpeg"

    snapshot = await client.take_snapshot(bambu.id)
    assert snapshot.printer_id == bambu.id
    assert snapshot.capture_trigger is SnapshotTrigger.MANUAL
    [listed] = await client.snapshots(bambu.id, limit=1)
    assert listed.id == snapshot.id
    image = await client.snapshot_image(snapshot.id)
    assert image.content == sim.snapshots[-1].data
    assert image.content_type == "image/jpeg"

    # A camera without pictures: 503 for frames and snapshots, nothing retried.
    bambu.fail_camera()
    sim.clear_requests()
    with pytest.raises(PrinternizerNoFrameError):
        await client.camera_frame(bambu.id)
    with pytest.raises(PrinternizerServerError) as no_picture:
        await client.take_snapshot(bambu.id)
    assert no_picture.value.status == 503
    assert await client.camera_stream_url(bambu.id) is None
    assert sim.request_count("/api/v1/printers/*/camera/preview") == 1
    assert sim.request_count("/api/v1/printers/*/camera/snapshot", "POST") == 1
    status = await client.camera_status(bambu.id)
    assert status.error_message is not None
    assert status.is_available
