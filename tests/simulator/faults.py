"""Faults the simulator injects on demand."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from enum import StrEnum
import fnmatch
from typing import Any


class FaultKind(StrEnum):
    """What a fault does to the requests it matches."""

    HANG = "hang"
    """Never answer, until the fault is cleared (then answer normally) or the server stops."""
    SLOW = "slow"
    """Answer normally after `delay` seconds."""
    STATUS = "status"
    """Answer with `status`: 500/503 as the server's envelopes, 502/504 as a proxy's text."""
    MALFORMED = "malformed"
    """200 with an application/json body that is not valid JSON."""
    WRONG_SHAPE = "wrong_shape"
    """200 with valid JSON of the wrong shape (a list by default, or `body`)."""
    RESET = "reset"
    """Close the connection without any response.

    aiohttp's client retries an idempotent request once when the connection drops, so
    use `count >= 2` (or None) to make a GET fail.
    """
    RATE_LIMIT = "rate_limit"
    """429 with the server's body and headers (`retry_after` seconds)."""
    WS_DROP = "ws_drop"
    """Close WebSocket connections (the open ones at once, then each new one)."""
    WS_SILENT = "ws_silent"
    """WebSocket stays open but answers nothing: no pong, no replies, no pushes."""


HTTP_KINDS = frozenset(
    {
        FaultKind.HANG,
        FaultKind.SLOW,
        FaultKind.STATUS,
        FaultKind.MALFORMED,
        FaultKind.WRONG_SHAPE,
        FaultKind.RESET,
        FaultKind.RATE_LIMIT,
    }
)
WS_KINDS = frozenset({FaultKind.WS_DROP, FaultKind.WS_SILENT})
GLOB_CHARS = frozenset("*?[")


class Fault:
    """One injected fault. Created by `Simulator.fault()`.

    `hits` counts the requests (or WebSocket connections/messages) it affected; `hit` is
    an `asyncio.Event` set on every hit, so a test can wait for a request to arrive even
    with a frozen clock (clear it to wait for the next one). `clear()` removes the fault
    and releases every request it holds.
    """

    def __init__(
        self,
        kind: FaultKind,
        *,
        path: str | None = None,
        method: str | None = None,
        count: int | None = None,
        status: int = 503,
        delay: float = 0,
        retry_after: float = 1,
        body: Any = None,
        on_clear: Callable[[Fault], None] | None = None,
    ) -> None:
        if count is not None and count < 1:
            raise ValueError("count must be None (until cleared) or at least 1")
        self.kind = kind
        self.path = path
        self.method = method.upper() if method else None
        self.count = count
        self.status = status
        self.delay = delay
        self.retry_after = retry_after
        self.body = body
        self.hits = 0
        self.hit = asyncio.Event()
        self.cleared = False
        self._on_clear = on_clear
        self._waiters: set[asyncio.Future[str]] = set()

    def __repr__(self) -> str:
        return (
            f"Fault({self.kind.value!r}, path={self.path!r}, method={self.method!r}, "
            f"count={self.count!r}, hits={self.hits})"
        )

    @property
    def active(self) -> bool:
        """Whether the fault still applies to new requests."""
        return not self.cleared and (self.count is None or self.hits < self.count)

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path is affected."""
        if not self.active:
            return False
        if self.method is not None and self.method != method.upper():
            return False
        if self.path is None:
            return True
        if GLOB_CHARS & set(self.path):
            return fnmatch.fnmatchcase(path, self.path)
        return path == self.path

    def record_hit(self) -> None:
        """Count one affected request and wake up whoever waits on `hit`."""
        self.hits += 1
        self.hit.set()

    async def wait_hit(self) -> None:
        """Wait until the fault has been hit at least once."""
        await self.hit.wait()

    def clear(self) -> None:
        """Remove the fault; requests it holds answer normally."""
        if self.cleared:
            return
        self.cleared = True
        self.release("cleared")
        if self._on_clear is not None:
            self._on_clear(self)

    def release(self, reason: str) -> None:
        """Wake every request held by this fault with `reason` ("cleared"/"shutdown")."""
        for waiter in list(self._waiters):
            if not waiter.done():
                waiter.set_result(reason)
        self._waiters.clear()

    def add_waiter(self, waiter: asyncio.Future[str]) -> None:
        """Register a held request's future."""
        if self.cleared:
            waiter.set_result("cleared")
            return
        self._waiters.add(waiter)

    def discard_waiter(self, waiter: asyncio.Future[str]) -> None:
        """Forget a held request's future."""
        self._waiters.discard(waiter)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON view for the control API."""
        return {
            "kind": self.kind.value,
            "path": self.path,
            "method": self.method,
            "count": self.count,
            "status": self.status,
            "delay": self.delay,
            "retry_after": self.retry_after,
            "hits": self.hits,
            "active": self.active,
        }
