"""Print job events: one event entity per printer.

The events come from the printer's status transitions as its coordinator sees them,
polled or pushed; the rules live in `job_events`.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import (
    PrinterCoordinator,
    PrinternizerConfigEntry,
    signal_time_zone_changed,
)
from .entity import PrinterEntity, async_track_printers
from .job_events import JobEventType, JobTracker

PARALLEL_UPDATES = 0

JOB_EVENT = EventEntityDescription(
    key="job",
    translation_key="job",
    event_types=[event_type.value for event_type in JobEventType],
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a job event entity for every printer, now and as printers appear."""
    async_track_printers(
        entry,
        lambda coordinator: [PrinterJobEvent(coordinator, JOB_EVENT)],
        async_add_entities,
    )


class PrinterJobEvent(PrinterEntity, EventEntity):
    """Fires when a printer's job starts, pauses, resumes, finishes, fails or ends."""

    def __init__(
        self, coordinator: PrinterCoordinator, description: EventEntityDescription
    ) -> None:
        """Initialise the entity; the printer's current state only initialises."""
        super().__init__(coordinator, description)
        self._tracker = JobTracker()

    @override
    async def async_added_to_hass(self) -> None:
        """Take the state the printer is in now as the starting point."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_time_zone_changed(self.coordinator.entry.entry_id),
                self._async_rezone,
            )
        )
        self._observe()

    @callback
    def _async_rezone(self, zone: tzinfo) -> None:
        """Keep comparing like with like once the server's zone is known."""
        self._tracker.rezone(zone)

    @callback
    def _observe(self) -> list[str]:
        """Feed the coordinator's status to the tracker; fire what it returns."""
        coordinator = self.coordinator
        if not self.available:
            # The status stream was interrupted: what comes next only initialises.
            self._tracker.reset()
            return []
        fired = []
        for event in self._tracker.update(coordinator.status):
            self._trigger_event(
                event.type.value,
                {
                    "job_name": event.job_name,
                    "progress": event.progress,
                    "printer_name": coordinator.printer.name,
                },
            )
            self.async_write_ha_state()
            fired.append(event.type.value)
        return fired

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Fire the events of a new status (each written as its own state)."""
        if not self._observe():
            self.async_write_ha_state()
