"""Binary sensors: the server's connection and services, stock, each printer's state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import PrinterState, PrinterStatus, ServerHealth, ServiceStatus
from .coordinator import (
    MaterialsCoordinator,
    PrinternizerConfigEntry,
    ServerHealthCoordinator,
    async_track_feature,
)
from .entity import (
    OptionalFeatureEntity,
    PrinterEntity,
    PrinternizerHubEntity,
    PrinternizerServiceEntity,
    async_track_printers,
    async_track_services,
    service_translation_key,
)

# Entities only read what the coordinators already hold.
PARALLEL_UPDATES = 0

PROBLEM_STATES = {ServiceStatus.DEGRADED, ServiceStatus.UNHEALTHY}


@dataclass(frozen=True, kw_only=True)
class HealthBinarySensorDescription(BinarySensorEntityDescription):
    """Describes a binary sensor read from the server's health report."""

    value_fn: Callable[[ServerHealth], bool | None]


@dataclass(frozen=True, kw_only=True)
class PrinterBinarySensorDescription(BinarySensorEntityDescription):
    """Describes a binary sensor read from a printer's status."""

    value_fn: Callable[[PrinterStatus], bool | None]


def service_problem_description(service: str) -> HealthBinarySensorDescription:
    """Describe the problem sensor of one server service."""

    def value(health: ServerHealth) -> bool | None:
        if (svc := health.services.get(service)) is None:
            return None
        if svc.status is ServiceStatus.UNKNOWN:
            return None
        return svc.status in PROBLEM_STATES

    return HealthBinarySensorDescription(
        key=f"service_{service}_problem",
        translation_key=service_translation_key(service, "problem"),
        device_class=BinarySensorDeviceClass.PROBLEM,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=value,
    )


CONNECTIVITY = BinarySensorEntityDescription(
    key="connectivity",
    translation_key="connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


def _is_state(state: PrinterState) -> Callable[[PrinterStatus], bool | None]:
    def value(status: PrinterStatus) -> bool | None:
        if status.state is PrinterState.UNKNOWN:
            return None
        return status.state is state

    return value


def _is_online(status: PrinterStatus) -> bool:
    # The server reports a printer it is not connected to as offline; any other
    # state, unknown included, comes from a connected printer.
    return status.state is not PrinterState.OFFLINE


PRINTER_BINARY_SENSORS: tuple[PrinterBinarySensorDescription, ...] = (
    # Off when the server says the printer is offline (or it is an unreachable
    # Bambu Lab printer); unavailable while the server itself does not answer.
    PrinterBinarySensorDescription(
        key="online",
        translation_key="online",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        value_fn=_is_online,
    ),
    PrinterBinarySensorDescription(
        key="printing",
        translation_key="printing",
        device_class=BinarySensorDeviceClass.RUNNING,
        value_fn=_is_state(PrinterState.PRINTING),
    ),
    PrinterBinarySensorDescription(
        key="problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        value_fn=_is_state(PrinterState.ERROR),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of a config entry."""
    health = entry.runtime_data.health
    async_add_entities([ServerConnectivitySensor(entry, health, CONNECTIVITY)])
    async_track_services(
        entry,
        lambda service: [
            ServiceProblemSensor(
                entry, health, service, service_problem_description(service)
            )
        ],
        async_add_entities,
    )
    async_track_printers(
        entry,
        lambda coordinator: [
            PrinterBinarySensor(coordinator, description)
            for description in PRINTER_BINARY_SENSORS
        ],
        async_add_entities,
    )
    materials = entry.runtime_data.materials
    async_track_feature(
        hass,
        entry,
        materials,
        lambda: [MaterialLowStockSensor(entry, materials, MATERIAL_LOW_STOCK)],
        async_add_entities,
    )


class ServerConnectivitySensor(
    PrinternizerHubEntity[ServerHealthCoordinator], BinarySensorEntity
):
    """On while the server answers its health check.

    It stays available when the server is down: that is the moment automations watch for.
    """

    @property
    @override
    def available(self) -> bool:
        """Always available."""
        return True

    @property
    @override
    def is_on(self) -> bool:
        """Return whether the last health check succeeded."""
        return self.coordinator.last_update_success


class ServiceProblemSensor(PrinternizerServiceEntity, BinarySensorEntity):
    """On while a service is degraded or unhealthy."""

    entity_description: HealthBinarySensorDescription

    @property
    @override
    def is_on(self) -> bool | None:
        """Return whether the service has a problem."""
        return self.entity_description.value_fn(self.coordinator.data)


class PrinterBinarySensor(PrinterEntity, BinarySensorEntity):
    """A binary sensor whose value comes from a printer's status."""

    entity_description: PrinterBinarySensorDescription

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator.status)


# ----------------------------------------------------------------------------
# The material inventory

MATERIAL_LOW_STOCK = BinarySensorEntityDescription(
    key="material_low_stock",
    translation_key="material_low_stock",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


class MaterialLowStockSensor(
    OptionalFeatureEntity[MaterialsCoordinator], BinarySensorEntity
):
    """On while spools are low on stock.

    The server counts a spool below 20 % of its weight as low; the `spools`
    attribute names them by the server's spool id (the statistics carry no more).
    """

    @property
    @override
    def is_on(self) -> bool | None:
        """Return whether any spool is low on stock."""
        data = self.coordinator.data
        return None if data is None else bool(data.stats.low_stock)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Name the spools low on stock."""
        data = self.coordinator.data
        spools = [] if data is None else data.stats.low_stock
        return {"spools": [spool.material_id for spool in spools]}
