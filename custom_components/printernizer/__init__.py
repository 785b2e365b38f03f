"""The Printernizer integration: a 3D printer fleet server in Home Assistant."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntry

from .const import DOMAIN, LOGGER, PLATFORM_UNLOAD_TIMEOUT
from .coordinator import (
    PrinternizerConfigEntry,
    PrinternizerRuntimeData,
    ServerHealthCoordinator,
)
from .entity import hub_device_info
from .helpers import create_client
from .issues import async_setup_issues
from .printers import PrinterFleet, printer_identifier
from .server_update import ServerUpdateCoordinator
from .shutdown import async_shutdown_parallel
from .trending import TrendingCoordinator

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
    Platform.UPDATE,
]


async def async_setup_entry(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> bool:
    """Set up Printernizer from a config entry.

    Only the health check gates setup; a server that is down raises
    ConfigEntryNotReady and Home Assistant retries on its own.
    """
    client = create_client(hass, entry.data)
    health = ServerHealthCoordinator(hass, entry, client)
    await health.async_config_entry_first_refresh()
    entry.runtime_data = PrinternizerRuntimeData(client=client, health=health)
    # Optional extras: they refresh in the background and never fail setup.
    trending = entry.runtime_data.trending = TrendingCoordinator(hass, entry, client)
    update = entry.runtime_data.update = ServerUpdateCoordinator(hass, entry, client)
    async_setup_issues(hass, entry)

    entry.async_on_unload(health.async_add_listener(_version_listener(hass, entry)))
    # Printer devices name the hub as their via_device: it must exist first.
    hub = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **hub_device_info(entry)
    )
    # The printer list fills in the printer devices; its failure does not fail setup.
    fleet = PrinterFleet(hass, entry, client, hub.id)
    entry.runtime_data.printers = fleet
    await fleet.async_setup()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    trending.async_start()
    update.async_start()
    fleet.async_start_stream()
    return True


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: PrinternizerConfigEntry, device: DeviceEntry
) -> bool:
    """Let the user delete a printer's device once the server no longer has it."""
    fleet = entry.runtime_data.printers
    if fleet is None or (DOMAIN, entry.entry_id) in device.identifiers:
        return False
    return not any(
        (DOMAIN, printer_identifier(entry, printer_id)) in device.identifiers
        for printer_id in fleet.printers
    )


def _version_listener(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> Callable[[], None]:
    """Keep the hub device's software version in step with the server."""
    health = entry.runtime_data.health
    known = health.data.version

    @callback
    def _update_version() -> None:
        nonlocal known
        if not health.last_update_success or health.data.version == known:
            return
        known = health.data.version
        registry = dr.async_get(hass)
        if device := registry.async_get_device_by_identifier(
            (DOMAIN, entry.entry_id), entry.entry_id
        ):
            registry.async_update_device(device.id, sw_version=known)

    return _update_version


async def async_unload_entry(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> bool:
    """Unload a config entry without ever waiting on a hung server.

    In-flight requests are cancelled first, then the platforms unload (bounded), then
    every component stops in parallel, each within its own timeout.
    """
    runtime = entry.runtime_data
    cancelled = runtime.client.cancel_inflight()
    LOGGER.debug("Unloading; cancelled %d requests in flight", cancelled)
    try:
        async with asyncio.timeout(PLATFORM_UNLOAD_TIMEOUT):
            unload_ok = await hass.config_entries.async_unload_platforms(
                entry, PLATFORMS
            )
    except TimeoutError:
        LOGGER.warning(
            "Unloading the platforms did not finish within %.0f s",
            PLATFORM_UNLOAD_TIMEOUT,
        )
        unload_ok = False
    await async_shutdown_parallel(runtime.shutdown_steps())
    return unload_ok
