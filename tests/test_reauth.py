"""A reverse proxy in front of Printernizer refuses the stored credentials: reauth."""

from __future__ import annotations

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.printernizer.const import DOMAIN
from tests.conftest import ENTRY_ID
from tests.helpers import block_till_done, state_of
from tests.printer_helpers import stream_up, tick
from tests.simulator import Simulator

STATUS = "sensor.printernizer_server_status"


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A server behind a proxy that asks for HTTP basic auth."""
    return {"printers": 1, "auth": ("ha", "first-secret")}


@pytest.fixture
def config_entry(simulator: Simulator) -> MockConfigEntry:
    """An entry with the proxy's credentials."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Printernizer",
        minor_version=2,
        data={
            CONF_URL: simulator.url,
            CONF_VERIFY_SSL: True,
            CONF_USERNAME: "ha",
            CONF_PASSWORD: "first-secret",
        },
    )


def _reauth_flows(hass: HomeAssistant) -> list[Any]:
    return [
        flow
        for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if flow["context"]["source"] == SOURCE_REAUTH
    ]


async def test_credentials_work_everywhere(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """REST and the event stream both pass the proxy with the stored credentials."""
    await stream_up(simulator, init_integration)
    assert state_of(hass, STATUS) == "healthy"
    assert not [r for r in simulator.requests if r.auth_rejected]


@pytest.mark.parametrize("failure_status", [401, 403])
async def test_changed_credentials_start_reauth(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    failure_status: int,
) -> None:
    """The proxy changes its password: reauth, then everything works again."""
    simulator.set_auth(("ha", "second-secret"), failure_status=failure_status)
    await tick(hass, freezer, 31)
    flows = _reauth_flows(hass)
    assert len(flows) == 1
    assert flows[0]["context"]["entry_id"] == init_integration.entry_id

    # The old password (left empty: kept) is refused in the form too.
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_USERNAME: "ha"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_USERNAME: "ha", CONF_PASSWORD: "second-secret"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await block_till_done(hass)
    assert init_integration.state is ConfigEntryState.LOADED
    assert init_integration.data[CONF_PASSWORD] == "second-secret"
    assert state_of(hass, STATUS) == "healthy"
    await stream_up(simulator, init_integration)


async def test_refused_at_setup_starts_reauth(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: Simulator
) -> None:
    """Wrong credentials at setup: the entry waits for new ones, no retry loop."""
    simulator.set_auth("a-token")
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = _reauth_flows(hass)
    assert len(flows) == 1

    # Switching to a bearer token replaces the basic credentials.
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], {CONF_TOKEN: "a-token"}
    )
    assert result["reason"] == "reauth_successful"
    await block_till_done(hass)
    assert config_entry.state is ConfigEntryState.LOADED
    assert config_entry.data == {
        CONF_URL: simulator.url,
        CONF_VERIFY_SSL: True,
        CONF_TOKEN: "a-token",
    }
