"""The server's per-IP token bucket (CONTRACT §0, Rate limiting)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
import math

DEFAULT_LIMIT = 100
BURST_EXTRA = 20


@dataclass
class Decision:
    """The outcome of one check."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: float = 0.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


def limit_for(method: str, path: str) -> int:
    """Return the requests per minute that regenerate the bucket for this request."""
    method = method.upper()
    if method == "POST":
        if path.startswith("/api/v1/printers"):
            return 10
        if path.startswith("/api/v1/setup"):
            return 20
        if path.startswith("/api/v1/settings"):
            return 30
    if method == "DELETE":
        return 20
    return DEFAULT_LIMIT


def is_limited_path(path: str, *, websocket_upgrade: bool = False) -> bool:
    """Whether the limiter looks at this request at all."""
    if path.startswith(("/api/v1/health", "/metrics")):
        return False
    if path == "/ws" or path.startswith("/ws/"):
        return not websocket_upgrade
    return path.startswith("/api/")


class RateLimiter:
    """A single token bucket per client IP.

    The bucket holds at most `limit + 20` tokens for the limit of the current request
    (120 for ordinary requests, 30 for a POST under /api/v1/printers, which also caps
    the shared bucket), and regenerates at `limit` tokens per minute.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self.enabled = True

    def reset(self) -> None:
        """Forget every bucket (as a server restart does)."""
        self._buckets.clear()

    def tokens(self, client: str) -> float | None:
        """Tokens left for a client (None if it never made a request)."""
        bucket = self._buckets.get(client)
        return None if bucket is None else bucket.tokens

    def check(self, client: str, method: str, path: str) -> Decision:
        """Take a token for a request, or refuse it."""
        limit = limit_for(method, path)
        capacity = float(limit + BURST_EXTRA)
        rate = limit / 60.0
        now = self._clock()
        bucket = self._buckets.get(client)
        if bucket is None:
            bucket = self._buckets[client] = _Bucket(tokens=capacity, updated=now)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Decision(True, limit, int(bucket.tokens))
        wait = (1.0 - bucket.tokens) / rate
        return Decision(False, limit, 0, retry_after=wait)


def retry_after_header(seconds: float) -> str:
    """Whole seconds for the Retry-After header (at least 1 for a real refusal)."""
    return str(max(1, math.ceil(seconds)))
