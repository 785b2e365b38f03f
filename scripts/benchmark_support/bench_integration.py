"""Measurements of the integration against the simulator (run by scripts/benchmark).

Real time unless a function says otherwise. Each figure is the median of `RUNS` runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import contextlib
from datetime import timedelta
import functools
import statistics
import time
import tracemalloc
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import Event, EventStateChangedData, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from yarl import URL

from custom_components.printernizer.api import PrinternizerClient, PrinterStatusEvent
from custom_components.printernizer.config_flow import server_unique_id
from custom_components.printernizer.const import DOMAIN
from tests.simulator import Simulator

FLEETS = (1, 10, 50)
RUNS = 5
PUSH_SAMPLES = 20
UPDATE_SAMPLES = 200
UP_WINDOW = 20 * 60
DOWN_WINDOW = 10 * 60
type Record = Callable[[str, Any], None]


def _entry(sim: Simulator) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Printernizer",
        unique_id=server_unique_id(URL(sim.url)),
        data={CONF_URL: sim.url, CONF_VERIFY_SSL: True},
    )


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    """Set the entry up; return the seconds until it is loaded with its first data."""
    if entry.entry_id not in {e.entry_id for e in hass.config_entries.async_entries()}:
        entry.add_to_hass(hass)
    started = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    elapsed = time.perf_counter() - started
    assert entry.state is ConfigEntryState.LOADED
    return elapsed


async def _unload(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    started = time.perf_counter()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    return time.perf_counter() - started


async def _start_every_poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Start a refresh of every coordinator (each then hangs on the server)."""
    for coordinator in entry.runtime_data.coordinators().values():
        entry.async_create_background_task(
            hass, coordinator.async_refresh(), "benchmark refresh"
        )


@pytest.mark.parametrize("fleet", FLEETS)
async def test_setup_and_unload(
    hass: HomeAssistant, socket_enabled: None, record: Record, fleet: int
) -> None:
    """Setup to a loaded entry; unload healthy and with every route hung."""
    setups: list[float] = []
    healthy: list[float] = []
    hung: list[float] = []
    async with Simulator(printers=fleet, rate_limit=False) as sim:
        entry = _entry(sim)
        for _ in range(RUNS):
            setups.append(await _setup(hass, entry))
            await asyncio.sleep(0.2)
            healthy.append(await _unload(hass, entry))
        for _ in range(RUNS):
            await _setup(hass, entry)
            fault = sim.fault("hang")
            await _start_every_poll(hass, entry)
            await asyncio.wait_for(fault.hit.wait(), 10)
            await asyncio.sleep(0.1)
            hung.append(await _unload(hass, entry))
            sim.clear_faults()
    record(f"setup_s.{fleet}", statistics.median(setups))
    record(f"unload_healthy_s.{fleet}", statistics.median(healthy))
    record(f"unload_hung_s.{fleet}", statistics.median(hung))


@contextlib.contextmanager
def _client_on_loop_clock(hass: HomeAssistant) -> Iterator[None]:
    """Run the client's request budget on the loop's (simulated) clock."""
    with patch(
        "custom_components.printernizer.helpers.PrinternizerClient",
        functools.partial(PrinternizerClient, clock=hass.loop.time),
    ):
        yield


async def _drain(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Wait in real time until no request is in flight."""
    inflight = entry.runtime_data.client._inflight  # noqa: SLF001
    for _ in range(50):  # a call waiting for the budget stays in flight
        if not inflight:
            break
        await hass.async_add_executor_job(time.sleep, 0.002)
    await hass.async_add_executor_job(time.sleep, 0.003)


async def _simulate(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    seconds: float,
    *,
    step: float = 10,
    sim: Simulator | None = None,
) -> None:
    """Move the clock; `sim` polls its printers and pushes every 30 s, as the server."""
    for index in range(int(seconds / step)):
        if sim is not None and sim.is_up and index * step % 30 == 0:
            sim.advance(30)
            await sim.poll()
        await _drain(hass, entry)
        freezer.tick(timedelta(seconds=step))
        async_fire_time_changed(hass)
        await _drain(hass, entry)


@pytest.mark.parametrize("fleet", FLEETS)
async def test_steady_state_requests(
    hass: HomeAssistant,
    socket_enabled: None,
    freezer: FrozenDateTimeFactory,
    record: Record,
    fleet: int,
) -> None:
    """Requests a minute with the stream up and down; a 1-hour outage (simulated).

    Simulated clock: the server polls its printers and pushes every 30 s; 20 minutes
    with the stream up, 10 with it down, an hour of
    outage; the client's request budget and the server's rate limit run on it too.
    """
    with _client_on_loop_clock(hass):
        async with Simulator(printers=fleet) as sim:
            entry = _entry(sim)
            await _setup(hass, entry)
            await _simulate(
                hass, freezer, entry, 15 * 60, sim=sim
            )  # past every first poll
            fleet_obj = entry.runtime_data.printers
            assert fleet_obj is not None
            assert fleet_obj.stream_connected

            sim.clear_requests()
            await _simulate(hass, freezer, entry, UP_WINDOW, sim=sim)
            up = [r for r in sim.requests if not r.websocket]
            before_429 = entry.runtime_data.client.metrics.rate_limited

            fault = sim.fault("ws_drop", path="/ws")
            await _simulate(hass, freezer, entry, 5 * 60, sim=sim)
            sim.clear_requests()
            await _simulate(hass, freezer, entry, DOWN_WINDOW, sim=sim)
            down = [r for r in sim.requests if not r.websocket]
            fault.clear()
            rate_limited = entry.runtime_data.client.metrics.rate_limited - before_429

            await sim.go_down()
            before = entry.runtime_data.client.metrics.total_requests
            await _simulate(hass, freezer, entry, 3600, step=60)
            outage = entry.runtime_data.client.metrics.total_requests - before
            await sim.come_up()
            await _unload(hass, entry)

    record(f"rpm_stream_up.{fleet}", len(up) / (UP_WINDOW / 60))
    record(
        f"rpm_stream_up_counted.{fleet}",
        sum(1 for r in up if r.path != "/api/v1/health") / (UP_WINDOW / 60),
    )
    record(f"rpm_stream_down.{fleet}", len(down) / (DOWN_WINDOW / 60))
    record(
        f"rpm_stream_down_counted.{fleet}",
        sum(1 for r in down if r.path != "/api/v1/health") / (DOWN_WINDOW / 60),
    )
    record(f"rate_limited.{fleet}", rate_limited)
    record(f"outage_requests_per_hour.{fleet}", outage)


@pytest.mark.parametrize("fleet", FLEETS)
async def test_push_latency_and_update_cost(
    hass: HomeAssistant, socket_enabled: None, record: Record, fleet: int
) -> None:
    """Simulator status change to Home Assistant state change; loop time per update."""
    async with Simulator(printers=fleet, rate_limit=False) as sim:
        entry = _entry(sim)
        await _setup(hass, entry)
        fleet_obj = entry.runtime_data.printers
        assert fleet_obj is not None
        for _ in range(500):
            if fleet_obj.stream_connected and sim.subscribed_printer_ids:
                break
            await asyncio.sleep(0.01)
        printer = sim.printer(0)
        entity_id = _status_entity(hass, entry, printer.id)
        changed = asyncio.Event()

        def _changed(event: Event[EventStateChangedData]) -> None:
            if event.data["entity_id"] == entity_id:
                changed.set()

        unsub = hass.bus.async_listen("state_changed", _changed)
        latencies: list[float] = []
        for index in range(PUSH_SAMPLES):
            changed.clear()
            if index % 2:
                printer.stop()
            else:
                printer.start_job("benchy.gcode", duration_minutes=30)
            started = time.perf_counter()
            await sim.poll(printer.id)
            for _ in range(200_000):  # spin: the loop's own timers may be frozen
                if changed.is_set():
                    break
                await asyncio.sleep(0)
            assert changed.is_set(), f"push {index} never arrived"
            latencies.append(time.perf_counter() - started)
        unsub()

        coordinator = fleet_obj.printers[printer.id]
        costs: list[float] = []
        for index in range(UPDATE_SAMPLES):
            message = sim._printer_status_message(printer)  # noqa: SLF001
            message["data"]["temperature_nozzle"] = 200 + index % 7
            event = PrinterStatusEvent.from_message(
                message, tz=entry.runtime_data.client.time_zone
            )
            started = time.perf_counter()
            coordinator.async_handle_event(event)
            costs.append(time.perf_counter() - started)
        await _unload(hass, entry)

    latencies.sort()
    record(f"push_median_ms.{fleet}", 1000 * statistics.median(latencies))
    record(
        f"push_p95_ms.{fleet}",
        1000 * latencies[max(0, round(0.95 * len(latencies)) - 1)],
    )
    record(f"update_loop_ms.{fleet}", 1000 * statistics.median(costs))


def _status_entity(hass: HomeAssistant, entry: MockConfigEntry, printer_id: str) -> str:
    from homeassistant.helpers import entity_registry as er

    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.unique_id.endswith(f"{printer_id}_status"):
            return entity.entity_id
    raise AssertionError("no status sensor")


async def test_memory_per_printer(
    hass: HomeAssistant, socket_enabled: None, record: Record
) -> None:
    """Python heap held by a loaded entry, per printer (simulator excluded)."""
    sizes: dict[int, list[int]] = {1: [], 50: []}
    for _ in range(3):
        for fleet, found in sizes.items():
            async with Simulator(printers=fleet, rate_limit=False) as sim:
                entry = _entry(sim)
                tracemalloc.start()
                try:
                    base = tracemalloc.take_snapshot()
                    await _setup(hass, entry)
                    await asyncio.sleep(0.2)
                    loaded = tracemalloc.take_snapshot()
                finally:
                    tracemalloc.stop()
                keep = [tracemalloc.Filter(False, "*/tests/simulator/*")]
                growth = sum(
                    stat.size_diff
                    for stat in loaded.filter_traces(keep).compare_to(
                        base.filter_traces(keep), "filename"
                    )
                )
                found.append(growth)
                await _unload(hass, entry)
                await hass.config_entries.async_remove(entry.entry_id)
    per_printer = (statistics.median(sizes[50]) - statistics.median(sizes[1])) / 49
    record("memory_per_printer_kib", per_printer / 1024)
