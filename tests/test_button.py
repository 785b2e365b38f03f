"""Print controls: pause, resume and stop."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from tests.conftest import SetupIntegration
from tests.helpers import block_till_done, state_of
from tests.printer_helpers import BAMBU_ID, mixed_fleet
from tests.simulator import FaultKind, Simulator

PAUSE = "button.bambu_x1c_pause_print"
RESUME = "button.bambu_x1c_resume_print"
STOP = "button.bambu_x1c_stop_print"


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A Bambu printer printing and an idle Prusa."""
    return {"printers": mixed_fleet()}


async def _press(hass: HomeAssistant, entity_id: str) -> None:
    """Press a button, then let the status refresh that follows it finish."""
    try:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
        )
    finally:
        await block_till_done(hass)


async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every button of a printing and an idle printer."""
    freezer.move_to("2026-11-29T12:00:00+00:00")
    with patch("custom_components.printernizer.PLATFORMS", [Platform.BUTTON]):
        entry = await setup_integration()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_availability_follows_state(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Pause and stop while printing; resume only while paused; none when idle."""
    assert state_of(hass, PAUSE) != STATE_UNAVAILABLE
    assert state_of(hass, STOP) != STATE_UNAVAILABLE
    assert state_of(hass, RESUME) == STATE_UNAVAILABLE
    for action in ("pause", "resume", "stop"):
        assert state_of(hass, f"button.prusa_mk4_{action}_print") == STATE_UNAVAILABLE


async def test_pause_resume_stop(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Each command reaches the printer and the state follows at once."""
    await _press(hass, PAUSE)
    assert simulator.printer(BAMBU_ID).status == "paused"
    assert state_of(hass, "sensor.bambu_x1c_status") == "paused"
    assert state_of(hass, PAUSE) == STATE_UNAVAILABLE
    assert state_of(hass, RESUME) != STATE_UNAVAILABLE

    await _press(hass, RESUME)
    assert state_of(hass, "sensor.bambu_x1c_status") == "printing"

    simulator.clear_requests()
    await _press(hass, STOP)
    assert simulator.printer(BAMBU_ID).status == "online"
    assert simulator.request_count(f"/api/v1/printers/{BAMBU_ID}/stop", "POST") == 1
    assert state_of(hass, "sensor.bambu_x1c_status") == "online"
    assert state_of(hass, STOP) == STATE_UNAVAILABLE


async def test_refused_by_offline_printer(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A printer the server cannot reach: a translated error with its reason."""
    simulator.printer(BAMBU_ID).go_offline()
    with pytest.raises(HomeAssistantError) as caught:
        await _press(hass, PAUSE)
    assert caught.value.translation_key == "action_failed"
    assert caught.value.translation_placeholders == {
        "printer": "Bambu X1C",
        "reason": "Failed to connect to printer: Failed to connect to printer: "
        "Bambu Lab printer is not connected",
    }
    # The refresh after the failure shows the printer as it is.
    assert state_of(hass, "sensor.bambu_x1c_status") == "offline"


async def test_other_failure_names_the_error(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """An error without the server's message still says what happened."""
    simulator.fault(
        FaultKind.STATUS, path=f"/api/v1/printers/{BAMBU_ID}/pause", status=409
    )
    with pytest.raises(HomeAssistantError) as caught:
        await _press(hass, PAUSE)
    assert caught.value.translation_key == "action_failed"
    assert "409" in caught.value.translation_placeholders["reason"]


async def test_rate_limited_by_server(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A 429 from the server is a translated error, not a traceback."""
    simulator.fault(
        FaultKind.RATE_LIMIT, path=f"/api/v1/printers/{BAMBU_ID}/pause", retry_after=0
    )
    with pytest.raises(HomeAssistantError) as caught:
        await _press(hass, PAUSE)
    assert caught.value.translation_key == "action_rate_limited"


async def test_local_guard(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Commands beyond the server's 10 a minute are refused before they are sent."""
    simulator.clear_requests()
    refused: HomeAssistantError | None = None
    for press in range(20):
        try:
            await _press(hass, PAUSE if press % 2 == 0 else RESUME)
        except HomeAssistantError as err:
            refused = err
            break
    assert refused is not None
    assert refused.translation_key == "action_rate_limited"
    # Every accepted press was sent, the refused one was not; the bucket's exact
    # burst and refill are tested in tests/api with an injected clock.
    assert simulator.request_count("/api/v1/printers/*", "POST") == press >= 10


async def test_command_to_a_hung_server_is_sent_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A command that may have arrived is never repeated; the press ends in 15 s."""
    hang = simulator.fault(FaultKind.HANG, path=f"/api/v1/printers/{BAMBU_ID}/pause")
    press = hass.async_create_task(_press(hass, PAUSE))
    await hang.hit.wait()
    for _ in range(16):  # one simulated second at a time
        freezer.tick(1)
        async_fire_time_changed(hass)
        await asyncio.sleep(0)
        if press.done():
            break
    with pytest.raises(HomeAssistantError) as caught:
        await press
    assert caught.value.translation_key == "action_failed"
    assert simulator.request_count(f"/api/v1/printers/{BAMBU_ID}/pause", "POST") == 1
    hang.clear()


async def test_command_error_comes_before_the_status(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A refused command fails at once, even while the status poll hangs."""
    simulator.printer(BAMBU_ID).go_offline()
    hang = simulator.fault(FaultKind.HANG, path=f"/api/v1/printers/{BAMBU_ID}/status")
    with pytest.raises(HomeAssistantError) as caught:
        await hass.services.async_call(
            BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: PAUSE}, blocking=True
        )
    assert caught.value.translation_key == "action_failed"
    hang.clear()
    await block_till_done(hass)
