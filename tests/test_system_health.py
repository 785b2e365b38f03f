"""Tests for the Printernizer system health information."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.const import CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    get_system_health_info,
)

from custom_components.printernizer.const import DOMAIN
from custom_components.printernizer.system_health import server_address
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done
from tests.simulator import Simulator


@pytest.fixture(autouse=True)
async def system_health(hass: HomeAssistant) -> None:
    """Load Home Assistant's system health component."""
    assert await async_setup_component(hass, "system_health", {})


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A server with trending statistics, so that no request of the setup fails."""
    return {"printers": 2, "trending": "seed"}


async def test_server_up(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A reachable server shows its address, version, success rate and last fetch."""
    await block_till_done(hass)
    info = await get_system_health_info(hass, DOMAIN)
    assert info["server"] == f"127.0.0.1:{simulator.port}"
    assert info["reachable"] == "ok"
    assert info["version"] == "2.42.0"
    assert info["request_success_rate"] == "100 %"
    assert isinstance(info["last_successful_fetch"], datetime)


async def test_server_down(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A server that stops answering is reported unreachable; the rate drops."""
    await block_till_done(hass)
    before = (await get_system_health_info(hass, DOMAIN))["last_successful_fetch"]
    await simulator.go_down()
    await init_integration.runtime_data.health.async_refresh()
    await hass.async_block_till_done()

    info = await get_system_health_info(hass, DOMAIN)
    assert info["reachable"] == {"type": "failed", "error": "unreachable"}
    assert info["version"] == "2.42.0"
    metrics = init_integration.runtime_data.client.metrics
    assert metrics.success_rate is not None
    assert metrics.success_rate < 100
    assert info["request_success_rate"] == f"{metrics.success_rate:g} %"
    assert info["last_successful_fetch"] == before


async def test_server_down_at_setup(
    hass: HomeAssistant, setup_integration: SetupIntegration, simulator: Simulator
) -> None:
    """An entry that could not load is listed as unreachable, with nothing else."""
    await simulator.go_down()
    await setup_integration()
    info = await get_system_health_info(hass, DOMAIN)
    assert info == {
        "server": f"127.0.0.1:{simulator.port}",
        "reachable": {"type": "failed", "error": "unreachable"},
        "version": None,
        "request_success_rate": None,
        "last_successful_fetch": None,
    }


async def test_no_entries(hass: HomeAssistant) -> None:
    """Without a configured server there is nothing to report."""
    assert await async_setup_component(hass, DOMAIN, {})
    info = await get_system_health_info(hass, DOMAIN)
    assert info == {"server": None}


async def test_several_servers(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """With two servers each value names its server."""
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Other",
        unique_id="other",
        data={CONF_URL: "http://127.0.0.1:1/", CONF_VERIFY_SSL: True},
    )
    other.add_to_hass(hass)
    own = f"127.0.0.1:{simulator.port}"
    await block_till_done(hass)
    info = await get_system_health_info(hass, DOMAIN)
    assert info["server"] == f"127.0.0.1:1, {own}"
    assert info["reachable"] == f"127.0.0.1:1: unreachable; {own}: ok"
    assert info["version"] == f"127.0.0.1:1: -; {own}: 2.42.0"
    assert info["request_success_rate"] == f"127.0.0.1:1: -; {own}: 100 %"
    assert info["last_successful_fetch"].startswith(f"127.0.0.1:1: -; {own}: 20")


async def test_both_servers_reachable(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Two reachable servers are reported as ok."""
    second = MockConfigEntry(
        domain=DOMAIN,
        title="Second",
        unique_id="second",
        data={CONF_URL: simulator.url + "/", CONF_VERIFY_SSL: True},
    )
    second.add_to_hass(hass)
    await hass.config_entries.async_setup(second.entry_id)
    await hass.async_block_till_done()
    info = await get_system_health_info(hass, DOMAIN)
    assert info["reachable"] == "ok"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:secret@printernizer.local:8000/base", "printernizer.local:8000"),
        ("https://printernizer.example", "printernizer.example:443"),
        ("http://[::1]:8000", "[::1]:8000"),
    ],
)
def test_server_address(url: str, expected: str) -> None:
    """The address shows host and port, never credentials or paths."""
    assert server_address(url) == expected
