"""Printernizer polled the way Home Assistant's core printer integrations poll.

The benchmark's measuring stick (scripts/benchmark), not a product. Like OctoPrint and
PrusaLink in Home Assistant core, one DataUpdateCoordinator per config entry polls every
30 seconds: the printer list, then every printer's status at once. No event stream, no
request budget, no retries; the session is Home Assistant's.
"""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .coordinator import PollingConfigEntry, PollingCoordinator

PLATFORMS: list[Platform] = [Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: PollingConfigEntry) -> bool:
    """Poll once, then add one status sensor per printer."""
    coordinator = PollingCoordinator(hass, entry)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: PollingConfigEntry) -> bool:
    """Unload the sensors; Home Assistant cancels a refresh still running."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
