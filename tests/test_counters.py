"""Each printer's own counters: print time, prints finished and prints failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import logging
from typing import Any
from zoneinfo import ZoneInfo

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorDeviceClass, SensorStateClass
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_UNIT_OF_MEASUREMENT,
    STATE_UNAVAILABLE,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.printernizer.api import PrinterState, PrinterStatus, Temperature
from custom_components.printernizer.counters import (
    MAX_OBSERVATION_GAP,
    PrinterActivity,
)
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done, state_of
from tests.printer_helpers import (
    BAMBU_ID,
    PRUSA_ID,
    fleet_of,
    mixed_fleet,
    settle,
    stream_up,
    tick,
)
from tests.simulator import Simulator

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
PRINT_TIME = "sensor.bambu_x1c_print_time"
FINISHED = "sensor.bambu_x1c_prints_finished"
FAILED = "sensor.bambu_x1c_prints_failed"
PRUSA_PRINT_TIME = "sensor.prusa_mk4_print_time"
PRUSA_FINISHED = "sensor.prusa_mk4_prints_finished"
PRUSA_FAILED = "sensor.prusa_mk4_prints_failed"


def status(
    state: str,
    seconds: float,
    job: str | None = None,
    progress: float | None = None,
) -> PrinterStatus:
    """A status read `seconds` after T0."""
    return PrinterStatus(
        id="p1",
        name="Printer",
        state=PrinterState(state),
        timestamp=T0 + timedelta(seconds=seconds),
        bed=Temperature(),
        nozzle=Temperature(),
        job_name=job,
        progress=progress,
        remaining_time=None,
    )


def observe(activity: PrinterActivity, *steps: tuple[float, str, float | None]) -> None:
    """Feed (time, state, progress) steps of one job, read when they arrive."""
    for at, state, progress in steps:
        job = "benchy.gcode" if state in ("printing", "paused") else None
        activity.observe(status(state, at, job, progress), at)


# ----------------------------------------------------------------------------
# The rules (no Home Assistant)


def test_print_time_counts_time_spent_printing() -> None:
    """From one printing observation to the next, paused and idle time left out."""
    activity = PrinterActivity()
    observe(
        activity,
        (0, "printing", 10),  # initialises: printing from here
        (30, "printing", 20),
        (60, "paused", 25),  # 30 s more printing, then paused
        (600, "paused", 25),
        (630, "printing", 30),
        (660, "printing", 40),  # 30 s
        (690, "online", None),  # 30 s, then idle: finished? progress 40: cancelled
        (900, "online", None),
    )
    assert activity.print_seconds == 120
    assert (activity.finished, activity.failed) == (0, 0)


def test_finished_and_failed_come_from_the_job_events() -> None:
    """`finished` and `failed` job events count; `cancelled` does not."""
    activity = PrinterActivity()
    observe(
        activity,
        (0, "online", None),
        (10, "printing", 50),
        (20, "printing", 100),
        (30, "online", None),  # finished
        (40, "printing", 5),
        (50, "error", None),  # failed
        (60, "online", None),
        (70, "printing", 5),
        (80, "online", None),  # cancelled
    )
    assert (activity.finished, activity.failed) == (1, 1)
    assert activity.print_seconds == 40


def test_the_same_transition_from_a_push_and_a_poll_counts_once() -> None:
    """A poll that repeats what a push already brought adds nothing."""
    activity = PrinterActivity()
    observe(activity, (0, "online", None), (10, "printing", 99))
    done = status("online", 20)
    assert activity.observe(done, 20) is True  # the push
    assert activity.observe(done, 21) is False  # the same status, polled
    assert activity.observe(status("online", 20), 22) is False  # equal, new object
    assert (activity.finished, activity.print_seconds) == (1, 10)


def test_a_late_push_changes_nothing() -> None:
    """A status older than the last one does not undo or repeat an ending."""
    activity = PrinterActivity()
    observe(activity, (0, "online", None), (10, "printing", 99), (20, "online", None))
    assert activity.observe(status("printing", 15, "benchy.gcode", 99), 21) is False
    assert activity.observe(status("online", 25), 22) is False
    assert activity.finished == 1


def test_offline_is_not_printing() -> None:
    """While the printer is offline its job is kept, but no time is counted."""
    activity = PrinterActivity()
    observe(
        activity,
        (0, "printing", 10),
        (30, "offline", None),  # 30 s counted up to here
        (300, "offline", None),
        (330, "printing", 60),
        (360, "printing", 70),  # 30 s
    )
    assert activity.print_seconds == 60


def test_a_gap_counts_nothing() -> None:
    """Observations too far apart, or an interruption: the time between is lost."""
    activity = PrinterActivity()
    observe(activity, (0, "printing", 10), (MAX_OBSERVATION_GAP + 1, "printing", 50))
    assert activity.print_seconds == 0
    observe(activity, (MAX_OBSERVATION_GAP + 31, "printing", 51))
    assert activity.print_seconds == 30
    activity.interrupt()
    observe(activity, (5000, "printing", 80), (5030, "printing", 99.5))
    assert activity.print_seconds == 60
    # The first status after an interruption only initialises: no event.
    observe(activity, (5040, "online", None))
    assert activity.finished == 1
    activity.interrupt()
    observe(activity, (6000, "online", None), (6010, "online", None))
    assert activity.finished == 1
    assert activity.as_dict() == {
        "finished": 1,
        "failed": 0,
        "print_seconds": 70.0,
        "printing": False,
    }


# ----------------------------------------------------------------------------
# In Home Assistant


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A Bambu printer halfway through a 60-minute job and an idle Prusa."""
    return {"printers": mixed_fleet()}


async def _push(hass: HomeAssistant, simulator: Simulator) -> None:
    """Let the server push every printer's status, and process it."""
    await simulator.poll()
    await settle()
    await hass.async_block_till_done()


async def test_snapshot(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Names, classes and states of the counters of a printing printer."""
    for entity_id in (PRINT_TIME, FINISHED, FAILED):
        entry = entity_registry.async_get(entity_id)
        assert entry is not None, entity_id
        assert entry == snapshot(name=f"{entity_id}-entry")
        assert hass.states.get(entity_id) == snapshot(name=f"{entity_id}-state")


async def test_a_job_observed_to_its_end(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """Half an hour of pushes and polls: 0.5 h printed, one print finished."""
    entry = await setup_integration()
    await stream_up(simulator, entry)
    for _ in range(60):  # pushes every 30 s, the fleet's polls in between
        simulator.advance(30)
        await tick(hass, freezer, 30)
        await _push(hass, simulator)
    hours = hass.states.get(PRINT_TIME)
    # Printing from the first status on, for the 30 minutes the job had left.
    assert float(hours.state) == pytest.approx(0.5, abs=30 / 3600)
    assert hours.attributes[ATTR_UNIT_OF_MEASUREMENT] == "h"
    assert hours.attributes[ATTR_DEVICE_CLASS] == SensorDeviceClass.DURATION
    assert hours.attributes["state_class"] == SensorStateClass.TOTAL_INCREASING
    assert state_of(hass, FINISHED) == "1"
    assert state_of(hass, FAILED) == "0"
    # The idle Prusa printed nothing.
    assert state_of(hass, PRUSA_PRINT_TIME) == "0.0"
    assert state_of(hass, PRUSA_FINISHED) == "0"
    # Polled again (the same ending over REST): still one.
    await fleet_of(entry).printers[BAMBU_ID].async_refresh()
    await hass.async_block_till_done()
    assert state_of(hass, FINISHED) == "1"


async def test_failed_and_cancelled_prints(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A failure counts as failed; a stopped print counts as neither."""
    await stream_up(simulator, init_integration)
    prusa = simulator.printer(PRUSA_ID)
    prusa.start_job("cube.gcode", 20)
    await _push(hass, simulator)
    prusa.fail("Thermal runaway")
    await _push(hass, simulator)
    assert state_of(hass, PRUSA_FAILED) == "1"
    prusa.clear_error()
    prusa.start_job("cube.gcode", 20)
    await _push(hass, simulator)
    prusa.stop()
    await _push(hass, simulator)
    assert state_of(hass, PRUSA_FAILED) == "1"
    assert state_of(hass, PRUSA_FINISHED) == "0"


async def test_an_outage_counts_nothing(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """While the server is unreachable no time is counted, not even afterwards."""
    entry = await setup_integration()
    await stream_up(simulator, entry)
    simulator.advance(30)
    await tick(hass, freezer, 30)
    await _push(hass, simulator)
    before = float(state_of(hass, PRINT_TIME))
    assert before == pytest.approx(30 / 3600, abs=1e-4)
    await simulator.go_down()
    for _ in range(20):  # ten minutes down; the printer goes on printing
        simulator.advance(30)
        await tick(hass, freezer, 30)
    # The counters are the integration's own: they stay available meanwhile.
    assert state_of(hass, "sensor.bambu_x1c_status") == STATE_UNAVAILABLE
    assert state_of(hass, PRINT_TIME) != STATE_UNAVAILABLE
    assert float(state_of(hass, PRINT_TIME)) == before
    await simulator.come_up()
    for _ in range(4):
        simulator.advance(30)
        await tick(hass, freezer, 30)
    await stream_up(simulator, entry)
    await _push(hass, simulator)
    # Only time observed since the server came back counts: at most two minutes.
    after = float(state_of(hass, PRINT_TIME))
    assert before <= after <= before + 120 / 3600


async def test_counts_survive_a_restart_of_home_assistant(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """Restored totals go on from where they were."""
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                State(PRINT_TIME, "199.9"),
                {"native_value": 199.9, "native_unit_of_measurement": "h"},
            ),
            (
                State(FINISHED, "41"),
                {"native_value": 41, "native_unit_of_measurement": None},
            ),
            (
                State(FAILED, "3"),
                {"native_value": 3, "native_unit_of_measurement": None},
            ),
            # A value that is no number is not restored.
            (
                State(PRUSA_FINISHED, "unknown"),
                {"native_value": None, "native_unit_of_measurement": None},
            ),
        ],
    )
    entry = await setup_integration()
    assert state_of(hass, PRINT_TIME) == "199.9"
    assert state_of(hass, FINISHED) == "41"
    assert state_of(hass, FAILED) == "3"
    assert state_of(hass, PRUSA_FINISHED) == "0"
    await stream_up(simulator, entry)
    for _ in range(8):
        simulator.advance(30)
        await tick(hass, freezer, 30)
        await _push(hass, simulator)
    assert float(state_of(hass, PRINT_TIME)) == pytest.approx(
        199.9 + 240 / 3600, abs=1e-3
    )
    # Ten seconds before the end of the job, then idle: finished.
    left = (
        simulator.printer(BAMBU_ID).job_duration_s
        - simulator.printer(BAMBU_ID).job_elapsed_s
    )
    simulator.advance(left - 10)
    await tick(hass, freezer, left - 10)
    await _push(hass, simulator)
    simulator.advance(20)
    await tick(hass, freezer, 20)
    await _push(hass, simulator)
    assert state_of(hass, FINISHED) == "42"


async def test_printer_removed_and_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Diagnostics show each printer's counts; a removed printer's are dropped."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    assert diagnostics["printer_counters"][BAMBU_ID] == {
        "finished": 0,
        "failed": 0,
        "print_seconds": 0.0,
        "printing": True,
    }
    assert set(diagnostics["printer_counters"]) == {BAMBU_ID, PRUSA_ID}
    simulator.remove_printer(PRUSA_ID)
    fleet = fleet_of(init_integration)
    await fleet.list.async_refresh()
    await block_till_done(hass)
    assert set(init_integration.runtime_data.counters) == {BAMBU_ID}
    assert hass.states.get(PRUSA_FINISHED) is None
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_time_zone_change_reaches_the_tracker(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Learning the server's zone re-reads the job's naive times in it."""
    counters = init_integration.runtime_data.counters[BAMBU_ID]
    counters.activity.interrupt()
    counters.activity.observe(
        PrinterStatus(
            id=BAMBU_ID,
            name="Bambu X1C",
            state=PrinterState.PRINTING,
            timestamp=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
            bed=Temperature(),
            nozzle=Temperature(),
            job_name="benchy.gcode",
            progress=60,
            remaining_time=10,
            remaining_time_at=datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
        ),
        hass.loop.time(),
    )
    init_integration.runtime_data.async_rezone(BERLIN)
    job = counters.activity._tracker.job
    assert job is not None
    assert job.seen_at == datetime(2026, 11, 29, 12, 0, tzinfo=BERLIN)


def test_zone_decides_whether_a_job_ran_out() -> None:
    """A job last seen at 12:00 server time with 10 minutes left, idle at 12:15.

    Re-read in the server's zone, the time had run out: finished. Left as UTC, the
    idle status would look older than the job's and be ignored.
    """
    for zone, finished in ((BERLIN, 1), (None, 0)):
        activity = PrinterActivity()
        naive_noon = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
        activity.observe(
            PrinterStatus(
                id="p1",
                name="Printer",
                state=PrinterState.PRINTING,
                timestamp=naive_noon,
                bed=Temperature(),
                nozzle=Temperature(),
                job_name="benchy.gcode",
                progress=60,
                remaining_time=10,
                remaining_time_at=naive_noon,
            ),
            0,
        )
        if zone is not None:
            activity.rezone(zone)
        idle_at = datetime(2026, 11, 29, 12, 15, tzinfo=BERLIN)
        activity.observe(
            PrinterStatus(
                id="p1",
                name="Printer",
                state=PrinterState.ONLINE,
                timestamp=idle_at,
                bed=Temperature(),
                nozzle=Temperature(),
                job_name=None,
                progress=None,
                remaining_time=None,
            ),
            30,
        )
        assert activity.finished == finished
