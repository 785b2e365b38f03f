"""Take snapshot button and the Last snapshot image of each camera printer."""

from __future__ import annotations

from datetime import timedelta
from random import Random
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.image import DATA_COMPONENT as IMAGE_COMPONENT
from homeassistant.const import (
    ATTR_ENTITY_ID,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
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

from custom_components.printernizer.coordinator.camera import (
    SNAPSHOT_INTERVAL,
    STATUS_INTERVAL,
)
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done, image_proxy, state_of
from tests.simulator import FaultKind, Simulator
from tests.test_camera import (
    JPEG_START,
    MK4_ID,
    P1S_ID,
    X1C_ID,
    camera_of,
    camera_options,
    camera_round,
    settled,
)

X1C_BUTTON = "button.bambu_x1c_take_snapshot"
P1S_BUTTON = "button.bambu_p1s_take_snapshot"
X1C_IMAGE = "image.bambu_x1c_last_snapshot"
P1S_IMAGE = "image.bambu_p1s_last_snapshot"
SNAPSHOT_POSTS = "/api/v1/printers/*/camera/snapshot"
DOWNLOADS = "/api/v1/printers/snapshots/*/download"


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
    """A loaded entry with the budget refilled."""
    entry = await setup_integration()
    await settled(hass, freezer)
    return entry


async def _press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )
    await block_till_done(hass)


@pytest.mark.parametrize("platform", [Platform.BUTTON, Platform.IMAGE])
async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Buttons and images of the camera printers (and the Prusa's own)."""
    freezer.move_to("2026-11-29T12:00:00+00:00")
    with (
        patch("custom_components.printernizer.PLATFORMS", [platform]),
        patch("homeassistant.components.image._RND", Random(0)),
    ):
        entry = await setup_integration()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_only_built_in_cameras_take_snapshots(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The Prusa has no camera: no button, no image."""
    assert hass.states.get("button.prusa_mk4_take_snapshot") is None
    assert hass.states.get("image.prusa_mk4_last_snapshot") is None
    assert state_of(hass, X1C_IMAGE) == STATE_UNKNOWN
    assert state_of(hass, X1C_BUTTON) == STATE_UNKNOWN


async def test_take_snapshot_shows_it_at_once(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """The server stores it; the image shows it without another list read."""
    client = await hass_client()
    lists = simulator.request_count("/api/v1/printers/*/snapshots")
    await _press(hass, P1S_BUTTON)
    [stored] = simulator.snapshots
    assert stored.printer_id == P1S_ID
    assert stored.capture_trigger == "manual"
    assert simulator.request_count(f"/api/v1/printers/{P1S_ID}/camera/snapshot") == 1
    assert state_of(hass, P1S_IMAGE) != STATE_UNKNOWN
    assert simulator.request_count("/api/v1/printers/*/snapshots") == lists
    content_type, body = await image_proxy(client, P1S_IMAGE)
    assert (content_type, body) == (stored.content_type, stored.data)
    assert body.startswith(JPEG_START)
    # Fetched once, however often it is shown.
    await image_proxy(client, P1S_IMAGE)
    assert simulator.request_count(DOWNLOADS) == 1
    # A second snapshot replaces it.
    first_state = state_of(hass, P1S_IMAGE)
    freezer.tick(timedelta(seconds=60))
    await _press(hass, P1S_BUTTON)
    assert state_of(hass, P1S_IMAGE) != first_state
    _, newer = await image_proxy(client, P1S_IMAGE)
    assert newer == simulator.snapshots[-1].data
    assert simulator.request_count(DOWNLOADS) == 2


async def test_snapshot_without_a_picture(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A camera that has no picture: a translated error, sent once."""
    simulator.printer(X1C_ID).fail_camera()
    with pytest.raises(HomeAssistantError) as caught:
        await _press(hass, X1C_BUTTON)
    assert caught.value.translation_key == "snapshot_no_picture"
    assert caught.value.translation_placeholders == {"printer": "Bambu X1C"}
    assert simulator.request_count(SNAPSHOT_POSTS) == 1
    assert simulator.snapshots == []


async def test_snapshot_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A 429 is its own message; another error names the server's reason."""
    path = f"/api/v1/printers/{X1C_ID}/camera/snapshot"
    simulator.fault(FaultKind.RATE_LIMIT, path=path, retry_after=7, count=1)
    with pytest.raises(HomeAssistantError) as limited:
        await _press(hass, X1C_BUTTON)
    assert limited.value.translation_key == "snapshot_rate_limited"
    assert limited.value.translation_placeholders == {"seconds": "7"}

    simulator.fault(FaultKind.STATUS, path=path, status=500, count=1)
    with pytest.raises(HomeAssistantError) as failed:
        await _press(hass, X1C_BUTTON)
    assert failed.value.translation_key == "snapshot_failed"
    assert failed.value.translation_placeholders == {
        "printer": "Bambu X1C",
        "reason": "An unexpected error occurred. Please try again later.",
    }
    # Writes are sent once each.
    assert simulator.request_count(SNAPSHOT_POSTS) == 2


async def test_local_guard_counts_snapshots_with_print_commands(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """The eleventh command within a minute is refused before it is sent."""
    for _ in range(10):
        await _press(hass, P1S_BUTTON)
        freezer.tick(timedelta(seconds=0.5))
    with pytest.raises(HomeAssistantError) as refused:
        await _press(hass, P1S_BUTTON)
    assert refused.value.translation_key == "snapshot_rate_limited"
    assert simulator.request_count(SNAPSHOT_POSTS) == 10
    assert len(simulator.snapshots) == 10


async def test_button_unavailable_without_a_camera_picture(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """An offline printer can take no snapshot; its last one stays viewable."""
    await _press(hass, P1S_BUTTON)
    simulator.printer(P1S_ID).go_offline()
    await init_integration.runtime_data.printers.printers[P1S_ID].async_refresh()
    assert state_of(hass, P1S_BUTTON) == STATE_UNAVAILABLE
    assert state_of(hass, P1S_IMAGE) not in (STATE_UNAVAILABLE, STATE_UNKNOWN)


async def test_snapshots_taken_elsewhere(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """Current servers report no time of the last snapshot: it is read hourly."""
    printer = simulator.printer(X1C_ID)
    frame = simulator.camera_frame(printer)
    assert frame is not None
    simulator.store_snapshot(printer, frame, trigger="job_complete")
    lists = simulator.request_count(f"/api/v1/printers/{X1C_ID}/snapshots")
    await camera_round(hass, freezer)
    assert state_of(hass, X1C_IMAGE) == STATE_UNKNOWN
    assert simulator.request_count(f"/api/v1/printers/{X1C_ID}/snapshots") == lists
    for _ in range(int(SNAPSHOT_INTERVAL / STATUS_INTERVAL)):
        await camera_round(hass, freezer)
    assert state_of(hass, X1C_IMAGE) != STATE_UNKNOWN
    latest = camera_of(init_integration, X1C_ID).latest_snapshot
    assert latest is not None
    assert latest.capture_trigger.value == "job_complete"
    entity = hass.data[IMAGE_COMPONENT].get_entity(X1C_IMAGE)
    assert entity is not None
    assert await entity.async_image() == frame.data


@pytest.mark.parametrize(
    "simulator_options", [{**camera_options(), "report_last_snapshot": True}]
)
async def test_snapshot_time_reported_by_the_server(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A server that reports the last snapshot's time is asked only when it changes."""
    lists = simulator.request_count(f"/api/v1/printers/{P1S_ID}/snapshots")
    await camera_round(hass, freezer)
    assert simulator.request_count(f"/api/v1/printers/{P1S_ID}/snapshots") == lists
    printer = simulator.printer(P1S_ID)
    frame = simulator.camera_frame(printer)
    assert frame is not None
    simulator.store_snapshot(printer, frame, trigger="auto")
    await camera_round(hass, freezer)
    assert simulator.request_count(f"/api/v1/printers/{P1S_ID}/snapshots") == (
        lists + 1
    )
    assert state_of(hass, P1S_IMAGE) != STATE_UNKNOWN
    # Known now: the next rounds read nothing more.
    await camera_round(hass, freezer)
    assert simulator.request_count(f"/api/v1/printers/{P1S_ID}/snapshots") == (
        lists + 1
    )
    assert simulator.request_count(f"/api/v1/printers/{MK4_ID}/snapshots") == 0


async def test_failed_image_download_is_retried(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A snapshot image that failed to load is asked for again next time."""
    await _press(hass, P1S_BUTTON)
    entity = hass.data[IMAGE_COMPONENT].get_entity(P1S_IMAGE)
    assert entity is not None
    fault = simulator.fault(FaultKind.STATUS, path=DOWNLOADS, status=500)
    assert await entity.async_image() is None
    fault.clear()
    assert await entity.async_image() == simulator.snapshots[-1].data


async def test_no_snapshot_no_image(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Before the first snapshot there is nothing to show, and nothing is asked."""
    entity = hass.data[IMAGE_COMPONENT].get_entity(X1C_IMAGE)
    assert entity is not None
    assert await entity.async_image() is None
    assert simulator.request_count(DOWNLOADS) == 0


async def test_a_known_snapshot_changes_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """The hourly read finds the snapshot the button took; an outage keeps it too."""
    await _press(hass, P1S_BUTTON)
    shown = state_of(hass, P1S_IMAGE)
    for _ in range(int(SNAPSHOT_INTERVAL / STATUS_INTERVAL)):
        await camera_round(hass, freezer)
    assert simulator.request_count(f"/api/v1/printers/{P1S_ID}/snapshots") >= 2
    assert state_of(hass, P1S_IMAGE) == shown
    simulator.printer(P1S_ID).fail_camera()
    await camera_round(hass, freezer)
    assert state_of(hass, P1S_IMAGE) == shown


async def test_snapshot_times_follow_the_server_zone(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Learned later, the server's zone re-reads the snapshot's naive time."""
    await _press(hass, P1S_BUTTON)
    camera = camera_of(init_integration, P1S_ID)
    before = camera.latest_snapshot
    assert before is not None
    assert before.captured_at is not None
    tokyo = ZoneInfo("Asia/Tokyo")
    init_integration.runtime_data.async_rezone(tokyo)
    after = camera.latest_snapshot
    assert after is not None
    assert after.captured_at is not None
    assert after.captured_at.tzinfo is tokyo
    assert after.captured_at.replace(tzinfo=None) == before.captured_at.replace(
        tzinfo=None
    )
