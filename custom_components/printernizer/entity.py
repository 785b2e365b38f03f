"""Base entities of the integration: on the hub (the server) and on each printer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, override

from homeassistant.const import CONF_URL
from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
)
from yarl import URL

from .api import Printer, PrinterStatus, PrinterType
from .const import DOMAIN, MANUFACTURER
from .coordinator import (
    OptionalFeatureCoordinator,
    PrinterCoordinator,
    PrinternizerConfigEntry,
    ServerHealthCoordinator,
)
from .helpers import hub_identifier, printer_identifier

# Services the server reports today; they get names of their own in every language.
# A service the server adds later is named after its key.
KNOWN_SERVICES = (
    "database",
    "printer_service",
    "file_service",
    "trending_service",
    "event_service",
)

MANUFACTURERS = {
    PrinterType.BAMBU_LAB: "Bambu Lab",
    PrinterType.PRUSA_CORE: "Prusa",
    PrinterType.OCTOPRINT: "OctoPrint",
}


def hub_device_info(entry: PrinternizerConfigEntry, version: str | None) -> DeviceInfo:
    """Describe the device that stands for the Printernizer server itself.

    It is named like the entry: "Printernizer" for a single server, with the host
    for further ones, so that their entity ids tell them apart.
    """
    return DeviceInfo(
        identifiers={(DOMAIN, hub_identifier(entry))},
        name=entry.title,
        manufacturer=MANUFACTURER,
        model="Printernizer server",
        sw_version=version,
        configuration_url=str(URL(entry.data[CONF_URL])),
        entry_type=DeviceEntryType.SERVICE,
    )


def printer_device_info(entry: PrinternizerConfigEntry, printer: Printer) -> DeviceInfo:
    """Describe a printer's device, attached to the hub."""
    return DeviceInfo(
        identifiers={(DOMAIN, printer_identifier(entry, printer.id))},
        name=printer.name,
        manufacturer=MANUFACTURERS.get(printer.printer_type),
        via_device_id=entry.runtime_data.hub_device_id,
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
        self._attr_device_info = hub_device_info(
            entry, entry.runtime_data.health.data.version
        )


class OptionalFeatureEntity[CoordinatorT: OptionalFeatureCoordinator[Any]](
    PrinternizerHubEntity[CoordinatorT]
):
    """An entity of a feature the server may lack (statistics, materials)."""

    @property
    @override
    def available(self) -> bool:
        """Available while the feature's data is current and the server answers."""
        coordinator = self.coordinator
        return (
            super().available
            and coordinator.data is not None
            and coordinator.server_available
        )


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


class PrinterEntity(CoordinatorEntity[PrinterCoordinator]):
    """An entity on a printer's device.

    It is unavailable while the printer's status is not current: its last poll
    failed (until a poll or a push brings a fresh status), or the server does not
    answer its health check.
    """

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: PrinterCoordinator, description: EntityDescription
    ) -> None:
        """Initialise the entity."""
        super().__init__(coordinator)
        entry = coordinator.entry
        self.entity_description = description
        self._attr_unique_id = (
            f"{printer_identifier(entry, coordinator.printer_id)}_{description.key}"
        )
        self._attr_device_info = printer_device_info(entry, coordinator.printer)

    @property
    @override
    def available(self) -> bool:
        """Available while the printer's status is current."""
        return super().available and self.coordinator.fleet.server_available


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


@callback
def async_track_printers(
    entry: PrinternizerConfigEntry,
    create: Callable[[PrinterCoordinator], Iterable[Entity]],
    add: Callable[[Iterable[Entity]], None],
) -> None:
    """Add entities for every printer, now and as printers appear."""

    @callback
    def _add(coordinators: list[PrinterCoordinator]) -> None:
        add([entity for coordinator in coordinators for entity in create(coordinator)])

    entry.runtime_data.printers.async_add_listener(_add)


@callback
def async_track_optional(
    coordinator: PrinterCoordinator,
    exists: Callable[[PrinterStatus], bool],
    create: Callable[[], Entity],
    add: Callable[[Iterable[Entity]], None],
) -> None:
    """Add an entity once its printer first reports what it shows."""
    if exists(coordinator.data):
        add([create()])
        return
    unsub: CALLBACK_TYPE | None = None

    @callback
    def _check() -> None:
        nonlocal unsub
        if unsub is None or not exists(coordinator.data):
            return
        unsub()
        unsub = None
        add([create()])

    @callback
    def _stop() -> None:
        if unsub is not None:
            unsub()

    unsub = coordinator.async_add_listener(_check)
    coordinator.async_on_remove(_stop)
