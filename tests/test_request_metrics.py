"""The client's request counters as diagnostic sensors on the hub device."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    EVENT_STATE_CHANGED,
    PERCENTAGE,
    EntityCategory,
)
from homeassistant.core import Event, HomeAssistant, State, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.printernizer.const import DOMAIN, HEALTH_SCAN_INTERVAL
from custom_components.printernizer.helpers import create_client
from custom_components.printernizer.sensor import MAX_STATE_LENGTH, truncate
from tests.conftest import ENTRY_ID, SetupIntegration
from tests.helpers import block_till_done
from tests.simulator import Simulator

HEALTH = "/api/v1/health"
PASSWORD = "pr0xy-s3cret"  # noqa: S105

TOTAL = "sensor.printernizer_requests"
FAILED = "sensor.printernizer_failed_requests"
SUCCESSFUL = "sensor.printernizer_successful_requests"
RETRIES = "sensor.printernizer_request_retries"
RATE_LIMITED = "sensor.printernizer_rate_limited_requests"
SUCCESS_RATE = "sensor.printernizer_request_success_rate"
CONSECUTIVE = "sensor.printernizer_consecutive_failed_requests"
LAST_ERROR = "sensor.printernizer_last_request_error"
LAST_FETCH = "sensor.printernizer_last_successful_request"

COUNTERS = (TOTAL, FAILED, SUCCESSFUL, RETRIES, RATE_LIMITED)
ENABLED = (FAILED, RETRIES, RATE_LIMITED, CONSECUTIVE, LAST_ERROR)
DISABLED = (TOTAL, SUCCESSFUL, SUCCESS_RATE, LAST_FETCH)


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A server without printers: the health check is the only regular request."""
    return {"printers": 0}


@pytest.fixture
def config_entry(simulator: Simulator) -> MockConfigEntry:
    """An entry behind a reverse proxy with basic auth, so errors could leak it."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=ENTRY_ID,
        title="Printernizer",
        minor_version=2,
        data={
            CONF_URL: simulator.url,
            CONF_VERIFY_SSL: True,
            CONF_USERNAME: "admin",
            CONF_PASSWORD: PASSWORD,
        },
    )


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
) -> MockConfigEntry:
    """A loaded entry on a frozen clock, its first background refreshes done."""
    entry = await setup_integration()
    await block_till_done(hass)
    return entry


async def _poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let one health check run."""
    freezer.tick(HEALTH_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await block_till_done(hass)


def _state(hass: HomeAssistant, entity_id: str) -> State:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state


def _counts(hass: HomeAssistant) -> dict[str, int]:
    return {entity_id: int(_state(hass, entity_id).state) for entity_id in COUNTERS}


def _api_requests(simulator: Simulator) -> int:
    """Requests the integration sent to the server's API (not the event stream)."""
    return len([r for r in simulator.requests if not r.websocket])


@pytest.mark.usefixtures("init_integration")
async def test_noisy_sensors_disabled_by_default(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The everyday counters are on, the noisy ones wait to be enabled.

    All of them belong to the server's own device.
    """
    first = entity_registry.async_get(FAILED)
    assert first is not None
    assert first.device_id is not None
    hub = device_registry.async_get(first.device_id)
    assert hub is not None
    assert hub.identifiers == {(DOMAIN, ENTRY_ID)}
    for entity_id in (*ENABLED, *DISABLED):
        registered = entity_registry.async_get(entity_id)
        assert registered is not None, entity_id
        assert registered.device_id == hub.id
    for entity_id in ENABLED:
        entry = entity_registry.async_get(entity_id)
        assert entry is not None, entity_id
        assert entry.disabled_by is None, entity_id
        assert entry.entity_category is EntityCategory.DIAGNOSTIC
        assert hass.states.get(entity_id) is not None
    for entity_id in DISABLED:
        entry = entity_registry.async_get(entity_id)
        assert entry is not None, entity_id
        assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION, entity_id
        assert entry.entity_category is EntityCategory.DIAGNOSTIC
        assert hass.states.get(entity_id) is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_state_classes_and_units(hass: HomeAssistant) -> None:
    """Counters only grow; the rate is a percentage; the last fetch is a time."""
    for entity_id in COUNTERS:
        assert _state(hass, entity_id).attributes["state_class"] == "total_increasing"
    assert _state(hass, CONSECUTIVE).attributes["state_class"] == "measurement"
    rate = _state(hass, SUCCESS_RATE)
    assert rate.attributes["state_class"] == "measurement"
    assert rate.attributes["unit_of_measurement"] == PERCENTAGE
    assert _state(hass, LAST_FETCH).attributes["device_class"] == "timestamp"
    assert "state_class" not in _state(hass, LAST_ERROR).attributes


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_successful_polls(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: Simulator
) -> None:
    """Every request counts once; nothing failed; the last fetch is now."""
    start = _counts(hass)
    assert start[TOTAL] == _api_requests(simulator)
    assert start[FAILED] == start[RETRIES] == start[RATE_LIMITED] == 0
    assert start[SUCCESSFUL] == start[TOTAL]

    for _ in range(3):
        await _poll(hass, freezer)

    after = _counts(hass)
    assert after[TOTAL] == _api_requests(simulator) >= start[TOTAL] + 3
    assert after[SUCCESSFUL] == after[TOTAL]
    assert after[FAILED] == after[RETRIES] == after[RATE_LIMITED] == 0
    assert _state(hass, CONSECUTIVE).state == "0"
    assert float(_state(hass, SUCCESS_RATE).state) == 100.0
    assert _state(hass, LAST_ERROR).state == "unknown"
    last_fetch = datetime.fromisoformat(_state(hass, LAST_FETCH).state)
    assert last_fetch == dt_util.utcnow().replace(microsecond=0)


@pytest.mark.parametrize(
    ("fault", "options", "rate_limited", "error"),
    [
        pytest.param("status", {"status": 502}, 0, "502", id="bad_gateway"),
        pytest.param("rate_limit", {"retry_after": 0}, 1, "RateLimit", id="429"),
    ],
)
@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_retried_failure(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    fault: str,
    options: dict[str, Any],
    rate_limited: int,
    error: str,
) -> None:
    """A 502 from a proxy or a 429 is retried: one retry, one failure, then success.

    Only the 429 counts as rate limited.
    """
    before = _counts(hass)
    simulator.fault(fault, path=HEALTH, count=1, **options)
    await _poll(hass, freezer)

    after = _counts(hass)
    assert after[RETRIES] == before[RETRIES] + 1
    assert after[FAILED] == before[FAILED] + 1
    assert after[TOTAL] == before[TOTAL] + 2
    assert after[SUCCESSFUL] == before[SUCCESSFUL] + 1
    assert after[RATE_LIMITED] == before[RATE_LIMITED] + rate_limited
    assert _state(hass, CONSECUTIVE).state == "0"
    assert error in _state(hass, LAST_ERROR).state
    assert float(_state(hass, SUCCESS_RATE).state) < 100.0


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_server_down(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: Simulator
) -> None:
    """Failures pile up while the server is down; the error shows no secret."""
    before = _counts(hass)
    last_fetch = _state(hass, LAST_FETCH).state
    await simulator.go_down()

    await _poll(hass, freezer)
    first = _counts(hass)
    assert first[FAILED] > before[FAILED]
    consecutive = int(_state(hass, CONSECUTIVE).state)
    assert consecutive == first[FAILED] - before[FAILED]
    rate = float(_state(hass, SUCCESS_RATE).state)
    assert rate < 100.0

    await _poll(hass, freezer)
    second = _counts(hass)
    assert second[FAILED] > first[FAILED]
    assert int(_state(hass, CONSECUTIVE).state) > consecutive
    assert float(_state(hass, SUCCESS_RATE).state) < rate
    assert second[SUCCESSFUL] == before[SUCCESSFUL]
    # The last success stays where it was.
    assert _state(hass, LAST_FETCH).state == last_fetch

    error = _state(hass, LAST_ERROR).state
    assert error.startswith("PrinternizerUnreachableError")
    assert "health" in error
    assert PASSWORD not in error
    assert len(error) <= MAX_STATE_LENGTH

    await simulator.come_up()
    await _poll(hass, freezer)
    assert _state(hass, CONSECUTIVE).state == "0"
    # Every coordinator's refresh updates the sensors: they show the client's count.
    metrics = hass.config_entries.async_entries(DOMAIN)[0].runtime_data.client.metrics
    assert _counts(hass)[SUCCESSFUL] == metrics.successful_fetches > before[SUCCESSFUL]
    assert _state(hass, LAST_FETCH).state != last_fetch


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_unchanged_values_are_not_written(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A refresh that leaves a counter alone does not write its state again."""
    steady = (FAILED, RETRIES, RATE_LIMITED, CONSECUTIVE, LAST_ERROR, SUCCESS_RATE)
    before = {entity_id: _state(hass, entity_id) for entity_id in steady}
    changed: list[str] = []

    @callback
    def _changed(event: Event[Any]) -> None:
        changed.append(event.data["entity_id"])

    unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, _changed)
    for _ in range(3):
        await _poll(hass, freezer)
    unsub()

    for entity_id in steady:
        after = _state(hass, entity_id)
        assert after.state == before[entity_id].state
        assert after.last_reported == before[entity_id].last_reported, entity_id
        assert entity_id not in changed
    # The growing ones are written on every poll.
    assert changed.count(TOTAL) == 3
    assert changed.count(LAST_FETCH) == 3


@pytest.mark.usefixtures("entity_registry_enabled_by_default", "init_integration")
async def test_follows_every_coordinator(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """A refresh of another coordinator than the health check updates the counters."""
    entry = hass.config_entries.async_entries(DOMAIN)[0]
    total = int(_state(hass, TOTAL).state)
    assert entry.runtime_data.update is not None
    await entry.runtime_data.update.async_refresh()
    await hass.async_block_till_done()
    assert int(_state(hass, TOTAL).state) == total + 1
    assert simulator.requests[-1].path == "/api/v1/update-check"


def test_truncate() -> None:
    """A long error is cut to what a state can hold."""
    assert truncate(None) is None
    assert truncate("short") == "short"
    cut = truncate("x" * 1000)
    assert cut is not None
    assert len(cut) == MAX_STATE_LENGTH
    assert cut.endswith("…")


async def test_request_budget_follows_the_loop_clock(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, simulator: Simulator
) -> None:
    """The request budget refills on the clock its waits sleep on.

    A burst of 10 is spent at once; a minute later the next burst goes out without
    waiting, just as it would in production. (On a clock that stood still under the
    frozen test clock, the 11th request would wait forever.)
    """
    client = create_client(hass, {CONF_URL: simulator.url})
    for _ in range(2):
        for _ in range(10):
            await client.update_check()
        freezer.tick(timedelta(minutes=1))
    assert simulator.request_count("/api/v1/update-check") == 20
    assert client.metrics.successful_fetches == 20
