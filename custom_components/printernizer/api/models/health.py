"""``GET /api/v1/health``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, Self

from ._fields import (
    LenientEnum,
    PrinternizerResponseError,
    as_object,
    opt_bool,
    opt_enum,
    opt_int,
    opt_object,
    opt_str,
    opt_timestamp,
    req_str,
)


class HealthStatus(LenientEnum):
    """Overall server health."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"
    UNKNOWN = "unknown"


class ServiceStatus(LenientEnum):
    """Health of one server service."""

    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"
    DISABLED = "disabled"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ServiceHealth:
    """Health of one server service (``details`` is passed through as sent)."""

    status: ServiceStatus
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: object, *, path: str = "service") -> Self:
        """Parse one entry of the health report's ``services``."""
        obj = as_object(data, path)
        return cls(
            status=opt_enum(obj, "status", path, ServiceStatus),
            details=dict(opt_object(obj, "details", path)),
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
        obj = as_object(data, path)
        return cls(
            type=opt_str(obj, "type", path),
            healthy=opt_bool(obj, "healthy", path),
            connection_count=opt_int(obj, "connection_count", path),
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
        obj = as_object(data, path)
        req_str(obj, "status", path)
        if "services" not in obj:
            raise PrinternizerResponseError(f"{path}.services: missing")
        services_raw = as_object(obj["services"], f"{path}.services")
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
            status=opt_enum(obj, "status", path, HealthStatus),
            version=opt_str(obj, "version", path),
            environment=opt_str(obj, "environment", path),
            timestamp=opt_timestamp(obj, "timestamp", path, tz),
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
