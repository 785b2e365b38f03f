"""Typed views of the Printernizer server's responses.

Parsing is lenient where the server is sloppy (unknown enum values become
``unknown``, naive timestamps are read in the server's time zone, absent
optional fields become ``None``) and strict where a wrong type would mislead:
a field of the wrong JSON type raises :class:`PrinternizerResponseError` whose
message names the field, e.g. ``health.services.database.status: expected str,
got int``.

Printer credentials (``connection_config`` with its ``api_key`` and
``access_code``) as well as addresses and serial numbers are never kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
import re
from typing import Any, Self

from .exceptions import PrinternizerResponseError

__all__ = [
    "DatabaseHealth",
    "Filament",
    "HealthStatus",
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
    "SystemInfo",
    "Temperature",
    "TrendingPerformance",
    "TrendingStatistics",
    "UpdateCheck",
    "is_printernizer_health",
    "parse_timestamp",
    "parse_version",
]


class _LenientEnum(StrEnum):
    """A string enum whose unknown values map to ``unknown``."""

    @classmethod
    def _missing_(cls, value: object) -> Self:
        return cls("unknown")


class HealthStatus(_LenientEnum):
    """Overall server health."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"
    UNKNOWN = "unknown"


class ServiceStatus(_LenientEnum):
    """Health of one server service."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"
    DISABLED = "disabled"
    UNKNOWN = "unknown"


class PrinterState(_LenientEnum):
    """State of a printer as the server reports it (there is no ``idle``)."""

    ONLINE = "online"
    OFFLINE = "offline"
    PRINTING = "printing"
    PAUSED = "paused"
    ERROR = "error"
    UNKNOWN = "unknown"


class PrinterType(_LenientEnum):
    """Driver family of a printer."""

    BAMBU_LAB = "bambu_lab"
    PRUSA_CORE = "prusa_core"
    OCTOPRINT = "octoprint"
    UNKNOWN = "unknown"


# --------------------------------------------------------------------------
# Field readers. Each takes the containing object, the key and the dotted
# path of the containing object, and names the full path in its error.


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def _wrong(path: str, expected: str, value: object) -> PrinternizerResponseError:
    return PrinternizerResponseError(
        f"{path}: expected {expected}, got {_type_name(value)}"
    )


def _object(value: object, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _wrong(path, "object", value)
    return value


def _opt_object(data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    """Return an object field, or an empty mapping when absent or null."""
    value = data.get(key)
    if value is None:
        return {}
    return _object(value, f"{path}.{key}")


def _str(data: Mapping[str, Any], key: str, path: str) -> str:
    if key not in data:
        raise PrinternizerResponseError(f"{path}.{key}: missing")
    value = data[key]
    if not isinstance(value, str):
        raise _wrong(f"{path}.{key}", "str", value)
    return value


def _opt_str(data: Mapping[str, Any], key: str, path: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _wrong(f"{path}.{key}", "str", value)
    return value


def _opt_bool(data: Mapping[str, Any], key: str, path: str) -> bool | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _wrong(f"{path}.{key}", "bool", value)
    return value


def _opt_float(data: Mapping[str, Any], key: str, path: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(f"{path}.{key}", "number", value)
    return float(value)


def _opt_int(data: Mapping[str, Any], key: str, path: str) -> int | None:
    """Read an integer field; an integral float such as ``3.0`` is accepted."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong(f"{path}.{key}", "int", value)
    if isinstance(value, float) and not value.is_integer():
        raise _wrong(f"{path}.{key}", "int", value)
    return int(value)


def _enum[E: _LenientEnum](
    data: Mapping[str, Any], key: str, path: str, enum: type[E]
) -> E:
    """Read an enum field leniently: absent, null or unknown → ``unknown``."""
    value = _opt_str(data, key, path)
    return enum(value if value is not None else "unknown")


def parse_timestamp(value: object, tz: tzinfo = UTC) -> datetime | None:
    """Parse a server timestamp into an aware datetime.

    A naive timestamp (the server's usual form) is read in ``tz``. ``None``
    or a string that is not ISO-8601 gives ``None``; any other type raises
    ``TypeError``.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(_type_name(value))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def _opt_ts(
    data: Mapping[str, Any], key: str, path: str, tz: tzinfo
) -> datetime | None:
    value = data.get(key)
    try:
        return parse_timestamp(value, tz)
    except TypeError:
        raise _wrong(f"{path}.{key}", "timestamp", value) from None


_VERSION_RE = re.compile(r"\s*v?(\d+)\.(\d+)\.(\d+)")


def parse_version(version: str | None) -> tuple[int, int, int] | None:
    """Return the leading ``major.minor.patch`` of a version string.

    ``"2.42.0-3-gabc1234-dirty"`` gives ``(2, 42, 0)``; ``"unknown"``, a bare
    commit hash or ``None`` give ``None``.
    """
    if not version:
        return None
    match = _VERSION_RE.match(version)
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch)


# --------------------------------------------------------------------------
# Health


@dataclass(frozen=True, slots=True)
class ServiceHealth:
    """Health of one server service (``details`` is passed through as sent)."""

    status: ServiceStatus
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: object, *, path: str = "service") -> Self:
        """Parse one entry of the health report's ``services``."""
        obj = _object(data, path)
        return cls(
            status=_enum(obj, "status", path, ServiceStatus),
            details=dict(_opt_object(obj, "details", path)),
        )


@dataclass(frozen=True, slots=True)
class DatabaseHealth:
    """The health report's ``database`` block."""

    type: str | None
    healthy: bool | None
    connection_count: int | None

    @classmethod
    def from_dict(cls, data: object, *, path: str = "database") -> Self:
        """Parse the ``database`` block."""
        obj = _object(data, path)
        return cls(
            type=_opt_str(obj, "type", path),
            healthy=_opt_bool(obj, "healthy", path),
            connection_count=_opt_int(obj, "connection_count", path),
        )


@dataclass(frozen=True, slots=True)
class ServerHealth:
    """``GET /api/v1/health``.

    ``error`` is set when the server's health handler itself failed and sent
    its fallback body (``services: {"error": "..."}``); ``services`` is then
    empty.
    """

    status: HealthStatus
    version: str | None
    environment: str | None
    # The server stamps every report with "now": two reports that differ only in
    # their timestamp say the same thing, so it takes no part in equality.
    timestamp: datetime | None = field(compare=False)
    database: DatabaseHealth | None
    services: Mapping[str, ServiceHealth]
    error: str | None = None

    @classmethod
    def from_dict(cls, data: object, *, tz: tzinfo = UTC) -> Self:
        """Parse a health report, rejecting bodies that are not Printernizer's.

        ``status`` (a string) and ``services`` (an object) are required: a
        different server answering 200 with other JSON is refused with
        :class:`PrinternizerResponseError`.
        """
        path = "health"
        obj = _object(data, path)
        _str(obj, "status", path)
        if "services" not in obj:
            raise PrinternizerResponseError(f"{path}.services: missing")
        services_raw = _object(obj["services"], f"{path}.services")
        services: dict[str, ServiceHealth] = {}
        error: str | None = None
        for name, value in services_raw.items():
            if name == "error" and isinstance(value, str):
                error = value
                continue
            services[name] = ServiceHealth.from_dict(
                value, path=f"{path}.services.{name}"
            )
        database = obj.get("database")
        return cls(
            status=_enum(obj, "status", path, HealthStatus),
            version=_opt_str(obj, "version", path),
            environment=_opt_str(obj, "environment", path),
            timestamp=_opt_ts(obj, "timestamp", path, tz),
            database=(
                None
                if database is None
                else DatabaseHealth.from_dict(database, path=f"{path}.database")
            ),
            services=services,
            error=error,
        )


def is_printernizer_health(payload: object) -> bool:
    """Tell whether a decoded JSON body is a Printernizer health report."""
    try:
        ServerHealth.from_dict(payload)
    except PrinternizerResponseError:
        return False
    return True


# --------------------------------------------------------------------------
# Printers


@dataclass(frozen=True, slots=True)
class Temperature:
    """A current and target temperature in °C; either may be unknown."""

    current: float | None = None
    target: float | None = None

    @classmethod
    def from_value(cls, value: object, *, path: str) -> Self:
        """Parse a flat number or a ``{current, target}`` object."""
        if value is None:
            return cls()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return cls(current=float(value))
        obj = _object(value, path)
        return cls(
            current=_opt_float(obj, "current", path),
            target=_opt_float(obj, "target", path),
        )


@dataclass(frozen=True, slots=True)
class PrinterTemperatures:
    """The printer list's flat temperatures."""

    bed: float | None
    nozzle: float | None


@dataclass(frozen=True, slots=True)
class PrinterJob:
    """The job a printer reports in the printer list or detail."""

    name: str | None
    status: str | None
    progress: float | None


@dataclass(frozen=True, slots=True)
class Filament:
    """One AMS / MMU slot."""

    slot: int | None
    color: str | None
    material: str | None
    is_active: bool


@dataclass(frozen=True, slots=True)
class Printer:
    """A printer from ``GET /api/v1/printers`` or ``/api/v1/printers/{id}``.

    Only non-secret fields are kept: no connection settings, address or
    serial number.
    """

    id: str
    name: str
    printer_type: PrinterType
    status: PrinterState
    last_seen: datetime | None
    current_job: PrinterJob | None
    temperatures: PrinterTemperatures | None
    filaments: tuple[Filament, ...]
    total_jobs: int | None

    @classmethod
    def from_dict(
        cls, data: object, *, tz: tzinfo = UTC, path: str = "printer"
    ) -> Self:
        """Parse a printer object."""
        obj = _object(data, path)
        printer_id = _str(obj, "id", path)
        job: PrinterJob | None = None
        if obj.get("current_job") is not None:
            job_obj = _object(obj["current_job"], f"{path}.current_job")
            job_path = f"{path}.current_job"
            job = PrinterJob(
                name=_opt_str(job_obj, "name", job_path),
                status=_opt_str(job_obj, "status", job_path),
                progress=_opt_float(job_obj, "progress", job_path),
            )
        temperatures: PrinterTemperatures | None = None
        if obj.get("temperatures") is not None:
            temp_path = f"{path}.temperatures"
            temp_obj = _object(obj["temperatures"], temp_path)
            temperatures = PrinterTemperatures(
                bed=Temperature.from_value(
                    temp_obj.get("bed"), path=f"{temp_path}.bed"
                ).current,
                nozzle=Temperature.from_value(
                    temp_obj.get("nozzle"), path=f"{temp_path}.nozzle"
                ).current,
            )
        filaments: list[Filament] = []
        raw_filaments = obj.get("filaments")
        if raw_filaments is not None:
            if not isinstance(raw_filaments, list):
                raise _wrong(f"{path}.filaments", "array", raw_filaments)
            for index, raw in enumerate(raw_filaments):
                slot_path = f"{path}.filaments[{index}]"
                slot = _object(raw, slot_path)
                filaments.append(
                    Filament(
                        slot=_opt_int(slot, "slot", slot_path),
                        color=_opt_str(slot, "color", slot_path),
                        material=_opt_str(slot, "type", slot_path),
                        is_active=bool(_opt_bool(slot, "is_active", slot_path)),
                    )
                )
        return cls(
            id=printer_id,
            name=_opt_str(obj, "name", path) or printer_id,
            printer_type=_enum(obj, "printer_type", path, PrinterType),
            status=_enum(obj, "status", path, PrinterState),
            last_seen=_opt_ts(obj, "last_seen", path, tz),
            current_job=job,
            temperatures=temperatures,
            filaments=tuple(filaments),
            total_jobs=_opt_int(obj, "total_jobs", path),
        )


@dataclass(frozen=True, slots=True)
class PrinterStatusEvent:
    """A ``printer_status`` push from the WebSocket.

    It carries no remaining time, no target temperatures and no filaments.
    """

    printer_id: str
    state: PrinterState
    message: str | None
    temperature_bed: float | None
    temperature_nozzle: float | None
    progress: float | None
    current_job: str | None
    current_job_has_thumbnail: bool | None
    timestamp: datetime | None

    @classmethod
    def from_message(cls, message: object, *, tz: tzinfo = UTC) -> Self:
        """Parse a whole ``{"type": "printer_status", ...}`` message."""
        path = "printer_status"
        obj = _object(message, path)
        if obj.get("type") != "printer_status":
            raise PrinternizerResponseError(f"{path}.type: not printer_status")
        data = _object(obj.get("data"), f"{path}.data")
        if data.get("printer_id") is None and obj.get("printer_id") is not None:
            data = {**data, "printer_id": obj["printer_id"]}
        return cls.from_dict(data, tz=tz, path=f"{path}.data")

    @classmethod
    def from_dict(
        cls, data: object, *, tz: tzinfo = UTC, path: str = "printer_status.data"
    ) -> Self:
        """Parse the ``data`` part of a ``printer_status`` push."""
        obj = _object(data, path)
        return cls(
            printer_id=_str(obj, "printer_id", path),
            state=_enum(obj, "status", path, PrinterState),
            message=_opt_str(obj, "message", path),
            temperature_bed=_opt_float(obj, "temperature_bed", path),
            temperature_nozzle=_opt_float(obj, "temperature_nozzle", path),
            progress=_opt_float(obj, "progress", path),
            current_job=_opt_str(obj, "current_job", path),
            current_job_has_thumbnail=_opt_bool(obj, "current_job_has_thumbnail", path),
            timestamp=_opt_ts(obj, "timestamp", path, tz),
        )


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """``GET /api/v1/printers/{id}/status``, optionally refreshed by pushes.

    ``remaining_time`` is in minutes, as of ``remaining_time_at`` (the time of
    the reading that brought it: pushes lack it, so a merged push keeps the
    poll's). ``message`` only ever comes from a
    WebSocket push.
    """

    id: str
    name: str
    state: PrinterState
    timestamp: datetime | None
    bed: Temperature
    nozzle: Temperature
    job_name: str | None
    progress: float | None
    remaining_time: int | None
    message: str | None = None
    remaining_time_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: object, *, tz: tzinfo = UTC) -> Self:
        """Parse a printer status body."""
        path = "printer_status"
        obj = _object(data, path)
        printer_id = _str(obj, "id", path)
        job = _opt_object(obj, "current_job", path)
        job_path = f"{path}.current_job"
        temps = _opt_object(obj, "temperatures", path)
        temp_path = f"{path}.temperatures"
        timestamp = _opt_ts(obj, "timestamp", path, tz)
        remaining_time = _opt_int(job, "remaining_time", job_path)
        return cls(
            id=printer_id,
            name=_opt_str(obj, "name", path) or printer_id,
            state=_enum(obj, "status", path, PrinterState),
            timestamp=timestamp,
            bed=Temperature.from_value(temps.get("bed"), path=f"{temp_path}.bed"),
            nozzle=Temperature.from_value(
                temps.get("nozzle"), path=f"{temp_path}.nozzle"
            ),
            job_name=_opt_str(job, "name", job_path),
            progress=_opt_float(job, "progress", job_path),
            remaining_time=remaining_time,
            remaining_time_at=timestamp if remaining_time is not None else None,
        )

    @classmethod
    def from_event(cls, event: PrinterStatusEvent, *, name: str | None = None) -> Self:
        """Build a status from a push alone (no targets, no remaining time)."""
        return cls(
            id=event.printer_id,
            name=name or event.printer_id,
            state=event.state,
            timestamp=event.timestamp,
            bed=Temperature(current=event.temperature_bed),
            nozzle=Temperature(current=event.temperature_nozzle),
            job_name=event.current_job,
            progress=event.progress,
            remaining_time=None,
            message=event.message,
        )

    def merged_with(self, event: PrinterStatusEvent) -> Self:
        """Return this status updated by a push for the same printer.

        The push's state, message, job name, progress and current temperatures
        win; target temperatures are kept, as is the remaining time while the
        same job is still running. A temperature or progress the push leaves
        out keeps its previous value.
        """
        if event.printer_id != self.id:
            raise ValueError("event is for another printer")
        same_job = event.current_job is not None and event.current_job == self.job_name
        return replace(
            self,
            state=event.state,
            timestamp=event.timestamp or self.timestamp,
            bed=_merge_temperature(self.bed, event.temperature_bed),
            nozzle=_merge_temperature(self.nozzle, event.temperature_nozzle),
            job_name=event.current_job,
            progress=event.progress if event.progress is not None else self.progress,
            remaining_time=self.remaining_time if same_job else None,
            remaining_time_at=self.remaining_time_at if same_job else None,
            message=event.message,
        )


def _merge_temperature(previous: Temperature, current: float | None) -> Temperature:
    if current is None:
        return previous
    return Temperature(current=current, target=previous.target)


# --------------------------------------------------------------------------
# System, updates, trending


@dataclass(frozen=True, slots=True)
class UpdateCheck:
    """``GET /api/v1/update-check``."""

    current_version: str | None
    latest_version: str | None
    update_available: bool
    release_url: str | None
    check_failed: bool
    error_message: str | None

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Parse an update check body."""
        path = "update_check"
        obj = _object(data, path)
        return cls(
            current_version=_opt_str(obj, "current_version", path),
            latest_version=_opt_str(obj, "latest_version", path),
            update_available=bool(_opt_bool(obj, "update_available", path)),
            release_url=_opt_str(obj, "release_url", path),
            check_failed=bool(_opt_bool(obj, "check_failed", path)),
            error_message=_opt_str(obj, "error_message", path),
        )


@dataclass(frozen=True, slots=True)
class SystemInfo:
    """``GET /api/v1/system/info``.

    ``version`` is often ``"unknown"`` here; take the version from health.
    """

    version: str | None
    environment: str | None
    timezone: str | None
    database_size_mb: float | None
    uptime_seconds: int | None

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Parse a system info body."""
        path = "system_info"
        obj = _object(data, path)
        uptime = _opt_float(obj, "uptime_seconds", path)
        return cls(
            version=_opt_str(obj, "version", path),
            environment=_opt_str(obj, "environment", path),
            timezone=_opt_str(obj, "timezone", path),
            database_size_mb=_opt_float(obj, "database_size_mb", path),
            uptime_seconds=None if uptime is None else int(uptime),
        )


def _percentage(data: Mapping[str, Any], key: str, path: str) -> float | None:
    """Read ``"93.33%"`` (or a bare number) as ``93.33``."""
    value = data.get(key)
    if isinstance(value, str):
        try:
            return float(value.strip().removesuffix("%"))
        except ValueError:
            return None
    return _opt_float(data, key, path)


@dataclass(frozen=True, slots=True)
class TrendingPerformance:
    """The ``performance_metrics`` block of the trending statistics."""

    total_requests: int | None
    failed_requests: int | None
    successful_fetches: int | None
    success_rate: float | None
    last_fetch_time: datetime | None
    last_error: str | None
    cache_hits: int | None
    cache_misses: int | None

    @classmethod
    def from_dict(
        cls, data: object, *, tz: tzinfo = UTC, path: str = "performance_metrics"
    ) -> Self:
        """Parse the ``performance_metrics`` block."""
        obj = _object(data, path)
        return cls(
            total_requests=_opt_int(obj, "total_requests", path),
            failed_requests=_opt_int(obj, "failed_requests", path),
            successful_fetches=_opt_int(obj, "successful_fetches", path),
            success_rate=_percentage(obj, "success_rate", path),
            last_fetch_time=_opt_ts(obj, "last_fetch_time", path, tz),
            last_error=_opt_str(obj, "last_error", path),
            cache_hits=_opt_int(obj, "cache_hits", path),
            cache_misses=_opt_int(obj, "cache_misses", path),
        )


@dataclass(frozen=True, slots=True)
class TrendingStatistics:
    """``GET /api/v1/trending/statistics`` as documented by the server."""

    total_cached: int | None
    valid_items: int | None
    by_platform: Mapping[str, int]
    last_refresh: Mapping[str, Any]
    performance_metrics: TrendingPerformance | None

    @classmethod
    def from_dict(cls, data: object, *, tz: tzinfo = UTC) -> Self:
        """Parse a trending statistics body."""
        path = "trending_statistics"
        obj = _object(data, path)
        platforms_path = f"{path}.by_platform"
        platforms = _opt_object(obj, "by_platform", path)
        by_platform: dict[str, int] = {}
        for name in platforms:
            count = _opt_int(platforms, name, platforms_path)
            if count is not None:
                by_platform[name] = count
        performance = obj.get("performance_metrics")
        return cls(
            total_cached=_opt_int(obj, "total_cached", path),
            valid_items=_opt_int(obj, "valid_items", path),
            by_platform=by_platform,
            last_refresh=dict(_opt_object(obj, "last_refresh", path)),
            performance_metrics=(
                None
                if performance is None
                else TrendingPerformance.from_dict(
                    performance, tz=tz, path=f"{path}.performance_metrics"
                )
            ),
        )
