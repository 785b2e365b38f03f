"""Counters each printer keeps in Home Assistant: print time, prints finished and failed.

The server forgets its jobs when it restarts, so the integration counts what it
observes itself, from the same status stream (pushes and polls) the job events come
from:

* prints finished and failed are the `finished` and `failed` job events of
  `job_events.JobTracker`, so a transition reported by both a push and a poll counts
  once;
* print time grows by the time between two consecutive observations when the first
  found the printer printing (not paused, not offline). Nothing is counted across a
  gap: while the printer's status is not current (the server does not answer, a poll
  failed), or when two observations lie more than `MAX_OBSERVATION_GAP` apart.

The sensors add what a `PrinterActivity` counted since the entry loaded to the values
they restore, so the totals survive restarts of Home Assistant and of the server.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import TYPE_CHECKING, Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

from .api import PrinterStatus
from .job_events import UNDECIDED_STATES, JobEventType, JobTracker

if TYPE_CHECKING:
    from .coordinator import PrinterCoordinator, PrinternizerConfigEntry

#: Two observations further apart than this leave the time between them uncounted.
#: A healthy fleet brings one at least every 5 minutes (the safety poll while pushes
#: arrive; every 267 s for 200 printers without them).
MAX_OBSERVATION_GAP: Final = 600.0


class PrinterActivity:
    """Counts one printer's finished and failed prints and its time printing.

    `observe` takes each status with the monotonic time it arrived; `interrupt`
    marks a gap in the stream. This class knows nothing of Home Assistant.
    """

    def __init__(self) -> None:
        """Start with nothing counted."""
        self._tracker = JobTracker()
        self.finished = 0
        self.failed = 0
        self.print_seconds = 0.0
        # When the last observation found the printer printing; None otherwise.
        self._printing_at: float | None = None

    def observe(self, status: PrinterStatus, now: float) -> bool:
        """Count what a status tells; return whether a counter changed."""
        before = (self.finished, self.failed, self.print_seconds)
        if self._printing_at is not None and (
            0 < now - self._printing_at <= MAX_OBSERVATION_GAP
        ):
            self.print_seconds += now - self._printing_at
        for event in self._tracker.update(status):
            if event.type is JobEventType.FINISHED:
                self.finished += 1
            elif event.type is JobEventType.FAILED:
                self.failed += 1
        job = self._tracker.job
        printing = (
            job is not None and not job.paused and status.state not in UNDECIDED_STATES
        )
        self._printing_at = now if printing else None
        return before != (self.finished, self.failed, self.print_seconds)

    def interrupt(self) -> None:
        """Forget the stream so far: the time until the next status is not counted."""
        self._tracker.reset()
        self._printing_at = None

    def rezone(self, zone: tzinfo) -> None:
        """Read the job tracker's naive server times in the server's zone."""
        self._tracker.rezone(zone)

    def as_dict(self) -> dict[str, Any]:
        """Return the counts since the entry loaded, for diagnostics."""
        return {
            "finished": self.finished,
            "failed": self.failed,
            "print_seconds": round(self.print_seconds, 3),
            "printing": self._printing_at is not None,
        }


class PrinterCounters:
    """Feeds one printer's coordinator to a `PrinterActivity`; tells the sensors."""

    def __init__(self, hass: HomeAssistant, coordinator: PrinterCoordinator) -> None:
        """Create the counters; they start observing with `async_start`."""
        self.hass = hass
        self.coordinator = coordinator
        self.activity = PrinterActivity()
        self._counter_listeners: list[CALLBACK_TYPE] = []

    @callback
    def async_start(self) -> CALLBACK_TYPE:
        """Observe the coordinator from its current status on; return the stop."""
        self._observe()
        return self.coordinator.async_add_listener(self._observe)

    @callback
    def async_add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call `listener` whenever a counter changed; return the removal."""
        self._counter_listeners.append(listener)
        return lambda: self._counter_listeners.remove(listener)

    @callback
    def async_rezone(self, zone: tzinfo) -> None:
        """Keep comparing like with like once the server's zone is known."""
        self.activity.rezone(zone)

    @callback
    def _observe(self) -> None:
        coordinator = self.coordinator
        if not (coordinator.last_update_success and coordinator.fleet.server_available):
            # The status stream was interrupted: what comes next only initialises.
            self.activity.interrupt()
            return
        if self.activity.observe(coordinator.status, self.hass.loop.time()):
            for listener in list(self._counter_listeners):
                listener()


@callback
def async_track_counters(hass: HomeAssistant, entry: PrinternizerConfigEntry) -> None:
    """Keep counters for every printer, now and as printers appear, until they leave.

    The counters are kept in `entry.runtime_data.counters` by printer id; they exist
    before the sensors that show them, so no status goes uncounted.
    """
    runtime = entry.runtime_data

    @callback
    def _add(coordinators: list[PrinterCoordinator]) -> None:
        for coordinator in coordinators:
            counters = PrinterCounters(hass, coordinator)
            runtime.counters[coordinator.printer_id] = counters
            coordinator.async_on_remove(counters.async_start())
            coordinator.async_on_remove(_forget(coordinator.printer_id, counters))

    def _forget(printer_id: str, counters: PrinterCounters) -> Callable[[], None]:
        @callback
        def _remove() -> None:
            if runtime.counters.get(printer_id) is counters:
                del runtime.counters[printer_id]

        return _remove

    runtime.printers.async_add_listener(_add)
