"""One coordinator per server: the printer list and every printer's status."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import Any

import aiohttp
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

DOMAIN = "printernizer_polling"
LOGGER = logging.getLogger(__package__)

SCAN_INTERVAL = timedelta(seconds=30)
# Bound on one whole update, as PrusaLink bounds its own.
UPDATE_TIMEOUT = 10.0
# The server's largest page of printers.
PAGE_SIZE = 100

type PollingConfigEntry = ConfigEntry[PollingCoordinator]


class PollingCoordinator(DataUpdateCoordinator[dict[str, dict[str, Any]]]):
    """Every 30 s: the printer list, then each printer's status (printer id → status)."""

    config_entry: PollingConfigEntry

    def __init__(self, hass: HomeAssistant, entry: PollingConfigEntry) -> None:
        """Initialise the coordinator on Home Assistant's shared session."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=SCAN_INTERVAL,
        )
        self.session = async_get_clientsession(hass, entry.data[CONF_VERIFY_SSL])
        self.url = str(entry.data[CONF_URL]).rstrip("/")

    async def _async_update_data(self) -> dict[str, dict[str, Any]]:
        """Fetch the list, then every printer's status concurrently."""
        try:
            async with asyncio.timeout(UPDATE_TIMEOUT):
                printer_ids = await self._printer_ids()
                statuses = await asyncio.gather(
                    *(
                        self._get(f"/api/v1/printers/{printer_id}/status")
                        for printer_id in printer_ids
                    )
                )
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise UpdateFailed(f"Error communicating with Printernizer: {err}") from err
        return {status["id"]: status for status in statuses}

    async def _printer_ids(self) -> list[str]:
        """Return the id of every printer, page by page."""
        printer_ids: list[str] = []
        page = 1
        while True:
            body = await self._get(
                "/api/v1/printers", params={"limit": PAGE_SIZE, "page": page}
            )
            printer_ids.extend(printer["id"] for printer in body["printers"])
            if page >= body["pagination"]["total_pages"]:
                return printer_ids
            page += 1

    async def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        async with self.session.get(
            f"{self.url}{path}", params=params, raise_for_status=True
        ) as response:
            return await response.json()
