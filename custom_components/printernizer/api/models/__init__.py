"""Typed views of the Printernizer server's responses.

Parsing is lenient where the server is sloppy (unknown enum values become
``unknown``, naive timestamps are read in the server's time zone, absent
optional fields become ``None``) and strict where a wrong type would mislead:
a field of the wrong JSON type raises :class:`PrinternizerResponseError` whose
message names the field, e.g. ``health.services.database.status: expected str,
got int``, and never its value.

The models are frozen dataclasses read by the small field readers in
``_fields``, not by mashumaro: mashumaro turns ``true`` and ``"3"`` into the
int 1 and 3, names only the outermost field of a nested error and quotes the
whole offending value (secrets included) in its message, and would add a
runtime requirement to a package that otherwise needs only aiohttp and yarl.

One module per concern: ``health``, ``printers``, ``camera`` (images,
camera status, snapshots), ``statistics`` (trending, analytics, materials),
``library`` and ``system`` (system information, update check, settings).
"""

from ._fields import parse_timestamp
from .camera import CameraStatus, Image, Snapshot, SnapshotTrigger
from .health import (
    DatabaseHealth,
    HealthStatus,
    ServerHealth,
    ServiceHealth,
    ServiceStatus,
    is_printernizer_health,
)
from .library import PRINTABLE_FILE_TYPES, LibraryFile
from .printers import (
    Filament,
    Printer,
    PrinterJob,
    PrinterState,
    PrinterStatus,
    PrinterStatusEvent,
    PrinterTemperatures,
    PrinterType,
    Temperature,
)
from .statistics import (
    AnalyticsSummary,
    LowStockSpool,
    MaterialGroup,
    MaterialStats,
    TrendingPerformance,
    TrendingStatistics,
)
from .system import ApplicationSettings, SystemInfo, UpdateCheck, parse_version

__all__ = [
    "PRINTABLE_FILE_TYPES",
    "AnalyticsSummary",
    "ApplicationSettings",
    "CameraStatus",
    "DatabaseHealth",
    "Filament",
    "HealthStatus",
    "Image",
    "LibraryFile",
    "LowStockSpool",
    "MaterialGroup",
    "MaterialStats",
    "Printer",
    "PrinterJob",
    "PrinterState",
    "PrinterStatus",
    "PrinterStatusEvent",
    "PrinterTemperatures",
    "PrinterType",
    "ServerHealth",
    "ServiceHealth",
    "ServiceStatus",
    "Snapshot",
    "SnapshotTrigger",
    "SystemInfo",
    "Temperature",
    "TrendingPerformance",
    "TrendingStatistics",
    "UpdateCheck",
    "is_printernizer_health",
    "parse_timestamp",
    "parse_version",
]
