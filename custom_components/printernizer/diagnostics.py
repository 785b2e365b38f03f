"""Diagnostics for the Printernizer integration: what a bug report needs, no secrets."""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_TOKEN, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import (
    DataUpdateCoordinator,
    TimestampDataUpdateCoordinator,
)
from yarl import URL

from .coordinator import PrinternizerConfigEntry, PrinternizerCoordinator

# Keys redacted wherever they appear: credentials, and what the server sends inside
# printer objects and camera statuses (access codes and API keys in clear text, also
# inside stream URLs). The integration keeps no camera URL; these guard against one.
TO_REDACT = {
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_USERNAME,
    "access_code",
    "api_key",
    "external_webcam_url",
    "ip_address",
    "serial_number",
    "stream_url",
    "webcam_url",
}


def to_plain(value: Any) -> Any:
    """Turn models (dataclasses, enums, datetimes) into JSON-safe values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: to_plain(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Mapping):
        return {str(key): to_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(item) for item in value]
    return value


def redact_url(url: str) -> str:
    """Keep the scheme, port and path of the server URL; hide the host."""
    parsed = URL(url)
    return str(parsed.with_host("redacted").with_user(None).with_password(None))


def coordinator_diagnostics(coordinator: DataUpdateCoordinator[Any]) -> dict[str, Any]:
    """Describe one coordinator's state."""
    last_success = (
        coordinator.last_update_success_time
        if isinstance(coordinator, TimestampDataUpdateCoordinator)
        else None
    )
    error = coordinator.last_exception
    return {
        "last_update_success": coordinator.last_update_success,
        "last_update_success_time": to_plain(last_success),
        "last_exception": (
            f"{type(error).__name__}: {error}" if error is not None else None
        ),
        "update_interval": to_plain(coordinator.update_interval),
        "data": to_plain(coordinator.data),
        **(
            to_plain(coordinator.extra_diagnostics())
            if isinstance(coordinator, PrinternizerCoordinator)
            else {}
        ),
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: PrinternizerConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    runtime = entry.runtime_data
    entry_data = async_redact_data(dict(entry.data), TO_REDACT)
    entry_data[CONF_URL] = redact_url(entry.data[CONF_URL])
    diagnostics: dict[str, Any] = {
        "entry": {
            "title": REDACTED,
            "data": entry_data,
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "coordinators": {
            name: coordinator_diagnostics(coordinator)
            for name, coordinator in runtime.coordinators().items()
        },
        "request_metrics": runtime.client.metrics.as_dict(),
    }
    diagnostics["printers"] = runtime.printers.diagnostics()
    diagnostics["printer_counters"] = {
        printer_id: counters.activity.as_dict()
        for printer_id, counters in runtime.counters.items()
    }
    diagnostics["cameras"] = {
        **runtime.cameras.diagnostics(),
        "printers": {
            printer_id: coordinator_diagnostics(camera)
            for printer_id, camera in runtime.cameras.cameras.items()
        },
    }
    return async_redact_data(diagnostics, TO_REDACT)
