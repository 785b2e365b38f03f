"""The server's own update check, read twice a day.

Every call makes the server ask GitHub, whose anonymous limit is 60 requests an
hour, so it is read every 12 hours, and 30 minutes after a failed request.
A check the server could not complete (`check_failed`) keeps the last known
latest version instead of failing, so the update entity does not flap.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Final, override

from homeassistant.core import HomeAssistant, callback

from ..api import PrinternizerClient, PrinternizerError, UpdateCheck
from ..const import DOMAIN, LOGGER
from .base import PrinternizerCoordinator, update_failed_from

if TYPE_CHECKING:
    from . import PrinternizerConfigEntry

UPDATE_SCAN_INTERVAL: Final = timedelta(hours=12)
UPDATE_RETRY_INTERVAL: Final = timedelta(minutes=30)


class ServerUpdateCoordinator(PrinternizerCoordinator[UpdateCheck]):
    """Polls `/api/v1/update-check`."""

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
            name="update check",
            update_interval=UPDATE_SCAN_INTERVAL,
        )

    @callback
    def async_start(self) -> None:
        """Run the first check in the background; setup never waits for GitHub."""
        self.entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{DOMAIN} first update check"
        )

    @override
    async def _async_update_data(self) -> UpdateCheck:
        """Fetch the update check; keep the last known release when it failed."""
        try:
            check = await self.client.update_check()
        except PrinternizerError as err:
            self.update_interval = UPDATE_RETRY_INTERVAL
            raise update_failed_from(err) from err
        self.update_interval = UPDATE_SCAN_INTERVAL
        previous = self.data
        if check.check_failed:
            LOGGER.debug("The server's update check failed: %s", check.error_message)
            if previous is not None and previous.latest_version is not None:
                return replace(
                    check,
                    latest_version=previous.latest_version,
                    release_url=previous.release_url,
                    update_available=previous.update_available,
                )
        return check
