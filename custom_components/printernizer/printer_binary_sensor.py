"""Binary sensors of each printer (set up by the binary sensor platform)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity

from .api import PrinterState, PrinterStatus
from .coordinator import PrinternizerConfigEntry
from .printers import PrinterCoordinator, PrinterEntity, async_track_printers


def _is_state(state: PrinterState) -> Callable[[PrinterStatus], bool | None]:
    def value(status: PrinterStatus) -> bool | None:
        if status.state is PrinterState.UNKNOWN:
            return None
        return status.state is state

    return value


@dataclass(frozen=True, kw_only=True)
class PrinterBinarySensorDescription(BinarySensorEntityDescription):
    """Describes a binary sensor read from a printer's status."""

    value_fn: Callable[[PrinterStatus], bool | None]


ONLINE = BinarySensorEntityDescription(
    key="online",
    translation_key="online",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
)

PRINTER_BINARY_SENSORS: tuple[PrinterBinarySensorDescription, ...] = (
    PrinterBinarySensorDescription(
        key="printing",
        translation_key="printing",
        device_class=BinarySensorDeviceClass.RUNNING,
        value_fn=_is_state(PrinterState.PRINTING),
    ),
    PrinterBinarySensorDescription(
        key="problem",
        translation_key="problem",
        device_class=BinarySensorDeviceClass.PROBLEM,
        value_fn=_is_state(PrinterState.ERROR),
    ),
)


@callback
def async_setup_printer_binary_sensors(
    entry: PrinternizerConfigEntry, add: Callable[[Iterable[Entity]], None]
) -> None:
    """Add the binary sensors of every printer, now and as printers appear."""

    def _create(coordinator: PrinterCoordinator) -> list[Entity]:
        entities: list[Entity] = [PrinterOnlineSensor(coordinator, ONLINE)]
        entities.extend(
            PrinterBinarySensor(coordinator, description)
            for description in PRINTER_BINARY_SENSORS
        )
        return entities

    async_track_printers(entry, _create, add)


class PrinterBinarySensor(PrinterEntity, BinarySensorEntity):
    """A binary sensor whose value comes from a printer's status."""

    entity_description: PrinterBinarySensorDescription

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator.status)


class PrinterOnlineSensor(PrinterEntity, BinarySensorEntity):
    """On while the server can reach the printer.

    It stays available when the printer or the server fails: off is the answer then.
    """

    @property
    @override
    def available(self) -> bool:
        """Always available."""
        return True

    @property
    @override
    def is_on(self) -> bool:
        """Return whether the printer is reachable."""
        return (
            self.coordinator.last_update_success
            and self.coordinator.status.state is not PrinterState.OFFLINE
        )
