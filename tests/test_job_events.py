"""Tests for the print job transition rules (no Home Assistant needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import itertools

import pytest

from custom_components.printernizer.api import PrinterState, PrinterStatus, Temperature
from custom_components.printernizer.job_events import (
    ActiveJob,
    JobEvent,
    JobEventType,
    JobTracker,
    transition,
)

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
_seconds = itertools.count()


def status(
    state: str,
    job: str | None = None,
    progress: float | None = None,
    *,
    remaining: int | None = None,
    at: datetime | None = None,
) -> PrinterStatus:
    """Return a polled status; each call is one second later than the last."""
    timestamp = at or T0 + timedelta(seconds=next(_seconds))
    return PrinterStatus(
        id="p1",
        name="Printer",
        state=PrinterState(state),
        timestamp=timestamp,
        bed=Temperature(),
        nozzle=Temperature(),
        job_name=job,
        progress=progress,
        remaining_time=remaining,
        remaining_time_at=timestamp if remaining is not None else None,
    )


def types(events: list[JobEvent]) -> list[str]:
    """Return just the event types."""
    return [event.type.value for event in events]


PRINTING = ActiveJob("benchy.gcode", 40.0, 20, paused=False)
PAUSED = ActiveJob("benchy.gcode", 40.0, 20, paused=True)
DONE = ActiveJob("benchy.gcode", 99.0, 1, paused=False)


@pytest.mark.parametrize(
    ("job", "now", "expected", "job_after"),
    [
        # no job before
        (None, status("printing", "benchy.gcode", 0), ["started"], "printing"),
        (None, status("paused", "benchy.gcode", 0), ["started", "paused"], "paused"),
        (None, status("online"), [], None),
        (None, status("error"), [], None),
        (None, status("offline"), [], None),
        (None, status("unknown"), [], None),
        # printing before
        (PRINTING, status("printing", "benchy.gcode", 41), [], "printing"),
        (PRINTING, status("paused", "benchy.gcode", 40), ["paused"], "paused"),
        (PRINTING, status("online"), ["cancelled"], None),
        (DONE, status("online"), ["finished"], None),
        (PRINTING, status("error"), ["failed"], None),
        (DONE, status("error"), ["failed"], None),
        (PRINTING, status("offline"), [], "printing"),
        (PRINTING, status("unknown"), [], "printing"),
        (
            PRINTING,
            status("printing", "cube.gcode", 1),
            ["cancelled", "started"],
            "printing",
        ),
        (
            DONE,
            status("paused", "cube.gcode", 1),
            ["finished", "started", "paused"],
            "paused",
        ),
        # paused before
        (PAUSED, status("paused", "benchy.gcode", 40), [], "paused"),
        (PAUSED, status("printing", "benchy.gcode", 40), ["resumed"], "printing"),
        (PAUSED, status("online"), ["cancelled"], None),
        (PAUSED, status("error"), ["failed"], None),
        (PAUSED, status("offline"), [], "paused"),
        (PAUSED, status("unknown"), [], "paused"),
    ],
)
def test_transition_table(
    job: ActiveJob | None,
    now: PrinterStatus,
    expected: list[str],
    job_after: str | None,
) -> None:
    """Every row of the transition table."""
    events, after = transition(job, now)
    assert types(events) == expected
    if job_after is None:
        assert after is None
    else:
        assert after is not None
        assert after.paused is (job_after == "paused")


def test_event_carries_job_and_last_progress() -> None:
    """An ending event names the job and the progress last seen."""
    events, _ = transition(DONE, status("online"))
    assert events == [JobEvent(JobEventType.FINISHED, "benchy.gcode", 99.0)]


@pytest.mark.parametrize(
    ("progress", "remaining", "expected"),
    [
        (99.0, 5, JobEventType.FINISHED),
        (100.0, None, JobEventType.FINISHED),
        (98.9, 1, JobEventType.CANCELLED),
        (97.0, 0, JobEventType.FINISHED),
        (None, None, JobEventType.CANCELLED),
        (0.0, None, JobEventType.CANCELLED),
    ],
)
def test_finished_or_cancelled(
    progress: float | None, remaining: int | None, expected: JobEventType
) -> None:
    """At 99 % or with no time left the job finished; otherwise it was cancelled."""
    job = ActiveJob("job", progress, remaining, paused=False)
    assert job.ended_as(None) is expected
    assert job.ended_as(T0) is expected


@pytest.mark.parametrize(
    ("paused", "idle_after", "expected"),
    [
        (False, timedelta(minutes=10), JobEventType.FINISHED),
        (False, timedelta(minutes=9, seconds=59), JobEventType.CANCELLED),
        (True, timedelta(minutes=30), JobEventType.CANCELLED),
    ],
)
def test_finished_when_the_time_left_ran_out(
    paused: bool, idle_after: timedelta, expected: JobEventType
) -> None:
    """A printing job whose remaining time has run out by the time it is idle finished."""
    job = ActiveJob("job", 50.0, 10, paused=paused, seen_at=T0)
    assert job.ended_as(T0 + idle_after) is expected


def test_offline_through_the_end_of_the_job() -> None:
    """Offline past the job's end, then idle: finished, from the time left."""
    tracker = JobTracker()
    tracker.update(status("printing", "a", 50, remaining=30, at=T0))
    assert tracker.job is not None
    assert tracker.job.seen_at == T0
    # A push without the remaining time keeps when it was reported.
    later = T0 + timedelta(minutes=1)
    tracker.update(status("printing", "a", 52, at=later))
    assert tracker.job.seen_at == T0
    tracker.update(status("offline", at=T0 + timedelta(minutes=5)))
    events = tracker.update(status("online", at=T0 + timedelta(minutes=40)))
    assert events == [JobEvent(JobEventType.FINISHED, "a", 52.0)]


def test_job_without_name_is_the_same_job() -> None:
    """A status without a job name does not end the job it continues."""
    job = ActiveJob(None, 10.0, None, paused=False)
    events, after = transition(job, status("printing", "cube.gcode", 11))
    assert events == []
    assert after == ActiveJob(None, 11.0, None, paused=False)
    events, after = transition(PRINTING, status("printing", None, None))
    assert events == []
    assert after == PRINTING


def test_progress_kept_when_status_leaves_it_out() -> None:
    """A status without progress or remaining time keeps the last known ones."""
    _, after = transition(PRINTING, status("paused", "benchy.gcode", None))
    assert after == ActiveJob("benchy.gcode", 40.0, 20, paused=True)
    now = status("paused", "benchy.gcode", 42, remaining=3)
    _, after = transition(after, now)
    assert after == ActiveJob(
        "benchy.gcode", 42.0, 3, paused=True, seen_at=now.timestamp
    )


class TestTracker:
    """The tracker around the rules: initialising, dedupe and ordering."""

    def test_first_status_only_initialises(self) -> None:
        """A printer found printing at start-up fires nothing; its end does."""
        tracker = JobTracker()
        assert tracker.update(status("printing", "benchy.gcode", 99)) == []
        assert tracker.job == ActiveJob("benchy.gcode", 99, None, paused=False)
        assert tracker.job.seen_at is None
        assert types(tracker.update(status("online"))) == ["finished"]

    def test_found_idle_then_printing(self) -> None:
        """A printer found idle fires started when it starts."""
        tracker = JobTracker()
        assert tracker.update(status("online")) == []
        assert types(tracker.update(status("printing", "a", 0))) == ["started"]

    def test_found_offline_waits_for_a_telling_state(self) -> None:
        """Offline or unknown at start-up do not initialise: no false 'started'."""
        tracker = JobTracker()
        assert tracker.update(status("offline")) == []
        assert tracker.update(status("unknown")) == []
        assert tracker.update(status("printing", "a", 50)) == []
        assert types(tracker.update(status("error"))) == ["failed"]

    def test_found_finished_after_restart_fires_nothing(self) -> None:
        """An idle printer after a restart is not reported as finished."""
        tracker = JobTracker()
        assert tracker.update(status("online")) == []
        assert tracker.update(status("online")) == []

    def test_reset(self) -> None:
        """After a reset the next status only initialises."""
        tracker = JobTracker()
        tracker.update(status("printing", "a", 10))
        tracker.reset()
        assert tracker.job is None
        assert tracker.update(status("online")) == []
        assert types(tracker.update(status("printing", "b", 0))) == ["started"]

    def test_same_status_twice(self) -> None:
        """A status processed twice (the same object) fires once."""
        tracker = JobTracker()
        tracker.update(status("online"))
        printing = status("printing", "a", 0)
        assert types(tracker.update(printing)) == ["started"]
        assert tracker.update(printing) == []

    def test_push_and_poll_report_the_same_transition(self) -> None:
        """A transition seen by a push and then a poll fires once."""
        tracker = JobTracker()
        tracker.update(status("printing", "a", 99))
        assert types(tracker.update(status("online"))) == ["finished"]
        assert tracker.update(status("online")) == []

    def test_older_status_ignored(self) -> None:
        """A status older than the last one processed is dropped."""
        tracker = JobTracker()
        tracker.update(status("printing", "a", 50, at=T0))
        assert types(
            tracker.update(status("paused", "a", 60, at=T0 + timedelta(seconds=2)))
        ) == ["paused"]
        late = status("printing", "a", 55, at=T0 + timedelta(seconds=1))
        assert tracker.update(late) == []
        assert tracker.job is not None
        assert tracker.job.paused
        assert tracker.job.progress == 60

    def test_status_without_timestamp_processed(self) -> None:
        """A status without a timestamp can not be ordered and is processed."""
        tracker = JobTracker()
        tracker.update(status("online", at=T0))
        undated = PrinterStatus(
            id="p1",
            name="Printer",
            state=PrinterState.PRINTING,
            timestamp=None,
            bed=Temperature(),
            nozzle=Temperature(),
            job_name="a",
            progress=0,
            remaining_time=None,
        )
        assert types(tracker.update(undated)) == ["started"]

    def test_flapping_connection(self) -> None:
        """A printer dropping offline and back mid-print fires nothing."""
        tracker = JobTracker()
        tracker.update(status("online"))
        assert types(tracker.update(status("printing", "a", 10))) == ["started"]
        for progress in (20, 30, 40):
            assert tracker.update(status("offline")) == []
            assert tracker.update(status("printing", "a", progress)) == []
        assert tracker.update(status("offline")) == []
        assert types(tracker.update(status("online"))) == ["cancelled"]

    def test_pause_resume_flapping(self) -> None:
        """Every real pause and resume fires once."""
        tracker = JobTracker()
        tracker.update(status("printing", "a", 10))
        fired = []
        for state in ("paused", "paused", "printing", "paused", "printing"):
            fired += types(tracker.update(status(state, "a", 10)))
        assert fired == ["paused", "resumed", "paused", "resumed"]
