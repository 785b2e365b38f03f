"""Shut an entry's components down in parallel, each within its own timeout.

A hung server must never hang Home Assistant: each component gets a bounded time to
stop, a component that overruns is abandoned with one warning, and the others are
not held up by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
import time

from .const import LOGGER


class ShutdownResult(StrEnum):
    """How one component's shutdown ended."""

    STOPPED = "stopped"
    TIMED_OUT = "timed_out"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ShutdownStep:
    """One component to stop: a name for the log, how, and how long it may take."""

    name: str
    stop: Callable[[], Awaitable[object]]
    timeout: float


async def _run(step: ShutdownStep) -> ShutdownResult:
    try:
        async with asyncio.timeout(step.timeout):
            await step.stop()
    except TimeoutError:
        LOGGER.warning(
            "Stopping %s did not finish within %.0f s; abandoned it",
            step.name,
            step.timeout,
        )
        return ShutdownResult.TIMED_OUT
    except Exception:  # noqa: BLE001
        LOGGER.exception("Stopping %s failed", step.name)
        return ShutdownResult.FAILED
    LOGGER.debug("Stopped %s", step.name)
    return ShutdownResult.STOPPED


async def async_shutdown_parallel(
    steps: Sequence[ShutdownStep], *, clock: Callable[[], float] = time.monotonic
) -> dict[str, ShutdownResult]:
    """Stop every component concurrently; return each one's result by name."""
    started = clock()
    LOGGER.debug("Stopping %d components in parallel", len(steps))
    results = await asyncio.gather(*(_run(step) for step in steps))
    LOGGER.debug("Stopped all components in %.2f s", clock() - started)
    return {step.name: result for step, result in zip(steps, results, strict=True)}
