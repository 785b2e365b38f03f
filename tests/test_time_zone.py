"""The server's time zone: its naive timestamps read in the zone it reports."""

from __future__ import annotations

from datetime import datetime, timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.printernizer.coordinator.system import (
    SYSTEM_INFO_SETUP_TIMEOUT,
)
from tests.conftest import SetupIntegration
from tests.helpers import state_of
from tests.printer_helpers import (
    BAMBU_ID,
    fleet_of,
    mixed_fleet,
    stream_up,
    tick,
)
from tests.simulator import FaultKind, Simulator
from tests.simulator.common import Clocks

NOW = datetime.fromisoformat("2026-11-29T12:00:00+00:00")
# East and west of UTC, both far enough for a mistake to show.
EAST, WEST = "Asia/Tokyo", "America/New_York"
FINISH = "sensor.bambu_x1c_estimated_finish"
LAST_FETCH = "sensor.printernizer_trending_last_fetch"


def _options(zone: str) -> dict[str, Any]:
    return {"printers": mixed_fleet(), "timezone": zone, "trending": "seed"}


def _time_of(hass: HomeAssistant, entity_id: str) -> datetime:
    value = dt_util.parse_datetime(state_of(hass, entity_id))
    assert value is not None, entity_id
    return value


def _zone_in_use(entry: MockConfigEntry) -> str:
    return str(entry.runtime_data.client.time_zone)


@pytest.fixture(autouse=True)
def frozen_now(freezer: FrozenDateTimeFactory) -> None:
    """Start every test at the same instant."""
    freezer.move_to(NOW)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("simulator_options", [_options(EAST), _options(WEST)])
async def test_server_times_read_in_its_zone(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """Every timestamp the server sends is the instant it meant."""
    assert _zone_in_use(init_integration) == simulator.timezone
    # The trending statistics were fetched "now", in the server's local time.
    assert _time_of(hass, LAST_FETCH) == NOW
    health = init_integration.runtime_data.health.data
    assert health.timestamp == NOW

    await tick(hass, freezer, 31)  # both printers polled: remaining time known
    remaining = int(state_of(hass, "sensor.bambu_x1c_remaining_time"))
    poll_time = dt_util.utcnow().replace(microsecond=0)
    assert abs(_time_of(hass, FINISH) - (poll_time + timedelta(minutes=remaining))) < (
        timedelta(seconds=60)
    )


@pytest.mark.parametrize("simulator_options", [_options(EAST)])
async def test_zone_learned_late_rereads_what_was_read(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A hung system info holds setup for a moment only; the zone follows later."""
    caplog.set_level(logging.DEBUG, logger="custom_components.printernizer")
    hang = simulator.fault(FaultKind.HANG, path="/api/v1/system/info")
    setup = hass.async_create_task(setup_integration())
    await hang.hit.wait()
    freezer.tick(SYSTEM_INFO_SETUP_TIMEOUT + 0.1)
    async_fire_time_changed(hass)
    entry = await setup
    assert entry.state is ConfigEntryState.LOADED
    assert _zone_in_use(entry) == "UTC"
    assert any("did not come within" in r.getMessage() for r in caplog.records)

    await tick(hass, freezer, 31)  # the printers' first polls, read as UTC
    wrong = _time_of(hass, FINISH)
    hang.clear()
    simulator.clear_faults()
    # Tokyo's wall time read as UTC is 9 hours late.
    assert wrong - NOW > timedelta(hours=8)

    await tick(hass, freezer, 5 * 60)  # the retry learns the zone
    assert _zone_in_use(entry) == EAST
    finish = _time_of(hass, FINISH)
    assert timedelta(0) < finish - NOW < timedelta(hours=1)


@pytest.mark.parametrize("simulator_options", [_options(WEST)])
async def test_invalid_zone_reads_utc(
    hass: HomeAssistant,
    setup_integration: SetupIntegration,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A zone the server names but that does not exist: UTC, one debug line."""
    caplog.set_level(logging.DEBUG, logger="custom_components.printernizer")
    simulator.fault(
        FaultKind.WRONG_SHAPE,
        path="/api/v1/system/info",
        body={
            "version": "unknown",
            "environment": "production",
            "timezone": "Mars/Olympus_Mons",
            "database_size_mb": 0.77,
            "uptime_seconds": 12,
        },
    )
    entry = await setup_integration()
    assert entry.state is ConfigEntryState.LOADED
    assert _zone_in_use(entry) == "UTC"
    lines = [r for r in caplog.records if "Mars/Olympus_Mons" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelno == logging.DEBUG
    assert not [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components")
    ]


@pytest.mark.parametrize("simulator_options", [_options(EAST)])
async def test_zone_learned_again_after_a_restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A server back in another zone: new timestamps are read in the new zone."""
    await stream_up(simulator, init_integration)
    assert _zone_in_use(init_integration) == EAST
    await tick(hass, freezer, 61)  # restart hints within a minute of a reading wait
    await stream_up(simulator, init_integration)
    simulator.timezone = WEST
    simulator.clocks = Clocks(WEST)
    await simulator.restart()
    # The event stream reconnects: the server may have restarted.
    fleet = fleet_of(init_integration)
    for _ in range(30):
        if fleet.stream.stats.connects == 2:
            break
        await tick(hass, freezer, 1)
    assert fleet.stream.stats.connects == 2
    await tick(hass, freezer, 1)
    assert _zone_in_use(init_integration) == WEST

    await tick(hass, freezer, 31)  # a poll read in the new zone
    finish = _time_of(hass, FINISH)
    remaining = simulator.printer(BAMBU_ID).remaining_minutes
    assert abs(finish - (dt_util.utcnow() + timedelta(minutes=remaining))) < (
        timedelta(minutes=2)
    )
