"""Printers: the list, one coordinator each, pushes, drops and a failing printer."""

from __future__ import annotations

import gc
from typing import Any
import weakref

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.printernizer import async_remove_config_entry_device
from custom_components.printernizer.const import DOMAIN
from custom_components.printernizer.coordinator.printers import (
    LIST_SCAN_INTERVAL,
    LIST_SETUP_TIMEOUT,
    POLL_BUDGET_PER_MINUTE,
    PRINTER_SCAN_INTERVAL,
    PUSH_SAFETY_INTERVAL,
    printer_poll_interval,
)
from tests.helpers import block_till_done, state_of
from tests.printer_helpers import (
    BAMBU_ID,
    PRUSA_ID,
    STATUS_PATHS,
    fleet_of,
    mixed_fleet,
    settle,
    stream_up,
    tick,
    until,
)
from tests.simulator import FaultKind, SimPrinter, Simulator


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A Bambu printer printing and an idle Prusa."""
    return {"printers": mixed_fleet()}


def _device(
    registry: dr.DeviceRegistry, entry: MockConfigEntry, printer_id: str
) -> dr.DeviceEntry | None:
    return registry.async_get_device_by_identifier(
        (DOMAIN, f"{entry.entry_id}_{printer_id}"), entry.entry_id
    )


def test_poll_interval_scales_with_the_fleet() -> None:
    """Small fleets poll every 30 s; larger ones stay within 45 polls a minute."""
    assert printer_poll_interval(1) == PRINTER_SCAN_INTERVAL
    assert printer_poll_interval(22) == PRINTER_SCAN_INTERVAL
    for count in (23, 50, 200):
        per_minute = count * 60 / printer_poll_interval(count).total_seconds()
        assert per_minute == pytest.approx(POLL_BUDGET_PER_MINUTE)


async def test_devices_and_states(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Each printer is a device under the hub, with its state from the list."""
    hub = device_registry.async_get_device_by_identifier(
        (DOMAIN, init_integration.entry_id), init_integration.entry_id
    )
    assert hub is not None
    bambu = _device(device_registry, init_integration, BAMBU_ID)
    prusa = _device(device_registry, init_integration, PRUSA_ID)
    assert bambu is not None
    assert prusa is not None
    assert (bambu.name, bambu.manufacturer) == ("Bambu X1C", "Bambu Lab")
    assert (prusa.name, prusa.manufacturer) == ("Prusa MK4", "Prusa")
    assert bambu.via_device_id == hub.id == prusa.via_device_id

    assert state_of(hass, "sensor.bambu_x1c_status") == "printing"
    assert state_of(hass, "sensor.bambu_x1c_current_job") == "benchy.gcode"
    assert state_of(hass, "sensor.bambu_x1c_progress") == "50.0"
    assert state_of(hass, "binary_sensor.bambu_x1c_printing") == STATE_ON
    assert state_of(hass, "sensor.prusa_mk4_status") == "online"
    assert state_of(hass, "sensor.prusa_mk4_current_job") == STATE_UNKNOWN
    assert state_of(hass, "binary_sensor.prusa_mk4_online") == STATE_ON
    assert state_of(hass, "binary_sensor.prusa_mk4_problem") == STATE_OFF
    # The server never sends targets, so there are no target sensors.
    assert hass.states.get("sensor.bambu_x1c_nozzle_target_temperature") is None


async def test_first_polls_are_spread(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """Setup polls no status; the first polls come one by one across 30 s."""
    assert simulator.request_count(STATUS_PATHS) == 0
    await tick(hass, freezer, 16)
    assert simulator.request_count(STATUS_PATHS) == 1
    await tick(hass, freezer, 15)
    assert simulator.request_count(STATUS_PATHS) == 2
    # The status poll brings the remaining time, which the list lacks.
    assert state_of(hass, "sensor.bambu_x1c_remaining_time") == "30"
    assert state_of(hass, "sensor.bambu_x1c_estimated_finish") != STATE_UNKNOWN


async def test_push_updates_state_without_polling(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """With the stream up, a server poll reaches Home Assistant by push alone."""
    await stream_up(simulator, init_integration)
    simulator.clear_requests()
    simulator.printer(PRUSA_ID).start_job("cube.gcode", 10)
    await simulator.poll()
    await until(lambda: state_of(hass, "sensor.prusa_mk4_status") == "printing")
    assert state_of(hass, "sensor.prusa_mk4_current_job") == "cube.gcode"
    assert simulator.request_count(STATUS_PATHS) == 0


async def test_polling_slows_with_stream_and_resumes_on_drop(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """Stream up: a safety poll every 5 minutes. Stream down: every 30 s again."""
    await stream_up(simulator, init_integration)
    fleet = fleet_of(init_integration)
    assert not fleet.pushing
    await simulator.poll()
    await until(lambda: fleet.pushing)
    await tick(hass, freezer, 31)  # the first, spread polls
    assert fleet.poll_interval == PUSH_SAFETY_INTERVAL
    simulator.clear_requests()
    for _ in range(4):
        await tick(hass, freezer, 30)
    assert simulator.request_count(STATUS_PATHS) == 0

    drop = simulator.fault(FaultKind.WS_DROP)
    await until(lambda: fleet.poll_interval == PRINTER_SCAN_INTERVAL)
    await tick(hass, freezer, 31)
    assert simulator.request_count(STATUS_PATHS) == 2
    await tick(hass, freezer, 30)
    assert simulator.request_count(STATUS_PATHS) == 4

    # Back up: the printer list is fetched again and every printer re-subscribed.
    drop.clear()
    lists = simulator.request_count("/api/v1/printers")
    for _ in range(3):
        await tick(hass, freezer, 60)
        if fleet.stream_connected:
            break
    await stream_up(simulator, init_integration)
    await tick(hass, freezer, 1)
    assert simulator.request_count("/api/v1/printers") > lists


async def test_printers_added_and_removed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Printers come and go with their devices, without a reload."""
    await stream_up(simulator, init_integration)
    added = simulator.add_printer(SimPrinter("Prusa XL", "prusa_core", id="xl"))
    await tick(hass, freezer, PUSH_SAFETY_INTERVAL.total_seconds())
    assert _device(device_registry, init_integration, added.id) is not None
    assert state_of(hass, "sensor.prusa_xl_status") == "online"
    await stream_up(simulator, init_integration)
    assert "xl" in simulator.subscribed_printer_ids

    simulator.remove_printer(PRUSA_ID)
    await tick(hass, freezer, PUSH_SAFETY_INTERVAL.total_seconds())
    assert _device(device_registry, init_integration, PRUSA_ID) is None
    assert hass.states.get("sensor.prusa_mk4_status") is None
    assert PRUSA_ID not in fleet_of(init_integration).printers
    assert init_integration.state is ConfigEntryState.LOADED


async def test_status_404_removes_printer_early(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A printer whose status is gone is removed before the next list refresh."""
    simulator.remove_printer(BAMBU_ID)
    await tick(hass, freezer, 31)
    await tick(hass, freezer, 11)  # the list refresh is debounced
    assert _device(device_registry, init_integration, BAMBU_ID) is None
    assert _device(device_registry, init_integration, PRUSA_ID) is not None


async def test_printer_renamed(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A printer renamed on the server renames its device."""
    simulator.printer(PRUSA_ID).name = "Prusa Workshop"
    await tick(hass, freezer, PUSH_SAFETY_INTERVAL.total_seconds())
    device = _device(device_registry, init_integration, PRUSA_ID)
    assert device is not None
    assert device.name == "Prusa Workshop"


async def test_failing_printer_only_affects_itself(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One printer's failing status makes only its entities unavailable, logged once."""
    simulator.fault(FaultKind.WS_DROP)
    await settle()
    fault = simulator.fault(
        FaultKind.STATUS, path=f"/api/v1/printers/{BAMBU_ID}/status", status=500
    )
    for _ in range(3):
        await tick(hass, freezer, 31)
    # Whether the printer is online is not known either: no "off" on a guess.
    assert state_of(hass, "sensor.bambu_x1c_status") == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor.bambu_x1c_online") == STATE_UNAVAILABLE
    assert state_of(hass, "sensor.prusa_mk4_status") == "online"
    assert state_of(hass, "sensor.printernizer_server_status") == "healthy"
    failures = [r for r in caplog.records if "Error fetching" in r.message]
    assert len(failures) == 1
    assert "Bambu X1C" in failures[0].message

    fault.clear()
    await tick(hass, freezer, 31)
    assert state_of(hass, "sensor.bambu_x1c_status") == "printing"
    recovered = [r for r in caplog.records if "recovered" in r.message]
    assert len(recovered) == 1


async def test_printer_polls_pause_while_the_server_is_down(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """With nothing listening, only the health check knocks; printers follow it back."""
    await simulator.go_down()
    await tick(hass, freezer, 31)  # the health check finds the server gone
    client = init_integration.runtime_data.client

    def status_attempts() -> int:
        return client.metrics.endpoints["/api/v1/printers/{id}/status"].requests

    polls_before = status_attempts()
    attempts_before = client.metrics.total_requests
    for _ in range(10):  # five minutes
        await tick(hass, freezer, 31)
    assert state_of(hass, "sensor.bambu_x1c_status") == STATE_UNAVAILABLE
    # No printer poll tried; only the health checks (up to three attempts each).
    assert status_attempts() == polls_before
    assert client.metrics.total_requests - attempts_before <= 30

    await simulator.come_up()
    await tick(hass, freezer, 31)  # health reaches it again
    await tick(hass, freezer, 31)  # printers polled within one interval
    assert state_of(hass, "sensor.bambu_x1c_status") == "printing"
    assert state_of(hass, "sensor.prusa_mk4_status") == "online"


async def test_list_failure_does_not_fail_setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: Any,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The entry loads without printers when the list fails; they come later."""
    fault = simulator.fault(FaultKind.STATUS, path="/api/v1/printers", status=500)
    entry = await setup_integration()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.bambu_x1c_status") is None
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [r for r in errors if "printers data" in r.message] == errors[:1]
    fault.clear()
    await tick(hass, freezer, PUSH_SAFETY_INTERVAL.total_seconds())
    assert state_of(hass, "sensor.bambu_x1c_status") == "printing"


async def test_hung_list_does_not_hold_setup(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: Any,
    simulator: Simulator,
) -> None:
    """A printer list that hangs holds setup for 10 s at most; printers follow."""
    hang = simulator.fault(FaultKind.HANG, path="/api/v1/printers")
    setup = hass.async_create_task(setup_integration())
    await hang.hit.wait()
    assert not setup.done()
    freezer.tick(LIST_SETUP_TIMEOUT + 0.1)
    async_fire_time_changed(hass)
    entry = await setup
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.bambu_x1c_status") is None
    hang.clear()
    await tick(hass, freezer, PUSH_SAFETY_INTERVAL.total_seconds())
    assert state_of(hass, "sensor.bambu_x1c_status") == "printing"


async def test_unreachable_bambu_shows_offline(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A Bambu printer at exactly 0.0 °C that claims online is shown offline."""
    simulator.printer(BAMBU_ID).stop().go_unreachable()
    await tick(hass, freezer, 31)
    assert state_of(hass, "sensor.bambu_x1c_status") == "offline"
    assert state_of(hass, "binary_sensor.bambu_x1c_online") == STATE_OFF
    assert state_of(hass, "sensor.bambu_x1c_nozzle_temperature") == STATE_UNKNOWN
    assert state_of(hass, "sensor.bambu_x1c_bed_temperature") == STATE_UNKNOWN


async def test_remove_stale_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Only a printer the server no longer has can be deleted by the user."""
    hub = device_registry.async_get_device_by_identifier(
        (DOMAIN, init_integration.entry_id), init_integration.entry_id
    )
    printer = _device(device_registry, init_integration, BAMBU_ID)
    stale = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id,
        identifiers={(DOMAIN, f"{init_integration.entry_id}_gone")},
    )
    assert hub is not None
    assert printer is not None
    assert not await async_remove_config_entry_device(hass, init_integration, hub)
    assert not await async_remove_config_entry_device(hass, init_integration, printer)
    assert await async_remove_config_entry_device(hass, init_integration, stale)


async def test_unload_closes_stream(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Unloading closes the WebSocket and leaves no task behind."""
    await stream_up(simulator, init_integration)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    await until(lambda: simulator.ws_clients == 0)
    assert state_of(hass, "sensor.bambu_x1c_status") == STATE_UNAVAILABLE


async def test_estimated_finish_does_not_drift_with_pushes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """Pushes lack the remaining time: the finish stays where the poll put it."""
    await stream_up(simulator, init_integration)
    await tick(hass, freezer, 31)  # the polls bring the remaining time
    finish = state_of(hass, "sensor.bambu_x1c_estimated_finish")
    assert finish != STATE_UNKNOWN
    for _ in range(6):  # three minutes of pushes, every 30 s
        await tick(hass, freezer, 30)
        simulator.advance(30)
        await simulator.poll()
        await settle()
        assert state_of(hass, "sensor.bambu_x1c_estimated_finish") == finish


async def test_push_makes_a_printer_available_again(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failed safety poll is forgotten as soon as a push brings a fresh status."""
    await stream_up(simulator, init_integration)
    await simulator.poll()
    fleet = fleet_of(init_integration)
    await until(lambda: fleet.pushing)
    fault = simulator.fault(
        FaultKind.STATUS, path=f"/api/v1/printers/{BAMBU_ID}/status", status=500
    )
    await tick(hass, freezer, PUSH_SAFETY_INTERVAL.total_seconds())
    assert state_of(hass, "sensor.bambu_x1c_status") == STATE_UNAVAILABLE
    assert state_of(hass, "binary_sensor.bambu_x1c_online") == STATE_UNAVAILABLE

    simulator.advance(60)
    await simulator.poll(BAMBU_ID)
    await until(lambda: state_of(hass, "sensor.bambu_x1c_status") == "printing")
    assert state_of(hass, "binary_sensor.bambu_x1c_online") == STATE_ON
    assert [r for r in caplog.records if "available again" in r.getMessage()]
    fault.clear()


async def test_server_down_makes_printers_unavailable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """Only the hub's connection sensor speaks while the server is gone."""
    await stream_up(simulator, init_integration)
    await simulator.poll()
    await until(lambda: fleet_of(init_integration).pushing)
    await simulator.go_down()
    await tick(hass, freezer, 31)  # the health check finds the server gone
    assert state_of(hass, "binary_sensor.printernizer_server_connection") == STATE_OFF
    for entity_id in (
        "sensor.bambu_x1c_status",
        "binary_sensor.bambu_x1c_online",
        "binary_sensor.prusa_mk4_online",
        "sensor.prusa_mk4_nozzle_temperature",
    ):
        assert state_of(hass, entity_id) == STATE_UNAVAILABLE, entity_id

    await simulator.come_up()
    await tick(hass, freezer, 31)  # the health check reaches it again
    await tick(hass, freezer, 31)  # the printers are polled again
    assert state_of(hass, "binary_sensor.prusa_mk4_online") == STATE_ON
    # Off is the server's word that the printer is offline.
    simulator.printer(PRUSA_ID).go_offline()
    await tick(hass, freezer, 31)
    assert state_of(hass, "binary_sensor.prusa_mk4_online") == STATE_OFF


async def test_devices_of_printers_deleted_meanwhile_are_removed(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    setup_integration: Any,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A printer deleted on the server while Home Assistant was off loses its device."""
    config_entry.add_to_hass(hass)
    gone = device_registry.async_get_or_create(
        config_entry_id=config_entry.entry_id,
        identifiers={(DOMAIN, f"{config_entry.entry_id}_deleted-meanwhile")},
        name="Old printer",
    )
    await setup_integration()
    assert device_registry.async_get(gone.id) is None
    assert _device(device_registry, config_entry, BAMBU_ID) is not None
    assert _device(device_registry, config_entry, PRUSA_ID) is not None


async def test_removed_printer_is_released_at_once(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing keeps a removed printer's coordinator: no listener, no callback."""
    released = weakref.ref(fleet_of(init_integration).printers[PRUSA_ID])
    simulator.remove_printer(PRUSA_ID)
    await tick(hass, freezer, LIST_SCAN_INTERVAL.total_seconds())
    assert PRUSA_ID not in fleet_of(init_integration).printers
    await block_till_done(hass)
    caplog.clear()  # log records keep their tracebacks, and so their frames
    gc.collect()
    assert released() is None


async def test_flapping_stream_lists_printers_once_a_minute_at_most(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A stream the server keeps dropping does not list the printers on every connect."""
    await stream_up(simulator, init_integration)
    fleet = fleet_of(init_integration)
    simulator.fault(FaultKind.WS_DROP)
    simulator.clear_requests()
    for _ in range(60):  # ten minutes
        await tick(hass, freezer, 10)
    assert fleet.stream.stats.connects >= 10
    lists = simulator.request_count("/api/v1/printers")
    infos = simulator.request_count("/api/v1/system/info")
    # One a minute for the reconnects, plus the list's own 5-minute schedule.
    assert lists <= 10 + 2
    assert infos <= 10
