"""Print job events from a printer's status transitions.

The server has no job events of its own (``job_update`` is never sent), so they are
derived from the status a printer reports, over REST or the WebSocket. The rules:

=========================  ===========================  ==========================
before                     now                          events
=========================  ===========================  ==========================
no job (online, error)     printing                     started
no job (online, error)     paused                       started, paused
printing                   paused                       paused
paused                     printing                     resumed
printing / paused          online                       finished if the last
                                                        progress seen was >= 99 %,
                                                        or the printer was printing
                                                        when last seen and the
                                                        remaining time it reported
                                                        has run out since; else
                                                        cancelled
printing / paused          error                        failed
printing / paused          printing / paused, another   finished or cancelled (as
                           job name                     above), then started
printing / paused          offline or unknown           nothing yet: the job is
                                                        kept until the outcome is
                                                        known, then the rows above
                                                        apply to the state before
anything                   the same state and job       nothing
=========================  ===========================  ==========================

The first status seen that is not offline or unknown only initialises (no event for the
state found at start-up or after the integration lost the server). A status with an older timestamp than the last
one processed is ignored, so a late push can not undo a newer poll, and a transition
reported by both a push and a poll fires once.

This module knows nothing of Home Assistant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

from .api import PrinterState, PrinterStatus

# A job that ends at or above this progress finished; below it, it was cancelled.
FINISHED_PROGRESS = 99.0

ACTIVE_STATES = frozenset({PrinterState.PRINTING, PrinterState.PAUSED})
# States that say nothing about the job: wait for one that does.
UNDECIDED_STATES = frozenset({PrinterState.OFFLINE, PrinterState.UNKNOWN})


class JobEventType(StrEnum):
    """What happened to a print job."""

    STARTED = "started"
    PAUSED = "paused"
    RESUMED = "resumed"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ActiveJob:
    """The job a printer was last seen working on.

    `seen_at` is the time of the reading that brought the remaining time.
    """

    name: str | None
    progress: float | None
    remaining_time: int | None
    paused: bool
    seen_at: datetime | None = None

    @classmethod
    def from_status(cls, status: PrinterStatus) -> ActiveJob:
        """Return the job of a printing or paused printer."""
        return cls(
            name=status.job_name,
            progress=status.progress,
            remaining_time=status.remaining_time,
            paused=status.state is PrinterState.PAUSED,
            seen_at=status.remaining_time_at,
        )

    def updated(self, status: PrinterStatus) -> ActiveJob:
        """Return the job with what a newer status knows about it."""
        job = replace(
            self,
            progress=self.progress if status.progress is None else status.progress,
            paused=status.state is PrinterState.PAUSED,
        )
        if status.remaining_time is not None:
            job = replace(
                job,
                remaining_time=status.remaining_time,
                seen_at=status.remaining_time_at,
            )
        return job

    def ended_as(self, now: datetime | None) -> JobEventType:
        """Return how the job ended, seeing the printer idle at `now`.

        Finished when the last progress seen was at least 99 %, or when the printer
        was printing when last seen and the time it then had left has run out.
        """
        if self.progress is not None and self.progress >= FINISHED_PROGRESS:
            return JobEventType.FINISHED
        if self.remaining_time == 0:
            return JobEventType.FINISHED
        if (
            not self.paused
            and self.remaining_time is not None
            and self.seen_at is not None
            and now is not None
            and now >= self.seen_at + timedelta(minutes=self.remaining_time)
        ):
            return JobEventType.FINISHED
        return JobEventType.CANCELLED


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One event with the job it is about."""

    type: JobEventType
    job_name: str | None
    progress: float | None


def transition(
    job: ActiveJob | None, status: PrinterStatus
) -> tuple[list[JobEvent], ActiveJob | None]:
    """Return the events a status fires and the job known afterwards.

    `job` is the job the printer was last seen working on (None when it had none).
    """
    state = status.state
    if state in UNDECIDED_STATES:
        return [], job
    if state in ACTIVE_STATES:
        return _active(job, status)
    if job is None:
        return [], None
    if state is PrinterState.ERROR:
        return [JobEvent(JobEventType.FAILED, job.name, job.progress)], None
    # online: the job is over.
    return [JobEvent(job.ended_as(status.timestamp), job.name, job.progress)], None


def _active(
    job: ActiveJob | None, status: PrinterStatus
) -> tuple[list[JobEvent], ActiveJob]:
    events: list[JobEvent] = []
    paused = status.state is PrinterState.PAUSED
    if job is not None and _another_job(job, status):
        events.append(JobEvent(job.ended_as(status.timestamp), job.name, job.progress))
        job = None
    if job is None:
        job = ActiveJob.from_status(status)
        events.append(JobEvent(JobEventType.STARTED, job.name, job.progress))
        if paused:
            events.append(JobEvent(JobEventType.PAUSED, job.name, job.progress))
        return events, job
    was_paused = job.paused
    job = job.updated(status)
    if paused and not was_paused:
        events.append(JobEvent(JobEventType.PAUSED, job.name, job.progress))
    elif was_paused and not paused:
        events.append(JobEvent(JobEventType.RESUMED, job.name, job.progress))
    return events, job


def _another_job(job: ActiveJob, status: PrinterStatus) -> bool:
    return (
        job.name is not None
        and status.job_name is not None
        and job.name != status.job_name
    )


class JobTracker:
    """Turns the stream of one printer's statuses into job events.

    Call `reset` when the status stream was interrupted (the server or the printer's
    data became unavailable): the next status then only initialises.
    """

    def __init__(self) -> None:
        """Start without any status seen."""
        self._initialised = False
        self._job: ActiveJob | None = None
        self._timestamp: datetime | None = None
        self._last: PrinterStatus | None = None

    @property
    def job(self) -> ActiveJob | None:
        """Return the job the printer is working on, as far as is known."""
        return self._job

    def reset(self) -> None:
        """Forget everything; the next status only initialises."""
        self._initialised = False
        self._job = None
        self._timestamp = None
        self._last = None

    def rezone(self, zone: tzinfo) -> None:
        """Read the naive server times kept so far in `zone`, the server's zone."""
        if self._timestamp is not None:
            self._timestamp = self._timestamp.replace(tzinfo=zone)
        if self._job is not None and self._job.seen_at is not None:
            self._job = replace(
                self._job, seen_at=self._job.seen_at.replace(tzinfo=zone)
            )

    def update(self, status: PrinterStatus) -> list[JobEvent]:
        """Process a status and return the events it fires, oldest first."""
        if status is self._last:
            return []
        if (
            self._timestamp is not None
            and status.timestamp is not None
            and status.timestamp < self._timestamp
        ):
            return []
        self._last = status
        if status.timestamp is not None:
            self._timestamp = status.timestamp
        if not self._initialised:
            # Offline or unknown say nothing about a job: wait for a state that does.
            if status.state not in UNDECIDED_STATES:
                self._initialised = True
                if status.state in ACTIVE_STATES:
                    self._job = ActiveJob.from_status(status)
            return []
        events, self._job = transition(self._job, status)
        return events
