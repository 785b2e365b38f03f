"""System health for the Printernizer integration.

Settings → System → Repairs → System information shows, for the configured servers,
the server's address (host and port only, never credentials), whether it answers its
health check, the version it reports, the client's request success rate and the time
of the last successful request. With several servers each line names the server it
belongs to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.components import system_health
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant, callback
from yarl import URL

from .const import DOMAIN
from .coordinator import PrinternizerConfigEntry

UNREACHABLE: dict[str, str] = {"type": "failed", "error": "unreachable"}


@callback
def async_register(
    hass: HomeAssistant, register: system_health.SystemHealthRegistration
) -> None:
    """Register the system health callback."""
    register.async_register_info(system_health_info, "/config/integrations/dashboard")


def server_address(url: str) -> str:
    """Return host and port of the server URL, without scheme, path or credentials."""
    parsed = URL(url)
    host = parsed.host or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parsed.port}" if parsed.port is not None else host


def entry_health(entry: PrinternizerConfigEntry) -> dict[str, Any]:
    """Describe one config entry for system health."""
    info: dict[str, Any] = {"server": server_address(entry.data[CONF_URL])}
    if entry.state is not ConfigEntryState.LOADED:
        info.update(
            reachable=UNREACHABLE,
            version=None,
            request_success_rate=None,
            last_successful_fetch=None,
        )
        return info
    runtime = entry.runtime_data
    health = runtime.health
    metrics = runtime.client.metrics
    rate = metrics.success_rate
    info.update(
        reachable="ok" if health.last_update_success else UNREACHABLE,
        version=health.data.version if health.data is not None else None,
        request_success_rate=None if rate is None else f"{rate:g} %",
        last_successful_fetch=metrics.last_fetch_time,
    )
    return info


def _combined(server: str, value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("error", "failed")
    elif isinstance(value, datetime):
        value = value.isoformat()
    return f"{server}: {'-' if value is None else value}"


async def system_health_info(hass: HomeAssistant) -> dict[str, Any]:
    """Return the system health of every configured Printernizer server."""
    entries: list[PrinternizerConfigEntry] = sorted(
        (
            entry
            for entry in hass.config_entries.async_entries(DOMAIN)
            if entry.disabled_by is None
        ),
        key=lambda entry: entry.data[CONF_URL],
    )
    infos = [entry_health(entry) for entry in entries]
    if not infos:
        return {"server": None}
    if len(infos) == 1:
        return infos[0]
    # Several servers: one line per key, naming the server of each value.
    combined: dict[str, Any] = {"server": ", ".join(info["server"] for info in infos)}
    for key in infos[0]:
        if key == "server":
            continue
        combined[key] = "; ".join(
            _combined(info["server"], info[key]) for info in infos
        )
    if all(info["reachable"] == "ok" for info in infos):
        combined["reachable"] = "ok"
    return combined
