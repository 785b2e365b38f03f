"""One status sensor per printer."""

from __future__ import annotations

from homeassistant.components.sensor import SensorEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import DOMAIN, PollingConfigEntry, PollingCoordinator


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PollingConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a status sensor for every printer of the first poll."""
    coordinator = entry.runtime_data
    async_add_entities(
        PrinterStatusSensor(coordinator, printer_id) for printer_id in coordinator.data
    )


class PrinterStatusSensor(CoordinatorEntity[PollingCoordinator], SensorEntity):
    """The status the server reports for one printer (online, printing, ...)."""

    _attr_has_entity_name = True
    _attr_name = "Status"

    def __init__(self, coordinator: PollingCoordinator, printer_id: str) -> None:
        """Initialise the sensor on the printer's device."""
        super().__init__(coordinator)
        self.printer_id = printer_id
        device_id = f"{coordinator.config_entry.entry_id}_{printer_id}"
        self._attr_unique_id = f"{device_id}_status"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, device_id)},
            name=coordinator.data[printer_id]["name"],
        )

    @property
    def available(self) -> bool:
        """Available while the last poll succeeded and listed the printer."""
        return super().available and self.printer_id in self.coordinator.data

    @property
    def native_value(self) -> str | None:
        """Return the printer's status."""
        status = self.coordinator.data.get(self.printer_id)
        return None if status is None else status["status"]
