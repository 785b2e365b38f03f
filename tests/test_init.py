"""Tests for setting up and unloading a Printernizer entry."""

from __future__ import annotations

from collections.abc import Generator
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_URL, CONF_VERIFY_SSL, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.printernizer.api import RequestBudget
from custom_components.printernizer.config_flow import CONF_PROXY_AUTH
from custom_components.printernizer.const import (
    DOMAIN,
    HEALTH_SCAN_INTERVAL,
    HEALTH_SETUP_TIMEOUT,
)
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done
from tests.simulator import Simulator
from tests.simulator.testing import running_simulator

STATUS_ENTITY = "sensor.printernizer_server_status"


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


async def _tick(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    freezer.tick(HEALTH_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await block_till_done(hass)


async def test_setup_creates_hub_and_status(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A loaded entry shows the server's status on a hub device."""
    assert hass.states.get(STATUS_ENTITY).state == "healthy"
    device = device_registry.async_get_device_by_identifier(
        ("printernizer", init_integration.entry_id), init_integration.entry_id
    )
    assert device is not None
    assert device.name == "Printernizer"
    assert device.manufacturer == "Printernizer"
    assert device.sw_version == "2.42.0"
    assert device.configuration_url == simulator.url


async def test_status_follows_server(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The status sensor changes when a service degrades, and recovers."""
    simulator.set_service_status("file_service", "degraded")
    await _tick(hass, freezer)
    assert hass.states.get(STATUS_ENTITY).state == "degraded"

    simulator.set_service_status("database", "unhealthy")
    await _tick(hass, freezer)
    assert hass.states.get(STATUS_ENTITY).state == "unhealthy"

    simulator.set_service_status("database", "healthy")
    simulator.set_service_status("file_service", "healthy")
    await _tick(hass, freezer)
    assert hass.states.get(STATUS_ENTITY).state == "healthy"


@pytest.mark.usefixtures("roomy_budget")
async def test_unavailable_while_server_down_logged_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A stopped server makes the sensor unavailable; one log line each way."""
    await simulator.go_down()
    for _ in range(3):
        await _tick(hass, freezer)
        assert hass.states.get(STATUS_ENTITY).state == STATE_UNAVAILABLE
    ours = [r for r in caplog.records if r.name.startswith("custom_components")]
    failures = [r for r in ours if "Error fetching printernizer health" in r.message]
    assert len(failures) == 1
    assert failures[0].levelname == "ERROR"
    assert all(r.exc_info is None for r in ours if r.levelno >= logging.INFO)

    await simulator.come_up()
    await _tick(hass, freezer)
    assert hass.states.get(STATUS_ENTITY).state == "healthy"
    recovered = [r for r in caplog.records if "health data recovered" in r.message]
    assert len(recovered) == 1


async def test_server_down_at_setup_retries(
    hass: HomeAssistant,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """A server that is down at setup leaves the entry waiting to retry."""
    await simulator.go_down()
    entry = await setup_integration()
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Unloading leaves the entry not loaded and the entity unavailable."""
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(STATUS_ENTITY).state == STATE_UNAVAILABLE


async def test_hung_server_at_setup_gives_up_quickly(
    hass: HomeAssistant,
    setup_integration: SetupIntegration,
    simulator: Simulator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A server that accepts but never answers makes setup retry after 15 s."""
    hang = simulator.fault(path="/api/v1/health", kind="hang")
    setup = hass.async_create_task(setup_integration())
    await hang.hit.wait()
    assert not setup.done()

    freezer.tick(HEALTH_SETUP_TIMEOUT + 0.1)
    async_fire_time_changed(hass)
    entry = await setup
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert "did not answer its health check within 15 s" in entry.reason
    simulator.clear_faults()


async def test_migration_drops_the_url_unique_id(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Entries of 1.1 were identified by URL: they lose it and keep working."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Printernizer (127.0.0.1)",
        version=1,
        minor_version=1,
        unique_id=f"http://127.0.0.1:{simulator.port}",
        data={CONF_URL: simulator.url, CONF_VERIFY_SSL: True},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.unique_id is None
    assert entry.minor_version == 2


async def test_newer_entry_is_refused(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """An entry from a later version of the integration is not guessed at."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Printernizer",
        version=2,
        data={CONF_URL: simulator.url, CONF_VERIFY_SSL: True},
    )
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_two_servers_are_told_apart(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    socket_enabled: None,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The first server keeps the short names; the second one's name its host."""
    async with running_simulator(printers=0) as second_server:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {
                CONF_URL: second_server.url,
                CONF_VERIFY_SSL: True,
                CONF_PROXY_AUTH: {},
            },
        )
        second = result["result"]
        await hass.async_block_till_done()
        title = f"Printernizer (127.0.0.1:{second_server.port})"
        assert second.title == title
        hub = device_registry.async_get_device_by_identifier(
            (DOMAIN, second.entry_id), second.entry_id
        )
        assert hub is not None
        assert hub.name == title
        assert hass.states.get(STATUS_ENTITY).state == "healthy"
        second_status = (
            f"sensor.printernizer_127_0_0_1_{second_server.port}_server_status"
        )
        assert hass.states.get(second_status).state == "healthy"
        assert await hass.config_entries.async_unload(second.entry_id)
        await hass.async_block_till_done()
