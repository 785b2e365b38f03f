"""The printer fleet: the printer list, one coordinator per printer, polls and pushes.

* `PrinterListCoordinator` lists the printers every 5 minutes and after every
  reconnect of the event stream. Printers that appear get a coordinator, a device and
  entities; printers that disappear lose them, without a reload.
* `PrinterCoordinator` keeps one printer's status. Its first data comes from the
  printer list, so adding a fleet costs no extra request at setup.
* The fleet polls its printers from one timer of its own, one printer per tick, in
  turn: polls are spread across the interval by construction, and the fleet's request
  rate is one number. While the event stream delivers pushes, every `printer_status`
  push updates its printer at once and each printer is polled only every 5 minutes
  (the poll brings the remaining time, which pushes lack). When the stream drops,
  the next poll comes within one tick of the faster pace.
* While the server's health check fails, the fleet sends nothing and the printers'
  entities are unavailable: the hub's connection sensor tells the outage, once.

Request budget: the client allows 60 requests a minute (burst 10) and the server 100.
Status polling is held at `POLL_BUDGET_PER_MINUTE` (45) requests a minute for the
whole fleet: up to 22 printers are polled every 30 s, a larger fleet less often (50
printers: every 67 s). The printer list adds one request every 5 minutes; the health
check is not counted by the server.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, override

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.util import dt as dt_util

from ..api import (
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
from ..const import (
    DOMAIN,
    LOGGER,
    SHUTDOWN_TIMEOUT_DEFAULT,
    SHUTDOWN_TIMEOUT_PRINTERS,
)
from ..helpers import hub_identifier, printer_identifier, rezone
from ..shutdown import ShutdownStep
from .base import PrinternizerCoordinator, update_failed_from

if TYPE_CHECKING:
    from . import PrinternizerConfigEntry

LIST_SCAN_INTERVAL = timedelta(minutes=5)
PRINTER_SCAN_INTERVAL = timedelta(seconds=30)
PUSH_SAFETY_INTERVAL = timedelta(minutes=5)
# After a reconnect, a printer list older than this is read again.
RECONNECT_REFRESH_AGE = timedelta(minutes=1)
# How long setup waits for the first printer list before it goes on without it.
LIST_SETUP_TIMEOUT = 10.0
#: Status polls per minute for the whole fleet while the event stream is down.
POLL_BUDGET_PER_MINUTE = 45


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


class PrinterListCoordinator(PrinternizerCoordinator[dict[str, Printer]]):
    """Lists the server's printers; the fleet decides when."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
    ) -> None:
        """Initialise the coordinator (it has no schedule of its own)."""
        super().__init__(hass, entry, client, name="printers", update_interval=None)

    @override
    async def _async_update_data(self) -> dict[str, Printer]:
        """Fetch every printer (all pages)."""
        try:
            printers = await self.client.printers()
        except PrinternizerError as err:
            raise update_failed_from(err) from err
        return {printer.id: printer for printer in printers}


class PrinterCoordinator(PrinternizerCoordinator[PrinterStatus]):
    """Keeps one printer's status: polled by the fleet, updated at once by pushes.

    Printers come and go with the server's printer list, so the fleet owns their
    coordinators: they are not tied to the config entry, which would otherwise
    keep an unload callback for every printer it ever saw. An authentication
    failure here does not start reauthentication; the health check does.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        fleet: PrinterFleet,
        printer: Printer,
    ) -> None:
        """Initialise the coordinator with the printer's entry in the list."""
        super().__init__(
            hass,
            entry,
            fleet.client,
            name=f"printer {printer.name}",
            update_interval=None,
            owned_by_entry=False,
        )
        self.fleet = fleet
        self.printer = printer
        self.printer_id = printer.id
        self.data = status_from_printer(printer)
        self._on_remove: list[CALLBACK_TYPE] = []

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
        """Fetch the printer's status.

        A 404 means the printer was deleted on the server: not an outage to log.
        The printer list is read again at once, which removes it.
        """
        try:
            return await self.client.printer_status(self.printer_id)
        except PrinternizerNotFoundError:
            LOGGER.debug("%s is gone from the server", self.name)
            self.fleet.async_request_list_refresh()
            return self.data
        except PrinternizerError as err:
            raise update_failed_from(err) from err

    @callback
    def async_handle_event(self, event: PrinterStatusEvent) -> None:
        """Take a push: merge it into the polled status.

        A push lacks the remaining time, so it leaves the poll schedule alone. A
        printer whose last poll failed is available again with the push's status.
        """
        status = self.data.merged_with(event)
        if self.last_update_success:
            self.data = status
            self.async_update_listeners()
            return
        LOGGER.info("%s is available again: the server pushed its status", self.name)
        self.async_set_updated_data(status)

    @callback
    def async_rezone(self, zone: tzinfo) -> None:
        """Read the status's naive server times in the server's zone, now known."""
        data = self.data
        self.data = replace(
            data,
            timestamp=rezone(data.timestamp, zone),
            remaining_time_at=rezone(data.remaining_time_at, zone),
        )
        self.async_update_listeners()

    @callback
    def async_on_remove(self, func: CALLBACK_TYPE) -> None:
        """Call `func` when the printer leaves the fleet or the entry unloads."""
        self._on_remove.append(func)

    async def async_remove(self) -> None:
        """Drop everything kept for this printer, then stop the coordinator."""
        while self._on_remove:
            self._on_remove.pop()()
        await self.async_shutdown()


type PrinterListener = Callable[[list[PrinterCoordinator]], None]


class PrinterFleet:
    """Everything one entry owns for its printers: coordinators, polls, the stream."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
    ) -> None:
        """Create the fleet; nothing runs before `async_setup`."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.list = PrinterListCoordinator(hass, entry, client)
        self.printers: dict[str, PrinterCoordinator] = {}
        self.stream: EventStream = client.event_stream(
            on_event=self._on_event,
            on_connect=self._on_connect,
            on_disconnect=self._on_disconnect,
        )
        self._printer_listeners: list[PrinterListener] = []
        self._connects = 0
        self._pushing = False
        self._server_available = True
        self._stale_devices_removed = False
        # The polls in turn: the next printer to poll is on the left.
        self._turns: deque[str] = deque()
        self._polls: dict[str, asyncio.Task[None]] = {}
        self._next_tick: float | None = None
        self._cancel_tick: CALLBACK_TYPE | None = None
        self._stopped = False

    @property
    def stream_connected(self) -> bool:
        """Return whether the event stream is connected."""
        return self.stream.connected

    @property
    def pushing(self) -> bool:
        """Return whether pushes arrive: the stream is up and has sent a push."""
        return self._pushing

    @property
    def server_available(self) -> bool:
        """Return whether the server answers its health check."""
        return self._server_available

    @property
    def poll_interval(self) -> timedelta:
        """Return how often each printer is polled now."""
        if self._pushing:
            return PUSH_SAFETY_INTERVAL
        return printer_poll_interval(len(self.printers))

    def _tick_period(self) -> float:
        """Return the seconds between two polls of the fleet."""
        return self.poll_interval.total_seconds() / max(len(self.printers), 1)

    async def async_setup(self) -> None:
        """List the printers once; a failure is logged and retried on schedule.

        Only the health check may hold setup up: a printer list that does not come
        within a few seconds comes later, and its printers with it.
        """
        health = self.entry.runtime_data.health
        self._server_available = health.last_update_success
        self.entry.async_on_unload(self.list.async_add_listener(self._sync))
        self.entry.async_on_unload(health.async_add_listener(self._on_health))
        try:
            async with asyncio.timeout(LIST_SETUP_TIMEOUT):
                await self.list.async_refresh()
        except TimeoutError:
            LOGGER.debug("The printer list is slow; its printers will follow")

    @callback
    def async_start(self) -> None:
        """Start polling and the event stream; neither blocks setup.

        The stream runs as a background task of the entry: Home Assistant cancels
        it on unload and on shutdown, and does not wait for it at start-up.
        """
        self.entry.async_on_unload(
            async_track_time_interval(
                self.hass,
                self._refresh_list,
                LIST_SCAN_INTERVAL,
                name=f"{DOMAIN} printer list",
            )
        )
        self._schedule_tick(self._tick_period())
        self.stream.set_printers(self.printers)
        self.stream.start(
            lambda coro: self.entry.async_create_background_task(
                self.hass, coro, f"{DOMAIN} event stream"
            )
        )

    @callback
    def async_add_listener(self, listener: PrinterListener) -> None:
        """Call `listener` with every printer now and with printers as they appear."""
        if self.printers:
            listener(list(self.printers.values()))
        self._printer_listeners.append(listener)
        self.entry.async_on_unload(lambda: self._printer_listeners.remove(listener))

    @callback
    def async_request_list_refresh(self) -> None:
        """List the printers again soon (debounced)."""
        self.entry.async_create_background_task(
            self.hass,
            self.list.async_request_refresh(),
            name=f"{DOMAIN} printer list refresh",
        )

    @callback
    def async_rezone(self, zone: tzinfo) -> None:
        """Re-read every printer's times in the server's zone, now known."""
        for coordinator in self.printers.values():
            coordinator.async_rezone(zone)

    def coordinators(self) -> dict[str, DataUpdateCoordinator[Any]]:
        """Every coordinator of the fleet, by a name for diagnostics."""
        named: dict[str, DataUpdateCoordinator[Any]] = {"printers": self.list}
        for printer_id, coordinator in self.printers.items():
            named[f"printer {printer_id}"] = coordinator
        return named

    def diagnostics(self) -> dict[str, Any]:
        """Return the state of polls and the event stream."""
        return {
            "poll_interval": self.poll_interval.total_seconds(),
            "polls_in_flight": len(self._polls),
            "event_stream": {
                "connected": self.stream.connected,
                "pushing": self._pushing,
                "subscribed_printers": len(self.stream.printer_ids),
                "stats": self.stream.stats.as_dict(),
            },
        }

    def shutdown_steps(self) -> list[ShutdownStep]:
        """Return what to stop on unload: the stream and the printers' polls."""
        return [
            ShutdownStep("event stream", self.stream.close, SHUTDOWN_TIMEOUT_DEFAULT),
            ShutdownStep("printers", self._async_stop, SHUTDOWN_TIMEOUT_PRINTERS),
        ]

    async def _async_stop(self) -> None:
        """Stop polling, wait for polls in flight, then stop every printer."""
        self._stopped = True
        self._cancel_next_tick()
        if self._polls:
            await asyncio.wait(list(self._polls.values()))
        await asyncio.gather(
            *(coordinator.async_remove() for coordinator in self.printers.values())
        )

    # ------------------------------------------------------------------
    # Polling

    @callback
    def _cancel_next_tick(self) -> None:
        if self._cancel_tick is not None:
            self._cancel_tick()
            self._cancel_tick = None
        self._next_tick = None

    @callback
    def _schedule_tick(self, delay: float) -> None:
        """Poll the next printer in `delay` seconds."""
        if self._stopped:
            return
        self._cancel_next_tick()
        self._next_tick = self.hass.loop.time() + delay
        self._cancel_tick = async_call_later(self.hass, delay, self._tick)

    @callback
    def _poll_within(self, delay: float) -> None:
        """Bring the next poll forward to `delay` seconds from now at the latest.

        A poll already due sooner stays as it is, so a stream that keeps dropping
        cannot push the polls back for ever.
        """
        if self._next_tick is not None and self._next_tick <= (
            self.hass.loop.time() + delay
        ):
            return
        self._schedule_tick(delay)

    @callback
    def _tick(self, _now: datetime) -> None:
        """Poll the printer whose turn it is, then wait for the next turn.

        The turns keep their pace when a tick runs late: the next one is due one
        period after this one was. A tick a whole period late also takes the next
        turn at once, but never more than that: no burst after a pause.
        """
        now = self.hass.loop.time()
        due = self._next_tick if self._next_tick is not None else now
        self._cancel_tick = None
        self._next_tick = None
        self._poll_next()
        period = self._tick_period()
        next_due = due + period
        if next_due <= now:
            self._poll_next()
            next_due = now + period
        self._schedule_tick(next_due - now)

    @callback
    def _poll_next(self) -> None:
        """Poll the printer whose turn it is, while the server answers."""
        if self._server_available and self._turns:
            printer_id = self._turns[0]
            self._turns.rotate(-1)
            self._poll(printer_id)

    @callback
    def _poll(self, printer_id: str) -> None:
        """Refresh one printer in the background, unless its last poll still runs."""
        if printer_id in self._polls:
            return
        coordinator = self.printers[printer_id]
        task = self.entry.async_create_background_task(
            self.hass,
            coordinator.async_refresh(),
            f"{DOMAIN} poll {coordinator.printer.name}",
        )
        if task.done():
            return
        self._polls[printer_id] = task
        task.add_done_callback(lambda _: self._polls.pop(printer_id, None))

    @callback
    def _refresh_list(self, _now: datetime) -> None:
        """List the printers, unless the health check finds the server down."""
        if self._server_available:
            self.entry.async_create_background_task(
                self.hass, self.list.async_refresh(), f"{DOMAIN} printer list refresh"
            )

    # ------------------------------------------------------------------
    # The printer list

    @callback
    def _sync(self) -> None:
        """Follow the printer list: add, remove and rename printers."""
        if not self.list.last_update_success:
            return
        listed = self.list.data
        if not self._stale_devices_removed:
            self._stale_devices_removed = True
            self._remove_stale_devices(listed)
        for printer_id in [pid for pid in self.printers if pid not in listed]:
            self._remove(printer_id)
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
        created = [
            self._add(printer)
            for printer_id, printer in listed.items()
            if printer_id not in self.printers
        ]
        if not created:
            return
        self.stream.set_printers(self.printers)
        self._poll_within(self._tick_period())
        for listener in list(self._printer_listeners):
            listener(created)

    @callback
    def _add(self, printer: Printer) -> PrinterCoordinator:
        coordinator = PrinterCoordinator(self.hass, self.entry, self, printer)
        self.printers[printer.id] = coordinator
        self._turns.append(printer.id)
        return coordinator

    @callback
    def _remove(self, printer_id: str) -> None:
        """Forget a printer the server no longer lists, and its device."""
        coordinator = self.printers.pop(printer_id)
        self._turns.remove(printer_id)
        LOGGER.info("Printer %s was removed from the server", coordinator.printer.name)
        self.entry.async_create_background_task(
            self.hass,
            coordinator.async_remove(),
            name=f"{DOMAIN} printer {printer_id} removal",
        )
        registry = dr.async_get(self.hass)
        if device := registry.async_get_device_by_identifier(
            (DOMAIN, printer_identifier(self.entry, printer_id)), self.entry.entry_id
        ):
            registry.async_remove_device(device.id)
        self.stream.set_printers(self.printers)

    @callback
    def _remove_stale_devices(self, listed: dict[str, Printer]) -> None:
        """Remove the devices of printers deleted while Home Assistant was off."""
        keep = {(DOMAIN, hub_identifier(self.entry))} | {
            (DOMAIN, printer_identifier(self.entry, printer_id))
            for printer_id in listed
        }
        registry = dr.async_get(self.hass)
        for device in dr.async_entries_for_config_entry(registry, self.entry.entry_id):
            if not device.identifiers & keep:
                LOGGER.info(
                    "Removing the device %s: the server no longer has it", device.name
                )
                registry.async_remove_device(device.id)

    # ------------------------------------------------------------------
    # Health and the event stream (stream callbacks run on the event loop)

    @callback
    def _on_health(self) -> None:
        """Follow the health check: printers are unavailable while it fails."""
        available = self.entry.runtime_data.health.last_update_success
        if available == self._server_available:
            return
        self._server_available = available
        if available:
            LOGGER.debug("The server answers again; listing and polling its printers")
            self.async_request_list_refresh()
            self._poll_within(self._tick_period())
        for coordinator in self.printers.values():
            coordinator.async_update_listeners()

    def _on_event(self, event: PrinterStatusEvent) -> None:
        if not self._pushing:
            # Only a stream that delivers counts: one that is dropped right after
            # connecting must not slow polling down.
            self._pushing = True
            LOGGER.debug("Event stream delivers pushes; printer polling slows down")
        if (coordinator := self.printers.get(event.printer_id)) is not None:
            coordinator.async_handle_event(event)

    def _on_connect(self) -> None:
        self._connects += 1
        if self._connects == 1:
            return
        # Printers may have come and gone while the stream was down, and the server
        # may have restarted. A stream that keeps dropping asks once a minute at most.
        listed = self.list.last_update_success_time
        if listed is None or dt_util.utcnow() - listed > RECONNECT_REFRESH_AGE:
            self.async_request_list_refresh()
        self.entry.runtime_data.server_restarted()

    def _on_disconnect(self) -> None:
        if not self._pushing:
            return
        self._pushing = False
        LOGGER.debug("Event stream disconnected; printer polling resumes")
        self._poll_within(self._tick_period())
