"""Sensors of each printer (set up by the sensor platform)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, UnitOfTemperature, UnitOfTime
from homeassistant.core import callback
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .api import PrinterState, PrinterStatus
from .coordinator import PrinternizerConfigEntry
from .printers import (
    PrinterCoordinator,
    PrinterEntity,
    async_track_optional,
    async_track_printers,
)

# `unknown` is not an option: an unknown value becomes Home Assistant's own unknown state.
PRINTER_STATES = [
    PrinterState.ONLINE.value,
    PrinterState.OFFLINE.value,
    PrinterState.PRINTING.value,
    PrinterState.PAUSED.value,
    PrinterState.ERROR.value,
]
#: The estimated finish only moves when a new estimate differs by more than this.
FINISH_TOLERANCE = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class PrinterSensorDescription(SensorEntityDescription):
    """Describes a sensor read from a printer's status."""

    value_fn: Callable[[PrinterStatus], StateType]
    # Set for a sensor that only appears once the printer reports its value.
    exists_fn: Callable[[PrinterStatus], bool] | None = None


def _job_value[T](
    value: Callable[[PrinterStatus], T],
) -> Callable[[PrinterStatus], T | None]:
    """Read a job field only while there is a job."""
    return lambda status: value(status) if status.job_name is not None else None


def _temperature(
    key: str,
    read: Callable[[PrinterStatus], float | None],
    exists_fn: Callable[[PrinterStatus], bool] | None = None,
) -> PrinterSensorDescription:
    return PrinterSensorDescription(
        key=key,
        translation_key=key,
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=read,
        exists_fn=exists_fn,
    )


PRINTER_SENSORS: tuple[PrinterSensorDescription, ...] = (
    PrinterSensorDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=PRINTER_STATES,
        value_fn=lambda status: (
            status.state.value if status.state.value in PRINTER_STATES else None
        ),
    ),
    PrinterSensorDescription(
        key="progress",
        translation_key="progress",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_job_value(lambda status: status.progress),
    ),
    _temperature("nozzle_temperature", lambda status: status.nozzle.current),
    _temperature("bed_temperature", lambda status: status.bed.current),
    # The server has never sent a target yet; these appear once it does.
    _temperature(
        "nozzle_target_temperature",
        lambda status: status.nozzle.target,
        exists_fn=lambda status: status.nozzle.target is not None,
    ),
    _temperature(
        "bed_target_temperature",
        lambda status: status.bed.target,
        exists_fn=lambda status: status.bed.target is not None,
    ),
    PrinterSensorDescription(
        key="current_job",
        translation_key="current_job",
        value_fn=lambda status: status.job_name,
    ),
    PrinterSensorDescription(
        key="remaining_time",
        translation_key="remaining_time",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MINUTES,
        value_fn=_job_value(lambda status: status.remaining_time),
    ),
)

ESTIMATED_FINISH = SensorEntityDescription(
    key="estimated_finish",
    translation_key="estimated_finish",
    device_class=SensorDeviceClass.TIMESTAMP,
)


@callback
def async_setup_printer_sensors(
    entry: PrinternizerConfigEntry, add: Callable[[Iterable[Entity]], None]
) -> None:
    """Add the sensors of every printer, now and as printers appear."""

    def _create(coordinator: PrinterCoordinator) -> list[Entity]:
        entities: list[Entity] = [EstimatedFinishSensor(coordinator, ESTIMATED_FINISH)]
        for description in PRINTER_SENSORS:
            if description.exists_fn is None:
                entities.append(PrinterSensor(coordinator, description))
                continue
            async_track_optional(
                entry,
                coordinator,
                description.exists_fn,
                partial(PrinterSensor, coordinator, description),
                add,
            )
        return entities

    async_track_printers(entry, _create, add)


class PrinterSensor(PrinterEntity, SensorEntity):
    """A sensor whose value comes from a printer's status."""

    entity_description: PrinterSensorDescription

    @property
    @override
    def native_value(self) -> StateType:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator.status)


class EstimatedFinishSensor(PrinterEntity, SensorEntity):
    """When the current job will finish, from its remaining time.

    It stays put between updates: a new estimate only replaces the shown one when
    the two differ by more than a minute.
    """

    def __init__(
        self, coordinator: PrinterCoordinator, description: SensorEntityDescription
    ) -> None:
        """Initialise the sensor."""
        super().__init__(coordinator, description)
        self._finish: datetime | None = None
        self._estimate()

    def _estimate(self) -> None:
        status = self.coordinator.status
        if status.job_name is None or status.remaining_time is None:
            self._finish = None
            return
        finish = dt_util.utcnow().replace(microsecond=0) + timedelta(
            minutes=status.remaining_time
        )
        if self._finish is None or abs(finish - self._finish) > FINISH_TOLERANCE:
            self._finish = finish

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Re-estimate, then write the state."""
        self._estimate()
        super()._handle_coordinator_update()

    @property
    @override
    def native_value(self) -> datetime | None:
        """Return the estimated finish."""
        return self._finish
