"""Sensors for the Printernizer integration."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import HealthStatus, ServerHealth, ServiceStatus
from .coordinator import PrinternizerConfigEntry, ServerHealthCoordinator
from .entity import (
    PrinternizerHubEntity,
    PrinternizerServiceEntity,
    async_track_services,
    service_translation_key,
)
from .printer_sensor import async_setup_printer_sensors
from .request_metrics import request_metrics_sensors
from .trending_sensor import async_setup_trending_sensors

PARALLEL_UPDATES = 0

HEALTH_STATES = [
    HealthStatus.HEALTHY.value,
    HealthStatus.DEGRADED.value,
    HealthStatus.UNHEALTHY.value,
]
# `unknown` is not an option: an unknown value becomes Home Assistant's own unknown state.
SERVICE_STATES = [
    ServiceStatus.HEALTHY.value,
    ServiceStatus.DEGRADED.value,
    ServiceStatus.UNHEALTHY.value,
    ServiceStatus.DISABLED.value,
]


@dataclass(frozen=True, kw_only=True)
class HealthSensorDescription(SensorEntityDescription):
    """Describes a sensor read from the server's health report."""

    value_fn: Callable[[ServerHealth], StateType]


def _option(value: str, options: list[str]) -> str | None:
    return value if value in options else None


def service_status_description(service: str) -> HealthSensorDescription:
    """Describe the status sensor of one server service."""
    return HealthSensorDescription(
        key=f"service_{service}_status",
        translation_key=service_translation_key(service, "status"),
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC,
        options=SERVICE_STATES,
        value_fn=lambda health: (
            _option(svc.status.value, SERVICE_STATES)
            if (svc := health.services.get(service))
            else None
        ),
    )


SERVER_STATUS = HealthSensorDescription(
    key="server_status",
    translation_key="server_status",
    device_class=SensorDeviceClass.ENUM,
    options=HEALTH_STATES,
    value_fn=lambda health: _option(health.status.value, HEALTH_STATES),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of a config entry."""
    coordinator = entry.runtime_data.health
    async_add_entities([HealthSensor(entry, coordinator, SERVER_STATUS)])
    async_add_entities(request_metrics_sensors(entry))
    async_setup_trending_sensors(hass, entry, async_add_entities)
    async_track_services(
        entry,
        lambda service: [
            ServiceStatusSensor(
                entry, coordinator, service, service_status_description(service)
            )
        ],
        async_add_entities,
    )
    async_setup_printer_sensors(entry, async_add_entities)


class HealthSensor(PrinternizerHubEntity[ServerHealthCoordinator], SensorEntity):
    """A sensor whose value comes from the health report."""

    entity_description: HealthSensorDescription

    @property
    @override
    def native_value(self) -> StateType:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator.data)


class ServiceStatusSensor(PrinternizerServiceEntity, SensorEntity):
    """The status of one service the server reports on."""

    entity_description: HealthSensorDescription

    @property
    @override
    def native_value(self) -> StateType:
        """Return the service's status."""
        return self.entity_description.value_fn(self.coordinator.data)
