"""Long-term statistics keep growing across a restart of the Printernizer server.

The server forgets its jobs when it restarts, so its totals drop. The recorder must
take that drop as a new cycle (total_increasing; total with last_reset for the cost)
so that the statistics' sums, which energy-style dashboards and utility meters use,
only ever grow.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
    statistics_during_period,
)

from custom_components.printernizer.coordinator.statistics import (
    STATISTICS_SCAN_INTERVAL,
)
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done, state_of
from tests.simulator import FaultKind, Simulator

START = datetime.fromisoformat("2026-11-29T12:00:00+00:00")
PERIOD = timedelta(minutes=5)
SUMMARY = "/api/v1/analytics/summary"
COMPLETED = "sensor.printernizer_prints_completed"
FAILED = "sensor.printernizer_prints_failed"
HOURS = "sensor.printernizer_print_time"
MATERIAL = "sensor.printernizer_material_used"
COST = "sensor.printernizer_print_cost"


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Prepare the recorder before Home Assistant starts (autouse fixtures need it)."""


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """Two idle printers."""
    return {"printers": 2}


async def _next_read(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the statistics be read again, 15 minutes on."""
    freezer.tick(STATISTICS_SCAN_INTERVAL)
    async_fire_time_changed(hass)
    await block_till_done(hass)


async def _sums(hass: HomeAssistant, entity_id: str) -> list[tuple[float, float]]:
    """Compile every 5-minute period since START; return (state, sum) of each."""
    await async_wait_recording_done(hass)
    start = START
    while start + PERIOD <= START + 3 * STATISTICS_SCAN_INTERVAL:
        do_adhoc_statistics(hass, start=start)
        start += PERIOD
    await async_wait_recording_done(hass)
    rows = await hass.async_add_executor_job(
        statistics_during_period, hass, START, None, {entity_id}, "5minute"
    )
    return [(row["state"], row["sum"]) for row in rows[entity_id]]


def _finish_jobs(simulator: Simulator, count: int) -> None:
    printer = simulator.printer(0)
    for number in range(count):
        printer.start_job(f"part_{number}.gcode", 20).finish()


async def test_job_counts_keep_growing_across_a_server_restart(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    setup_integration: SetupIntegration,
) -> None:
    """3 jobs, then 5, then the server restarts and knows 1: the sum goes 0, 2, 3."""
    freezer.move_to(START)
    _finish_jobs(simulator, 3)
    simulator.printer(1).start_job("cube.gcode", 10).fail("Spaghetti")
    await setup_integration()
    assert state_of(hass, COMPLETED) == "3"
    assert state_of(hass, FAILED) == "1"

    _finish_jobs(simulator, 2)
    await _next_read(hass, freezer)  # 12:15
    assert state_of(hass, COMPLETED) == "5"

    await simulator.restart(forget_jobs=True)
    _finish_jobs(simulator, 1)
    await _next_read(hass, freezer)  # 12:30
    assert state_of(hass, COMPLETED) == "1"
    assert state_of(hass, FAILED) == "0"

    completed = await _sums(hass, COMPLETED)
    # One row per 5 minutes from 12:00 to 12:40; the state changes at :00, :15, :30.
    assert [state for state, _ in completed] == [3, 3, 3, 5, 5, 5, 1, 1, 1]
    assert [total for _, total in completed] == [0, 0, 0, 2, 2, 2, 3, 3, 3]
    failed = await _sums(hass, FAILED)
    assert failed[-1] == (0, 0)


async def test_totals_and_cost_keep_growing_across_a_server_restart(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    setup_integration: SetupIntegration,
) -> None:
    """Hours, kilograms and cost drop with the restart; their sums go on growing.

    The simulator, like the server, sums no hours, material or cost, so the server's
    totals are set through the summary it answers with.
    """

    def summary(hours: float, kg: float, cost: float) -> dict[str, Any]:
        return {
            "total_jobs": 1,
            "completed_jobs": 1,
            "failed_jobs": 0,
            "total_print_time_hours": hours,
            "total_material_used_kg": kg,
            "total_cost_eur": cost,
            "average_job_duration_hours": hours,
            "success_rate_percent": 100.0,
        }

    freezer.move_to(START)
    simulator.fault(FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary(10.0, 0.5, 12.0))
    await setup_integration()
    simulator.fault(FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary(12.5, 0.6, 15.0))
    await _next_read(hass, freezer)  # 12:15
    await simulator.restart(forget_jobs=True)
    simulator.fault(FaultKind.WRONG_SHAPE, path=SUMMARY, body=summary(1.0, 0.05, 2.0))
    await _next_read(hass, freezer)  # 12:30
    assert hass.states.get(COST).attributes["last_reset"] is not None

    for entity_id, expected in (
        (HOURS, [(10.0, 0.0), (12.5, 2.5), (1.0, 3.5)]),
        (MATERIAL, [(0.5, 0.0), (0.6, 0.1), (0.05, 0.15)]),
        (COST, [(12.0, 0.0), (15.0, 3.0), (2.0, 5.0)]),
    ):
        rows = await _sums(hass, entity_id)
        # The rows at 12:00, 12:15 and 12:30.
        assert [
            (pytest.approx(state), pytest.approx(total)) for state, total in rows[::3]
        ] == expected, entity_id
