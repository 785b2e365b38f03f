"""Sensors for the integration's own request counters (retries, failures, 429s).

They read the client's `RequestMetrics` after every refresh of any of the entry's
coordinators, poll nothing themselves, and write a state only when it changed.
The counters start from zero when the entry loads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import callback
from homeassistant.helpers.typing import StateType

from .api import RequestMetrics
from .coordinator import PrinternizerConfigEntry
from .entity import hub_device_info
from .refresh import async_track_refreshes

# Longest text a state may hold.
MAX_STATE_LENGTH = 255


def truncate(text: str | None) -> str | None:
    """Cut a text to what fits into a state."""
    if text is None or len(text) <= MAX_STATE_LENGTH:
        return text
    return text[: MAX_STATE_LENGTH - 1] + "…"


@dataclass(frozen=True, kw_only=True)
class RequestMetricsSensorDescription(SensorEntityDescription):
    """Describes a sensor read from the client's request metrics."""

    value_fn: Callable[[RequestMetrics], StateType | datetime]


def _total(key: str, enabled: bool) -> RequestMetricsSensorDescription:
    return RequestMetricsSensorDescription(
        key=key,
        translation_key=key,
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=enabled,
        value_fn=lambda metrics: getattr(metrics, key.removeprefix("request_")),
    )


REQUEST_METRICS_SENSORS: tuple[RequestMetricsSensorDescription, ...] = (
    _total("request_total_requests", enabled=False),
    _total("request_failed_requests", enabled=True),
    _total("request_successful_fetches", enabled=False),
    _total("request_retries", enabled=True),
    _total("request_rate_limited", enabled=True),
    RequestMetricsSensorDescription(
        key="request_success_rate",
        translation_key="request_success_rate",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        entity_registry_enabled_default=False,
        value_fn=lambda metrics: metrics.success_rate,
    ),
    RequestMetricsSensorDescription(
        key="request_consecutive_failures",
        translation_key="request_consecutive_failures",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda metrics: metrics.consecutive_failures,
    ),
    RequestMetricsSensorDescription(
        key="request_last_error",
        translation_key="request_last_error",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda metrics: truncate(metrics.last_error),
    ),
    RequestMetricsSensorDescription(
        key="request_last_fetch_time",
        translation_key="request_last_fetch_time",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        value_fn=lambda metrics: metrics.last_fetch_time,
    ),
)


def request_metrics_sensors(
    entry: PrinternizerConfigEntry,
) -> list[RequestMetricsSensor]:
    """Return the request metrics sensors of an entry."""
    return [
        RequestMetricsSensor(entry, description)
        for description in REQUEST_METRICS_SENSORS
    ]


class RequestMetricsSensor(SensorEntity):
    """One of the client's request counters, on the hub device."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: RequestMetricsSensorDescription

    def __init__(
        self,
        entry: PrinternizerConfigEntry,
        description: RequestMetricsSensorDescription,
    ) -> None:
        """Initialise the sensor with the current value."""
        self.entity_description = description
        self._entry = entry
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = hub_device_info(entry)
        self._attr_native_value = description.value_fn(
            entry.runtime_data.client.metrics
        )

    @override
    async def async_added_to_hass(self) -> None:
        """Follow every refresh of the entry."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_track_refreshes(self.hass, self._entry, self._async_refreshed)
        )

    @callback
    def _async_refreshed(self) -> None:
        """Write the state when the value changed."""
        value = self.entity_description.value_fn(
            self._entry.runtime_data.client.metrics
        )
        if value == self._attr_native_value:
            return
        self._attr_native_value = value
        self.async_write_ha_state()
