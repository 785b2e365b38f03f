"""Print job event entities against the simulator, over real sockets.

Pushes come from `Simulator.poll()` over the WebSocket; polls are the printer
coordinator's own REST refresh.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.printernizer.coordinator.printers import PrinterCoordinator
from tests.printer_helpers import (
    BAMBU_ID,
    PRUSA_ID,
    fleet_of,
    mixed_fleet,
    settle,
    stream_up,
    until,
)
from tests.simulator import SimPrinter, Simulator

BAMBU = "event.bambu_x1c_print_job"
PRUSA = "event.prusa_mk4_print_job"
EVENT_TYPES = ["started", "paused", "resumed", "finished", "failed", "cancelled"]


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A Bambu printer halfway through a job (60 min) and an idle Prusa."""
    return {"printers": mixed_fleet()}


type Fired = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def fired(hass: HomeAssistant) -> Generator[dict[str, Fired]]:
    """Record every event the job event entities fire, as automations see them."""
    events: dict[str, Fired] = {BAMBU: [], PRUSA: []}

    @callback
    def _on_change(event: Event[EventStateChangedData]) -> None:
        old, new = event.data["old_state"], event.data["new_state"]
        if event.data["entity_id"] not in events or new is None or old is None:
            return
        if STATE_UNAVAILABLE in (old.state, new.state) or new.state == STATE_UNKNOWN:
            return
        attributes = dict(new.attributes)
        events[event.data["entity_id"]].append(
            (attributes.pop("event_type"), attributes)
        )

    unsub = hass.bus.async_listen("state_changed", _on_change)
    yield events
    unsub()


def _types(events: Fired) -> list[str]:
    return [event_type for event_type, _ in events]


def _coordinator(entry: MockConfigEntry, printer_id: str) -> PrinterCoordinator:
    return fleet_of(entry).printers[printer_id]


async def _push(hass: HomeAssistant, sim: Simulator, printer_id: str) -> None:
    """Let the server push the printer's status and wait until it is processed."""
    coordinator = sim.printers[printer_id]
    before = len(sim.requests)
    assert await sim.poll(printer_id) == (1 if coordinator.connected else 0)
    assert len(sim.requests) == before
    await settle()
    await hass.async_block_till_done()


async def _refresh(
    hass: HomeAssistant, entry: MockConfigEntry, printer_id: str
) -> None:
    """Poll the printer's status over REST."""
    await _coordinator(entry, printer_id).async_refresh()
    await hass.async_block_till_done()


@pytest.fixture
async def stream(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> MockConfigEntry:
    """A loaded entry with its event stream subscribed to every printer."""
    await stream_up(simulator, init_integration)
    return init_integration


async def test_entities_and_start_up(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    fired: dict[str, Fired],
) -> None:
    """One event entity per printer; the state found at start-up fires nothing."""
    for entity_id, printer_id in ((BAMBU, BAMBU_ID), (PRUSA, PRUSA_ID)):
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state == STATE_UNKNOWN
        assert state.attributes["event_types"] == EVENT_TYPES
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.translation_key == "job"
        assert entry.unique_id == f"{init_integration.entry_id}_{printer_id}_job"
    await _refresh(hass, init_integration, BAMBU_ID)
    assert fired == {BAMBU: [], PRUSA: []}


async def test_job_over_pushes(
    hass: HomeAssistant,
    stream: MockConfigEntry,
    simulator: Simulator,
    fired: dict[str, Fired],
) -> None:
    """Started, paused, resumed and finished, each from a push, with attributes."""
    prusa = simulator.printer(PRUSA_ID)
    prusa.start_job("cube.gcode", 10)
    await _push(hass, simulator, PRUSA_ID)
    prusa.pause()
    await _push(hass, simulator, PRUSA_ID)
    prusa.resume()
    simulator.advance(9.95 * 60)
    await _push(hass, simulator, PRUSA_ID)
    prusa.finish()
    await _push(hass, simulator, PRUSA_ID)

    assert fired[PRUSA] == [
        ("started", _attrs("cube.gcode", 0, "Prusa MK4")),
        ("paused", _attrs("cube.gcode", 0, "Prusa MK4")),
        ("resumed", _attrs("cube.gcode", 99, "Prusa MK4")),
        ("finished", _attrs("cube.gcode", 99, "Prusa MK4")),
    ]
    state = hass.states.get(PRUSA)
    assert state is not None
    assert state.attributes["event_type"] == "finished"
    assert fired[BAMBU] == []


def _attrs(job: str | None, progress: float | None, printer: str) -> dict[str, Any]:
    return {
        "event_types": EVENT_TYPES,
        "job_name": job,
        "progress": progress,
        "printer_name": printer,
        "friendly_name": f"{printer} Print job",
    }


async def test_job_over_polls(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    fired: dict[str, Fired],
) -> None:
    """The same transitions seen by REST polls alone."""
    prusa = simulator.printer(PRUSA_ID)
    prusa.start_job("cube.gcode", 10)
    await _refresh(hass, init_integration, PRUSA_ID)
    prusa.pause()
    await _refresh(hass, init_integration, PRUSA_ID)
    prusa.resume()
    await _refresh(hass, init_integration, PRUSA_ID)
    simulator.advance(4 * 60)
    await _refresh(hass, init_integration, PRUSA_ID)
    prusa.stop()
    await _refresh(hass, init_integration, PRUSA_ID)
    assert _types(fired[PRUSA]) == ["started", "paused", "resumed", "cancelled"]
    assert fired[PRUSA][-1][1]["progress"] == 40


async def test_push_and_poll_fire_once(
    hass: HomeAssistant,
    stream: MockConfigEntry,
    simulator: Simulator,
    fired: dict[str, Fired],
) -> None:
    """A finish reported by a push and then by a poll fires once."""
    bambu = simulator.printer(BAMBU_ID)
    simulator.advance(29.5 * 60)
    await _push(hass, simulator, BAMBU_ID)
    bambu.finish()
    await _push(hass, simulator, BAMBU_ID)
    await _refresh(hass, stream, BAMBU_ID)
    await _push(hass, simulator, BAMBU_ID)
    assert fired[BAMBU] == [("finished", _attrs("benchy.gcode", 99, "Bambu X1C"))]


async def test_failed(
    hass: HomeAssistant,
    stream: MockConfigEntry,
    simulator: Simulator,
    fired: dict[str, Fired],
) -> None:
    """A job that ends in an error failed; clearing the error fires nothing."""
    bambu = simulator.printer(BAMBU_ID)
    bambu.fail("Nozzle clog")
    await _push(hass, simulator, BAMBU_ID)
    bambu.clear_error()
    await _push(hass, simulator, BAMBU_ID)
    await _refresh(hass, stream, BAMBU_ID)
    assert fired[BAMBU] == [("failed", _attrs("benchy.gcode", 50, "Bambu X1C"))]


async def test_paused_then_cancelled(
    hass: HomeAssistant,
    stream: MockConfigEntry,
    simulator: Simulator,
    fired: dict[str, Fired],
) -> None:
    """A paused job that is stopped was cancelled."""
    bambu = simulator.printer(BAMBU_ID)
    bambu.pause()
    await _push(hass, simulator, BAMBU_ID)
    bambu.stop()
    await _push(hass, simulator, BAMBU_ID)
    assert _types(fired[BAMBU]) == ["paused", "cancelled"]


async def test_new_job_between_polls(
    hass: HomeAssistant,
    stream: MockConfigEntry,
    simulator: Simulator,
    fired: dict[str, Fired],
) -> None:
    """A job replaced by another between two statuses ends, then the new one starts."""
    bambu = simulator.printer(BAMBU_ID)
    simulator.advance(29.9 * 60)
    await _push(hass, simulator, BAMBU_ID)
    bambu.finish()
    bambu.start_job("cube.gcode", 20)
    await _push(hass, simulator, BAMBU_ID)
    assert fired[BAMBU] == [
        ("finished", _attrs("benchy.gcode", 99, "Bambu X1C")),
        ("started", _attrs("cube.gcode", 0, "Bambu X1C")),
    ]


async def test_offline_mid_print_and_flapping(
    hass: HomeAssistant,
    stream: MockConfigEntry,
    simulator: Simulator,
    fired: dict[str, Fired],
) -> None:
    """A printer dropping offline and back mid-print fires nothing until the end."""
    bambu = simulator.printer(BAMBU_ID)
    await _refresh(hass, stream, BAMBU_ID)
    for _ in range(3):
        bambu.go_offline()
        await _push(hass, simulator, BAMBU_ID)
        await _refresh(hass, stream, BAMBU_ID)
        assert hass.states.get(BAMBU).state == STATE_UNKNOWN
        bambu.come_online()
        await _push(hass, simulator, BAMBU_ID)
        await _refresh(hass, stream, BAMBU_ID)
    bambu.go_offline()
    await _refresh(hass, stream, BAMBU_ID)
    bambu.fail()
    bambu.come_online()
    await _refresh(hass, stream, BAMBU_ID)
    assert fired[BAMBU] == [("failed", _attrs("benchy.gcode", 50, "Bambu X1C"))]


async def test_offline_through_the_end_of_the_job(
    hass: HomeAssistant,
    stream: MockConfigEntry,
    simulator: Simulator,
    freezer: FrozenDateTimeFactory,
    fired: dict[str, Fired],
) -> None:
    """Offline until after the time the job had left, then idle: finished."""
    bambu = simulator.printer(BAMBU_ID)
    await _refresh(hass, stream, BAMBU_ID)
    bambu.go_offline()
    await _refresh(hass, stream, BAMBU_ID)
    freezer.tick(timedelta(minutes=31))
    simulator.advance(31 * 60)
    bambu.come_online()
    await _refresh(hass, stream, BAMBU_ID)
    assert _types(fired[BAMBU]) == ["finished"]


async def test_unreachable_bambu_is_not_an_end(
    hass: HomeAssistant,
    stream: MockConfigEntry,
    simulator: Simulator,
    fired: dict[str, Fired],
) -> None:
    """An unreachable Bambu printer reports online at 0 °C: that ends no job."""
    bambu = simulator.printer(BAMBU_ID)
    bambu.go_unreachable()
    await _push(hass, simulator, BAMBU_ID)
    await _refresh(hass, stream, BAMBU_ID)
    bambu.come_online()
    await _push(hass, simulator, BAMBU_ID)
    assert fired[BAMBU] == []


async def test_older_push_ignored(
    hass: HomeAssistant,
    stream: MockConfigEntry,
    simulator: Simulator,
    fired: dict[str, Fired],
) -> None:
    """A push older than the last status processed changes nothing."""
    prusa = simulator.printer(PRUSA_ID)
    prusa.start_job("cube.gcode", 10)
    old = simulator.clocks.ts()
    await _push(hass, simulator, PRUSA_ID)
    prusa.pause()
    await _push(hass, simulator, PRUSA_ID)
    prusa.resume()
    with patch.object(simulator.clocks, "ts", return_value=old):
        await _push(hass, simulator, PRUSA_ID)
    prusa.pause()
    await _push(hass, simulator, PRUSA_ID)
    assert _types(fired[PRUSA]) == ["started", "paused"]


async def test_nothing_fired_after_the_server_comes_back(
    hass: HomeAssistant,
    stream: MockConfigEntry,
    simulator: Simulator,
    fired: dict[str, Fired],
) -> None:
    """While the server is down the job ends: coming back only initialises."""
    bambu = simulator.printer(BAMBU_ID)
    await simulator.go_down()
    await _refresh(hass, stream, BAMBU_ID)
    assert hass.states.get(BAMBU).state == STATE_UNAVAILABLE
    bambu.finish()
    await simulator.come_up()
    await _refresh(hass, stream, BAMBU_ID)
    assert hass.states.get(BAMBU).state == STATE_UNKNOWN
    bambu.start_job("cube.gcode", 5)
    await _refresh(hass, stream, BAMBU_ID)
    assert _types(fired[BAMBU]) == ["started"]


async def test_printer_added_later(
    hass: HomeAssistant,
    stream: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A printer the server gains later gets its event entity."""
    simulator.add_printer(SimPrinter("Prusa XL", "prusa_core", id="prusa-xl"))
    await fleet_of(stream).list.async_refresh()
    await hass.async_block_till_done()
    await until(lambda: hass.states.get("event.prusa_xl_print_job") is not None)
