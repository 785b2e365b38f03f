"""Soak: a thousand failed refreshes leave no trace in memory, the log or the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Generator
import gc
import itertools
import tracemalloc
from typing import Any
from unittest.mock import patch

from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
import pytest

from custom_components.printernizer.api import RequestBudget
from tests.faults.conftest import Harness

REFRESHES = 1000
WARM_UP = 100
HALF = (REFRESHES - WARM_UP) // 3
#: Allowed growth of traced memory over a third of the failures after warm-up.
MEMORY_BOUND = 64 * 1024


@pytest.fixture(autouse=True)
def roomy_budget() -> Generator[None]:
    """A budget for 3,000 attempts within a frozen second."""
    with patch(
        "custom_components.printernizer.api.client.RequestBudget",
        lambda **_: RequestBudget(per_minute=10**6, burst=10**6),
    ):
        yield


async def _fail_refreshes(
    harness: Harness, coordinators: list[DataUpdateCoordinator[Any]], count: int
) -> None:
    """Refresh the coordinators round-robin, `count` refreshes in all."""
    for index in range(count):
        coordinator = coordinators[index % len(coordinators)]
        await coordinator.async_refresh()
        assert not coordinator.last_update_success


async def test_thousand_failed_refreshes(harness: Harness) -> None:
    """Memory, log records and tasks stay flat while the server is down."""
    await harness.settle()
    await harness.sim.go_down()
    coordinators = list(harness.entry.runtime_data.coordinators().values())
    # health, system info, printer list, 2 printers, trending, update, statistics,
    # materials
    assert len(coordinators) == 9

    harness.mark()
    await _fail_refreshes(harness, coordinators, WARM_UP)
    await harness.settle()
    records_after_warm_up = len(harness.records())
    tasks_after_warm_up = len(asyncio.all_tasks())
    tracemalloc.start()
    try:
        snapshots = []
        for _ in range(3):
            await _fail_refreshes(harness, coordinators, HALF)
            await harness.settle()
            gc.collect()
            snapshots.append(tracemalloc.take_snapshot())
    finally:
        tracemalloc.stop()

    # The test loop runs in debug mode, where every timer keeps the stack that made
    # it; cancelled timers stay in the loop's heap until it compacts them, and under
    # a frozen clock that happens in bursts. That sawtooth is the loop's, not ours.
    loop_bookkeeping = [
        tracemalloc.Filter(False, "*/asyncio/*"),
        tracemalloc.Filter(False, "*/traceback.py"),
    ]
    snapshots = [snapshot.filter_traces(loop_bookkeeping) for snapshot in snapshots]
    first, second = (
        sum(stat.size_diff for stat in later.compare_to(earlier, "filename"))
        for earlier, later in itertools.pairwise(snapshots)
    )
    print(f"memory growth: {first} B, then {second} B per {HALF} failed refreshes")
    # The traced memory settles: what is allocated while failing is freed again.
    assert max(first, second) < MEMORY_BOUND
    # One outage line per coordinator during warm-up, nothing since.
    assert records_after_warm_up == len(coordinators)
    assert len(harness.records()) == records_after_warm_up
    harness.assert_no_traceback()
    assert len(asyncio.all_tasks()) <= tasks_after_warm_up
    metrics = harness.metrics
    assert metrics.consecutive_failures >= WARM_UP + 3 * HALF
