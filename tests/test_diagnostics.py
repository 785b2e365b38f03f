"""Tests for the diagnostics file a user attaches to a bug report."""

from __future__ import annotations

import asyncio
import json

from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from tests.helpers import block_till_done
from tests.simulator import Simulator

# Values that differ between runs: timestamps, ports, the simulator's ids.
VOLATILE = props(
    "last_update_success_time",
    "last_fetch_time",
    "next_attempt",
    "timestamp",
    "last_seen",
    "url",
    "entry_id",
    "id",
    # Connects and pushes depend on when the WebSocket came up; asserted below.
    "event_stream",
)


async def test_diagnostics_snapshot(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """The whole diagnostics file, with volatile values excluded."""
    # The trending and update checks start in the background: let them finish.
    await block_till_done(hass)
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    assert diagnostics == snapshot(exclude=VOLATILE)


async def test_diagnostics_shows_coordinators_and_metrics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """A bug report can tell what was fetched, when, and how the requests went."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    health = diagnostics["coordinators"]["health"]
    assert health["last_update_success"] is True
    assert health["last_exception"] is None
    assert health["update_interval"] == 30
    assert health["data"]["status"] == "healthy"
    assert health["data"]["services"]["database"]["status"] == "healthy"
    assert health["last_update_success_time"] is not None
    metrics = diagnostics["request_metrics"]
    assert metrics["successful_fetches"] >= 1
    assert metrics["failed_requests"] == 0
    assert diagnostics["entry"]["data"][CONF_URL].startswith("http://redacted:")


async def test_diagnostics_contain_no_secrets(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: Simulator,
    config_entry: MockConfigEntry,
) -> None:
    """No secret the server or the user holds appears anywhere in the file."""
    entry = MockConfigEntry(
        domain=config_entry.domain,
        title=config_entry.title,
        minor_version=2,
        data={
            **config_entry.data,
            CONF_USERNAME: "proxy-user-7f3a",
            CONF_PASSWORD: "proxy-pass-91bc",
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    planted = [
        *simulator.secrets,
        "proxy-user-7f3a",
        "proxy-pass-91bc",
    ]
    assert len(simulator.secrets) >= 2
    # The printers the secrets belong to are in the file, so they had a way in.
    listed = diagnostics["coordinators"]["printers"]["data"]
    assert {printer["name"] for printer in listed.values()} == {
        printer.name for printer in simulator.printers.values()
    }
    for secret in planted:
        assert secret not in text
    # The server's address is not in it either.
    assert f"127.0.0.1:{simulator.port}" not in text


async def test_diagnostics_after_failed_refresh(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """After an outage the file names the last error, without secrets."""
    simulator.fault(path="/api/v1/health", kind="status", status=500)
    await init_integration.runtime_data.health.async_refresh()
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    health = diagnostics["coordinators"]["health"]
    assert health["last_update_success"] is False
    assert health["last_exception"].startswith("UpdateFailed: ")
    assert diagnostics["request_metrics"]["failed_requests"] >= 1


async def test_diagnostics_show_the_event_stream(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """The file tells whether pushes arrive, and how the stream has fared."""
    async with asyncio.timeout(5):
        await simulator.wait_for_ws(lambda sim: len(sim.subscribed_printer_ids) == 2)
    await simulator.poll()
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    stream = diagnostics["printers"]["event_stream"]
    assert stream["connected"] is True
    assert stream["pushing"] is True
    assert stream["subscribed_printers"] == 2
    assert stream["stats"]["connects"] == 1
    assert stream["stats"]["events"] == 2
    assert stream["stats"]["malformed"] == 0
