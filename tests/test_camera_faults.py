"""Cameras under faults: bad answers, hung routes, unreachable printers, secrets.

Whatever a camera route does, the camera shows its last frame (or nothing before the
first), the outage is logged once and its end once, and unloading never waits on it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
import json
import logging
from typing import Any

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.camera import async_get_image
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.printernizer.api import FRAME_DEADLINE, MAX_IMAGE_BYTES
from custom_components.printernizer.coordinator.camera import (
    FRAME_MAX_AGE,
    FRAME_WAIT,
)
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done, state_of
from tests.printer_helpers import tick
from tests.simulator import FaultKind, Simulator
from tests.test_camera import (
    JPEG_START,
    P1S_CAMERA,
    P1S_ID,
    X1C_CAMERA,
    X1C_ID,
    camera_fleet,
    camera_of,
    camera_round,
    settled,
)

OWN = "custom_components.printernizer"
PREVIEW = f"/api/v1/printers/{P1S_ID}/camera/preview"


@dataclass(frozen=True)
class RawReply:
    """An answer no Printernizer server gives, as a proxy in front might."""

    status: int
    content_type: str | None
    body: bytes


class CameraSimulator(Simulator):
    """The simulator, whose preview route can be made to answer any bytes."""

    def __init__(self, **options: Any) -> None:
        """Create the simulator; `preview` is None until a test sets it."""
        super().__init__(**options)
        self.preview: RawReply | None = None

    def _make_app(self) -> web.Application:
        app = super()._make_app()
        # After the simulator's own middleware: the request is recorded first.
        app.middlewares.append(self._raw_preview)
        return app

    @web.middleware
    async def _raw_preview(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        reply = self.preview
        if reply is None or not request.path.endswith("/camera/preview"):
            return await handler(request)
        response = web.Response(status=reply.status, body=reply.body)
        if reply.content_type is not None:
            response.content_type = reply.content_type
        else:
            response.headers.popall("Content-Type", None)
        return response


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncGenerator[CameraSimulator]:
    """The camera fleet, one new picture for every request."""
    sim = CameraSimulator(printers=camera_fleet(), camera_frame_seconds=0)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    caplog: pytest.LogCaptureFixture,
) -> MockConfigEntry:
    """A loaded entry with the budget refilled; everything logged from debug on."""
    caplog.set_level(logging.DEBUG, logger=OWN)
    entry = await setup_integration()
    await settled(hass, freezer)
    return entry


def _own(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(OWN) and record.levelno >= level
    ]


def _outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        line
        for line in _own(caplog, logging.INFO)
        if line.startswith("The camera of Bambu P1S")
    ]


async def _next_frame_due(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the kept frame grow old enough to be fetched again."""
    await tick(hass, freezer, FRAME_MAX_AGE)


async def _last_frame_through_faults(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    break_it: Callable[[], object],
    mend_it: Callable[[], object],
) -> None:
    """A good frame, then three faulty fetches, then good again."""
    first = await async_get_image(hass, P1S_CAMERA)
    assert first.content.startswith(JPEG_START)
    break_it()
    for _ in range(3):
        await _next_frame_due(hass, freezer)
        shown = await async_get_image(hass, P1S_CAMERA)
        assert shown.content == first.content
        assert shown.content_type == "image/jpeg"
    assert state_of(hass, P1S_CAMERA) == "idle"
    lines = _outage_lines(caplog)
    assert len(lines) == 1, lines
    assert lines[0].startswith("The camera of Bambu P1S gives no picture: ")

    mend_it()
    await _next_frame_due(hass, freezer)
    fresh = await async_get_image(hass, P1S_CAMERA)
    assert fresh.content != first.content
    assert _outage_lines(caplog)[1:] == ["The camera of Bambu P1S gives pictures again"]
    assert not _own(caplog, logging.WARNING)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (
            RawReply(200, "text/html", b"<html><body>502 Bad Gateway</body></html>"),
            "expected an image, got text/html",
        ),
        (RawReply(200, "image/jpeg", b""), "empty image"),
        (RawReply(200, "application/json", b'{"frame": null}'), "application/json"),
        (RawReply(200, None, JPEG_START + b"\0" * 64), "application/octet-stream"),
        (
            RawReply(200, "image/jpeg", JPEG_START + b"\0" * MAX_IMAGE_BYTES),
            "response larger than 8 MiB",
        ),
        (RawReply(500, "text/plain", b"Internal Server Error"), "HTTP 500"),
    ],
    ids=["html", "empty", "wrong_type", "untyped", "huge", "500"],
)
async def test_bad_answers_show_the_last_frame(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
    reply: RawReply,
    reason: str,
) -> None:
    """Each bad answer is refused; the last frame stays, one line each way."""

    def _break() -> None:
        simulator.preview = reply

    def _mend() -> None:
        simulator.preview = None

    await _last_frame_through_faults(hass, freezer, caplog, _break, _mend)
    assert reason in _outage_lines(caplog)[0]


async def test_server_error_envelope_and_no_frame(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server's own 500 envelope: the same as any bad answer."""
    await _last_frame_through_faults(
        hass,
        freezer,
        caplog,
        lambda: simulator.fault(FaultKind.STATUS, path=PREVIEW, status=500),
        simulator.clear_faults,
    )


async def test_a_camera_without_pictures(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server's "no frame" and its error message: logged once, in diagnostics."""
    printer = simulator.printer(P1S_ID)
    message = "Camera connection failed: [Errno 111] Connection refused"
    await _last_frame_through_faults(
        hass,
        freezer,
        caplog,
        lambda: printer.fail_camera(message),
        printer.restore_camera,
    )
    # The camera status says so too: the next round finds the message.
    printer.fail_camera(message)
    caplog.clear()
    await camera_round(hass, freezer)
    assert _outage_lines(caplog) == [
        f"The camera of Bambu P1S gives no picture: {message}"
    ]
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    camera = diagnostics["cameras"]["printers"][P1S_ID]
    assert camera["data"]["error_message"] == message
    assert camera["outage"]["source"] == "status"
    assert camera["outage"]["reason"] == message
    # Still one line while it lasts, however often it is read.
    await camera_round(hass, freezer)
    assert len(_outage_lines(caplog)) == 1
    printer.restore_camera()
    await camera_round(hass, freezer)
    assert _outage_lines(caplog)[1:] == ["The camera of Bambu P1S gives pictures again"]
    assert not _own(caplog, logging.WARNING)


async def test_no_frame_before_the_first_is_an_error_for_the_viewer(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: CameraSimulator,
) -> None:
    """Without a last frame there is nothing to show: the proxy's own error."""
    simulator.preview = RawReply(200, "text/html", b"<html></html>")
    with pytest.raises(HomeAssistantError):
        await async_get_image(hass, P1S_CAMERA)
    assert camera_of(init_integration, P1S_ID).stats.failed == 1


async def test_hung_preview_shows_the_last_frame_and_unloads_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A viewer waits a moment, then sees the last frame; the hang ends by deadline."""
    first = await async_get_image(hass, P1S_CAMERA)
    hang = simulator.fault(FaultKind.HANG, path=PREVIEW)
    await _next_frame_due(hass, freezer)
    viewer = hass.async_create_task(async_get_image(hass, P1S_CAMERA))
    await hang.hit.wait()
    # The clock is frozen: only moving it ends the wait.
    freezer.tick(timedelta(seconds=FRAME_WAIT + 0.5))
    async_fire_time_changed(hass)
    shown = await viewer
    assert shown.content == first.content
    assert not _outage_lines(caplog)
    # A second viewer meanwhile shares the hung fetch, and sees the last frame too.
    second = hass.async_create_task(async_get_image(hass, P1S_CAMERA))
    freezer.tick(timedelta(seconds=FRAME_WAIT + 0.5))
    async_fire_time_changed(hass)
    assert (await second).content == first.content
    assert simulator.request_count(PREVIEW) == 2
    # The client gives the frame up at its deadline: one line for the outage.
    freezer.tick(timedelta(seconds=FRAME_DEADLINE))
    async_fire_time_changed(hass)
    await block_till_done(hass)
    lines = _outage_lines(caplog)
    assert len(lines) == 1
    assert "timed out" in lines[0]

    # Hung again: unloading does not wait for it (the clock stays frozen).
    hang.hit.clear()
    await _next_frame_due(hass, freezer)
    third = hass.async_create_task(async_get_image(hass, P1S_CAMERA))
    await hang.hit.wait()
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    freezer.tick(timedelta(seconds=FRAME_WAIT + 0.5))
    async_fire_time_changed(hass)
    assert (await third).content == first.content
    assert not _own(caplog, logging.WARNING)


@pytest.mark.parametrize(
    ("kind", "options"),
    [(FaultKind.STATUS, {"status": 500}), (FaultKind.RATE_LIMIT, {"retry_after": 0})],
    ids=["500", "429"],
)
async def test_camera_status_route_failing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
    kind: FaultKind,
    options: dict[str, Any],
) -> None:
    """A failing status read keeps the camera as it was, logged once each way."""
    status_path = f"/api/v1/printers/{P1S_ID}/camera/status"
    simulator.fault(kind, path=status_path, **options)
    caplog.clear()
    for _ in range(3):
        await camera_round(hass, freezer)
    assert state_of(hass, P1S_CAMERA) == "idle"
    errors = [
        line for line in _own(caplog, logging.ERROR) if "camera Bambu P1S" in line
    ]
    assert len(errors) == 1
    assert errors[0].startswith("Error requesting printernizer camera Bambu P1S data")
    assert not camera_of(init_integration, P1S_ID).last_update_success
    simulator.clear_faults()
    await camera_round(hass, freezer)
    assert camera_of(init_integration, P1S_ID).last_update_success
    assert "The camera status of Bambu P1S is read again" in _own(caplog, logging.INFO)


async def test_spare_reads_refused_are_not_failures(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A read the budget had no spare token for waits quietly and comes later."""
    camera = camera_of(init_integration, P1S_ID)
    client = init_integration.runtime_data.client
    for _ in range(3):
        await client.printer_status(P1S_ID)  # the budget is no longer full
    before = simulator.request_count(f"/api/v1/printers/{P1S_ID}/camera/status")
    # Three tokens short of full (or more): three seconds at 60 a minute.
    wait = await camera.async_read_status()
    assert wait is not None
    assert wait >= 3.0
    assert simulator.request_count(f"/api/v1/printers/{P1S_ID}/camera/status") == (
        before
    )
    assert camera.last_update_success
    assert client.metrics.last_error is None
    assert not _own(caplog, logging.INFO)


# --------------------------------------------------------------------------
# A server whose printers are unreachable, and secrets


@pytest.fixture
def unreachable(simulator: CameraSimulator) -> None:
    """Every printer of the fleet unreachable before setup."""
    for printer in simulator.printers.values():
        printer.go_unreachable()


@pytest.mark.usefixtures("unreachable")
async def test_unreachable_printers_load_cleanly(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Cameras exist but are unavailable; nothing is logged above info."""
    assert init_integration.state is ConfigEntryState.LOADED
    for entity_id in (X1C_CAMERA, P1S_CAMERA):
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE
        with pytest.raises(HomeAssistantError):
            await async_get_image(hass, entity_id)
    for _ in range(2):
        await camera_round(hass, freezer)
    assert simulator.request_count("/api/v1/printers/*/camera/preview") == 0
    assert not _own(caplog, logging.WARNING)
    assert not [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR and "printernizer" in record.name
    ]


async def test_the_access_code_in_the_stream_url_stays_secret(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The X1C's camera status carries its access code: nowhere but to the stream."""
    x1c = simulator.printer(X1C_ID)
    code = x1c.access_code
    assert code
    # The server does send it, in the camera status and the stream redirect.
    client = init_integration.runtime_data.client
    status = await client.camera_status(X1C_ID)
    assert status.stream_url is not None
    assert code in status.stream_url
    # A failing stream and camera, with the URL in the server's message.
    x1c.fail_camera(f"Cannot open {status.stream_url}?access_code={code}")
    await camera_round(hass, freezer)
    with pytest.raises(HomeAssistantError):
        await async_get_image(hass, X1C_CAMERA)  # no picture, logged once
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    states = [
        (state.entity_id, state.state, dict(state.attributes))
        for state in hass.states.async_all()
    ]
    text = "\n".join(record.getMessage() for record in caplog.records)
    for place in (json.dumps(diagnostics), repr(states), text):
        assert code not in place
    assert "Cannot open rtsps://" in text  # the message is there, without the code


async def test_unload_while_a_camera_status_read_hangs(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The read is abandoned at once and leaves no outage behind."""
    hang = simulator.fault(
        FaultKind.HANG, path=f"/api/v1/printers/{X1C_ID}/camera/status"
    )
    camera = camera_of(init_integration, X1C_ID)
    read = hass.async_create_task(camera.async_read_status(spare=False))
    await hang.hit.wait()
    caplog.clear()
    # The clock stays frozen: no timeout ends the read, only the unload.
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert await read is None
    assert camera.last_update_success
    assert not _own(caplog, logging.WARNING)


async def test_snapshot_reads_that_fail_or_wait(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: CameraSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refused read waits; a failed one is logged at debug and tried again later."""
    camera = camera_of(init_integration, P1S_ID)
    read_at = camera.snapshots_read_at
    client = init_integration.runtime_data.client
    await client.printer_status(P1S_ID)  # the budget is no longer full
    wait = await camera.async_read_latest_snapshot()
    assert wait is not None
    assert wait >= 1.0
    simulator.fault(
        FaultKind.STATUS, path=f"/api/v1/printers/{P1S_ID}/snapshots", status=500
    )
    assert await camera.async_read_latest_snapshot(spare=False) is None
    assert camera.snapshots_read_at == read_at  # not read: due again next round
    assert any(
        line.startswith("No snapshot list for Bambu P1S")
        for line in _own(caplog, logging.DEBUG)
    )
    assert not _own(caplog, logging.INFO)
