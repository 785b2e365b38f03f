"""Small helpers shared by the config flow, the coordinators and the entities."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from homeassistant.const import (
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.entity import Entity
from yarl import URL

from .api import PrinternizerClient, RetryPolicy

if TYPE_CHECKING:
    from .coordinator import PrinternizerConfigEntry

# Per-call retries of the client: 3 attempts with exponential backoff inside 60 s.
RETRY_POLICY = RetryPolicy()


def create_client(
    hass: HomeAssistant,
    data: Mapping[str, Any],
    *,
    retry: RetryPolicy | None = None,
) -> PrinternizerClient:
    """Create a client on Home Assistant's shared session.

    `data` holds the URL, verify_ssl and the optional reverse-proxy credentials:
    basic auth when a user name is set, otherwise a bearer token if one is.
    """
    session = async_get_clientsession(hass, data.get(CONF_VERIFY_SSL, True))
    url = URL(data[CONF_URL])
    token = None
    if username := data.get(CONF_USERNAME):
        # The client turns URL credentials into a basic auth header and strips them.
        url = url.with_user(username).with_password(data.get(CONF_PASSWORD) or None)
    else:
        token = data.get(CONF_TOKEN) or None
    # The request budget runs on the event loop's clock, the one its waits sleep on.
    return PrinternizerClient(
        session,
        str(url),
        retry=retry or RETRY_POLICY,
        token=token,
        clock=hass.loop.time,
    )


def hub_identifier(entry: PrinternizerConfigEntry) -> str:
    """Return the device identifier of the hub: the Printernizer server itself."""
    return entry.entry_id


def printer_identifier(entry: PrinternizerConfigEntry, printer_id: str) -> str:
    """Return the device identifier of a printer."""
    return f"{entry.entry_id}_{printer_id}"


@callback
def async_remove_entity(hass: HomeAssistant, entity: Entity) -> None:
    """Remove an entity the server no longer backs, from the entity registry too.

    Removing its registry entry removes it from Home Assistant; one not added yet
    has nothing to remove.
    """
    registry = er.async_get(hass)
    if entity.entity_id and registry.async_get(entity.entity_id):
        registry.async_remove(entity.entity_id)


def rezone(timestamp: datetime | None, zone: tzinfo) -> datetime | None:
    """Return a server timestamp, first read in another zone, read in `zone`.

    The server writes naive local times, so the wall time is what it sent.
    """
    return None if timestamp is None else timestamp.replace(tzinfo=zone)
