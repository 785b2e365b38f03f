"""The server's update entity: installed and latest release, read twice a day."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.update import ATTR_INSTALLED_VERSION, ATTR_LATEST_VERSION
from homeassistant.const import (
    ATTR_SUPPORTED_FEATURES,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import ServiceNotSupported
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.printernizer.const import HEALTH_SCAN_INTERVAL
from custom_components.printernizer.coordinator.update import (
    UPDATE_RETRY_INTERVAL,
    UPDATE_SCAN_INTERVAL,
)
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done
from tests.simulator import Simulator

ENTITY_ID = "update.printernizer_server"
UPDATE_CHECK = "/api/v1/update-check"
RELEASES = "https://github.com/schmacka/printernizer/releases/tag/v"


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A server without printers."""
    return {"printers": 0}


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
) -> MockConfigEntry:
    """A loaded entry on a frozen clock, its first update check done."""
    entry = await setup_integration()
    await block_till_done(hass)
    return entry


async def _advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await block_till_done(hass)


def _state(hass: HomeAssistant) -> State:
    state = hass.states.get(ENTITY_ID)
    assert state is not None
    return state


async def test_update_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    simulator: Simulator,
) -> None:
    """Name, device, features and state of the update entity."""
    simulator.set_update_check(latest_version="2.43.0")
    with patch("custom_components.printernizer.PLATFORMS", [Platform.UPDATE]):
        entry = await setup_integration()
        await block_till_done(hass)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.usefixtures("init_integration")
async def test_up_to_date(hass: HomeAssistant) -> None:
    """A server on the latest release: off, both versions shown, no install."""
    state = _state(hass)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_INSTALLED_VERSION] == "2.42.0"
    assert state.attributes[ATTR_LATEST_VERSION] == "2.42.0"
    assert state.attributes["release_url"] == f"{RELEASES}2.42.0"
    assert state.attributes["title"] == "Printernizer"
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == 0
    assert state.attributes["auto_update"] is False


@pytest.mark.usefixtures("init_integration")
async def test_newer_release(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: Simulator
) -> None:
    """A newer release turns the entity on at the next check."""
    simulator.set_update_check(latest_version="2.43.0")
    await _advance(hass, freezer, UPDATE_SCAN_INTERVAL)
    state = _state(hass)
    assert state.state == STATE_ON
    assert state.attributes[ATTR_INSTALLED_VERSION] == "2.42.0"
    assert state.attributes[ATTR_LATEST_VERSION] == "2.43.0"
    assert state.attributes["release_url"] == f"{RELEASES}2.43.0"


@pytest.mark.usefixtures("init_integration")
async def test_no_install_action(hass: HomeAssistant) -> None:
    """The server is updated where it runs; Home Assistant cannot install it."""
    with pytest.raises(ServiceNotSupported):
        await hass.services.async_call(
            "update", "install", {"entity_id": ENTITY_ID}, blocking=True
        )


@pytest.mark.usefixtures("init_integration")
async def test_failed_check_keeps_latest(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: Simulator
) -> None:
    """A check the server could not complete keeps the last known release."""
    simulator.set_update_check(latest_version="2.43.0")
    await _advance(hass, freezer, UPDATE_SCAN_INTERVAL)
    before = _state(hass)
    assert before.state == STATE_ON

    simulator.set_update_check(
        latest_version=None,
        check_failed=True,
        error_message="GitHub API error: status 403",
    )
    checks = simulator.request_count(UPDATE_CHECK)
    await _advance(hass, freezer, UPDATE_SCAN_INTERVAL)
    assert simulator.request_count(UPDATE_CHECK) == checks + 1

    after = _state(hass)
    assert after.state == STATE_ON
    assert after.attributes == before.attributes
    assert after.last_changed == before.last_changed


async def test_first_check_failed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """Without any release known yet, a failed check leaves the latest unknown."""
    simulator.set_update_check(latest_version=None, check_failed=True)
    await setup_integration()
    await block_till_done(hass)
    state = _state(hass)
    assert state.state == STATE_UNKNOWN
    assert state.attributes[ATTR_INSTALLED_VERSION] == "2.42.0"
    assert state.attributes[ATTR_LATEST_VERSION] is None

    simulator.set_update_check(latest_version="2.43.0")
    await _advance(hass, freezer, UPDATE_SCAN_INTERVAL)
    assert _state(hass).state == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_polls_twice_a_day(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: Simulator
) -> None:
    """Every check makes the server ask GitHub: once at start, then every 12 h."""
    assert simulator.request_count(UPDATE_CHECK) == 1
    for _ in range(24 * 4):
        await _advance(hass, freezer, timedelta(minutes=15))
    assert simulator.request_count(UPDATE_CHECK) == 3


@pytest.mark.usefixtures("init_integration")
async def test_unreachable_check_retried_sooner(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: Simulator
) -> None:
    """A failed request makes the entity unavailable and is retried in 30 min."""
    simulator.fault("status", path=UPDATE_CHECK, status=500)
    await _advance(hass, freezer, UPDATE_SCAN_INTERVAL)
    assert _state(hass).state == STATE_UNAVAILABLE

    simulator.clear_faults()
    simulator.set_update_check(latest_version="2.43.0")
    await _advance(hass, freezer, UPDATE_RETRY_INTERVAL)
    assert _state(hass).state == STATE_ON

    # Back on the long interval after the recovery.
    checks = simulator.request_count(UPDATE_CHECK)
    await _advance(hass, freezer, UPDATE_RETRY_INTERVAL)
    assert simulator.request_count(UPDATE_CHECK) == checks


async def test_development_build(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """A `git describe` build counts as its release, not as newer or older."""
    simulator.version = "2.42.0-3-gabc1234"
    simulator.set_update_check(latest_version="2.42.0")
    await setup_integration()
    await block_till_done(hass)
    state = _state(hass)
    assert state.attributes[ATTR_INSTALLED_VERSION] == "2.42.0-3-gabc1234"
    assert state.state == STATE_OFF

    simulator.set_update_check(latest_version="2.43.0")
    await _advance(hass, freezer, UPDATE_SCAN_INTERVAL)
    assert _state(hass).state == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_upgraded_server(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: Simulator
) -> None:
    """After the server is upgraded the entity turns off with the next health check.

    The update check is only read twice a day; the health check every 30 s.
    """
    simulator.set_update_check(latest_version="2.43.0")
    await _advance(hass, freezer, UPDATE_SCAN_INTERVAL)
    assert _state(hass).state == STATE_ON

    simulator.version = "2.43.0"
    simulator.set_update_check(latest_version="2.43.0")
    checks = simulator.request_count(UPDATE_CHECK)
    await _advance(hass, freezer, HEALTH_SCAN_INTERVAL)
    assert simulator.request_count(UPDATE_CHECK) == checks
    state = _state(hass)
    assert state.state == STATE_OFF
    assert state.attributes[ATTR_INSTALLED_VERSION] == "2.43.0"

    # While the server is unreachable the last known version stays.
    await simulator.go_down()
    await _advance(hass, freezer, HEALTH_SCAN_INTERVAL)
    assert _state(hass).attributes[ATTR_INSTALLED_VERSION] == "2.43.0"
    await simulator.come_up()


async def test_unnumbered_version(
    hass: HomeAssistant,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """Without a version in the health report the update check's one is shown.

    A version without a release number cannot be compared: a release is offered.
    """
    simulator.version = ""
    simulator.set_update_check(latest_version="2.43.0")
    simulator.update_check["current_version"] = "nightly"
    await setup_integration()
    await block_till_done(hass)
    state = _state(hass)
    assert state.attributes[ATTR_INSTALLED_VERSION] == "nightly"
    assert state.state == STATE_ON
