"""The server's health report: polled every 30 seconds; its first refresh gates setup."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import tzinfo
from typing import TYPE_CHECKING, override

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import UpdateFailed

from ..api import (
    PrinternizerClient,
    PrinternizerError,
    ServerHealth,
)
from ..const import DOMAIN, HEALTH_SCAN_INTERVAL, HEALTH_SETUP_TIMEOUT
from ..helpers import rezone
from .base import PrinternizerCoordinator, update_failed_from

if TYPE_CHECKING:
    from . import PrinternizerConfigEntry


class ServerHealthCoordinator(PrinternizerCoordinator[ServerHealth]):
    """Polls the server's health report; its first refresh gates setup."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
    ) -> None:
        """Initialise the coordinator."""
        super().__init__(
            hass, entry, client, name="health", update_interval=HEALTH_SCAN_INTERVAL
        )

    @callback
    def async_rezone(self, zone: tzinfo) -> None:
        """Read the report's naive time in the server's zone, now known."""
        if self.data is not None:
            self.data = replace(self.data, timestamp=rezone(self.data.timestamp, zone))

    @override
    async def _async_update_data(self) -> ServerHealth:
        """Fetch the health report.

        The first fetch gates setup, so it gets a short bound of its own: a hung
        server then means "not ready, retry later" instead of a stalled start-up.
        """
        bound = HEALTH_SETUP_TIMEOUT if self.data is None else None
        try:
            async with asyncio.timeout(bound):
                health = await self.client.health()
        except TimeoutError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="setup_timeout",
                translation_placeholders={"seconds": f"{HEALTH_SETUP_TIMEOUT:.0f}"},
            ) from err
        except PrinternizerError as err:
            raise update_failed_from(err) from err
        return health
