"""The printer fleet: the printer list, one coordinator per printer, and pushes.

Polling and pushes share the work:

* `FleetCoordinator` lists the printers every 5 minutes and after every reconnect of
  the event stream. Printers that appear get a coordinator, a device and entities;
  printers that disappear lose them, without a reload.
* `PrinterCoordinator` polls one printer's status. Its first data comes from the
  printer list, so adding a fleet costs no extra request at setup, and its polls are
  spread across the interval instead of firing together.
* While the WebSocket delivers pushes, every `printer_status` push updates its
  printer at once and REST polling slows to a 5-minute safety refresh (which also
  brings the remaining time, absent from pushes). When the stream drops, polling
  resumes at once, spread across the interval.

Request budget: the client allows 60 requests a minute (burst 10) and the server 100.
Fleet-wide status polling is held at `POLL_BUDGET_PER_MINUTE` (45) requests a minute:
up to 22 printers poll every 30 s, a larger fleet polls each printer less often
(50 printers: every 67 s). The printer list adds one request every 5 minutes; the
health check is not counted by the server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from typing import Any, override

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)
from homeassistant.util import dt as dt_util

from .api import (
    EventStream,
    Printer,
    PrinternizerClient,
    PrinternizerError,
    PrinternizerNotFoundError,
    PrinterState,
    PrinterStatus,
    PrinterStatusEvent,
    PrinterType,
    Temperature,
)
from .const import DOMAIN, LOGGER, SHUTDOWN_TIMEOUT_DEFAULT, SHUTDOWN_TIMEOUT_PRINTERS
from .coordinator import (
    PrinternizerConfigEntry,
    PrinternizerCoordinator,
    update_failed_from,
)
from .shutdown import ShutdownStep

FLEET_SCAN_INTERVAL = timedelta(minutes=5)
PRINTER_SCAN_INTERVAL = timedelta(seconds=30)
PUSH_SAFETY_INTERVAL = timedelta(minutes=5)
# How long setup waits for the first printer list before it goes on without it.
FLEET_SETUP_TIMEOUT = 10.0
#: Status polls per minute for the whole fleet while the event stream is down.
POLL_BUDGET_PER_MINUTE = 45

MANUFACTURERS = {
    PrinterType.BAMBU_LAB: "Bambu Lab",
    PrinterType.PRUSA_CORE: "Prusa",
    PrinterType.OCTOPRINT: "OctoPrint",
}


def printer_poll_interval(count: int) -> timedelta:
    """Return each printer's poll interval for a fleet of `count` printers."""
    return max(
        PRINTER_SCAN_INTERVAL,
        timedelta(seconds=60 * count / POLL_BUDGET_PER_MINUTE),
    )


def status_from_printer(printer: Printer) -> PrinterStatus:
    """Build a printer's first status from its entry in the printer list."""
    job = printer.current_job
    temperatures = printer.temperatures
    return PrinterStatus(
        id=printer.id,
        name=printer.name,
        state=printer.status,
        timestamp=printer.last_seen,
        bed=Temperature(current=temperatures.bed if temperatures else None),
        nozzle=Temperature(current=temperatures.nozzle if temperatures else None),
        job_name=job.name if job else None,
        progress=job.progress if job else None,
        remaining_time=None,
    )


def is_unreachable_bambu(printer_type: PrinterType, status: PrinterStatus) -> bool:
    """Tell whether a Bambu printer's `online` is really an unreachable printer.

    The server's Bambu driver reports an unreachable printer as online with both
    temperatures at exactly 0.0 °C; a real printer never reads exactly that.
    """
    return (
        printer_type is PrinterType.BAMBU_LAB
        and status.state is PrinterState.ONLINE
        and status.bed.current == 0.0
        and status.nozzle.current == 0.0
    )


def printer_identifier(entry: PrinternizerConfigEntry, printer_id: str) -> str:
    """Return the device identifier of a printer."""
    return f"{entry.entry_id}_{printer_id}"


def printer_device_info(
    entry: PrinternizerConfigEntry, printer: Printer, hub_device_id: str
) -> DeviceInfo:
    """Describe a printer's device, attached to the hub."""
    return DeviceInfo(
        identifiers={(DOMAIN, printer_identifier(entry, printer.id))},
        name=printer.name,
        manufacturer=MANUFACTURERS.get(printer.printer_type),
        via_device_id=hub_device_id,
    )


class FleetCoordinator(PrinternizerCoordinator[dict[str, Printer]]):
    """Lists the server's printers."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
    ) -> None:
        """Initialise the coordinator."""
        super().__init__(
            hass, entry, client, name="printers", update_interval=FLEET_SCAN_INTERVAL
        )

    @override
    async def _async_update_data(self) -> dict[str, Printer]:
        """Fetch every printer (all pages)."""
        self._raise_while_server_unreachable()
        try:
            printers = await self.client.printers()
        except PrinternizerError as err:
            raise update_failed_from(err) from err
        return {printer.id: printer for printer in printers}


class PrinterCoordinator(PrinternizerCoordinator[PrinterStatus]):
    """Keeps one printer's status: polled, and updated at once by pushes."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        fleet: PrinterFleet,
        printer: Printer,
        *,
        update_interval: timedelta,
        first_delay: float,
    ) -> None:
        """Initialise the coordinator with the printer's entry in the list."""
        super().__init__(
            hass,
            entry,
            fleet.client,
            name=f"printer {printer.name}",
            update_interval=update_interval,
        )
        self.fleet = fleet
        self.printer = printer
        self.printer_id = printer.id
        self._first_delay: float | None = first_delay
        self._next_refresh: float | None = None
        self.data = status_from_printer(printer)
        self.last_update_success_time = dt_util.utcnow()

    @property
    def status(self) -> PrinterStatus:
        """Return the status as the entities show it.

        An unreachable Bambu printer (online at exactly 0.0 °C) shows as offline,
        without temperatures.
        """
        data = self.data
        if is_unreachable_bambu(self.printer.printer_type, data):
            return replace(
                data,
                state=PrinterState.OFFLINE,
                bed=Temperature(),
                nozzle=Temperature(),
            )
        return data

    @override
    async def _async_update_data(self) -> PrinterStatus:
        """Fetch the printer's status; a 404 means the printer was removed."""
        self._raise_while_server_unreachable()
        try:
            return await self.client.printer_status(self.printer_id)
        except PrinternizerNotFoundError as err:
            self.fleet.async_request_fleet_refresh()
            raise update_failed_from(err) from err
        except PrinternizerError as err:
            raise update_failed_from(err) from err

    @callback
    def async_handle_event(self, event: PrinterStatusEvent) -> None:
        """Take a push: merge it into the polled status.

        A push lacks the remaining time, so it leaves the poll schedule alone: the
        safety refresh still brings the remaining time every 5 minutes. Nor does
        it change availability: a printer whose status poll fails stays unavailable
        until a poll succeeds, so an outage is logged once and its end once.
        """
        self.data = self.data.merged_with(event)
        if self.last_update_success:
            self.last_update_success_time = dt_util.utcnow()
        self.async_update_listeners()

    @callback
    def async_set_polling(
        self, interval: timedelta, first_delay: float | None = None
    ) -> None:
        """Change the poll interval; with `first_delay`, bring the next poll forward.

        A poll already due sooner stays as it is, so a stream that keeps dropping
        cannot push any printer's poll back for ever.
        """
        self.update_interval = interval
        if first_delay is None:
            return
        pending = self._unsub_refresh is not None
        if (
            pending
            and self._next_refresh is not None
            and self._next_refresh <= self.hass.loop.time() + first_delay
        ):
            return
        self._first_delay = first_delay
        if pending:
            self._schedule_refresh()

    @callback
    @override
    def _schedule_refresh(self) -> None:
        """Schedule the next poll, once after `first_delay` when one is set."""
        interval = self._update_interval_seconds
        if interval is None:
            return
        delay = interval if self._first_delay is None else self._first_delay
        self._first_delay = None
        self._update_interval_seconds = delay
        try:
            super()._schedule_refresh()
        finally:
            self._update_interval_seconds = interval
        self._next_refresh = self.hass.loop.time() + delay


type PrinterListener = Callable[[list[PrinterCoordinator]], None]


class PrinterFleet:
    """Everything one entry owns for its printers: coordinators and the stream."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
        hub_device_id: str,
    ) -> None:
        """Create the fleet; nothing runs before `async_setup`."""
        self.hass = hass
        self.hub_device_id = hub_device_id
        self.entry = entry
        self.client = client
        self.coordinator = FleetCoordinator(hass, entry, client)
        self.printers: dict[str, PrinterCoordinator] = {}
        self.stream: EventStream = client.event_stream(
            on_event=self._on_event,
            on_connect=self._on_connect,
            on_disconnect=self._on_disconnect,
        )
        self._listeners: list[PrinterListener] = []
        self._connects = 0
        self._pushing = False
        self._server_unreachable = False

    @property
    def stream_connected(self) -> bool:
        """Return whether the event stream is connected."""
        return self.stream.connected

    @property
    def pushing(self) -> bool:
        """Return whether pushes arrive: the stream is up and has sent a push."""
        return self._pushing

    @property
    def poll_interval(self) -> timedelta:
        """Return the poll interval each printer uses now."""
        return self._poll_interval_for(len(self.printers))

    def _poll_interval_for(self, count: int) -> timedelta:
        """Return the poll interval for a fleet of `count` printers."""
        if self._pushing:
            return PUSH_SAFETY_INTERVAL
        return printer_poll_interval(count)

    async def async_setup(self) -> None:
        """List the printers once; a failure is logged and retried on schedule.

        Only the health check may hold setup up: a printer list that does not come
        within a few seconds comes later, and its printers with it.
        """
        self.entry.async_on_unload(self.coordinator.async_add_listener(self._sync))
        self.entry.async_on_unload(
            self.entry.runtime_data.health.async_add_listener(self._on_health)
        )
        try:
            async with asyncio.timeout(FLEET_SETUP_TIMEOUT):
                await self.coordinator.async_refresh()
        except TimeoutError:
            LOGGER.debug("The printer list is slow; its printers will follow")

    @callback
    def async_start_stream(self) -> None:
        """Start the event stream in the background; it never blocks setup.

        The stream's task is not one of Home Assistant's background tasks, which
        `async_block_till_done` would wait for forever; the fleet stops it on unload
        and when Home Assistant stops.
        """
        self.stream.set_printers(self.printers)
        self.stream.start()

        async def _stop(_: Event) -> None:
            await self.stream.close()

        self.entry.async_on_unload(
            self.hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, _stop)
        )

    @callback
    def async_add_listener(self, listener: PrinterListener) -> None:
        """Call `listener` with every printer now and with printers as they appear."""
        if self.printers:
            listener(list(self.printers.values()))
        self._listeners.append(listener)
        self.entry.async_on_unload(lambda: self._listeners.remove(listener))

    @callback
    def async_request_fleet_refresh(self) -> None:
        """List the printers again soon (debounced)."""
        self.entry.async_create_background_task(
            self.hass,
            self.coordinator.async_request_refresh(),
            name=f"{DOMAIN} printer list refresh",
        )

    def coordinators(self) -> dict[str, DataUpdateCoordinator[Any]]:
        """Every coordinator of the fleet, by a name for diagnostics."""
        named: dict[str, DataUpdateCoordinator[Any]] = {"printers": self.coordinator}
        for printer_id, coordinator in self.printers.items():
            named[f"printer {printer_id}"] = coordinator
        return named

    def shutdown_steps(self) -> list[ShutdownStep]:
        """Return what to stop on unload: the stream, the list, all printers."""
        return [
            ShutdownStep("event stream", self.stream.close, SHUTDOWN_TIMEOUT_DEFAULT),
            ShutdownStep(
                "printer list coordinator",
                self.coordinator.async_shutdown,
                SHUTDOWN_TIMEOUT_DEFAULT,
            ),
            ShutdownStep(
                "printer coordinators",
                self._shutdown_printers,
                SHUTDOWN_TIMEOUT_PRINTERS,
            ),
        ]

    async def _shutdown_printers(self) -> None:
        await asyncio.gather(
            *(coordinator.async_shutdown() for coordinator in self.printers.values())
        )

    # ------------------------------------------------------------------
    # The printer list

    @callback
    def _sync(self) -> None:
        """Follow the printer list: add, remove and rename printers."""
        if not self.coordinator.last_update_success:
            return
        listed = self.coordinator.data
        for printer_id in [pid for pid in self.printers if pid not in listed]:
            self._remove(printer_id)
        new_printers = [p for pid, p in listed.items() if pid not in self.printers]
        registry = dr.async_get(self.hass)
        for printer_id, coordinator in self.printers.items():
            printer = listed[printer_id]
            if printer.name != coordinator.printer.name and (
                device := registry.async_get_device_by_identifier(
                    (DOMAIN, printer_identifier(self.entry, printer_id)),
                    self.entry.entry_id,
                )
            ):
                registry.async_update_device(device.id, name=printer.name)
            coordinator.printer = printer
        if not new_printers:
            return
        total = len(listed)
        interval = self._poll_interval_for(total)
        created: list[PrinterCoordinator] = []
        for printer in new_printers:
            position = len(self.printers) % total
            coordinator = PrinterCoordinator(
                self.hass,
                self.entry,
                self,
                printer,
                update_interval=interval,
                first_delay=interval.total_seconds() * (position + 1) / total,
            )
            self.printers[printer.id] = coordinator
            created.append(coordinator)
        if not self._pushing:
            for coordinator in self.printers.values():
                coordinator.async_set_polling(interval)
        self.stream.set_printers(self.printers)
        for listener in list(self._listeners):
            listener(created)

    @callback
    def _remove(self, printer_id: str) -> None:
        """Forget a printer the server no longer lists, and its device."""
        coordinator = self.printers.pop(printer_id)
        LOGGER.info("Printer %s was removed from the server", coordinator.printer.name)
        self.entry.async_create_background_task(
            self.hass,
            coordinator.async_shutdown(),
            name=f"{DOMAIN} printer {printer_id} shutdown",
        )
        registry = dr.async_get(self.hass)
        if device := registry.async_get_device_by_identifier(
            (DOMAIN, printer_identifier(self.entry, printer_id)), self.entry.entry_id
        ):
            registry.async_update_device(
                device.id, remove_config_entry_id=self.entry.entry_id
            )
        self.stream.set_printers(self.printers)

    # ------------------------------------------------------------------
    # The event stream (its callbacks run on the event loop)

    def _on_event(self, event: PrinterStatusEvent) -> None:
        if not self._pushing:
            # Only a stream that delivers counts: one that is dropped right after
            # connecting must not slow polling down.
            self._pushing = True
            LOGGER.debug("Event stream delivers pushes; printer polling slows down")
            for printer in self.printers.values():
                printer.async_set_polling(PUSH_SAFETY_INTERVAL)
        if (coordinator := self.printers.get(event.printer_id)) is not None:
            coordinator.async_handle_event(event)

    @callback
    def _on_health(self) -> None:
        """Poll the printers again soon once the server accepts connections again."""
        unreachable = self.entry.runtime_data.health.server_unreachable
        if self._server_unreachable and not unreachable:
            LOGGER.debug("The server is reachable again; polling its printers")
            self.async_request_fleet_refresh()
            self._spread_polls()
        self._server_unreachable = unreachable

    def _on_connect(self) -> None:
        self._connects += 1
        if self._connects > 1:
            # Printers may have come and gone while the stream was down.
            self.async_request_fleet_refresh()

    def _on_disconnect(self) -> None:
        if not self._pushing:
            return
        self._pushing = False
        LOGGER.debug("Event stream disconnected; printer polling resumes")
        self._spread_polls()

    def _spread_polls(self) -> None:
        """Poll every printer within one interval, spread evenly across it."""
        interval = printer_poll_interval(len(self.printers))
        for position, coordinator in enumerate(self.printers.values()):
            coordinator.async_set_polling(
                interval, interval.total_seconds() * (position + 1) / len(self.printers)
            )


class PrinterEntity(CoordinatorEntity[PrinterCoordinator]):
    """An entity on a printer's device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: PrinterCoordinator, description: EntityDescription
    ) -> None:
        """Initialise the entity."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self.entity_description = description
        self._attr_unique_id = (
            f"{printer_identifier(entry, coordinator.printer_id)}_{description.key}"
        )
        self._attr_device_info = printer_device_info(
            entry, coordinator.printer, coordinator.fleet.hub_device_id
        )


@callback
def async_track_printers(
    entry: PrinternizerConfigEntry,
    create: Callable[[PrinterCoordinator], Iterable[Entity]],
    add: Callable[[Iterable[Entity]], None],
) -> None:
    """Add entities for every printer, now and as printers appear."""
    fleet = entry.runtime_data.printers
    if fleet is None:
        return

    @callback
    def _add(coordinators: list[PrinterCoordinator]) -> None:
        add([entity for coordinator in coordinators for entity in create(coordinator)])

    fleet.async_add_listener(_add)


@callback
def async_track_optional(
    entry: PrinternizerConfigEntry,
    coordinator: PrinterCoordinator,
    exists: Callable[[PrinterStatus], bool],
    create: Callable[[], Entity],
    add: Callable[[Iterable[Entity]], None],
) -> None:
    """Add an entity once its printer first reports what it shows."""
    unsub: CALLBACK_TYPE | None = None

    @callback
    def _check() -> None:
        nonlocal unsub
        if not exists(coordinator.data):
            return
        if unsub is not None:
            unsub()
            unsub = None
        add([create()])

    if exists(coordinator.data):
        add([create()])
        return
    unsub = coordinator.async_add_listener(_check)

    @callback
    def _stop() -> None:
        if unsub is not None:
            unsub()

    entry.async_on_unload(_stop)
