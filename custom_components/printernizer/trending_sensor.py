"""Sensors for the server's trending statistics, created only when the server has them.

They appear after the first successful read, a sensor per platform as platforms
appear, and are removed from the entity registry when the server answers 404.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.typing import StateType

from .api import TrendingPerformance
from .coordinator import PrinternizerConfigEntry
from .entity import PrinternizerHubEntity
from .request_metrics import truncate
from .trending import TrendingCoordinator

KEY_PREFIX = "trending_"


@dataclass(frozen=True, kw_only=True)
class TrendingSensorDescription(SensorEntityDescription):
    """Describes a trending sensor.

    `value_fn` reads the coordinator; `always_available` keeps the sensor available
    while refreshes fail (the backoff is what matters then).
    """

    value_fn: Callable[[TrendingCoordinator], StateType | datetime]
    always_available: bool = False


def _performance[T](
    read: Callable[[TrendingPerformance], T],
) -> Callable[[TrendingCoordinator], T | None]:
    def value(coordinator: TrendingCoordinator) -> T | None:
        data = coordinator.data
        if data is None or data.performance_metrics is None:
            return None
        return read(data.performance_metrics)

    return value


def cache_hit_ratio(performance: TrendingPerformance) -> float | None:
    """Return cache hits per cache lookup in percent."""
    hits, misses = performance.cache_hits, performance.cache_misses
    if hits is None or misses is None or hits + misses == 0:
        return None
    return round(100 * hits / (hits + misses), 2)


def _counter(
    key: str, read: Callable[[TrendingPerformance], int | None]
) -> TrendingSensorDescription:
    """Describe a counter of the server's trending service (it restarts with it)."""
    return TrendingSensorDescription(
        key=f"{KEY_PREFIX}{key}",
        translation_key=f"{KEY_PREFIX}{key}",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=_performance(read),
    )


TRENDING_SENSORS: tuple[TrendingSensorDescription, ...] = (
    TrendingSensorDescription(
        key="trending_total_cached",
        translation_key="trending_total_cached",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda c: c.data.total_cached if c.data else None,
    ),
    TrendingSensorDescription(
        key="trending_valid_items",
        translation_key="trending_valid_items",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda c: c.data.valid_items if c.data else None,
    ),
    TrendingSensorDescription(
        key="trending_success_rate",
        translation_key="trending_success_rate",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        value_fn=_performance(lambda p: p.success_rate),
    ),
    _counter("failed_requests", lambda p: p.failed_requests),
    _counter("successful_fetches", lambda p: p.successful_fetches),
    _counter("cache_hits", lambda p: p.cache_hits),
    _counter("cache_misses", lambda p: p.cache_misses),
    TrendingSensorDescription(
        key="trending_cache_hit_ratio",
        translation_key="trending_cache_hit_ratio",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        value_fn=_performance(cache_hit_ratio),
    ),
    TrendingSensorDescription(
        key="trending_last_fetch_time",
        translation_key="trending_last_fetch_time",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=_performance(lambda p: p.last_fetch_time),
    ),
    TrendingSensorDescription(
        key="trending_last_error",
        translation_key="trending_last_error",
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_performance(lambda p: truncate(p.last_error)),
    ),
    TrendingSensorDescription(
        key="trending_backoff",
        translation_key="trending_backoff",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        always_available=True,
        value_fn=lambda c: c.backoff.total_seconds() if c.backoff else 0,
    ),
    TrendingSensorDescription(
        key="trending_next_attempt",
        translation_key="trending_next_attempt",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.TIMESTAMP,
        always_available=True,
        value_fn=lambda c: c.next_attempt,
    ),
)


def platform_description(platform: str) -> TrendingSensorDescription:
    """Describe the item count of one trending platform."""
    return TrendingSensorDescription(
        key=f"{KEY_PREFIX}platform_{platform}",
        translation_key="trending_platform_items",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda c: c.data.by_platform.get(platform) if c.data else None,
    )


@callback
def async_setup_trending_sensors(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    add: Callable[[Iterable[Entity]], None],
) -> None:
    """Add the trending sensors while the server has the feature; remove them when not."""
    coordinator = entry.runtime_data.trending
    if coordinator is None:
        return
    known: set[str] = set()

    @callback
    def _remove_all() -> None:
        known.clear()
        registry = er.async_get(hass)
        prefix = f"{entry.entry_id}_{KEY_PREFIX}"
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
            if entity.unique_id.startswith(prefix):
                registry.async_remove(entity.entity_id)

    @callback
    def _sync() -> None:
        if coordinator.present is False:
            _remove_all()
            return
        if coordinator.data is None:
            return
        new: list[TrendingSensor] = []
        if not known:
            known.add("")
            new.extend(
                TrendingSensor(entry, coordinator, description)
                for description in TRENDING_SENSORS
            )
        for platform in coordinator.data.by_platform:
            if platform not in known:
                known.add(platform)
                new.append(TrendingPlatformSensor(entry, coordinator, platform))
        if new:
            add(new)

    _sync()
    entry.async_on_unload(coordinator.async_add_listener(_sync))


class TrendingSensor(PrinternizerHubEntity[TrendingCoordinator], SensorEntity):
    """A value from the trending statistics or the coordinator's backoff."""

    entity_description: TrendingSensorDescription

    @property
    @override
    def available(self) -> bool:
        """Available while the statistics are current (backoff sensors always)."""
        if self.entity_description.always_available:
            return True
        return super().available and self.coordinator.data is not None

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator)


class TrendingPlatformSensor(TrendingSensor):
    """The number of trending items on one platform."""

    def __init__(
        self,
        entry: PrinternizerConfigEntry,
        coordinator: TrendingCoordinator,
        platform: str,
    ) -> None:
        """Initialise the sensor for `platform`."""
        super().__init__(entry, coordinator, platform_description(platform))
        self._platform = platform
        self._attr_translation_placeholders = {
            "platform": platform.replace("_", " ").capitalize()
        }

    @property
    @override
    def available(self) -> bool:
        """A platform the server no longer reports is unavailable."""
        return (
            super().available
            and self.coordinator.data is not None
            and self._platform in self.coordinator.data.by_platform
        )
