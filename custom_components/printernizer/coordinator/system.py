"""What the server says about itself: above all, the time zone of its timestamps.

The server writes naive local timestamps in the zone `/api/v1/system/info` reports
(the process's `TZ` in the Docker image and the add-on). The zone is learned at
setup, within a few seconds, and again whenever the server may have restarted: its
version changed, it answers again after its health check failed, or the event stream
reconnected. The system information is also re-read every 6 hours.

Until the zone is known, timestamps are read as UTC; once it is learned, what the
entry read until then is re-read in it (the wall times are what the server sent). A
server that comes back in another zone wrote its earlier timestamps in the old one:
they stay as they were read, and new ones are read in the new zone.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from ..api import PrinternizerClient, PrinternizerError, SystemInfo
from ..const import DOMAIN, LOGGER
from .base import PrinternizerCoordinator, update_failed_from

if TYPE_CHECKING:
    from . import PrinternizerConfigEntry
    from .health import ServerHealthCoordinator

SYSTEM_INFO_INTERVAL: Final = timedelta(hours=6)
SYSTEM_INFO_RETRY_INTERVAL: Final = timedelta(minutes=5)
# Setup waits at most this long for the time zone, then goes on reading UTC.
SYSTEM_INFO_SETUP_TIMEOUT: Final = 5.0
# Restart hints come in bursts (the stream reconnects as health recovers).
RESTART_COOLDOWN: Final = 10.0
# A hint within this long of the last reading is not worth another (a flapping stream).
RESTART_REREAD_AGE: Final = timedelta(minutes=1)


def signal_time_zone_changed(entry_id: str) -> str:
    """Return the dispatcher signal sent with the zone once it is first learned."""
    return f"{DOMAIN}_{entry_id}_time_zone_changed"


class ServerInfoCoordinator(PrinternizerCoordinator[SystemInfo]):
    """Reads `/api/v1/system/info`, which teaches the client the server's zone."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
    ) -> None:
        """Initialise the coordinator."""
        super().__init__(
            hass,
            entry,
            client,
            name="system info",
            update_interval=SYSTEM_INFO_INTERVAL,
            request_refresh_debouncer=Debouncer(
                hass, LOGGER, cooldown=RESTART_COOLDOWN, immediate=True
            ),
        )
        self._zone: tzinfo = client.time_zone
        # Whether the zone in use is the one the server reported.
        self._learned = False

    @property
    def time_zone(self) -> tzinfo:
        """Return the zone the server's naive timestamps are read in."""
        return self._zone

    async def async_learn(self) -> None:
        """Learn the zone at setup, never taking more than a few seconds."""
        # No entity listens to this coordinator: keep its schedule running anyway.
        self.entry.async_on_unload(self.async_add_listener(lambda: None))
        # Until it answers, ask again soon (a success sets the long interval).
        self.update_interval = SYSTEM_INFO_RETRY_INTERVAL
        try:
            async with asyncio.timeout(SYSTEM_INFO_SETUP_TIMEOUT):
                await self.async_refresh()
        except TimeoutError:
            LOGGER.debug(
                "The server's time zone did not come within %.0f s; reading UTC "
                "until it does",
                SYSTEM_INFO_SETUP_TIMEOUT,
            )

    @callback
    def async_watch_restarts(self, health: ServerHealthCoordinator) -> None:
        """Learn the zone again when the health check hints at a restart."""
        version = health.data.version
        available = health.last_update_success

        @callback
        def _check() -> None:
            nonlocal version, available
            restarted = (
                health.last_update_success and not available
            ) or health.data.version != version
            available = health.last_update_success
            version = health.data.version
            if restarted:
                self.async_server_restarted()

        self.entry.async_on_unload(health.async_add_listener(_check))

    @callback
    def async_server_restarted(self) -> None:
        """Read the system information again, unless it was read a moment ago."""
        read = self.last_update_success_time
        if (
            self._learned
            and read is not None
            and (dt_util.utcnow() - read < RESTART_REREAD_AGE)
        ):
            return
        self.entry.async_create_background_task(
            self.hass, self.async_request_refresh(), f"{DOMAIN} system info refresh"
        )

    @override
    async def _async_update_data(self) -> SystemInfo:
        """Fetch the system information; tell the entry once the zone is learned."""
        try:
            info = await self.client.system_info()
        except PrinternizerError as err:
            self.update_interval = SYSTEM_INFO_RETRY_INTERVAL
            raise update_failed_from(err) from err
        self.update_interval = SYSTEM_INFO_INTERVAL
        zone = self.client.time_zone
        if str(zone) != info.timezone:
            # Not a zone the client could use: it reads UTC then.
            return info
        first = not self._learned
        self._learned = True
        if zone == self._zone:
            return info
        LOGGER.debug("The server's timestamps are in %s", zone)
        self._zone = zone
        if first:
            async_dispatcher_send(
                self.hass, signal_time_zone_changed(self.entry.entry_id), zone
            )
        return info

    @override
    def extra_diagnostics(self) -> dict[str, Any]:
        """Return the zone in use."""
        return {"time_zone": str(self._zone), "time_zone_learned": self._learned}
