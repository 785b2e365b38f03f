"""The server's health as entities: overall status, each service, connectivity."""

from __future__ import annotations

from collections.abc import Generator
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.printernizer.api import RequestBudget
from custom_components.printernizer.const import DOMAIN, HEALTH_SCAN_INTERVAL
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done, state_of
from tests.simulator import Simulator

SERVICES = ("database", "printer_service", "file_service", "event_service")


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(HEALTH_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await block_till_done(hass)


@pytest.mark.usefixtures("init_integration")
async def test_every_service_has_status_and_problem(hass: HomeAssistant) -> None:
    """Each service the server reports gets a status sensor and a problem sensor."""
    for service in SERVICES:
        assert state_of(hass, f"sensor.printernizer_{service}_status") == "healthy"
        assert (
            state_of(hass, f"binary_sensor.printernizer_{service}_problem") == STATE_OFF
        )
    # The server disables trending today: that is not a problem.
    assert state_of(hass, "sensor.printernizer_trending_service_status") == "disabled"
    assert (
        state_of(hass, "binary_sensor.printernizer_trending_service_problem")
        == STATE_OFF
    )
    assert state_of(hass, "binary_sensor.printernizer_server_connection") == STATE_ON


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("platform", [Platform.SENSOR, Platform.BINARY_SENSOR])
async def test_health_entities_snapshot(
    hass: HomeAssistant,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Names, device classes, categories and states of every entity, per platform."""
    # The request counters change with every request; tests/test_request_metrics.py.
    with (
        patch("custom_components.printernizer.PLATFORMS", [platform]),
        patch("custom_components.printernizer.sensor.REQUEST_METRICS_SENSORS", ()),
    ):
        entry = await setup_integration()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    ("status", "problem", "overall"),
    [
        ("degraded", STATE_ON, "degraded"),
        ("unhealthy", STATE_ON, "unhealthy"),
        ("disabled", STATE_OFF, "healthy"),
    ],
)
async def test_service_status_changes(
    hass: HomeAssistant,
    simulator: Simulator,
    freezer: FrozenDateTimeFactory,
    status: str,
    problem: str,
    overall: str,
) -> None:
    """A service's status, its problem sensor and the overall status follow the server."""
    simulator.set_service_status("file_service", status)
    await _tick(hass, freezer)
    assert state_of(hass, "sensor.printernizer_file_service_status") == status
    assert state_of(hass, "binary_sensor.printernizer_file_service_problem") == problem
    assert state_of(hass, "sensor.printernizer_server_status") == overall
    # The other services are untouched.
    assert state_of(hass, "binary_sensor.printernizer_database_problem") == STATE_OFF


@pytest.mark.usefixtures("init_integration")
async def test_service_appears_and_disappears(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """A service added on the server gets entities without a reload."""
    assert hass.states.get("sensor.printernizer_thumbnail_service_status") is None
    simulator.add_service("thumbnail_service", "degraded")
    await _tick(hass, freezer)
    state = hass.states.get("sensor.printernizer_thumbnail_service_status")
    assert state is not None
    assert state.state == "degraded"
    assert state.attributes["friendly_name"] == "Printernizer Thumbnail service status"
    assert (
        state_of(hass, "binary_sensor.printernizer_thumbnail_service_problem")
        == STATE_ON
    )

    simulator.remove_service("thumbnail_service")
    await _tick(hass, freezer)
    assert state_of(hass, "sensor.printernizer_thumbnail_service_status") == (
        STATE_UNAVAILABLE
    )
    assert state_of(hass, "sensor.printernizer_database_status") == "healthy"


@pytest.mark.usefixtures("init_integration")
async def test_unknown_status_values_are_unknown(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """A status value the integration does not know shows as unknown, not an error."""
    simulator.services["file_service"]["status"] = "rebooting"
    await _tick(hass, freezer)
    assert state_of(hass, "sensor.printernizer_file_service_status") == STATE_UNKNOWN
    assert state_of(hass, "binary_sensor.printernizer_file_service_problem") == (
        STATE_UNKNOWN
    )


@pytest.fixture
def roomy_budget() -> Generator[None]:
    """A request budget the frozen clock cannot run dry.

    It refills on the event loop's clock, which the freezer stops: every retry
    of the requests cut off by the outage would otherwise wait for ever.
    """
    with patch(
        "custom_components.printernizer.api.client.RequestBudget",
        lambda **_: RequestBudget(per_minute=6000, burst=1000),
    ):
        yield


@pytest.mark.usefixtures("roomy_budget", "init_integration")
async def test_connectivity_stays_available_when_down(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """The connection sensor turns off (not unavailable) while the server is down."""
    await simulator.go_down()
    await _tick(hass, freezer)
    assert state_of(hass, "binary_sensor.printernizer_server_connection") == STATE_OFF
    assert state_of(hass, "sensor.printernizer_server_status") == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor.printernizer_database_problem") == (
        STATE_UNAVAILABLE
    )
    await simulator.come_up()
    await _tick(hass, freezer)
    assert state_of(hass, "binary_sensor.printernizer_server_connection") == STATE_ON
    assert state_of(hass, "sensor.printernizer_server_status") == "healthy"


async def test_version_change_updates_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    freezer: FrozenDateTimeFactory,
    device_registry: dr.DeviceRegistry,
) -> None:
    """After a server upgrade the hub device shows the new version."""
    simulator.version = "2.43.1"
    await _tick(hass, freezer)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, init_integration.entry_id), init_integration.entry_id
    )
    assert device is not None
    assert device.sw_version == "2.43.1"


@pytest.mark.usefixtures("init_integration")
async def test_health_handler_failure_body(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """The server's fallback body (its health handler crashed) reads as unhealthy."""
    simulator.health_error = "database is locked"
    await _tick(hass, freezer)
    assert state_of(hass, "sensor.printernizer_server_status") == "unhealthy"
    assert state_of(hass, "binary_sensor.printernizer_server_connection") == STATE_ON


@pytest.mark.usefixtures("init_integration")
async def test_unchanged_report_writes_no_state(
    hass: HomeAssistant, simulator: Simulator, freezer: FrozenDateTimeFactory
) -> None:
    """A poll that brings the same report (only its timestamp moved) writes nothing."""
    before = hass.states.get("sensor.printernizer_database_status")
    assert before is not None
    # A repeated write mutates the State object in place: keep the value.
    last_reported = before.last_reported
    polls = simulator.request_count("/api/v1/health")
    await _tick(hass, freezer)
    assert simulator.request_count("/api/v1/health") == polls + 1
    after = hass.states.get("sensor.printernizer_database_status")
    assert after is not None
    assert after.last_reported == last_reported
