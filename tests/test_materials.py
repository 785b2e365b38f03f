"""The material inventory on the hub: spools, stock, its value, consumption."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.printernizer.coordinator.statistics import (
    STATISTICS_SCAN_INTERVAL,
)
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done, state_of
from tests.simulator import FaultKind, Simulator

STATS = "/api/v1/materials/stats"
SPOOLS = "sensor.printernizer_spools"
REMAINING = "sensor.printernizer_material_remaining"
VALUE = "sensor.printernizer_value_of_remaining_material"
CONSUMPTION = "sensor.printernizer_material_consumption_30_days"
LOW_STOCK = "binary_sensor.printernizer_low_stock"
MATERIAL_ENTITIES = (SPOOLS, REMAINING, VALUE, CONSUMPTION, LOW_STOCK)
NOISE = frozenset({"homeassistant.loader", "aiohttp_fast_zlib", "asyncio"})


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Warnings and errors, start-up noise of the test harness left out."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name not in NOISE
    ]


def stats(**values: Any) -> dict[str, Any]:
    """Material statistics as the server sends them, with `values` changed."""
    return {
        "total_spools": 3,
        "total_weight": 3.0,
        "total_remaining": 1.25,
        "total_value": "74.97",
        "remaining_value": "31.24",
        "by_type": {},
        "by_brand": {},
        "by_color": {},
        "low_stock": ["0f6c1a52-1b8e-4c5e-9f60-3b1f2a7d9c10"],
        "consumption_30d": 0.42,
        "consumption_rate": 0.014,
        **values,
    }


async def _refresh(entry: MockConfigEntry, hass: HomeAssistant) -> None:
    await entry.runtime_data.materials.async_refresh()
    await hass.async_block_till_done()


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """One printer; the simulator's five spools, two of them low on stock."""
    return {"printers": 1}


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Names, classes, units and states of the material entities."""
    for entity_id in MATERIAL_ENTITIES:
        entry = entity_registry.async_get(entity_id)
        assert entry is not None, entity_id
        assert entry == snapshot(name=f"{entity_id}-entry")
        assert hass.states.get(entity_id) == snapshot(name=f"{entity_id}-state")


async def test_inventory(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """The simulator's spools: counts, weights, value and the low ones by id."""
    assert state_of(hass, SPOOLS) == "5"
    assert float(state_of(hass, REMAINING)) == pytest.approx(1.95)
    value = hass.states.get(VALUE)
    # Sent as a decimal string ("55.9351").
    assert float(value.state) == pytest.approx(55.9351)
    assert value.attributes[ATTR_UNIT_OF_MEASUREMENT] == "EUR"
    assert value.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.MONETARY
    assert "state_class" not in value.attributes
    assert state_of(hass, CONSUMPTION) == "0.0"
    low = hass.states.get(LOW_STOCK)
    assert low.state == STATE_ON
    expected = sorted(
        spool.id
        for spool in simulator.materials
        if spool.remaining_weight / spool.weight < 0.2
    )
    assert sorted(low.attributes["spools"]) == expected
    assert len(expected) == 2


async def test_spools_change(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A restocked inventory clears the low-stock problem with the next read."""
    simulator.set_materials(
        [
            {"remaining_weight": 0.9},
            {"material_type": "PETG", "remaining_weight": 0.5, "cost_per_kg": "30"},
        ]
    )
    await _refresh(init_integration, hass)
    assert state_of(hass, SPOOLS) == "2"
    assert float(state_of(hass, REMAINING)) == pytest.approx(1.4)
    assert float(state_of(hass, VALUE)) == pytest.approx(0.9 * 24.99 + 0.5 * 30)
    low = hass.states.get(LOW_STOCK)
    assert low.state == STATE_OFF
    assert low.attributes["spools"] == []


@pytest.mark.parametrize(
    ("values", "unknown"),
    [
        # Money the server sends as text that is not a number.
        ({"remaining_value": "n/a"}, (VALUE,)),
        ({"remaining_value": "NaN"}, (VALUE,)),
        # Money as plain numbers works as well.
        ({"remaining_value": 31.24}, ()),
        # Fields left out.
        (
            {
                "total_spools": None,
                "total_remaining": None,
                "remaining_value": None,
                "consumption_30d": None,
                "low_stock": None,
            },
            (SPOOLS, REMAINING, VALUE, CONSUMPTION),
        ),
        # Negative stock or consumption: a server fault, not a value.
        (
            {"total_remaining": -1.0, "consumption_30d": -0.2, "remaining_value": "-3"},
            (REMAINING, CONSUMPTION, VALUE),
        ),
    ],
)
async def test_sloppy_values(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    values: dict[str, Any],
    unknown: tuple[str, ...],
) -> None:
    """Unreadable, missing or negative values read as unknown, without an error."""
    body = {key: value for key, value in stats(**values).items() if value is not None}
    simulator.fault(FaultKind.WRONG_SHAPE, path=STATS, body=body)
    await _refresh(init_integration, hass)
    for entity_id in (SPOOLS, REMAINING, VALUE, CONSUMPTION):
        state = state_of(hass, entity_id)
        if entity_id in unknown:
            assert state == STATE_UNKNOWN, entity_id
        else:
            assert state not in (STATE_UNKNOWN, STATE_UNAVAILABLE), entity_id
    assert state_of(hass, LOW_STOCK) == (STATE_ON if "low_stock" in body else STATE_OFF)
    assert not warnings(caplog)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"total_remaining": "1.25"}, "materials_stats.total_remaining"),
        ({"low_stock": [42]}, "materials_stats.low_stock[0]"),
        ({"total_spools": 2.5}, "materials_stats.total_spools"),
    ],
)
async def test_wrong_types_make_it_unavailable_once(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    values: dict[str, Any],
    field: str,
) -> None:
    """A weight as text would mislead: unavailable, one line naming the field."""
    fault = simulator.fault(FaultKind.WRONG_SHAPE, path=STATS, body=stats(**values))
    for _ in range(3):
        await _refresh(init_integration, hass)
    for entity_id in MATERIAL_ENTITIES:
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id
    lines = warnings(caplog)
    assert len(lines) == 1
    assert lines[0].startswith("Error fetching printernizer materials data")
    assert field in lines[0]
    # The fleet statistics are not affected.
    assert state_of(hass, "sensor.printernizer_prints_completed") == "0"
    fault.clear()
    await _refresh(init_integration, hass)
    assert state_of(hass, SPOOLS) == "5"


async def test_currency_follows_the_server(
    hass: HomeAssistant,
    simulator: Simulator,
    setup_integration: SetupIntegration,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The value is in the server's currency; an invalid one leaves it without."""
    simulator.currency = "Dollars"
    await setup_integration()
    value = hass.states.get(VALUE)
    assert float(value.state) == pytest.approx(55.9351)
    assert ATTR_UNIT_OF_MEASUREMENT not in value.attributes
    assert ATTR_DEVICE_CLASS not in value.attributes
    assert not warnings(caplog)


@pytest.mark.parametrize("simulator_options", [{"printers": 1, "fresh": True}])
async def test_no_spools(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    setup_integration: SetupIntegration,
) -> None:
    """A fresh server: zero spools, nothing low, no error."""
    await setup_integration()
    assert state_of(hass, SPOOLS) == "0"
    assert state_of(hass, REMAINING) == "0.0"
    assert state_of(hass, VALUE) == "0.0"
    assert state_of(hass, CONSUMPTION) == "0.0"
    low = hass.states.get(LOW_STOCK)
    assert low.state == STATE_OFF
    assert low.attributes["spools"] == []
    assert not warnings(caplog)


@pytest.mark.parametrize("simulator_options", [{"printers": 1, "analytics": False}])
async def test_absent(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    setup_integration: SetupIntegration,
) -> None:
    """An older server without materials: no entities, one info line."""
    caplog.set_level(logging.INFO)
    entry = await setup_integration()
    for entity_id in MATERIAL_ENTITIES:
        assert hass.states.get(entity_id) is None
    assert entry.runtime_data.materials.present is False
    assert "The Printernizer server has no material inventory" in caplog.text
    assert not warnings(caplog)


async def test_read_every_15_minutes_and_not_while_down(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    setup_integration: SetupIntegration,
) -> None:
    """Every 15 minutes; nothing while the server is down, unavailable meanwhile."""
    await setup_integration()
    assert simulator.request_count(STATS) == 1
    for _ in range(4):
        freezer.tick(STATISTICS_SCAN_INTERVAL)
        async_fire_time_changed(hass)
        await block_till_done(hass)
    assert simulator.request_count(STATS) == 5
    await simulator.go_down()
    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await block_till_done(hass)
    assert state_of(hass, LOW_STOCK) == STATE_UNAVAILABLE
    assert state_of(hass, SPOOLS) == STATE_UNAVAILABLE
