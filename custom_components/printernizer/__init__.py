"""The Printernizer integration: a 3D printer fleet server in Home Assistant."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN, LOGGER
from .coordinator import (
    STATISTICS_SETUP_TIMEOUT,
    FleetStatisticsCoordinator,
    MaterialsCoordinator,
    PrinterCameras,
    PrinterFleet,
    PrinternizerConfigEntry,
    PrinternizerRuntimeData,
    ServerCurrency,
    ServerHealthCoordinator,
    ServerInfoCoordinator,
    ServerUpdateCoordinator,
    TrendingCoordinator,
    signal_time_zone_changed,
)
from .counters import async_track_counters
from .entity import hub_device_info
from .helpers import create_client, hub_identifier, printer_identifier
from .issues import async_setup_issues
from .services import async_setup_services
from .shutdown import async_shutdown_parallel

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CAMERA,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
    Platform.UPDATE,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions, whether or not an entry is loaded."""
    async_setup_services(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> bool:
    """Set up Printernizer from a config entry.

    Only the health check gates setup; a server that is down raises
    ConfigEntryNotReady and Home Assistant retries on its own. The time zone gets
    a few seconds; the printer list, the fleet statistics and the material
    inventory a few more, side by side; the first printers' camera statuses a few
    more again. Everything else starts in the background.
    """
    client = create_client(hass, entry.data)
    health = ServerHealthCoordinator(hass, entry, client)
    await health.async_config_entry_first_refresh()
    # Printer devices name the hub as their via device: it must exist first.
    hub = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **hub_device_info(entry, health.data.version)
    )
    currency = ServerCurrency(client)
    printers = PrinterFleet(hass, entry, client)
    runtime = entry.runtime_data = PrinternizerRuntimeData(
        client=client,
        hub_device_id=hub.id,
        health=health,
        server_info=ServerInfoCoordinator(hass, entry, client),
        printers=printers,
        cameras=PrinterCameras(hass, entry, printers),
        trending=TrendingCoordinator(hass, entry, client),
        update=ServerUpdateCoordinator(hass, entry, client),
        statistics=FleetStatisticsCoordinator(hass, entry, client, currency),
        materials=MaterialsCoordinator(hass, entry, client, currency),
    )
    # Timestamps are naive server time: learn the zone before reading any more.
    entry.async_on_unload(
        async_dispatcher_connect(
            hass, signal_time_zone_changed(entry.entry_id), runtime.async_rezone
        )
    )
    await runtime.server_info.async_learn()
    runtime.server_info.async_watch_restarts(health)
    entry.async_on_unload(health.async_add_listener(_version_listener(hass, entry)))
    async_setup_issues(hass, entry)
    # The printer list and the optional features, each bounded, side by side: their
    # entities then exist when the platforms are set up.
    deadline = hass.loop.time() + STATISTICS_SETUP_TIMEOUT
    await asyncio.gather(
        runtime.printers.async_setup(),
        runtime.statistics.async_setup(deadline),
        runtime.materials.async_setup(deadline),
    )
    async_track_counters(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    runtime.printers.async_start()
    # A small fleet's cameras are there when setup ends; the stream starts first.
    await runtime.cameras.async_setup()
    runtime.cameras.async_start()
    # Extras that never hold setup up take their turn last.
    runtime.trending.async_start()
    runtime.update.async_start()
    return True


async def async_migrate_entry(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> bool:
    """Migrate an entry from an older version of the integration."""
    if entry.version > 1:
        return False
    if entry.minor_version < 2:
        # 1.1 used the server's URL as unique id, which changes when the server
        # moves; the server has no id of its own, so entries have none now.
        hass.config_entries.async_update_entry(entry, unique_id=None, minor_version=2)
        LOGGER.debug("Migrated entry %s to version 1.2", entry.entry_id)
    return True


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: PrinternizerConfigEntry, device: dr.AnyDeviceEntry
) -> bool:
    """Let the user delete a printer's device once the server no longer has it."""
    if (DOMAIN, hub_identifier(entry)) in device.identifiers:
        return False
    return not any(
        (DOMAIN, printer_identifier(entry, printer_id)) in device.identifiers
        for printer_id in entry.runtime_data.printers.printers
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
            (DOMAIN, hub_identifier(entry)), entry.entry_id
        ):
            registry.async_update_device(device.id, sw_version=known)

    return _update_version


async def async_unload_entry(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> bool:
    """Unload a config entry without ever waiting on a hung server.

    The platforms unload first (that involves no network). Then what can wait on
    the network stops in parallel, each part within its own timeout: requests in
    flight are cancelled, the event stream closes, the printers' polls end. Home
    Assistant then shuts the coordinators down and cancels the entry's tasks.
    """
    if not await hass.config_entries.async_unload_platforms(entry, PLATFORMS):
        return False
    await async_shutdown_parallel(entry.runtime_data.shutdown_steps())
    return True
