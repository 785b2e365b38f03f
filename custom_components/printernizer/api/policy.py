"""Retry policy and request budget of the Printernizer client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import math

from .exceptions import PrinternizerRateLimitError

#: Token shortfall small enough to be float rounding of the refill.
_ROUNDING = 1e-9

type Clock = Callable[[], float]
type Sleep = Callable[[float], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a call retries.

    A call makes at most ``max_attempts`` attempts. Before retry ``n`` (1 for
    the first retry) it waits ``uniform(0, min(base_delay * 2 ** (n - 1),
    max_delay))`` ("full jitter"). The whole call, including waits for the
    request budget and backoff, never takes longer than ``deadline`` seconds:
    each attempt's 30 s timeout is cut to the time left, and a retry whose
    wait would leave less than a second (a quarter of ``deadline`` if that is
    shorter) is not made; the last error is raised instead.

    With the defaults a call therefore costs at most 60 s: attempt 1 may use
    its full 30 s, the backoff before attempt 2 at most 1 s, attempt 2 the
    29 s left, and attempt 3 never starts. Without the deadline it would be
    30 + 1 + 30 + 2 + 30 = 93 s.

    ``idempotent`` says whether the request may be sent again after it may
    have reached the server. A write (``idempotent=False``) is retried only
    after a failure to connect, when nothing was sent; never after a
    timeout, a 429 or a 5xx, since the server may already have acted on it.
    """

    max_attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0
    deadline: float = 60.0
    idempotent: bool = True

    def __post_init__(self) -> None:
        """Reject values that would make a call never run or never end."""
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("delays must not be negative")
        if not self.deadline > 0 or math.isinf(self.deadline):
            raise ValueError("deadline must be a positive finite number")

    def backoff_cap(self, retry: int) -> float:
        """Return the longest wait before retry number ``retry`` (from 1)."""
        exponent = min(retry - 1, 62)
        return min(self.base_delay * 2.0**exponent, self.max_delay)


class RequestBudget:
    """A token bucket shared by every call of one client.

    ``per_minute`` tokens are added per minute, up to ``burst``. A request
    takes one token; when none is left it reserves the next one and waits
    for it, so concurrent callers are served in order without ever exceeding
    the rate. The default (60/min, burst 10) stays well below the server's
    limit of 100/min per client address.
    """

    def __init__(self, per_minute: float = 60, burst: int = 10) -> None:
        """Create a full bucket."""
        if not per_minute > 0:
            raise ValueError("per_minute must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.per_minute = per_minute
        self.burst = burst
        self._rate = per_minute / 60.0
        self._tokens = float(burst)
        self._updated: float | None = None

    def __repr__(self) -> str:
        """Describe the configuration."""
        return f"RequestBudget(per_minute={self.per_minute}, burst={self.burst})"

    def _refill(self, now: float) -> None:
        if self._updated is not None and now > self._updated:
            self._tokens = min(
                float(self.burst), self._tokens + (now - self._updated) * self._rate
            )
        if self._updated is None or now > self._updated:
            self._updated = now

    def reserve(self, now: float, deadline: float) -> float:
        """Take a token and return how long to wait before using it.

        Raises :class:`PrinternizerRateLimitError` without taking anything
        when the token would only be available after ``deadline``.
        """
        self._refill(now)
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        wait = -self._tokens / self._rate
        if now + wait > deadline:
            self._tokens += 1.0
            raise PrinternizerRateLimitError(
                "request budget exhausted", retry_after=wait
            )
        return wait

    def try_take(self, now: float, *, reserve: float = 0.0) -> float:
        """Take a token only if one is there now and ``reserve`` stay behind.

        Returns 0.0 when the token was taken. Otherwise nothing is taken and
        the result is the number of seconds until it could be; a caller
        that must not wait (a print command, a camera frame) refuses the
        request instead. Tokens reserved by waiting callers count as spent,
        so this never overtakes them. A reserve is capped at ``burst - 1``:
        one the bucket cannot hold would refuse for ever.
        """
        self._refill(now)
        missing = 1.0 + min(reserve, self.burst - 1) - self._tokens
        if missing <= _ROUNDING:
            self._tokens -= 1.0
            return 0.0
        return missing / self._rate

    def refund(self) -> None:
        """Give back a reserved token that was not used."""
        self._tokens = min(float(self.burst), self._tokens + 1.0)

    async def acquire(self, clock: Clock, sleep: Sleep, deadline: float) -> None:
        """Wait for a token, or raise if none is available before ``deadline``."""
        wait = self.reserve(clock(), deadline)
        if wait <= 0:
            return
        try:
            await sleep(wait)
        except BaseException:
            self.refund()
            raise
