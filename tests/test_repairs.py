"""Repair issues: a server too old for the integration, a server that keeps refusing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.printernizer.const import DOMAIN, HEALTH_SCAN_INTERVAL
from custom_components.printernizer.issues import (
    ISSUE_RATE_LIMITED,
    ISSUE_SERVER_VERSION,
    RATE_LIMIT_WINDOW,
    issue_id,
)
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done
from tests.simulator import Simulator

HEALTH = "/api/v1/health"


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A server without printers, on a release older than the integration supports."""
    return {"printers": 0, "version": "1.9.0"}


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
) -> MockConfigEntry:
    """A loaded entry on a frozen clock, its first background refreshes done."""
    entry = await setup_integration()
    await block_till_done(hass)
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def _advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await block_till_done(hass)


def _issue(
    issue_registry: ir.IssueRegistry, kind: str, entry: MockConfigEntry
) -> ir.IssueEntry | None:
    return issue_registry.async_get_issue(DOMAIN, issue_id(kind, entry))


async def test_old_server_version(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    simulator: Simulator,
) -> None:
    """An old server raises an issue naming both versions; upgrading removes it."""
    issue = _issue(issue_registry, ISSUE_SERVER_VERSION, init_integration)
    assert issue is not None
    assert issue.translation_key == "server_version_unsupported"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "title": "Printernizer",
        "version": "1.9.0",
        "min_version": "2.0.0",
    }

    simulator.version = "2.42.0"
    await _advance(hass, freezer, HEALTH_SCAN_INTERVAL)
    assert _issue(issue_registry, ISSUE_SERVER_VERSION, init_integration) is None

    # A downgrade brings it back.
    simulator.version = "1.9.5"
    await _advance(hass, freezer, HEALTH_SCAN_INTERVAL)
    issue = _issue(issue_registry, ISSUE_SERVER_VERSION, init_integration)
    assert issue is not None
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["version"] == "1.9.5"


@pytest.mark.parametrize("version", ["2.0.0", "2.42.0-3-gabc1234", "unknown"])
async def test_supported_or_unparsed_version(
    hass: HomeAssistant,
    setup_integration: SetupIntegration,
    issue_registry: ir.IssueRegistry,
    simulator: Simulator,
    version: str,
) -> None:
    """The oldest supported release, a development build or no number: no issue."""
    simulator.version = version
    entry = await setup_integration()
    assert _issue(issue_registry, ISSUE_SERVER_VERSION, entry) is None


async def test_issues_removed_on_unload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Unloading removes the entry's issues; loading checks again."""
    assert _issue(issue_registry, ISSUE_SERVER_VERSION, init_integration)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert _issue(issue_registry, ISSUE_SERVER_VERSION, init_integration) is None

    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert _issue(issue_registry, ISSUE_SERVER_VERSION, init_integration)


async def test_server_down_keeps_version_issue(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    simulator: Simulator,
) -> None:
    """An unreachable server says nothing about its version: the issue stays."""
    await simulator.go_down()
    await _advance(hass, freezer, HEALTH_SCAN_INTERVAL)
    assert _issue(issue_registry, ISSUE_SERVER_VERSION, init_integration)
    await simulator.come_up()


@pytest.mark.parametrize("simulator_options", [{"printers": 0}])
async def test_repeated_rate_limits(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    simulator: Simulator,
) -> None:
    """Many 429s within ten minutes raise an issue; a quiet window removes it."""
    assert _issue(issue_registry, ISSUE_SERVER_VERSION, init_integration) is None

    # One refused request, retried successfully: no issue.
    simulator.fault("rate_limit", path=HEALTH, count=1, retry_after=0)
    await _advance(hass, freezer, HEALTH_SCAN_INTERVAL)
    assert _issue(issue_registry, ISSUE_RATE_LIMITED, init_integration) is None

    # The server keeps refusing: every attempt of two polls.
    fault = simulator.fault("rate_limit", path=HEALTH, retry_after=0)
    await _advance(hass, freezer, HEALTH_SCAN_INTERVAL)
    await _advance(hass, freezer, HEALTH_SCAN_INTERVAL)
    issue = _issue(issue_registry, ISSUE_RATE_LIMITED, init_integration)
    assert issue is not None
    assert issue.translation_key == "rate_limited"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert issue.translation_placeholders is not None
    assert int(issue.translation_placeholders["count"]) >= 5
    assert issue.translation_placeholders["minutes"] == "10"
    assert issue.translation_placeholders["title"] == "Printernizer"

    # The server answers again; the issue stays until a whole window was quiet.
    fault.clear()
    await _advance(hass, freezer, HEALTH_SCAN_INTERVAL)
    assert _issue(issue_registry, ISSUE_RATE_LIMITED, init_integration)
    await _advance(hass, freezer, timedelta(seconds=RATE_LIMIT_WINDOW / 2))
    assert _issue(issue_registry, ISSUE_RATE_LIMITED, init_integration)
    await _advance(hass, freezer, timedelta(seconds=RATE_LIMIT_WINDOW / 2))
    assert _issue(issue_registry, ISSUE_RATE_LIMITED, init_integration) is None


@pytest.mark.parametrize("simulator_options", [{"printers": 0}])
async def test_scattered_rate_limits(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    issue_registry: ir.IssueRegistry,
    simulator: Simulator,
) -> None:
    """A 429 now and then, never five within ten minutes, raises nothing."""
    for _ in range(8):
        simulator.fault("rate_limit", path=HEALTH, count=1, retry_after=0)
        await _advance(hass, freezer, timedelta(seconds=RATE_LIMIT_WINDOW / 4))
    assert _issue(issue_registry, ISSUE_RATE_LIMITED, init_integration) is None
