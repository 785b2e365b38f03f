"""Fleet statistics: trending, analytics and materials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Self

from ._fields import (
    as_object,
    opt_float,
    opt_int,
    opt_object,
    opt_str,
    opt_timestamp,
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
        platforms_path = f"{path}.by_platform"
        platforms = opt_object(obj, "by_platform", path)
        by_platform: dict[str, int] = {}
        for name in platforms:
            count = opt_int(platforms, name, platforms_path)
            if count is not None:
                by_platform[name] = count
        performance = obj.get("performance_metrics")
        return cls(
            total_cached=opt_int(obj, "total_cached", path),
            valid_items=opt_int(obj, "valid_items", path),
            by_platform=by_platform,
            last_refresh=dict(opt_object(obj, "last_refresh", path)),
            performance_metrics=(
                None
                if performance is None
                else TrendingPerformance.from_dict(
                    performance, tz=tz, path=f"{path}.performance_metrics"
                )
            ),
        )
