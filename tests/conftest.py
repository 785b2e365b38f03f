"""Fixtures shared by the integration's tests.

Integration tests talk to the simulator (`tests.simulator`) over real loopback sockets.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any
from unittest.mock import PropertyMock, patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.printernizer.api import RetryPolicy
from custom_components.printernizer.const import DOMAIN
from tests.simulator import Simulator

ENTRY_ID = "01K8PRNTZR0000000000000000"


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load the integration from custom_components/ in every test."""


@pytest.fixture(autouse=True)
def no_deprecated_calls(caplog: pytest.LogCaptureFixture) -> Generator[None]:
    """Fail a test in which Home Assistant reports a deprecated or private call."""
    yield
    reports = [
        record.getMessage()
        for record in caplog.get_records("call")
        if "Detected that custom integration" in record.getMessage()
    ]
    assert not reports, reports


@pytest.fixture(autouse=True)
def instant_retries() -> Generator[None]:
    """Retry without waiting between attempts.

    The backoff itself is tested in tests/api with an injected clock; here a frozen
    clock would otherwise hold every retry's sleep forever.
    """
    with patch(
        "custom_components.printernizer.helpers.RETRY_POLICY",
        RetryPolicy(base_delay=0, max_delay=0),
    ):
        yield


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create every entity enabled, the ones disabled by default included."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Use Home Assistant's snapshot extension (syrupy's own fixture wins otherwise)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """Options for the simulator; override in a module to change the fleet."""
    return {"printers": 2}


@pytest.fixture
async def simulator(
    socket_enabled: None, simulator_options: dict[str, Any]
) -> AsyncGenerator[Simulator]:
    """Start a Printernizer simulator on 127.0.0.1 for the duration of a test."""
    sim = Simulator(**simulator_options)
    await sim.start()
    yield sim
    await sim.stop()


@pytest.fixture
def config_entry(simulator: Simulator) -> MockConfigEntry:
    """A config entry that points at the simulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        # Fixed, so unique ids in snapshots do not change from run to run.
        entry_id=ENTRY_ID,
        title="Printernizer",
        minor_version=2,
        data={CONF_URL: simulator.url, CONF_VERIFY_SSL: True},
    )


type SetupIntegration = Callable[[], Awaitable[MockConfigEntry]]


@pytest.fixture
def setup_integration(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> SetupIntegration:
    """Return a function that sets up the config entry and waits for it."""

    async def _setup() -> MockConfigEntry:
        config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done()
        return config_entry

    return _setup


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, setup_integration: SetupIntegration
) -> MockConfigEntry:
    """A loaded Printernizer entry against the simulator."""
    entry = await setup_integration()
    assert entry.state is ConfigEntryState.LOADED
    return entry
