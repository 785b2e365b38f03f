"""The server itself: system information, update check and settings."""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Self

from ._fields import as_object, opt_bool, opt_float, opt_int, opt_str

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
        obj = as_object(data, path)
        return cls(
            current_version=opt_str(obj, "current_version", path),
            latest_version=opt_str(obj, "latest_version", path),
            update_available=bool(opt_bool(obj, "update_available", path)),
            release_url=opt_str(obj, "release_url", path),
            check_failed=bool(opt_bool(obj, "check_failed", path)),
            error_message=opt_str(obj, "error_message", path),
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
        obj = as_object(data, path)
        uptime = opt_float(obj, "uptime_seconds", path)
        return cls(
            version=opt_str(obj, "version", path),
            environment=opt_str(obj, "environment", path),
            timezone=opt_str(obj, "timezone", path),
            database_size_mb=opt_float(obj, "database_size_mb", path),
            uptime_seconds=None if uptime is None else int(uptime),
        )


@dataclass(frozen=True, slots=True)
class ApplicationSettings:
    """The parts of ``GET /api/v1/settings/application`` worth showing.

    ``currency`` is what the server's costs are in (e.g. ``EUR``),
    ``vat_rate`` a percentage and ``monitoring_interval`` the seconds
    between printer polls. Paths, host and port are not kept.
    """

    currency: str | None
    timezone: str | None
    vat_rate: float | None
    monitoring_interval: int | None
    library_enabled: bool | None
    timelapse_enabled: bool | None

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Parse an application settings body."""
        path = "application_settings"
        obj = as_object(data, path)
        return cls(
            currency=opt_str(obj, "currency", path),
            timezone=opt_str(obj, "timezone", path),
            vat_rate=opt_float(obj, "vat_rate", path),
            monitoring_interval=opt_int(obj, "monitoring_interval", path),
            library_enabled=opt_bool(obj, "library_enabled", path),
            timelapse_enabled=opt_bool(obj, "timelapse_enabled", path),
        )
