"""Fleet statistics on the hub: job totals, print time, material and cost."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    mock_restore_cache_with_extra_data,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.printernizer.api import PrinternizerClient
from custom_components.printernizer.coordinator.statistics import (
    STATISTICS_ABSENT_INTERVAL,
    STATISTICS_RETRY_DELAY,
    STATISTICS_SCAN_INTERVAL,
    ServerCurrency,
    currency_code,
)
from custom_components.printernizer.sensor import not_negative
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done, state_of
from tests.printer_helpers import mixed_fleet
from tests.simulator import FaultKind, Simulator

SUMMARY = "/api/v1/analytics/summary"
SETTINGS = "/api/v1/settings/application"
COMPLETED = "sensor.printernizer_prints_completed"
FAILED = "sensor.printernizer_prints_failed"
RATE = "sensor.printernizer_print_success_rate"
HOURS = "sensor.printernizer_print_time"
MATERIAL = "sensor.printernizer_material_used"
COST = "sensor.printernizer_print_cost"
FLEET_SENSORS = (COMPLETED, FAILED, RATE, HOURS, MATERIAL, COST)
#: Loggers of the harness: start-up noise, and asyncio seeing the frozen clock jump.
NOISE = frozenset({"homeassistant.loader", "aiohttp_fast_zlib", "asyncio"})


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Warnings and errors, start-up noise of the test harness left out."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name not in NOISE
    ]


def summary(**values: Any) -> dict[str, Any]:
    """An analytics summary as the server sends it, with `values` changed."""
    return {
        "total_jobs": 4,
        "completed_jobs": 3,
        "failed_jobs": 1,
        "total_print_time_hours": 12.5,
        "total_material_used_kg": 0.84,
        "total_cost_eur": 21.37,
        "average_job_duration_hours": 3.12,
        "success_rate_percent": 75.0,
        **values,
    }


async def _advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delay: timedelta
) -> None:
    """Move the clock on and let what fell due run to its end."""
    freezer.tick(delay)
    async_fire_time_changed(hass)
    await block_till_done(hass)


async def _refresh(entry: MockConfigEntry, hass: HomeAssistant) -> None:
    await entry.runtime_data.statistics.async_refresh()
    await hass.async_block_till_done()


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A printing Bambu printer and an idle Prusa."""
    return {"printers": mixed_fleet()}


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Names, classes, units and states of the fleet statistics sensors."""
    for entity_id in FLEET_SENSORS:
        entry = entity_registry.async_get(entity_id)
        assert entry is not None, entity_id
        assert entry == snapshot(name=f"{entity_id}-entry")
        assert hass.states.get(entity_id) == snapshot(name=f"{entity_id}-state")


async def test_counts_follow_the_jobs(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Finished and failed jobs on the server show after the next read."""
    # The Bambu printer's running job is the server's only job so far.
    assert state_of(hass, COMPLETED) == "0"
    assert state_of(hass, FAILED) == "0"
    assert state_of(hass, RATE) == "0.0"
    simulator.printer(0).finish()
    simulator.printer(1).start_job("cube.gcode", 10).fail("Nozzle clog")
    simulator.printer(0).start_job("vase.gcode", 60).finish()
    await _refresh(init_integration, hass)
    assert state_of(hass, COMPLETED) == "2"
    assert state_of(hass, FAILED) == "1"
    assert float(state_of(hass, RATE)) == pytest.approx(66.7)


async def test_jobs_older_than_thirty_days_still_count(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """The server counts 30 days unless asked otherwise: totals never age out."""
    simulator.printer(0).finish()
    await _refresh(init_integration, hass)
    assert state_of(hass, COMPLETED) == "1"
    freezer.tick(timedelta(days=40))
    await _refresh(init_integration, hass)
    assert state_of(hass, COMPLETED) == "1"
    assert simulator.requests_matching(SUMMARY)[-1].query == {
        "start_date": "2000-01-01"
    }


async def test_totals_classes_and_units(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Hours, kilograms and the server's currency, each with its class."""
    simulator.fault(FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary())
    await _refresh(init_integration, hass)
    hours = hass.states.get(HOURS)
    assert hours.state == "12.5"
    assert hours.attributes[ATTR_UNIT_OF_MEASUREMENT] == "h"
    assert hours.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.DURATION
    assert hours.attributes["state_class"] == SensorStateClass.TOTAL_INCREASING
    material = hass.states.get(MATERIAL)
    assert material.state == "0.84"
    assert material.attributes[ATTR_UNIT_OF_MEASUREMENT] == "kg"
    assert material.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.WEIGHT
    cost = hass.states.get(COST)
    assert cost.state == "21.37"
    assert cost.attributes[ATTR_UNIT_OF_MEASUREMENT] == "EUR"
    assert cost.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.MONETARY
    assert cost.attributes["state_class"] == SensorStateClass.TOTAL
    assert cost.attributes.get("last_reset") is None
    for entity_id in (COMPLETED, FAILED):
        state = hass.states.get(entity_id)
        assert state.attributes["state_class"] == SensorStateClass.TOTAL_INCREASING
    assert state_of(hass, COMPLETED) == "3"
    assert state_of(hass, RATE) == "75.0"


@pytest.mark.parametrize(
    ("values", "unknown"),
    [
        # A server fault: totals never go negative.
        (
            {
                "completed_jobs": -1,
                "failed_jobs": -3,
                "total_print_time_hours": -2.5,
                "total_material_used_kg": -0.1,
                "total_cost_eur": -4.0,
            },
            (COMPLETED, FAILED, HOURS, MATERIAL, COST),
        ),
        # Fields the server left out.
        (
            {
                "completed_jobs": None,
                "total_print_time_hours": None,
                "total_cost_eur": None,
                "success_rate_percent": None,
            },
            (COMPLETED, HOURS, COST, RATE),
        ),
        # No jobs: a success rate of 0 % would be a lie.
        ({"total_jobs": 0, "success_rate_percent": 0.0}, (RATE,)),
        ({"success_rate_percent": 130.0}, (RATE,)),
    ],
)
async def test_bad_values_read_as_unknown(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    values: dict[str, Any],
    unknown: tuple[str, ...],
) -> None:
    """Negative totals, missing fields and impossible rates: unknown, no error."""
    body = {key: value for key, value in summary(**values).items() if value is not None}
    simulator.fault(FaultKind.WRONG_SHAPE, path=SUMMARY, body=body)
    await _refresh(init_integration, hass)
    for entity_id in FLEET_SENSORS:
        expected = STATE_UNKNOWN if entity_id in unknown else None
        state = state_of(hass, entity_id)
        assert state != STATE_UNAVAILABLE
        if expected is not None:
            assert state == expected, entity_id
        else:
            assert state != STATE_UNKNOWN, entity_id
    assert not warnings(caplog)


async def test_unreadable_summary_is_unavailable_and_logged_once(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A count as text: unavailable, one line without a traceback, then back."""
    fault = simulator.fault(
        FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary(completed_jobs="3")
    )
    for _ in range(3):
        await _refresh(init_integration, hass)
        assert state_of(hass, COMPLETED) == STATE_UNAVAILABLE
    lines = [
        r
        for r in caplog.records
        if r.name.startswith("custom_components") and r.levelno >= logging.WARNING
    ]
    assert [r.getMessage() for r in lines] == [
        (
            "Error fetching printernizer statistics data: The Printernizer server "
            "sent a response that could not be read: analytics_summary.completed_jobs:"
            " expected int, got str"
        )
    ]
    assert lines[0].exc_info is None
    fault.clear()
    await _refresh(init_integration, hass)
    assert state_of(hass, COMPLETED) == "0"
    assert [r for r in caplog.records if "statistics data recovered" in r.message]


async def test_restart_starts_a_new_cost_cycle(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A cost that drops sets last_reset; one that grows leaves it alone."""
    simulator.fault(FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary())
    await _refresh(init_integration, hass)
    assert hass.states.get(COST).attributes.get("last_reset") is None
    simulator.fault(
        FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary(total_cost_eur=25.0)
    )
    await _refresh(init_integration, hass)
    assert hass.states.get(COST).attributes.get("last_reset") is None
    simulator.fault(
        FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary(total_cost_eur=1.5)
    )
    await _refresh(init_integration, hass)
    cost = hass.states.get(COST)
    assert cost.state == "1.5"
    reset = cost.attributes["last_reset"]
    assert reset is not None
    simulator.fault(
        FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary(total_cost_eur=3.0)
    )
    await _refresh(init_integration, hass)
    assert hass.states.get(COST).attributes["last_reset"] == reset


async def test_cost_cycle_survives_a_restart_of_home_assistant(
    hass: HomeAssistant, setup_integration: SetupIntegration, simulator: Simulator
) -> None:
    """The last total and reset are restored: a drop while away is a new cycle."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                _state(COST, "30.0", last_reset="2026-11-01T00:00:00+00:00"),
                {"native_value": 30.0, "native_unit_of_measurement": "EUR"},
            )
        ],
    )
    simulator.fault(
        FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary(total_cost_eur=2.0)
    )
    await setup_integration()
    cost = hass.states.get(COST)
    assert cost.state == "2.0"
    assert cost.attributes["last_reset"] != "2026-11-01T00:00:00+00:00"


async def test_cost_keeps_its_restored_reset(
    hass: HomeAssistant, setup_integration: SetupIntegration, simulator: Simulator
) -> None:
    """A total that grew while Home Assistant was away keeps the last reset."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                _state(COST, "20.0", last_reset="2026-11-01T00:00:00+00:00"),
                {"native_value": 20.0, "native_unit_of_measurement": "EUR"},
            )
        ],
    )
    simulator.fault(FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary())
    await setup_integration()
    cost = hass.states.get(COST)
    assert cost.state == "21.37"
    assert cost.attributes["last_reset"] == "2026-11-01T00:00:00+00:00"


def _state(entity_id: str, value: str, **attributes: Any) -> State:
    return State(entity_id, value, attributes)


@pytest.mark.parametrize(
    ("setting", "unit"),
    [
        ("USD", "USD"),
        (" chf ", "CHF"),
        ("XYZ", None),
        ("€", None),
        ("", None),
        ("EURO" * 100, None),
    ],
)
async def test_currency(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_integration: SetupIntegration,
    caplog: pytest.LogCaptureFixture,
    setting: str,
    unit: str | None,
) -> None:
    """A known code is the unit; anything else leaves the cost without one."""
    simulator.currency = setting
    simulator.fault(FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary())
    await setup_integration()
    cost = hass.states.get(COST)
    assert cost.state == "21.37"
    assert cost.attributes.get(ATTR_UNIT_OF_MEASUREMENT) == unit
    assert cost.attributes.get(ATTR_DEVICE_CLASS) == (
        SensorDeviceClass.MONETARY if unit else None
    )
    assert not warnings(caplog)


async def test_settings_without_currency(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_integration: SetupIntegration,
) -> None:
    """A server without the settings route: costs without a currency."""
    simulator.fault(FaultKind.STATUS, path=SETTINGS, status=404)
    simulator.fault(FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary())
    entry = await setup_integration()
    cost = hass.states.get(COST)
    assert cost.state == "21.37"
    assert ATTR_UNIT_OF_MEASUREMENT not in cost.attributes
    assert entry.runtime_data.statistics.currency.code is None


async def test_settings_read_once_for_six_hours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    setup_integration: SetupIntegration,
) -> None:
    """Both features share one settings read; a failed re-read keeps the currency."""
    entry = await setup_integration()
    assert simulator.request_count(SETTINGS) == 1
    await _advance(hass, freezer, STATISTICS_SCAN_INTERVAL)
    assert simulator.request_count(SETTINGS) == 1
    assert simulator.request_count(SUMMARY) == 2
    simulator.currency = "GBP"
    simulator.fault(FaultKind.STATUS, path=SETTINGS, status=500)
    for _ in range(24):
        await _advance(hass, freezer, STATISTICS_SCAN_INTERVAL)
    # Due after 6 hours: the read failed, the currency stays.
    assert simulator.request_count(SETTINGS) > 1
    assert state_of(hass, COMPLETED) != STATE_UNAVAILABLE
    assert hass.states.get(COST).attributes[ATTR_UNIT_OF_MEASUREMENT] == "EUR"
    simulator.clear_faults()
    await _advance(hass, freezer, STATISTICS_SCAN_INTERVAL)
    assert hass.states.get(COST).attributes[ATTR_UNIT_OF_MEASUREMENT] == "GBP"
    # After a server restart the currency is read again with the next read.
    reads = simulator.request_count(SETTINGS)
    entry.runtime_data.server_restarted()
    await _advance(hass, freezer, STATISTICS_SCAN_INTERVAL)
    assert simulator.request_count(SETTINGS) == reads + 1


async def test_settings_failure_at_first_read_fails_the_read(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    setup_integration: SetupIntegration,
) -> None:
    """Without any currency yet, costs are not shown in none: unavailable."""
    fault = simulator.fault(FaultKind.STATUS, path=SETTINGS, status=500)
    await setup_integration()
    # Nothing was read: the entities do not exist yet.
    assert hass.states.get(COMPLETED) is None
    fault.clear()
    await _advance(hass, freezer, STATISTICS_SCAN_INTERVAL)
    assert state_of(hass, COMPLETED) == "0"
    assert hass.states.get(COST).attributes[ATTR_UNIT_OF_MEASUREMENT] == "EUR"


async def test_schedule_every_15_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    setup_integration: SetupIntegration,
) -> None:
    """Read at setup, then every 15 minutes: four requests an hour."""
    entry = await setup_integration()
    assert simulator.request_count(SUMMARY) == 1
    await _advance(hass, freezer, STATISTICS_SCAN_INTERVAL - timedelta(seconds=5))
    assert simulator.request_count(SUMMARY) == 1
    for _ in range(4):
        await _advance(hass, freezer, STATISTICS_SCAN_INTERVAL)
    assert simulator.request_count(SUMMARY) == 5
    diagnostics = entry.runtime_data.statistics.extra_diagnostics()
    assert diagnostics["present"] is True
    assert diagnostics["interval"] == STATISTICS_SCAN_INTERVAL


async def test_nothing_read_while_the_server_is_down(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    setup_integration: SetupIntegration,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """While the health check fails: no request, no line, unavailable; then back."""
    await setup_integration()
    await simulator.go_down()
    await _advance(hass, freezer, timedelta(seconds=30))
    assert state_of(hass, COMPLETED) == STATE_UNAVAILABLE
    asked = simulator.request_count(SUMMARY)
    for _ in range(8):
        await _advance(hass, freezer, STATISTICS_SCAN_INTERVAL)
    assert simulator.request_count(SUMMARY) == asked
    assert not [m for m in warnings(caplog) if "statistics" in m or "materials" in m]
    await simulator.come_up()
    simulator.printer(0).finish()
    await _advance(hass, freezer, timedelta(seconds=30))
    # The read that fell due follows as soon as the server answers again.
    assert simulator.request_count(SUMMARY) == asked + 1
    assert state_of(hass, COMPLETED) == "1"


async def test_unload_while_a_read_hangs(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    setup_integration: SetupIntegration,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The hung read is abandoned quietly; nothing is scheduled after the unload."""
    entry = await setup_integration()
    await block_till_done(hass)
    hang = simulator.fault(FaultKind.HANG, path=SUMMARY)
    freezer.tick(STATISTICS_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hang.hit.wait()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert not [m for m in warnings(caplog) if "printernizer statistics" in m]
    # The test harness fails the test on a timer left behind.


async def test_health_changes_without_an_outage(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A degraded service is no outage: the statistics stay and are not re-read."""
    simulator.set_service_status("database", "degraded")
    await init_integration.runtime_data.health.async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, COMPLETED) == "0"
    assert simulator.request_count(SUMMARY) == 1


@pytest.mark.parametrize("simulator_options", [{"printers": 1, "analytics": False}])
async def test_absent_on_an_older_server(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No analytics route: no entities, no error, probed every 6 hours."""
    entry = await setup_integration()
    assert entry.runtime_data.statistics.present is False
    assert not [
        e
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if "fleet_" in e.unique_id or "material_" in e.unique_id
    ]
    assert not warnings(caplog)
    assert "The Printernizer server has no fleet statistics" in caplog.text
    asked = simulator.request_count(SUMMARY)
    await _advance(hass, freezer, STATISTICS_SCAN_INTERVAL)
    assert simulator.request_count(SUMMARY) == asked
    await _advance(hass, freezer, STATISTICS_ABSENT_INTERVAL)
    assert simulator.request_count(SUMMARY) == asked + 1
    # The server learns the feature: the entities follow the next probe.
    simulator.analytics = True
    await _advance(hass, freezer, STATISTICS_ABSENT_INTERVAL)
    assert state_of(hass, COMPLETED) == "0"
    # ...and leave again with it.
    simulator.analytics = False
    await _advance(hass, freezer, STATISTICS_SCAN_INTERVAL)
    assert hass.states.get(COMPLETED) is None or (
        entity_registry.async_get(COMPLETED) is None
    )
    assert entity_registry.async_get(COMPLETED) is None
    assert caplog.text.count("The Printernizer server has no fleet statistics") == 2


@pytest.mark.parametrize("simulator_options", [{"printers": 1, "fresh": True}])
async def test_fresh_server(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    setup_integration: SetupIntegration,
) -> None:
    """A freshly installed server: zeros and unknown rate, not an error line."""
    await setup_integration()
    assert state_of(hass, COMPLETED) == "0"
    assert state_of(hass, FAILED) == "0"
    assert state_of(hass, HOURS) == "0.0"
    assert state_of(hass, MATERIAL) == "0.0"
    assert state_of(hass, COST) == "0.0"
    assert state_of(hass, RATE) == STATE_UNKNOWN
    assert state_of(hass, "sensor.printernizer_spools") == "0"
    assert state_of(hass, "binary_sensor.printernizer_low_stock") == "off"
    assert not warnings(caplog)


async def test_slow_first_read_does_not_hold_setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    setup_integration: SetupIntegration,
) -> None:
    """A hung analytics route: setup goes on; the entities come with a later read."""
    hang = simulator.fault(FaultKind.HANG, path=SUMMARY)
    entry = hass.async_create_task(setup_integration())
    await hang.hit.wait()
    # The loop's clock is frozen: move it past the setup bound (both features').
    freezer.tick(timedelta(seconds=6))
    async_fire_time_changed(hass)
    loaded = await entry
    assert loaded.state is ConfigEntryState.LOADED
    assert loaded.runtime_data.statistics.present is None
    assert hass.states.get(COMPLETED) is None
    assert hass.states.get("sensor.printernizer_spools") is None
    hang.clear()
    await _advance(hass, freezer, STATISTICS_RETRY_DELAY)
    assert state_of(hass, COMPLETED) == "0"
    assert state_of(hass, "sensor.printernizer_spools") == "5"


def test_currency_code() -> None:
    """ISO 4217 codes only, whatever their case and spacing."""
    assert currency_code("eur") == "EUR"
    assert currency_code(" JPY\n") == "JPY"
    assert currency_code("Euro") is None
    assert currency_code(None) is None


def test_not_negative() -> None:
    """Negative totals and stocks are faults; zero is a value."""
    assert not_negative(0) == 0
    assert not_negative(2.5) == 2.5
    assert not_negative(-0.01) is None
    assert not_negative(None) is None


async def test_currency_read_once_for_both(simulator: Simulator) -> None:
    """Two callers at once share one settings read."""
    async with aiohttp.ClientSession() as session:
        currency = ServerCurrency(PrinternizerClient(session, simulator.url))
        first, second = await asyncio.gather(currency.async_get(), currency.async_get())
    assert first == second == "EUR"
    assert simulator.request_count(SETTINGS) == 1
    assert currency.diagnostics() == {"setting": "EUR", "code": "EUR"}
