"""Filament sensors: the active filament and one sensor per AMS / MMU slot."""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.printernizer.sensor import filament_color
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done, state_of
from tests.printer_helpers import fleet_of
from tests.simulator import SimPrinter, Simulator
from tests.test_camera import MK4_ID, X1C_ID, camera_options

ACTIVE = "sensor.bambu_x1c_active_filament"
SLOT = "sensor.bambu_x1c_filament_slot_{}"


def slot(
    number: int, color: str | None, material: str | None, active: bool = False
) -> dict[str, Any]:
    """One filament entry as the server sends it."""
    return {"slot": number, "color": color, "type": material, "is_active": active}


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """The camera fleet: the X1C has a 4-slot AMS and prints, the Prusa has none."""
    return camera_options()


async def _list(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Read the printer list now (it brings the slots; pushes do not)."""
    await fleet_of(entry).list.async_refresh()
    await block_till_done(hass)


def _slot_sensors(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str | None]:
    """The X1C's slot sensors in the registry, with why each is disabled."""
    return {
        entity.entity_id: entity.disabled_by
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if entity.entity_id.startswith("sensor.bambu_x1c_filament_slot_")
    }


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("#ff6a13", "#FF6A13"),
        ("FF6A13FF", "#FF6A13"),
        ("#000000", "#000000"),
        (" #123abc ", "#123ABC"),
        ("red", None),
        ("#12345", None),
        (None, None),
    ],
)
def test_colors(value: str | None, shown: str | None) -> None:
    """Colours become #RRGGBB (a Bambu alpha byte dropped); anything else none."""
    assert filament_color(value) == shown


async def test_active_filament_and_slots(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The active slot follows the print; each slot shows its material and colour."""
    # 40 % into the print, the second of three loaded slots feeds the printer.
    active = hass.states.get(ACTIVE)
    assert active is not None
    assert active.state == "PLA"
    assert active.attributes["slot"] == 1
    assert active.attributes["color"] == "#000000"
    shown = {}
    for number in range(4):
        state = hass.states.get(SLOT.format(number))
        assert state is not None
        shown[number] = (
            state.state,
            state.attributes["color"],
            state.attributes["active"],
        )
    assert shown == {
        0: ("PLA", "#FFFFFF", False),
        1: ("PLA", "#000000", True),
        2: ("PETG", "#FF6A13", False),
        3: (STATE_UNKNOWN, None, False),
    }
    # The Prusa reports none: no filament sensors at all.
    assert hass.states.get("sensor.prusa_mk4_active_filament") is None
    assert not [
        state.entity_id
        for state in hass.states.async_all("sensor")
        if state.entity_id.startswith("sensor.prusa_mk4_filament")
    ]


async def test_slots_follow_the_printer_list(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A reloaded slot shows with the next printer list, not before."""
    printer = simulator.printer(X1C_ID)
    printer.set_slot(3, color="#00FF00", material="TPU")
    await simulator.poll()  # a push carries no filaments
    await block_till_done(hass)
    assert state_of(hass, SLOT.format(3)) == STATE_UNKNOWN
    await _list(hass, init_integration)
    state = hass.states.get(SLOT.format(3))
    assert state is not None
    assert (state.state, state.attributes["color"]) == ("TPU", "#00FF00")


async def test_slots_come_and_go_without_a_reload(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """More slots: new sensors (disabled beyond four); fewer: sensors removed."""
    printer = simulator.printer(X1C_ID)
    six = [slot(n, "#FFFFFF", "PLA", n == 5) for n in range(6)]
    printer.set_filaments(six)
    await _list(hass, init_integration)
    assert _slot_sensors(hass, init_integration) == {
        **{SLOT.format(n): None for n in range(4)},
        SLOT.format(4): er.RegistryEntryDisabler.INTEGRATION,
        SLOT.format(5): er.RegistryEntryDisabler.INTEGRATION,
    }
    assert hass.states.get(ACTIVE).attributes["slot"] == 5  # type: ignore[union-attr]

    printer.set_filaments([slot(0, "#FFFFFF", "PLA", True), slot(1, None, None)])
    await _list(hass, init_integration)
    assert set(_slot_sensors(hass, init_integration)) == {
        SLOT.format(0),
        SLOT.format(1),
    }
    assert hass.states.get(SLOT.format(2)) is None
    assert state_of(hass, ACTIVE) == "PLA"


async def test_no_slots_no_sensors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """A printer online without slots loses its filament sensors; they come back."""
    printer = simulator.printer(X1C_ID)
    printer.set_filaments(None)
    await _list(hass, init_integration)
    assert hass.states.get(ACTIVE) is None
    assert entity_registry.async_get(ACTIVE) is None
    assert _slot_sensors(hass, init_integration) == {}

    printer.set_filaments([slot(0, "#FF0000", "ABS", True)])
    await _list(hass, init_integration)
    assert state_of(hass, ACTIVE) == "ABS"
    assert set(_slot_sensors(hass, init_integration)) == {SLOT.format(0)}


async def test_offline_printer_keeps_its_sensors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """Offline, the server reports no slots: the sensors stay, unavailable."""
    printer = simulator.printer(X1C_ID)
    printer.go_offline()
    await _list(hass, init_integration)
    assert state_of(hass, ACTIVE) == STATE_UNAVAILABLE
    assert state_of(hass, SLOT.format(0)) == STATE_UNAVAILABLE
    assert len(_slot_sensors(hass, init_integration)) == 4
    printer.come_online()
    await _list(hass, init_integration)
    assert state_of(hass, ACTIVE) == "PLA"
    assert state_of(hass, SLOT.format(0)) == "PLA"


async def test_entries_that_do_not_fit_are_skipped(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Missing, unknown or wrong fields cost only their own entry."""
    printer = simulator.printer(X1C_ID)
    printer.set_filaments(
        [
            slot(0, "#FF0000", "PLA", True),
            {"slot": "A", "colour": "#00FF00"},
            {"color": None, "type": "ABS", "is_active": False, "nozzle": 2},
            "PLA",
            None,
            {"slot": -1, "color": "#0000FF", "type": "PETG", "is_active": False},
            slot(0, "#00FF00", "ABS"),  # the same slot again
            {"slot": 2, "color": 7, "type": "PLA", "is_active": False},
            {"slot": 3, "color": "not a colour", "type": "PLA-CF"},
        ]
    )
    await _list(hass, init_integration)
    assert fleet_of(init_integration).list.last_update_success
    assert set(_slot_sensors(hass, init_integration)) == {
        SLOT.format(0),
        SLOT.format(3),
    }
    assert state_of(hass, SLOT.format(0)) == "PLA"
    three = hass.states.get(SLOT.format(3))
    assert three is not None
    assert (three.state, three.attributes["color"]) == ("PLA-CF", None)
    assert not [
        record
        for record in caplog.records
        if record.levelno >= logging.WARNING and "printernizer" in record.name
    ]


async def test_many_slots_from_the_start_are_disabled(
    hass: HomeAssistant, setup_integration: SetupIntegration, simulator: Simulator
) -> None:
    """A printer with two AMS units: its eight slot sensors start disabled."""
    simulator.printer(MK4_ID).set_filaments(
        [slot(n, "#FFFFFF", "PLA", n == 0) for n in range(8)]
    )
    entry = await setup_integration()
    registry = er.async_get(hass)
    slots = [
        entity
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
        if entity.entity_id.startswith("sensor.prusa_mk4_filament_slot_")
    ]
    assert len(slots) == 8
    assert {entity.disabled_by for entity in slots} == {
        er.RegistryEntryDisabler.INTEGRATION
    }
    # The active filament sensor is enabled all the same.
    assert state_of(hass, "sensor.prusa_mk4_active_filament") == "PLA"


async def test_a_printer_added_later_gets_its_sensors(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Printers that appear bring their slots with them."""
    simulator.add_printer(
        SimPrinter("Bambu A1", "bambu_lab", id="00000000-0000-4000-8000-0000000000a1")
    )
    await _list(hass, init_integration)
    assert state_of(hass, "sensor.bambu_a1_active_filament") == "PLA"
    assert state_of(hass, "sensor.bambu_a1_filament_slot_2") == "PETG"


async def test_a_slot_sensor_the_user_deleted_is_left_alone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """A slot sensor removed by hand is not removed again when its slot goes."""
    entity_registry.async_remove(SLOT.format(3))
    await block_till_done(hass)
    simulator.printer(X1C_ID).set_filaments([slot(0, "#FFFFFF", "PLA", True)])
    await _list(hass, init_integration)
    assert set(_slot_sensors(hass, init_integration)) == {SLOT.format(0)}
