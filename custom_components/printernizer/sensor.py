"""Sensors: server health, requests, trending, statistics, materials, printers."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
import re
from typing import Any, override

from homeassistant.components.sensor import (
    ATTR_LAST_RESET,
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    PERCENTAGE,
    EntityCategory,
    UnitOfMass,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.util import dt as dt_util

from .api import (
    AnalyticsSummary,
    Filament,
    HealthStatus,
    MaterialStats,
    Printer,
    PrinterState,
    PrinterStatus,
    RequestMetrics,
    ServerHealth,
    ServiceStatus,
    TrendingPerformance,
)
from .coordinator import (
    FleetStatisticsCoordinator,
    MaterialsCoordinator,
    PrinterCoordinator,
    PrinternizerConfigEntry,
    ServerHealthCoordinator,
    TrendingCoordinator,
    async_track_feature,
    async_track_refreshes,
    is_unreachable_bambu,
)
from .coordinator.printers import status_from_printer
from .counters import PrinterActivity, PrinterCounters
from .entity import (
    OptionalFeatureEntity,
    PrinterEntity,
    PrinternizerHubEntity,
    PrinternizerServiceEntity,
    async_track_optional,
    async_track_printers,
    async_track_services,
    hub_device_info,
    printer_device_info,
    service_translation_key,
)
from .helpers import async_remove_entity, printer_identifier

# Entities only read what the coordinators and the client already hold.
PARALLEL_UPDATES = 0

# Longest text a state may hold.
MAX_STATE_LENGTH = 255
TRENDING_KEY_PREFIX = "trending_"
#: The estimated finish only moves when a new estimate differs by more than this.
FINISH_TOLERANCE = timedelta(minutes=1)

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
PRINTER_STATES = [
    PrinterState.ONLINE.value,
    PrinterState.OFFLINE.value,
    PrinterState.PRINTING.value,
    PrinterState.PAUSED.value,
    PrinterState.ERROR.value,
]


def truncate(text: str | None) -> str | None:
    """Cut a text to what fits into a state."""
    if text is None or len(text) <= MAX_STATE_LENGTH:
        return text
    return text[: MAX_STATE_LENGTH - 1] + "…"


def _option(value: str, options: list[str]) -> str | None:
    return value if value in options else None


# ----------------------------------------------------------------------------
# The server's health report


@dataclass(frozen=True, kw_only=True)
class HealthSensorDescription(SensorEntityDescription):
    """Describes a sensor read from the server's health report."""

    value_fn: Callable[[ServerHealth], StateType]


SERVER_STATUS = HealthSensorDescription(
    key="server_status",
    translation_key="server_status",
    device_class=SensorDeviceClass.ENUM,
    options=HEALTH_STATES,
    value_fn=lambda health: _option(health.status.value, HEALTH_STATES),
)


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


# ----------------------------------------------------------------------------
# The integration's own request counters


@dataclass(frozen=True, kw_only=True)
class RequestMetricsSensorDescription(SensorEntityDescription):
    """Describes a sensor read from the client's request metrics."""

    value_fn: Callable[[RequestMetrics], StateType | datetime]


def _request_total(key: str, enabled: bool) -> RequestMetricsSensorDescription:
    return RequestMetricsSensorDescription(
        key=key,
        translation_key=key,
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=enabled,
        value_fn=lambda metrics: getattr(metrics, key.removeprefix("request_")),
    )


REQUEST_METRICS_SENSORS: tuple[RequestMetricsSensorDescription, ...] = (
    _request_total("request_total_requests", enabled=False),
    _request_total("request_failed_requests", enabled=True),
    _request_total("request_successful_fetches", enabled=False),
    _request_total("request_retries", enabled=True),
    _request_total("request_rate_limited", enabled=True),
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


# ----------------------------------------------------------------------------
# The optional trending statistics


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


def _trending_counter(
    key: str,
    read: Callable[[TrendingPerformance], int | None],
    *,
    enabled: bool = False,
) -> TrendingSensorDescription:
    """Describe a counter of the server's trending service (it restarts with it)."""
    return TrendingSensorDescription(
        key=f"{TRENDING_KEY_PREFIX}{key}",
        translation_key=f"{TRENDING_KEY_PREFIX}{key}",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_registry_enabled_default=enabled,
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
    # The three a user would chart stay enabled; the rest is there for debugging.
    TrendingSensorDescription(
        key="trending_success_rate",
        translation_key="trending_success_rate",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        value_fn=_performance(lambda p: p.success_rate),
    ),
    _trending_counter("failed_requests", lambda p: p.failed_requests, enabled=True),
    TrendingSensorDescription(
        key="trending_cache_hit_ratio",
        translation_key="trending_cache_hit_ratio",
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        value_fn=_performance(cache_hit_ratio),
    ),
    _trending_counter("successful_fetches", lambda p: p.successful_fetches),
    _trending_counter("cache_hits", lambda p: p.cache_hits),
    _trending_counter("cache_misses", lambda p: p.cache_misses),
    TrendingSensorDescription(
        key="trending_last_fetch_time",
        translation_key="trending_last_fetch_time",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        value_fn=_performance(lambda p: p.last_fetch_time),
    ),
    TrendingSensorDescription(
        key="trending_last_error",
        translation_key="trending_last_error",
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=_performance(lambda p: truncate(p.last_error)),
    ),
    TrendingSensorDescription(
        key="trending_backoff",
        translation_key="trending_backoff",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.SECONDS,
        entity_registry_enabled_default=False,
        always_available=True,
        value_fn=lambda c: c.backoff.total_seconds() if c.backoff else 0,
    ),
    TrendingSensorDescription(
        key="trending_next_attempt",
        translation_key="trending_next_attempt",
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_registry_enabled_default=False,
        always_available=True,
        value_fn=lambda c: c.next_attempt,
    ),
)


def trending_platform_description(platform: str) -> TrendingSensorDescription:
    """Describe the item count of one trending platform."""
    return TrendingSensorDescription(
        key=f"{TRENDING_KEY_PREFIX}platform_{platform}",
        translation_key="trending_platform_items",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda c: c.data.by_platform.get(platform) if c.data else None,
    )


# ----------------------------------------------------------------------------
# Printers


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
        value_fn=lambda status: _option(status.state.value, PRINTER_STATES),
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


# ----------------------------------------------------------------------------
# Setup


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of a config entry."""
    health = entry.runtime_data.health
    async_add_entities([HealthSensor(entry, health, SERVER_STATUS)])
    async_add_entities(
        RequestMetricsSensor(entry, description)
        for description in REQUEST_METRICS_SENSORS
    )
    async_track_services(
        entry,
        lambda service: [
            ServiceStatusSensor(
                entry, health, service, service_status_description(service)
            )
        ],
        async_add_entities,
    )
    _async_track_trending(hass, entry, async_add_entities)

    def _printer_sensors(coordinator: PrinterCoordinator) -> list[Entity]:
        entities: list[Entity] = [EstimatedFinishSensor(coordinator, ESTIMATED_FINISH)]
        for description in PRINTER_SENSORS:
            if description.exists_fn is None:
                entities.append(PrinterSensor(coordinator, description))
            else:
                async_track_optional(
                    coordinator,
                    description.exists_fn,
                    partial(PrinterSensor, coordinator, description),
                    async_add_entities,
                )
        return entities

    async_track_printers(entry, _printer_sensors, async_add_entities)
    _async_setup_statistics(hass, entry, async_add_entities)
    async_track_printers(
        entry,
        lambda coordinator: async_track_filaments(
            hass, coordinator, async_add_entities
        ),
        async_add_entities,
    )


@callback
def _async_track_trending(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    add: Callable[[Iterable[Entity]], None],
) -> None:
    """Add the trending sensors while the server has the feature; remove them when not.

    They appear after the first successful read, a sensor per platform as platforms
    appear, and are removed from the entity registry when the server answers 404.
    """
    coordinator = entry.runtime_data.trending
    known: set[str] = set()

    @callback
    def _remove_all() -> None:
        known.clear()
        registry = er.async_get(hass)
        prefix = f"{entry.entry_id}_{TRENDING_KEY_PREFIX}"
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


# ----------------------------------------------------------------------------
# Entities


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


class RequestMetricsSensor(SensorEntity):
    """One of the client's request counters, on the hub device.

    It reads the client's metrics after every refresh of any of the entry's
    coordinators, polls nothing itself, and writes a state only when it changed.
    The counters start from zero when the entry loads.
    """

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
        self._attr_device_info = hub_device_info(
            entry, entry.runtime_data.health.data.version
        )
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
        super().__init__(entry, coordinator, trending_platform_description(platform))
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


class PrinterSensor(PrinterEntity, SensorEntity):
    """A sensor whose value comes from a printer's status."""

    entity_description: PrinterSensorDescription

    @property
    @override
    def native_value(self) -> StateType:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.coordinator.status)


class EstimatedFinishSensor(PrinterEntity, SensorEntity):
    """When the current job will finish: the remaining time from its reading on.

    The estimate is anchored to the time of the status that brought the remaining
    time, so pushes in between (which lack it) do not move it. It stays put
    between readings: a new estimate only replaces the shown one when the two
    differ by more than a minute.
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
        read_at = status.remaining_time_at or dt_util.utcnow()
        finish = read_at.replace(microsecond=0) + timedelta(
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


# ----------------------------------------------------------------------------
# Fleet statistics, the material inventory and each printer's own counters


@dataclass(frozen=True, kw_only=True)
class FleetStatisticsSensorDescription(SensorEntityDescription):
    """Describes a sensor read from the server's analytics summary."""

    value_fn: Callable[[AnalyticsSummary], StateType]


@dataclass(frozen=True, kw_only=True)
class MaterialSensorDescription(SensorEntityDescription):
    """Describes a sensor read from the material statistics."""

    value_fn: Callable[[MaterialStats], StateType]


@dataclass(frozen=True, kw_only=True)
class PrinterCounterDescription(SensorEntityDescription):
    """Describes a counter the integration keeps for a printer.

    `value_fn` returns what was counted since the entry loaded, in the native unit.
    """

    value_fn: Callable[[PrinterActivity], float]


def not_negative[N: (int, float)](value: N | None) -> N | None:
    """Return a total or a stock, or None for a negative one (a server fault)."""
    return None if value is None or value < 0 else value


def print_success_rate(summary: AnalyticsSummary) -> float | None:
    """Return the server's success rate; unknown without jobs or out of range."""
    rate = summary.success_rate_percent
    if not summary.total_jobs or rate is None or not 0 <= rate <= 100:
        return None
    return rate


def _fleet_total(
    key: str, read: Callable[[AnalyticsSummary], float | None], **kwargs: Any
) -> FleetStatisticsSensorDescription:
    """Describe a total of the server's jobs: a drop is a server restart."""
    return FleetStatisticsSensorDescription(
        key=key,
        translation_key=key,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda summary: not_negative(read(summary)),
        **kwargs,
    )


FLEET_STATISTICS_SENSORS: tuple[FleetStatisticsSensorDescription, ...] = (
    _fleet_total("fleet_prints_completed", lambda s: s.completed_jobs),
    _fleet_total("fleet_prints_failed", lambda s: s.failed_jobs),
    FleetStatisticsSensorDescription(
        key="fleet_print_success_rate",
        translation_key="fleet_print_success_rate",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=print_success_rate,
    ),
    _fleet_total(
        "fleet_print_time",
        lambda s: s.total_print_time_hours,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.HOURS,
        suggested_display_precision=1,
    ),
    _fleet_total(
        "fleet_material_used",
        lambda s: s.total_material_used_kg,
        device_class=SensorDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.KILOGRAMS,
        suggested_display_precision=2,
    ),
)

# Monetary sensors only take the `total` state class: a drop sets `last_reset`.
FLEET_PRINT_COST = FleetStatisticsSensorDescription(
    key="fleet_print_cost",
    translation_key="fleet_print_cost",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
    value_fn=lambda summary: not_negative(summary.total_cost_eur),
)

MATERIAL_SENSORS: tuple[MaterialSensorDescription, ...] = (
    MaterialSensorDescription(
        key="material_spools",
        translation_key="material_spools",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda stats: not_negative(stats.total_spools),
    ),
    MaterialSensorDescription(
        key="material_remaining",
        translation_key="material_remaining",
        device_class=SensorDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.KILOGRAMS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda stats: not_negative(stats.total_remaining),
    ),
    MaterialSensorDescription(
        key="material_consumption_30d",
        translation_key="material_consumption_30d",
        device_class=SensorDeviceClass.WEIGHT,
        native_unit_of_measurement=UnitOfMass.KILOGRAMS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=2,
        value_fn=lambda stats: not_negative(stats.consumption_30d),
    ),
)

# What the remaining material is worth: a stock, so no state class (monetary
# sensors only take `total`).
MATERIAL_REMAINING_VALUE = MaterialSensorDescription(
    key="material_remaining_value",
    translation_key="material_remaining_value",
    device_class=SensorDeviceClass.MONETARY,
    suggested_display_precision=2,
    value_fn=lambda stats: not_negative(stats.remaining_value),
)

PRINTER_COUNTERS: tuple[PrinterCounterDescription, ...] = (
    PrinterCounterDescription(
        key="print_time",
        translation_key="print_time",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.HOURS,
        state_class=SensorStateClass.TOTAL_INCREASING,
        suggested_display_precision=1,
        value_fn=lambda activity: activity.print_seconds / 3600,
    ),
    PrinterCounterDescription(
        key="prints_finished",
        translation_key="prints_finished",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda activity: activity.finished,
    ),
    PrinterCounterDescription(
        key="prints_failed",
        translation_key="prints_failed",
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda activity: activity.failed,
    ),
)


@callback
def _async_setup_statistics(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    add: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the fleet statistics and material sensors while the server has them."""
    runtime = entry.runtime_data
    statistics, materials = runtime.statistics, runtime.materials
    async_track_feature(
        hass,
        entry,
        statistics,
        lambda: [
            *(
                FleetStatisticsSensor(entry, statistics, description)
                for description in FLEET_STATISTICS_SENSORS
            ),
            FleetCostSensor(entry, statistics, FLEET_PRINT_COST),
        ],
        add,
    )
    async_track_feature(
        hass,
        entry,
        materials,
        lambda: [
            *(
                MaterialSensor(entry, materials, description)
                for description in MATERIAL_SENSORS
            ),
            MaterialValueSensor(entry, materials, MATERIAL_REMAINING_VALUE),
        ],
        add,
    )
    async_track_printers(
        entry,
        lambda coordinator: [
            PrinterCounterSensor(
                entry, coordinator, runtime.counters[coordinator.printer_id], item
            )
            for item in PRINTER_COUNTERS
        ],
        add,
    )


class FleetStatisticsSensor(
    OptionalFeatureEntity[FleetStatisticsCoordinator], SensorEntity
):
    """A total of the server's print jobs."""

    entity_description: FleetStatisticsSensorDescription

    @property
    @override
    def native_value(self) -> StateType:
        """Return the sensor's value."""
        data = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data.summary)


class FleetCostSensor(FleetStatisticsSensor, RestoreSensor):
    """What the server's print jobs cost, in the server's currency.

    A currency setting that is not an ISO 4217 code leaves the sensor without a
    currency (and without the monetary device class) rather than break it. When
    the total drops (the server restarted and forgot its jobs), `last_reset` is
    set, so the long-term statistics start a new cycle instead of going back; the
    last total and reset are restored after a restart of Home Assistant.
    """

    _last_total: float | None = None

    @override
    async def async_added_to_hass(self) -> None:
        """Restore the last total and reset, then compare the current total."""
        await super().async_added_to_hass()
        if (last := await self.async_get_last_sensor_data()) is not None and (
            isinstance(last.native_value, int | float | Decimal)
        ):
            self._last_total = float(last.native_value)
        if (state := await self.async_get_last_state()) is not None and isinstance(
            reset := state.attributes.get(ATTR_LAST_RESET), str
        ):
            self._attr_last_reset = dt_util.parse_datetime(reset)
        self._follow_total()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Start a new cycle when the total dropped, then write the state."""
        self._follow_total()
        super()._handle_coordinator_update()

    def _follow_total(self) -> None:
        value = self.native_value
        if not isinstance(value, int | float):
            return
        if self._last_total is not None and value < self._last_total:
            self._attr_last_reset = dt_util.utcnow()
        self._last_total = value

    @property
    @override
    def device_class(self) -> SensorDeviceClass | None:
        """Monetary while the server names a known currency."""
        data = self.coordinator.data
        return SensorDeviceClass.MONETARY if data and data.currency else None

    @property
    @override
    def native_unit_of_measurement(self) -> str | None:
        """Return the server's currency."""
        data = self.coordinator.data
        return data.currency if data else None


class MaterialSensor(OptionalFeatureEntity[MaterialsCoordinator], SensorEntity):
    """A figure of the material inventory."""

    entity_description: MaterialSensorDescription

    @property
    @override
    def native_value(self) -> StateType:
        """Return the sensor's value."""
        data = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data.stats)


class MaterialValueSensor(MaterialSensor):
    """What the remaining material is worth, in the server's currency (if valid)."""

    @property
    @override
    def device_class(self) -> SensorDeviceClass | None:
        """Monetary while the server names a known currency."""
        data = self.coordinator.data
        return SensorDeviceClass.MONETARY if data and data.currency else None

    @property
    @override
    def native_unit_of_measurement(self) -> str | None:
        """Return the server's currency."""
        data = self.coordinator.data
        return data.currency if data else None


class PrinterCounterSensor(RestoreSensor):
    """A counter the integration keeps for a printer, restored across restarts.

    It shows the restored value plus what the printer's counters saw since the
    entry loaded, and stays available while the server is away: the count is the
    integration's own.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: PrinterCounterDescription

    def __init__(
        self,
        entry: PrinternizerConfigEntry,
        coordinator: PrinterCoordinator,
        counters: PrinterCounters,
        description: PrinterCounterDescription,
    ) -> None:
        """Initialise the counter at zero; the restored value follows."""
        self.entity_description = description
        self._counters = counters
        self._restored = 0.0
        self._attr_unique_id = (
            f"{printer_identifier(entry, coordinator.printer_id)}_{description.key}"
        )
        self._attr_device_info = printer_device_info(entry, coordinator.printer)
        self._attr_native_value = self._value()

    @override
    async def async_added_to_hass(self) -> None:
        """Restore the count, then follow the printer's counters."""
        await super().async_added_to_hass()
        last = await self.async_get_last_sensor_data()
        if last is not None and isinstance(last.native_value, int | float | Decimal):
            self._restored = max(float(last.native_value), 0.0)
        self._attr_native_value = self._value()
        self.async_on_remove(self._counters.async_add_listener(self._async_counted))

    def _value(self) -> float | int:
        total = self._restored + self.entity_description.value_fn(
            self._counters.activity
        )
        if self.entity_description.native_unit_of_measurement is None:
            return int(total)
        return round(total, 4)

    @callback
    def _async_counted(self) -> None:
        """Write the state when the count changed."""
        value = self._value()
        if value != self._attr_native_value:
            self._attr_native_value = value
            self.async_write_ha_state()


# ----------------------------------------------------------------------------
# Filaments: a printer's AMS / MMU slots, from the printer list


#: A printer with more slots than this gets its slot sensors disabled by default.
SLOTS_ENABLED_MAX = 4
_HEX_COLOR = re.compile(r"#?([0-9a-fA-F]{6})(?:[0-9a-fA-F]{2})?")
# States in which the server reads the printer's slots: empty slots then mean none.
_REPORTS_FILAMENTS = frozenset(
    {PrinterState.ONLINE, PrinterState.PRINTING, PrinterState.PAUSED}
)

ACTIVE_FILAMENT = SensorEntityDescription(
    key="active_filament", translation_key="active_filament"
)


def filament_color(value: str | None) -> str | None:
    """Return a slot colour as `#RRGGBB`; None when it is none or not a colour.

    Bambu Lab printers add an alpha byte (`FF6A13FF`); it is dropped.
    """
    if value is None or not (match := _HEX_COLOR.fullmatch(value.strip())):
        return None
    return f"#{match.group(1).upper()}"


def filament_slots(printer: Printer) -> dict[int, Filament]:
    """Return the printer's slots by number.

    A slot without a number, with a negative one or with one already seen is
    left out: it cannot be told apart from the others.
    """
    slots: dict[int, Filament] = {}
    for filament in printer.filaments:
        if filament.slot is not None and filament.slot >= 0:
            slots.setdefault(filament.slot, filament)
    return slots


def reports_filaments(coordinator: PrinterCoordinator) -> bool:
    """Tell whether the server can read the printer's slots now.

    An offline or unreachable printer reports none, which says nothing about its
    slots: its filament sensors stay, unavailable.
    """
    printer = coordinator.printer
    return printer.status in _REPORTS_FILAMENTS and not is_unreachable_bambu(
        printer.printer_type, status_from_printer(printer)
    )


def slot_description(slot: int, *, enabled: bool) -> SensorEntityDescription:
    """Describe the sensor of one slot."""
    return SensorEntityDescription(
        key=f"filament_slot_{slot}",
        translation_key="filament_slot",
        entity_registry_enabled_default=enabled,
    )


@callback
def async_track_filaments(
    hass: HomeAssistant,
    coordinator: PrinterCoordinator,
    add: Callable[[Iterable[Entity]], None],
) -> list[Entity]:
    """Follow a printer's slots in the printer list: sensors come and go with them.

    The Active filament sensor exists while the printer has slots, one sensor per
    slot number. Returns the sensors the printer has now; later ones go to `add`.
    """
    fleet = coordinator.fleet
    active: ActiveFilamentSensor | None = None
    slots: dict[int, FilamentSlotSensor] = {}

    @callback
    def _sync() -> list[Entity]:
        nonlocal active
        found = filament_slots(coordinator.printer)
        if not found and not reports_filaments(coordinator):
            return []
        new: list[Entity] = []
        if found and active is None:
            active = ActiveFilamentSensor(coordinator, ACTIVE_FILAMENT)
            new.append(active)
        elif not found and active is not None:
            async_remove_entity(hass, active)
            active = None
        for slot in [slot for slot in slots if slot not in found]:
            async_remove_entity(hass, slots.pop(slot))
        enabled = len(found) <= SLOTS_ENABLED_MAX
        for slot in found:
            if slot not in slots:
                sensor = FilamentSlotSensor(coordinator, slot, enabled=enabled)
                slots[slot] = sensor
                new.append(sensor)
        return new

    @callback
    def _follow_list() -> None:
        if fleet.list.last_update_success and (new := _sync()):
            add(new)

    coordinator.async_on_remove(fleet.list.async_add_listener(_follow_list))
    return _sync()


class FilamentSensor(PrinterEntity, SensorEntity):
    """A sensor of the printer's slots: written when the printer list changes them."""

    def __init__(
        self, coordinator: PrinterCoordinator, description: SensorEntityDescription
    ) -> None:
        """Initialise the sensor."""
        super().__init__(coordinator, description)
        self._seen = coordinator.printer.filaments

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the printer list too (pushes and polls carry no slots)."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.fleet.list.async_add_listener(self._handle_list)
        )

    @callback
    def _handle_list(self) -> None:
        filaments = self.coordinator.printer.filaments
        if filaments != self._seen:
            self._seen = filaments
            self.async_write_ha_state()

    @property
    def slots(self) -> dict[int, Filament]:
        """Return the printer's slots as the printer list has them now."""
        return filament_slots(self.coordinator.printer)


class ActiveFilamentSensor(FilamentSensor):
    """The material of the slot the printer feeds from, with its slot and colour."""

    def _active(self) -> Filament | None:
        return next(
            (filament for filament in self.slots.values() if filament.is_active), None
        )

    @property
    @override
    def available(self) -> bool:
        """Available while the printer list has the printer's slots."""
        return super().available and bool(self.slots)

    @property
    @override
    def native_value(self) -> str | None:
        """Return the active slot's material, e.g. PLA."""
        active = self._active()
        return truncate(active.material) if active else None

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the active slot's number and colour."""
        active = self._active()
        return {
            "slot": active.slot if active else None,
            "color": filament_color(active.color) if active else None,
        }


class FilamentSlotSensor(FilamentSensor):
    """The material in one slot, with its colour and whether it is the active one."""

    def __init__(
        self, coordinator: PrinterCoordinator, slot: int, *, enabled: bool
    ) -> None:
        """Initialise the sensor of `slot`."""
        super().__init__(coordinator, slot_description(slot, enabled=enabled))
        self._slot = slot
        self._attr_translation_placeholders = {"slot": str(slot)}

    @property
    @override
    def available(self) -> bool:
        """Available while the printer list has the slot."""
        return super().available and self._slot in self.slots

    @property
    @override
    def native_value(self) -> str | None:
        """Return the slot's material; None for an empty slot."""
        filament = self.slots.get(self._slot)
        return truncate(filament.material) if filament else None

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the slot's colour and whether the printer feeds from it."""
        filament = self.slots.get(self._slot)
        return {
            "color": filament_color(filament.color) if filament else None,
            "active": filament.is_active if filament else False,
        }
