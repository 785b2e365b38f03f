"""Request counters of the Printernizer client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime


@dataclass(frozen=True, slots=True)
class EndpointMetrics:
    """Attempts and failed attempts on one route template."""

    requests: int = 0
    failures: int = 0


@dataclass(frozen=True, slots=True)
class RequestMetrics:
    """An immutable snapshot of the client's request counters.

    ``total_requests`` counts attempts (each retry is one more),
    ``successful_fetches`` counts calls the server answered: with parsed
    data, with a 404 or with "no frame" from a camera (an absent printer,
    feature or picture is an answer, not a failure, so it is not in
    ``failed_requests`` either), and
    ``success_rate`` is ``successful_fetches / total_requests`` in percent
    (``None`` before the first request). ``endpoints`` is keyed by route
    template, e.g. ``/api/v1/printers/{id}/status``.
    """

    total_requests: int = 0
    failed_requests: int = 0
    successful_fetches: int = 0
    retries: int = 0
    rate_limited: int = 0
    consecutive_failures: int = 0
    last_fetch_time: datetime | None = None
    last_error: str | None = None
    endpoints: Mapping[str, EndpointMetrics] = field(default_factory=dict)

    @property
    def success_rate(self) -> float | None:
        """Return successful fetches per attempt in percent."""
        if not self.total_requests:
            return None
        return round(100.0 * self.successful_fetches / self.total_requests, 2)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (timestamps as ISO-8601 strings)."""
        return {
            "total_requests": self.total_requests,
            "failed_requests": self.failed_requests,
            "successful_fetches": self.successful_fetches,
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "consecutive_failures": self.consecutive_failures,
            "success_rate": self.success_rate,
            "last_fetch_time": (
                None
                if self.last_fetch_time is None
                else self.last_fetch_time.isoformat()
            ),
            "last_error": self.last_error,
            "endpoints": {
                route: {"requests": stats.requests, "failures": stats.failures}
                for route, stats in sorted(self.endpoints.items())
            },
        }


class MetricsRecorder:
    """The mutable counters behind :class:`RequestMetrics` snapshots."""

    def __init__(self) -> None:
        """Start with every counter at zero."""
        self.total_requests = 0
        self.failed_requests = 0
        self.successful_fetches = 0
        self.retries = 0
        self.rate_limited = 0
        self.consecutive_failures = 0
        self.last_fetch_time: datetime | None = None
        self.last_error: str | None = None
        self._endpoints: dict[str, list[int]] = {}

    def attempt(self, route: str) -> None:
        """Count one attempt on ``route``."""
        self.total_requests += 1
        self._endpoints.setdefault(route, [0, 0])[0] += 1

    def attempt_failed(self, route: str, error: BaseException) -> None:
        """Count a failed attempt and remember its error."""
        self.failed_requests += 1
        self.consecutive_failures += 1
        self._endpoints.setdefault(route, [0, 0])[1] += 1
        self.note_error(error)

    def note_error(self, error: BaseException) -> None:
        """Remember ``error`` as the last one, named by its type."""
        self.last_error = f"{type(error).__name__}: {error}"

    def answered(self) -> None:
        """Count an answer that something (a printer, a picture) does not exist."""
        self.successful_fetches += 1
        self.consecutive_failures = 0

    def success(self, now: datetime) -> None:
        """Count a call that returned parsed data."""
        self.successful_fetches += 1
        self.consecutive_failures = 0
        self.last_fetch_time = now

    def snapshot(self) -> RequestMetrics:
        """Return an immutable copy of the counters."""
        return RequestMetrics(
            total_requests=self.total_requests,
            failed_requests=self.failed_requests,
            successful_fetches=self.successful_fetches,
            retries=self.retries,
            rate_limited=self.rate_limited,
            consecutive_failures=self.consecutive_failures,
            last_fetch_time=self.last_fetch_time,
            last_error=self.last_error,
            endpoints={
                route: EndpointMetrics(requests=counts[0], failures=counts[1])
                for route, counts in self._endpoints.items()
            },
        )
