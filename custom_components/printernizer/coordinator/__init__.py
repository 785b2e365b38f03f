"""Coordinators that keep Home Assistant in step with a Printernizer server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from ..api import PrinternizerClient
from ..const import SHUTDOWN_TIMEOUT_DEFAULT
from ..shutdown import ShutdownStep
from .base import (
    PrinternizerCoordinator,
    async_track_refreshes,
    error_translation_key,
    signal_refresh_finished,
    update_failed_from,
)
from .camera import CameraInfo, PrinterCamera, PrinterCameras
from .health import ServerHealthCoordinator
from .printers import (
    PrinterCoordinator,
    PrinterFleet,
    PrinterListCoordinator,
    is_unreachable_bambu,
)
from .statistics import (
    STATISTICS_SETUP_TIMEOUT,
    FleetStatistics,
    FleetStatisticsCoordinator,
    MaterialInventory,
    MaterialsCoordinator,
    OptionalFeatureCoordinator,
    ServerCurrency,
    async_track_feature,
)
from .system import ServerInfoCoordinator, signal_time_zone_changed
from .trending import TrendingCoordinator
from .update import ServerUpdateCoordinator

if TYPE_CHECKING:
    from ..counters import PrinterCounters

__all__ = [
    "STATISTICS_SETUP_TIMEOUT",
    "CameraInfo",
    "FleetStatistics",
    "FleetStatisticsCoordinator",
    "MaterialInventory",
    "MaterialsCoordinator",
    "OptionalFeatureCoordinator",
    "PrinterCamera",
    "PrinterCameras",
    "PrinterCoordinator",
    "PrinterFleet",
    "PrinterListCoordinator",
    "PrinternizerConfigEntry",
    "PrinternizerCoordinator",
    "PrinternizerRuntimeData",
    "ServerCurrency",
    "ServerHealthCoordinator",
    "ServerInfoCoordinator",
    "ServerUpdateCoordinator",
    "TrendingCoordinator",
    "async_track_feature",
    "async_track_refreshes",
    "error_translation_key",
    "is_unreachable_bambu",
    "signal_refresh_finished",
    "signal_time_zone_changed",
    "update_failed_from",
]


@dataclass(slots=True, kw_only=True)
class PrinternizerRuntimeData:
    """Everything one config entry owns while it is loaded."""

    client: PrinternizerClient
    hub_device_id: str
    health: ServerHealthCoordinator
    server_info: ServerInfoCoordinator
    printers: PrinterFleet
    cameras: PrinterCameras
    trending: TrendingCoordinator
    update: ServerUpdateCoordinator
    statistics: FleetStatisticsCoordinator
    materials: MaterialsCoordinator
    #: The counters of each printer, by printer id (see `counters.py`).
    counters: dict[str, PrinterCounters] = field(default_factory=dict)
    #: Printers a print is being sent to, by printer id: one at a time each.
    prints_in_flight: set[str] = field(default_factory=set)

    def coordinators(self) -> dict[str, DataUpdateCoordinator[Any]]:
        """Every coordinator of the entry, by a name for diagnostics."""
        return {
            "health": self.health,
            "system_info": self.server_info,
            **self.printers.coordinators(),
            "trending": self.trending,
            "update": self.update,
            "statistics": self.statistics,
            "materials": self.materials,
        }

    @callback
    def async_rezone(self, zone: tzinfo) -> None:
        """Read what the entry holds of the server's naive times in `zone`."""
        self.health.async_rezone(zone)
        self.printers.async_rezone(zone)
        self.cameras.async_rezone(zone)
        self.trending.async_rezone(zone)
        for counters in self.counters.values():
            counters.async_rezone(zone)

    def server_restarted(self) -> None:
        """Learn again what a restart may have changed (time zone, currency)."""
        self.server_info.async_server_restarted()
        self.statistics.currency.expire()

    def shutdown_steps(self) -> list[ShutdownStep]:
        """Return what can wait on the network, to stop on unload in its budget.

        Home Assistant shuts the entry's coordinators down by itself afterwards.
        """
        return [
            ShutdownStep(
                "requests in flight",
                self.client.async_cancel_inflight,
                SHUTDOWN_TIMEOUT_DEFAULT,
            ),
            *self.printers.shutdown_steps(),
        ]


type PrinternizerConfigEntry = ConfigEntry[PrinternizerRuntimeData]
