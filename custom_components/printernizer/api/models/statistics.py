"""Fleet statistics: trending, analytics and materials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Self

from ._fields import (
    as_object,
    opt_array,
    opt_decimal,
    opt_float,
    opt_int,
    opt_object,
    opt_str,
    opt_timestamp,
    wrong,
)


def _percentage(data: Mapping[str, Any], key: str, path: str) -> float | None:
    """Read ``"93.33%"`` (or a bare number) as ``93.33``."""
    value = data.get(key)
    if isinstance(value, str):
        try:
            return float(value.strip().removesuffix("%"))
        except ValueError:
            return None
    return opt_float(data, key, path)


@dataclass(frozen=True, slots=True)
class TrendingPerformance:
    """The ``performance_metrics`` block of the trending statistics."""

    total_requests: int | None
    failed_requests: int | None
    successful_fetches: int | None
    success_rate: float | None
    last_fetch_time: datetime | None
    last_error: str | None
    cache_hits: int | None
    cache_misses: int | None

    @classmethod
    def from_dict(
        cls, data: object, *, tz: tzinfo = UTC, path: str = "performance_metrics"
    ) -> Self:
        """Parse the ``performance_metrics`` block."""
        obj = as_object(data, path)
        return cls(
            total_requests=opt_int(obj, "total_requests", path),
            failed_requests=opt_int(obj, "failed_requests", path),
            successful_fetches=opt_int(obj, "successful_fetches", path),
            success_rate=_percentage(obj, "success_rate", path),
            last_fetch_time=opt_timestamp(obj, "last_fetch_time", path, tz),
            last_error=opt_str(obj, "last_error", path),
            cache_hits=opt_int(obj, "cache_hits", path),
            cache_misses=opt_int(obj, "cache_misses", path),
        )


@dataclass(frozen=True, slots=True)
class TrendingStatistics:
    """``GET /api/v1/trending/statistics`` as documented by the server."""

    total_cached: int | None
    valid_items: int | None
    by_platform: Mapping[str, int]
    last_refresh: Mapping[str, Any]
    performance_metrics: TrendingPerformance | None

    @classmethod
    def from_dict(cls, data: object, *, tz: tzinfo = UTC) -> Self:
        """Parse a trending statistics body."""
        path = "trending_statistics"
        obj = as_object(data, path)
        performance = obj.get("performance_metrics")
        return cls(
            total_cached=opt_int(obj, "total_cached", path),
            valid_items=opt_int(obj, "valid_items", path),
            by_platform=_counts(obj, "by_platform", path),
            last_refresh=dict(opt_object(obj, "last_refresh", path)),
            performance_metrics=(
                None
                if performance is None
                else TrendingPerformance.from_dict(
                    performance, tz=tz, path=f"{path}.performance_metrics"
                )
            ),
        )


@dataclass(frozen=True, slots=True)
class AnalyticsSummary:
    """``GET /api/v1/analytics/summary``: the print jobs the server knows of.

    The server forgets the jobs of its configured printers when it restarts,
    so these are no lifetime totals.
    """

    total_jobs: int | None
    completed_jobs: int | None
    failed_jobs: int | None
    total_print_time_hours: float | None
    total_material_used_kg: float | None
    total_cost_eur: float | None
    average_job_duration_hours: float | None
    success_rate_percent: float | None

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Parse an analytics summary body."""
        path = "analytics_summary"
        obj = as_object(data, path)
        return cls(
            total_jobs=opt_int(obj, "total_jobs", path),
            completed_jobs=opt_int(obj, "completed_jobs", path),
            failed_jobs=opt_int(obj, "failed_jobs", path),
            total_print_time_hours=opt_float(obj, "total_print_time_hours", path),
            total_material_used_kg=opt_float(obj, "total_material_used_kg", path),
            total_cost_eur=opt_float(obj, "total_cost_eur", path),
            average_job_duration_hours=opt_float(
                obj, "average_job_duration_hours", path
            ),
            success_rate_percent=opt_float(obj, "success_rate_percent", path),
        )


@dataclass(frozen=True, slots=True)
class MaterialGroup:
    """The spools of one material type or brand; weights in kg.

    ``value`` (what the remaining material is worth) is only given per type.
    """

    count: int | None
    total_weight: float | None
    remaining_weight: float | None
    value: float | None = None

    @classmethod
    def from_dict(cls, data: object, *, path: str) -> Self:
        """Parse one entry of ``by_type`` or ``by_brand``."""
        obj = as_object(data, path)
        return cls(
            count=opt_int(obj, "count", path),
            total_weight=opt_float(obj, "total_weight", path),
            remaining_weight=opt_float(obj, "remaining_weight", path),
            value=opt_decimal(obj, "value", path),
        )


@dataclass(frozen=True, slots=True)
class LowStockSpool:
    """A spool below 20 % of its weight; the server names it by id only."""

    material_id: str


@dataclass(frozen=True, slots=True)
class MaterialStats:
    """``GET /api/v1/materials/stats``.

    Weights and consumption are in kg, ``consumption_rate`` in kg a day
    over the last 30 days. The server sends the two values as decimal
    strings; one that is not a number reads as None.
    """

    total_spools: int | None
    total_weight: float | None
    total_remaining: float | None
    total_value: float | None
    remaining_value: float | None
    by_type: Mapping[str, MaterialGroup]
    by_brand: Mapping[str, MaterialGroup]
    by_color: Mapping[str, int]
    low_stock: tuple[LowStockSpool, ...]
    consumption_30d: float | None
    consumption_rate: float | None

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Parse a material statistics body."""
        path = "materials_stats"
        obj = as_object(data, path)
        low_stock: list[LowStockSpool] = []
        for index, item in enumerate(opt_array(obj, "low_stock", path)):
            if not isinstance(item, str):
                raise wrong(f"{path}.low_stock[{index}]", "str", item)
            low_stock.append(LowStockSpool(material_id=item))
        return cls(
            total_spools=opt_int(obj, "total_spools", path),
            total_weight=opt_float(obj, "total_weight", path),
            total_remaining=opt_float(obj, "total_remaining", path),
            total_value=opt_decimal(obj, "total_value", path),
            remaining_value=opt_decimal(obj, "remaining_value", path),
            by_type=_groups(obj, "by_type", path),
            by_brand=_groups(obj, "by_brand", path),
            by_color=_counts(obj, "by_color", path),
            low_stock=tuple(low_stock),
            consumption_30d=opt_float(obj, "consumption_30d", path),
            consumption_rate=opt_float(obj, "consumption_rate", path),
        )


def _groups(data: Mapping[str, Any], key: str, path: str) -> dict[str, MaterialGroup]:
    groups = opt_object(data, key, path)
    return {
        name: MaterialGroup.from_dict(value, path=f"{path}.{key}.{name}")
        for name, value in groups.items()
    }


def _counts(data: Mapping[str, Any], key: str, path: str) -> dict[str, int]:
    """Read an object of counts, leaving out null counts."""
    raw = opt_object(data, key, path)
    counts: dict[str, int] = {}
    for name in raw:
        count = opt_int(raw, name, f"{path}.{key}")
        if count is not None:
            counts[name] = count
    return counts
