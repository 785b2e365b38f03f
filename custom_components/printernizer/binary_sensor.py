"""Binary sensors for the Printernizer integration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import ServerHealth, ServiceStatus
from .coordinator import PrinternizerConfigEntry, ServerHealthCoordinator
from .entity import (
    PrinternizerHubEntity,
    PrinternizerServiceEntity,
    async_track_services,
    service_translation_key,
)
from .printer_binary_sensor import async_setup_printer_binary_sensors

PARALLEL_UPDATES = 0

PROBLEM_STATES = {ServiceStatus.DEGRADED, ServiceStatus.UNHEALTHY}


@dataclass(frozen=True, kw_only=True)
class HealthBinarySensorDescription(BinarySensorEntityDescription):
    """Describes a binary sensor read from the server's health report."""

    value_fn: Callable[[ServerHealth], bool | None]


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
        value_fn=value,
    )


CONNECTIVITY = BinarySensorEntityDescription(
    key="connectivity",
    translation_key="connectivity",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of a config entry."""
    coordinator = entry.runtime_data.health
    async_add_entities([ServerConnectivitySensor(entry, coordinator, CONNECTIVITY)])
    async_track_services(
        entry,
        lambda service: [
            ServiceProblemSensor(
                entry, coordinator, service, service_problem_description(service)
            )
        ],
        async_add_entities,
    )
    async_setup_printer_binary_sensors(entry, async_add_entities)


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
