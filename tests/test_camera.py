"""The camera of each printer: which printers get one, its pictures, its stream.

The fleet here has a Bambu Lab X1C (built-in camera with a live stream, printing),
a Bambu Lab P1S (built-in camera, pictures only) and a Prusa MK4 (no camera). Other
camera test modules share it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from random import Random
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.camera import (
    DATA_COMPONENT,
    CameraEntityFeature,
    async_get_image,
    async_get_stream_source,
)
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from yarl import URL

from custom_components.printernizer.camera import PrinterCameraEntity
from custom_components.printernizer.coordinator.camera import (
    FRAME_MAX_AGE,
    NO_CAMERA_INTERVAL,
    STATUS_INTERVAL,
    SUSTAINED_FRAMES_PER_MINUTE,
    PrinterCamera,
    has_camera_routes,
    is_stream_url,
    redact_urls,
)
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done, state_of
from tests.printer_helpers import tick
from tests.simulator import SimPrinter, Simulator

X1C_ID = "3f8e2b1c-7d4a-4e5f-9a6b-1c2d3e4f5a6b"
P1S_ID = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
MK4_ID = "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f"
X1C_CAMERA = "camera.bambu_x1c_camera"
P1S_CAMERA = "camera.bambu_p1s_camera"
MK4_CAMERA = "camera.prusa_mk4_camera"
PREVIEWS = "/api/v1/printers/*/camera/preview"
CAMERA_STATUSES = "/api/v1/printers/*/camera/status"
JPEG_START = b"\xff\xd8"
PNG_START = b"\x89PNG"


def camera_fleet() -> list[SimPrinter]:
    """A Bambu X1C printing (live stream), an idle Bambu P1S, a Prusa without camera."""
    return [
        SimPrinter(
            "Bambu X1C",
            "bambu_lab",
            id=X1C_ID,
            status="printing",
            job_name="benchy.gcode",
            job_duration_minutes=60,
            progress=40,
        ),
        SimPrinter("Bambu P1S", "bambu_lab", id=P1S_ID),
        SimPrinter("Prusa MK4", "prusa_core", id=MK4_ID),
    ]


def camera_options() -> dict[str, Any]:
    """Simulator options: the camera fleet, a new picture for every request."""
    return {"printers": camera_fleet(), "camera_frame_seconds": 0}


def camera_of(entry: MockConfigEntry, printer_id: str) -> PrinterCamera:
    """Return a printer's camera holder."""
    return entry.runtime_data.cameras.cameras[printer_id]


def camera_entity(hass: HomeAssistant, entity_id: str) -> PrinterCameraEntity:
    """Return a camera entity object."""
    entity = hass.data[DATA_COMPONENT].get_entity(entity_id)
    assert isinstance(entity, PrinterCameraEntity)
    return entity


async def camera_round(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let a status interval pass, then the seconds the round's reads need.

    Camera statuses are read from spare tokens only: the polls due at the same
    moment go first, the reads a second or two later, one after the other.
    """
    await tick(hass, freezer, STATUS_INTERVAL.total_seconds())
    for _ in range(15):
        await tick(hass, freezer, 2)


async def _an_hour(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let an hour of camera rounds pass."""
    for _ in range(int(NO_CAMERA_INTERVAL / STATUS_INTERVAL)):
        await camera_round(hass, freezer)


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """The camera fleet."""
    return camera_options()


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
) -> MockConfigEntry:
    """A loaded entry, a few seconds after setup: its requests are refilled."""
    entry = await setup_integration()
    await settled(hass, freezer)
    return entry


async def settled(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the request budget refill what setup took.

    A frame leaves the budget a reserve for status polls, and camera statuses
    take only spare tokens; right after setup there are none to spare. One step:
    reads setup left waiting for a token are due within it, and waiting for them
    second by second would wait for one that is due later.
    """
    await tick(hass, freezer, 10)


# --------------------------------------------------------------------------
# Pure helpers


def test_redact_urls_removes_credentials_and_query_strings() -> None:
    """What stays of a URL names the host and path, never a secret."""
    text = (
        "Camera connection failed: rtsps://bblp:12345678@192.168.1.5:322/live/1 "
        "and http://cam.local/snap.jpg?user=admin&access_code=98765 or ftp://"
    )
    redacted = redact_urls(text)
    assert "12345678" not in redacted
    assert "98765" not in redacted
    assert "admin" not in redacted
    assert "rtsps://192.168.1.5:322/live/1" in redacted
    assert "http://cam.local/snap.jpg" in redacted
    assert redact_urls("no url here") == "no url here"
    assert redact_urls("odd: http://[::1 x") == "odd: <url> x"
    assert redact_urls("local file:///etc/camera.conf") == "local <url>"


@pytest.mark.parametrize(
    ("url", "stream"),
    [
        ("rtsps://bblp:code@192.168.1.5:322/streaming/live/1", True),
        ("rtsp://192.168.1.5/stream", True),
        ("http://192.168.1.9:8080/?action=stream", True),
        ("/api/v1/printers/x/camera/preview", False),
        ("http://printernizer.local:8000/api/v1/printers/x/camera/preview", False),
        ("ftp://192.168.1.5/video", False),
        ("http://[::1", False),
        (None, False),
        ("", False),
    ],
)
def test_stream_urls(url: str | None, stream: bool) -> None:
    """Only absolute URLs the stream component opens, not the server's own routes."""
    assert is_stream_url(url, URL("http://printernizer.local:8000")) is stream


def test_camera_routes_take_uuids_only() -> None:
    """The server's camera routes answer 422 to an id that is not a UUID."""
    assert has_camera_routes(X1C_ID)
    assert not has_camera_routes("0b1e5d2a-bambu-x1c")


# --------------------------------------------------------------------------
# Which printers get a camera


async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """A camera for each printer with one, as the camera status says."""
    freezer.move_to("2026-11-29T12:00:00+00:00")
    with (
        patch("custom_components.printernizer.PLATFORMS", [Platform.CAMERA]),
        patch("homeassistant.components.camera._RND", Random(0)),
    ):
        entry = await setup_integration()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_cameras_from_the_camera_status(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Bambu printers have one, the Prusa none; the X1C offers its live stream."""
    assert hass.states.get(MK4_CAMERA) is None
    x1c = camera_entity(hass, X1C_CAMERA)
    p1s = camera_entity(hass, P1S_CAMERA)
    assert x1c.supported_features == CameraEntityFeature.STREAM
    assert p1s.supported_features == CameraEntityFeature(0)
    assert state_of(hass, X1C_CAMERA) == "idle"
    # Read once each at setup, no picture fetched yet.
    assert simulator.request_count(CAMERA_STATUSES) == 3
    assert simulator.request_count(PREVIEWS) == 0


async def test_printers_with_ids_the_camera_routes_refuse_get_none(
    hass: HomeAssistant, setup_integration: SetupIntegration, simulator: Simulator
) -> None:
    """A printer id that is not a UUID is never asked about (the server says 422)."""
    simulator.add_printer(SimPrinter("Bambu A1", "bambu_lab", id="bambu-a1-legacy"))
    await setup_integration()
    await block_till_done(hass)
    assert hass.states.get("camera.bambu_a1_camera") is None
    assert simulator.request_count("/api/v1/printers/bambu-a1-legacy/camera/*") == 0
    assert hass.states.get(X1C_CAMERA) is not None


async def test_a_webcam_added_later_gets_a_camera_and_loses_it_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """Without a camera the status is asked hourly; a webcam then shows up."""
    prusa = simulator.printer(MK4_ID)
    prusa.webcam_url = "http://192.168.1.40:8080/snapshot.jpg?user=cam&pwd=secret77"
    asked = simulator.request_count(f"/api/v1/printers/{MK4_ID}/camera/status")
    read = simulator.request_count(f"/api/v1/printers/{P1S_ID}/camera/status")
    await camera_round(hass, freezer)
    # Camera printers are read every 5 minutes, the Prusa not yet.
    assert simulator.request_count(f"/api/v1/printers/{P1S_ID}/camera/status") == (
        read + 1
    )
    assert simulator.request_count(f"/api/v1/printers/{MK4_ID}/camera/status") == asked
    await _an_hour(hass, freezer)
    assert state_of(hass, MK4_CAMERA) == "idle"
    image = await async_get_image(hass, MK4_CAMERA)
    # The external webcam's picture, as the server sends it.
    assert image.content_type == "image/jpeg"
    assert image.content.startswith(JPEG_START)
    assert simulator.request_count(f"/api/v1/printers/{MK4_ID}/camera/preview") == 0
    assert (
        simulator.request_count(f"/api/v1/printers/{MK4_ID}/camera/external-preview")
        == 1
    )
    # The webcam's credentials stay on the server.
    assert "secret77" not in str(hass.states.get(MK4_CAMERA))

    prusa.webcam_url = None
    await camera_round(hass, freezer)
    assert hass.states.get(MK4_CAMERA) is None
    assert entity_registry.async_get(MK4_CAMERA) is None


# --------------------------------------------------------------------------
# Pictures


async def test_picture_through_the_camera_proxy(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """The proxy serves the server's picture with its content type."""
    client = await hass_client()
    response = await client.get(f"/api/camera_proxy/{X1C_CAMERA}")
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    body = await response.read()
    assert body.startswith(JPEG_START)
    assert simulator.request_count(PREVIEWS) == 1


async def test_content_type_comes_from_the_response(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A camera that answers PNG is served as PNG."""
    simulator.printer(MK4_ID).camera = True
    await _an_hour(hass, freezer)
    image = await async_get_image(hass, MK4_CAMERA)
    assert image.content_type == "image/png"
    assert image.content.startswith(PNG_START)


async def test_one_fetch_for_every_viewer(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """Ten viewers at once share one request; the frame is kept a while."""
    images = await asyncio.gather(
        *(async_get_image(hass, X1C_CAMERA) for _ in range(10))
    )
    assert len({image.content for image in images}) == 1
    assert simulator.request_count(PREVIEWS) == 1

    freezer.tick(timedelta(seconds=FRAME_MAX_AGE - 1))
    again = await async_get_image(hass, X1C_CAMERA)
    assert again.content == images[0].content
    assert simulator.request_count(PREVIEWS) == 1

    freezer.tick(timedelta(seconds=1))
    newer = await async_get_image(hass, X1C_CAMERA)
    assert newer.content != images[0].content
    assert simulator.request_count(PREVIEWS) == 2
    stats = camera_of(init_integration, X1C_ID).stats
    assert (stats.fetched, stats.from_cache) == (2, 1)


async def test_many_cameras_take_turns_within_the_frame_budget(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """Ten cameras watched every 10 s: each gets frames, none above the budget."""
    for index in range(8):
        simulator.add_printer(
            SimPrinter(
                f"Bambu A1 {index}",
                "bambu_lab",
                id=f"00000000-0000-4000-8000-00000000000{index}",
            )
        )
    entry = await setup_integration()
    # The first three statuses come with setup, the rest at 12 reads a minute
    # (a status and the newest snapshot each) from spare tokens.
    await settled(hass, freezer)
    for _ in range(110):
        await tick(hass, freezer, 1)
    cameras = [
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if entity.domain == "camera"
    ]
    assert len(cameras) == 10
    simulator.clear_requests()
    seen: dict[str, set[bytes]] = {entity_id: set() for entity_id in cameras}
    minutes = 3
    refused = 0
    for _ in range(minutes * 6):
        for entity_id in cameras:
            try:
                seen[entity_id].add((await async_get_image(hass, entity_id)).content)
            except HomeAssistantError:
                # No frame yet, its first turn has not come; once it had one, a
                # camera always shows its last frame.
                assert not seen[entity_id], entity_id
                refused += 1
        await tick(hass, freezer, 10)
    assert refused < len(cameras) * 3
    frames = simulator.request_count(PREVIEWS)
    assert frames <= minutes * SUSTAINED_FRAMES_PER_MINUTE + 5
    # Every camera had its turn more than once: none starved.
    assert all(len(pictures) >= 2 for pictures in seen.values()), {
        entity_id: len(pictures) for entity_id, pictures in seen.items()
    }
    assert entry.runtime_data.client.metrics.rate_limited == 0


async def test_frames_only_while_available(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """An offline printer's camera is unavailable and asks the server nothing."""
    simulator.printer(P1S_ID).go_offline()
    await init_integration.runtime_data.printers.printers[P1S_ID].async_refresh()
    assert state_of(hass, P1S_CAMERA) == STATE_UNAVAILABLE
    with pytest.raises(HomeAssistantError):
        await async_get_image(hass, P1S_CAMERA)
    assert simulator.request_count(PREVIEWS) == 0

    simulator.printer(P1S_ID).come_online()
    await init_integration.runtime_data.printers.printers[P1S_ID].async_refresh()
    assert state_of(hass, P1S_CAMERA) == "idle"
    assert (await async_get_image(hass, P1S_CAMERA)).content.startswith(JPEG_START)


async def test_unreachable_printer_camera_is_unavailable(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """An unreachable Bambu printer (online at 0 °C) has no pictures to give."""
    simulator.printer(P1S_ID).go_unreachable()
    await init_integration.runtime_data.printers.printers[P1S_ID].async_refresh()
    assert state_of(hass, P1S_CAMERA) == STATE_UNAVAILABLE


async def test_camera_follows_the_server(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """While the health check fails, the camera is unavailable like the printer."""
    simulator.fault("status", path="/api/v1/health", status=500)
    await init_integration.runtime_data.health.async_refresh()
    await block_till_done(hass)
    assert state_of(hass, X1C_CAMERA) == STATE_UNAVAILABLE
    simulator.clear_faults()
    await init_integration.runtime_data.health.async_refresh()
    await block_till_done(hass)
    assert state_of(hass, X1C_CAMERA) == "idle"


async def test_status_saying_not_available(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A camera the server calls unavailable is unavailable."""
    simulator.fault(
        "wrong_shape",
        path=f"/api/v1/printers/{P1S_ID}/camera/status",
        body={"has_camera": True, "is_available": False},
    )
    await camera_round(hass, freezer)
    assert state_of(hass, P1S_CAMERA) == STATE_UNAVAILABLE
    simulator.clear_faults()
    await camera_round(hass, freezer)
    assert state_of(hass, P1S_CAMERA) == "idle"


# --------------------------------------------------------------------------
# The live stream


async def test_stream_source_from_the_redirect(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """The X1C's stream is the server's redirect; the P1S has none to offer."""
    x1c = simulator.printer(X1C_ID)
    source = await async_get_stream_source(hass, X1C_CAMERA)
    assert source == (
        f"rtsps://bblp:{x1c.access_code}@{x1c.ip_address}:322/streaming/live/1"
    )
    assert simulator.request_count(f"/api/v1/printers/{X1C_ID}/camera/stream") == 1
    assert await async_get_stream_source(hass, P1S_CAMERA) is None
    assert simulator.request_count(f"/api/v1/printers/{P1S_ID}/camera/stream") == 0


async def test_stream_unavailable_on_the_server(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A 503 from the stream route, or a redirect to no stream, offers none."""
    simulator.printer(X1C_ID).fail_camera()
    assert await async_get_stream_source(hass, X1C_CAMERA) is None
    simulator.printer(X1C_ID).restore_camera()
    simulator.fault(
        "status", path=f"/api/v1/printers/{X1C_ID}/camera/stream", status=500
    )
    assert await async_get_stream_source(hass, X1C_CAMERA) is None


async def test_a_camera_whose_first_read_fails_appears_later(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """No status, no camera; the next round reads it, and the camera is there."""
    fault = simulator.fault(
        "status", path=f"/api/v1/printers/{P1S_ID}/camera/status", status=500
    )
    await setup_integration()
    await settled(hass, freezer)
    assert hass.states.get(P1S_CAMERA) is None
    assert hass.states.get(X1C_CAMERA) is not None
    fault.clear()
    await camera_round(hass, freezer)
    assert state_of(hass, P1S_CAMERA) == "idle"


async def test_a_printer_removed_from_the_server_loses_its_camera(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """Its camera status answers 404: the printer list is read again at once."""
    lists = simulator.request_count("/api/v1/printers")
    simulator.remove_printer(P1S_ID)
    # The camera's next read comes before the next printer list.
    camera = camera_of(init_integration, P1S_ID)
    assert await camera.async_read_status(spare=False) is None
    await block_till_done(hass)
    assert simulator.request_count("/api/v1/printers") == lists + 1
    assert hass.states.get(P1S_CAMERA) is None
    assert P1S_ID not in init_integration.runtime_data.cameras.cameras
    # Later rounds leave it alone.
    asked = simulator.request_count(f"/api/v1/printers/{P1S_ID}/camera/status")
    await camera_round(hass, freezer)
    assert simulator.request_count(f"/api/v1/printers/{P1S_ID}/camera/status") == (
        asked
    )


async def test_a_camera_the_user_deleted_is_left_alone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """A camera removed by hand is not removed twice when its printer loses it."""
    entity_registry.async_remove(P1S_CAMERA)
    await block_till_done(hass)
    simulator.printer(P1S_ID).camera = False
    await camera_round(hass, freezer)
    assert hass.states.get(P1S_CAMERA) is None
    assert entity_registry.async_get(P1S_CAMERA) is None
    assert state_of(hass, X1C_CAMERA) == "idle"
