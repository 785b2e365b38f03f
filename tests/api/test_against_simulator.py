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
    HealthStatus,
    PrinternizerClient,
    PrinternizerConnectionError,
    PrinternizerNotFoundError,
    PrinternizerRateLimitError,
    PrinternizerResponseError,
    PrinternizerServerError,
    PrinternizerUnreachableError,
    PrinterState,
    PrinterStatusEvent,
    PrinterType,
    RetryPolicy,
    ServiceStatus,
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
