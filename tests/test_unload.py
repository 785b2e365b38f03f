"""Unloading never waits on a hung server, and each component stops within its bound."""

from __future__ import annotations

import asyncio
import logging
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.printernizer.const import HEALTH_SCAN_INTERVAL
from custom_components.printernizer.shutdown import (
    ShutdownResult,
    ShutdownStep,
    async_shutdown_parallel,
)
from tests.printer_helpers import stream_up, until
from tests.simulator import Simulator


async def test_unload_with_hung_server_returns_at_once(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refresh stuck on a hung server is cancelled; the unload does not wait."""
    hang = simulator.fault(kind="hang")
    freezer.tick(HEALTH_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await hang.hit.wait()

    # The clock stays frozen: no timeout can fire, so only cancellation ends it.
    logged_before = len(caplog.records)
    unload = hass.async_create_task(
        hass.config_entries.async_unload(init_integration.entry_id)
    )
    await hass.async_block_till_done()
    assert unload.done()
    assert unload.result() is True
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    # Abandoning the hung request on purpose is not an outage worth an error.
    assert not [
        r
        for r in caplog.records[logged_before:]
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components")
    ]

    # A second setup after it works once the server answers again.
    simulator.clear_faults()
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.printernizer_server_status").state == "healthy"


async def test_unload_then_reload_leaves_nothing_behind(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Reloading twice works; the test harness fails on leftover tasks or timers."""
    for _ in range(2):
        assert await hass.config_entries.async_reload(init_integration.entry_id)
        await hass.async_block_till_done()
        assert init_integration.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()


async def test_shutdown_bounds_each_component(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Hung components are abandoned at their own timeouts; the rest are not held up."""
    never = asyncio.Event()
    stopped: list[str] = []

    async def hang() -> None:
        await never.wait()

    async def quick() -> None:
        stopped.append("quick")

    async def broken() -> None:
        raise RuntimeError("boom")

    loop = asyncio.get_running_loop()
    steps = [
        ShutdownStep("printer coordinators", hang, 15.0),
        ShutdownStep("event stream", hang, 5.0),
        ShutdownStep("health coordinator", quick, 5.0),
        ShutdownStep("trending coordinator", broken, 5.0),
    ]
    started = loop.time()
    task = asyncio.create_task(async_shutdown_parallel(steps, clock=loop.time))
    for _ in range(3):
        await asyncio.sleep(0)
    assert stopped == ["quick"]
    assert not task.done()

    for _ in range(20):  # one simulated second at a time, up to 20 s
        freezer.tick(1)
        async_fire_time_changed(hass)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        if task.done():
            break
    results = await task
    elapsed = loop.time() - started
    assert results == {
        "printer coordinators": ShutdownResult.TIMED_OUT,
        "event stream": ShutdownResult.TIMED_OUT,
        "health coordinator": ShutdownResult.STOPPED,
        "trending coordinator": ShutdownResult.FAILED,
    }
    # Parallel: bounded by the longest timeout, not the sum (15 + 5 + 5 + 5).
    assert 15 <= elapsed <= 16
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name.startswith("custom_components")
    ]
    assert sorted(r.getMessage() for r in warnings) == [
        "Stopping event stream did not finish within 5 s; abandoned it",
        "Stopping printer coordinators did not finish within 15 s; abandoned it",
    ]


# An entry that failed to unload keeps running until Home Assistant restarts.
@pytest.mark.parametrize("expected_lingering_timers", [True])
async def test_failed_platform_unload_keeps_the_runtime(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """When a platform refuses to unload, nothing of the entry is torn down."""
    with patch.object(
        hass.config_entries, "async_unload_platforms", return_value=False
    ):
        assert not await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.FAILED_UNLOAD
    # The event stream still runs and printers still answer to pushes.
    await stream_up(simulator, init_integration)
    simulator.printer(0).start_job("cube.gcode", 10)
    await simulator.poll()
    await until(lambda: hass.states.get("sensor.bambu_x1c_status").state == "printing")


async def test_event_stream_is_the_entrys_background_task(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """The stream runs as the entry's background task, which unload ends."""
    await until(lambda: simulator.ws_clients == 1)
    stream_tasks = [
        task
        for task in asyncio.all_tasks()
        if task.get_name() == "printernizer event stream"
    ]
    assert len(stream_tasks) == 1
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert stream_tasks[0].done()
    await until(lambda: simulator.ws_clients == 0)
