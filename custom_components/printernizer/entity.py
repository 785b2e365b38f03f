"""Base entities for the Printernizer integration."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, override

from homeassistant.const import CONF_URL
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)
from yarl import URL

from .const import DOMAIN, MANUFACTURER
from .coordinator import PrinternizerConfigEntry, ServerHealthCoordinator

# Services the server reports today; they get names of their own in every language.
# A service the server adds later is named after its key.
KNOWN_SERVICES = (
    "database",
    "printer_service",
    "file_service",
    "trending_service",
    "event_service",
)


def hub_device_info(entry: PrinternizerConfigEntry) -> DeviceInfo:
    """Describe the device that stands for the Printernizer server itself."""
    health = entry.runtime_data.health.data
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        name="Printernizer",
        manufacturer=MANUFACTURER,
        model="Printernizer server",
        sw_version=health.version if health else None,
        configuration_url=str(URL(entry.data[CONF_URL])),
        entry_type=DeviceEntryType.SERVICE,
    )


class PrinternizerHubEntity[CoordinatorT: DataUpdateCoordinator[Any]](
    CoordinatorEntity[CoordinatorT]
):
    """An entity on the hub device, fed by one of the entry's coordinators."""

    _attr_has_entity_name = True

    def __init__(
        self,
        entry: PrinternizerConfigEntry,
        coordinator: CoordinatorT,
        description: EntityDescription,
    ) -> None:
        """Initialise the entity."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = hub_device_info(entry)


def service_translation_key(service: str, kind: str) -> str:
    """Return the translation key of a service's `kind` entity (status, problem)."""
    return f"{service}_{kind}" if service in KNOWN_SERVICES else f"service_{kind}"


class PrinternizerServiceEntity(PrinternizerHubEntity[ServerHealthCoordinator]):
    """An entity about one service of the server's health report."""

    def __init__(
        self,
        entry: PrinternizerConfigEntry,
        coordinator: ServerHealthCoordinator,
        service: str,
        description: EntityDescription,
    ) -> None:
        """Initialise the entity for `service`."""
        super().__init__(entry, coordinator, description)
        self._service = service
        if service not in KNOWN_SERVICES:
            # Named after its key, e.g. "Thumbnail service status".
            self._attr_translation_placeholders = {
                "service": service.replace("_", " ").capitalize()
            }

    @property
    @override
    def available(self) -> bool:
        """A service the server no longer reports is unavailable."""
        return super().available and self._service in self.coordinator.data.services


@callback
def async_track_services(
    entry: PrinternizerConfigEntry,
    create: Callable[[str], Iterable[Entity]],
    add: Callable[[Iterable[Entity]], None],
) -> None:
    """Add entities for every service in the health report, now and as they appear."""
    coordinator = entry.runtime_data.health
    known: set[str] = set()

    @callback
    def _add_new_services() -> None:
        if not coordinator.last_update_success:
            return
        new = [name for name in coordinator.data.services if name not in known]
        known.update(new)
        if new:
            add(entity for name in new for entity in create(name))

    _add_new_services()
    entry.async_on_unload(coordinator.async_add_listener(_add_new_services))
