"""The sensors and binary sensors of each printer."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.printernizer.api import PrinterState, Temperature
from tests.conftest import SetupIntegration
from tests.helpers import state_of
from tests.printer_helpers import BAMBU_ID, PRUSA_ID, fleet_of, mixed_fleet, tick

FINISH = "sensor.bambu_x1c_estimated_finish"


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A Bambu printer printing and an idle Prusa."""
    return {"printers": mixed_fleet()}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity of a printing and an idle printer, after their first polls."""
    freezer.move_to("2026-11-29T12:00:00+00:00")
    with patch("custom_components.printernizer.PLATFORMS", [platform]):
        entry = await setup_integration()
    # The first status polls bring the remaining time the printer list lacks.
    for coordinator in fleet_of(entry).printers.values():
        await coordinator.async_refresh()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_estimated_finish_is_stable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """The finish time only moves when the estimate changes by over a minute."""
    coordinator = fleet_of(init_integration).printers[BAMBU_ID]
    await tick(hass, freezer, 31)
    finish = state_of(hass, FINISH)
    assert finish != STATE_UNKNOWN

    # 30 s later the server still says 30 minutes: the finish stays.
    freezer.tick(timedelta(seconds=30))
    coordinator.async_set_updated_data(coordinator.data)
    assert state_of(hass, FINISH) == finish

    # The print slowed down: 10 more minutes.
    coordinator.async_set_updated_data(replace(coordinator.data, remaining_time=40))
    assert state_of(hass, FINISH) != finish

    # No job, no finish.
    coordinator.async_set_updated_data(
        replace(coordinator.data, job_name=None, remaining_time=None)
    )
    assert state_of(hass, FINISH) == STATE_UNKNOWN
    assert state_of(hass, "sensor.bambu_x1c_progress") == STATE_UNKNOWN


async def test_target_sensors_appear_when_reported(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Target temperature sensors appear once the server sends a target."""
    coordinator = fleet_of(init_integration).printers[PRUSA_ID]
    assert hass.states.get("sensor.prusa_mk4_nozzle_target_temperature") is None
    coordinator.async_set_updated_data(
        replace(coordinator.data, nozzle=Temperature(current=180.0, target=215.0))
    )
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.prusa_mk4_nozzle_target_temperature") == "215.0"
    assert hass.states.get("sensor.prusa_mk4_bed_target_temperature") is None
    coordinator.async_set_updated_data(
        replace(coordinator.data, bed=Temperature(current=40.0, target=60.0))
    )
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.prusa_mk4_bed_target_temperature") == "60.0"


async def test_unknown_printer_state(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A state the server calls unknown is Home Assistant's unknown."""
    coordinator = fleet_of(init_integration).printers[PRUSA_ID]
    coordinator.async_set_updated_data(
        replace(coordinator.data, state=PrinterState.UNKNOWN)
    )
    assert state_of(hass, "sensor.prusa_mk4_status") == STATE_UNKNOWN
    assert state_of(hass, "binary_sensor.prusa_mk4_printing") == STATE_UNKNOWN
    assert state_of(hass, "binary_sensor.prusa_mk4_problem") == STATE_UNKNOWN
    assert state_of(hass, "binary_sensor.prusa_mk4_online") == "on"
