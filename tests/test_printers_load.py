"""Fifty printers for ten simulated minutes: requests stay within the budget.

The simulator enforces the server's real rate limit (100 a minute per client); the
client's own budget is 60 a minute. Half the printers have a camera: camera status
reads take only tokens of a full budget and are counted apart. Run with `-s` to see
the measured rates.
"""

from __future__ import annotations

from datetime import timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.printernizer.coordinator.camera import (
    CHECK_BURST,
    CHECKS_PER_MINUTE,
)
from custom_components.printernizer.coordinator.printers import POLL_BUDGET_PER_MINUTE
from tests.conftest import SetupIntegration
from tests.printer_helpers import (
    STATUS_PATHS,
    fleet_of,
    settle,
    stream_up,
    tick,
    until,
)
from tests.simulator import FaultKind, Simulator

PRINTERS = 50
MINUTES = 10
STEP = 5


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """Fifty printers, every one connected."""
    return {"printers": PRINTERS}


async def _second(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Move one second on and let the sockets settle.

    Requests waiting for the budget wait on the clock, so this does not wait for
    background tasks.
    """
    freezer.tick(timedelta(seconds=1))
    async_fire_time_changed(hass)
    await settle(100)


CAMERA_STATUS_PATHS = "/api/v1/printers/*/camera/status"


def _is_camera(path: str) -> bool:
    return "/camera/" in path or path.endswith("/snapshots")


def _per_minute(sim: Simulator, start: float, *, camera: bool | None) -> list[int]:
    """Rate-limited requests in each whole minute after `start`.

    `camera`: only camera routes (True), only the others (False), or all (None).
    Setup's one-time reads, made at `start` under the frozen clock, draw on the
    budget's burst and are not counted: the minutes after them are what the rate
    governs.
    """
    counts = [0] * MINUTES
    for request in sim.requests:
        minute = int((request.time - start) // 60)
        if (
            request.time > start
            and minute < MINUTES
            and not request.websocket
            and request.path.startswith("/api/")
            and not request.path.startswith("/api/v1/health")
            and camera in (None, _is_camera(request.path))
        ):
            counts[minute] += 1
    return counts


async def test_stream_down(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """Polling alone: every printer polled, no 429, at most 45 polls a minute."""
    simulator.fault(FaultKind.WS_DROP)
    entry = await setup_integration()
    fleet = fleet_of(entry)
    assert len(fleet.printers) == PRINTERS
    start = simulator.now()
    for _ in range(MINUTES * 60):
        await _second(hass, freezer)

    counts = _per_minute(simulator, start, camera=False)
    total = _per_minute(simulator, start, camera=None)
    status = simulator.request_count(STATUS_PATHS) - simulator.request_count(
        CAMERA_STATUS_PATHS
    )
    print(f"\nstream down, {PRINTERS} printers: requests per minute {counts}")
    print(f"with camera reads: {total}")
    print(f"status polls per minute: {status / MINUTES:.1f}")
    assert entry.runtime_data.client.metrics.rate_limited == 0
    assert max(counts) <= 60
    # Camera reads take only what the budget has to spare: all together stay
    # within its 60 a minute, its burst of 10 aside.
    assert sum(total) <= 60 * MINUTES + 10
    assert status / MINUTES <= POLL_BUDGET_PER_MINUTE + 1
    # Every printer was polled, and none went unavailable.
    for printer_id in fleet.printers:
        assert simulator.request_count(f"/api/v1/printers/{printer_id}/status") >= 8
    assert all(c.last_update_success for c in fleet.printers.values())


async def test_stream_up(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """Pushes every 30 s (as the server sends them) leave only safety polls."""
    entry = await setup_integration()
    await stream_up(simulator, entry)
    fleet = fleet_of(entry)
    start = simulator.now()
    for second in range(0, MINUTES * 60, STEP):
        if second % 30 == 0:
            await simulator.poll()
        await tick(hass, freezer, STEP)
    assert fleet.stream_connected

    counts = _per_minute(simulator, start, camera=False)
    cameras = _per_minute(simulator, start, camera=True)
    print(f"\nstream up, {PRINTERS} printers: requests per minute {counts}")
    print(f"camera reads per minute: {cameras}")
    assert entry.runtime_data.client.metrics.rate_limited == 0
    # The first, spread polls fill the first minute; then safety polls only.
    assert sum(counts[1:]) / (MINUTES - 1) <= PRINTERS / 5 + 1
    # Camera statuses are read at their own pace, from what polls leave over.
    assert 0 < max(cameras) <= CHECKS_PER_MINUTE + CHECK_BURST


@pytest.mark.parametrize("simulator_options", [{"printers": 2}])
async def test_push_latency(
    hass: HomeAssistant, setup_integration: SetupIntegration, simulator: Simulator
) -> None:
    """A status change on the server reaches Home Assistant's state at once."""
    entry = await setup_integration()
    await stream_up(simulator, entry)
    printer = simulator.printer(1)
    entity_id = "sensor.prusa_mk4_status"
    assert hass.states.get(entity_id).state == "online"
    printer.start_job("latency.gcode", 5)
    started = time.perf_counter()
    await simulator.poll(printer.id)
    await until(lambda: hass.states.get(entity_id).state == "printing")
    elapsed = time.perf_counter() - started
    print(f"\npush to state: {elapsed * 1000:.1f} ms")
    assert elapsed < 0.5
