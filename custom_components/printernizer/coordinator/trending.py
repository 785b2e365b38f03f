"""The optional trending statistics of the server, polled with a backoff of their own.

Current servers do not serve `/api/v1/trending/statistics` (404): the feature is then
marked absent, no entities are created, and it is probed again every 6 hours and on
reload. Where it exists it is read every 15 minutes. After failures (on top of the
client's own retries within one call) the next attempt waits
`min(60 s * 2 ** (failures - 1), 1 h)`, scaled by a jitter of ±10 % and never beyond
1 h; the first success goes back to 15 minutes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
import random
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from ..api import (
    PrinternizerClient,
    PrinternizerError,
    PrinternizerNotFoundError,
    TrendingStatistics,
)
from ..const import DOMAIN, LOGGER
from .base import PrinternizerCoordinator, update_failed_from

if TYPE_CHECKING:
    from . import PrinternizerConfigEntry

TRENDING_SCAN_INTERVAL: Final = timedelta(minutes=15)
TRENDING_ABSENT_INTERVAL: Final = timedelta(hours=6)
TRENDING_BACKOFF_BASE: Final = timedelta(seconds=60)
TRENDING_BACKOFF_MAX: Final = timedelta(hours=1)
TRENDING_JITTER: Final = 0.1


def backoff_delay(failures: int, jitter: float) -> timedelta:
    """Return the wait after `failures` consecutive failed refreshes.

    `jitter` is uniform in [0, 1): 0.5 gives the exact exponential step, 0 and 1
    shorten or lengthen it by 10 %. The result never exceeds one hour.
    """
    base = TRENDING_BACKOFF_BASE.total_seconds()
    step = min(
        base * 2 ** min(max(failures, 1) - 1, 32), TRENDING_BACKOFF_MAX.total_seconds()
    )
    seconds = step * (1 + TRENDING_JITTER * (2 * jitter - 1))
    return timedelta(seconds=min(seconds, TRENDING_BACKOFF_MAX.total_seconds()))


class TrendingCoordinator(PrinternizerCoordinator[TrendingStatistics | None]):
    """Polls the trending statistics; `None` data means the server has none.

    `present` is None until the server first answered, then whether it has the
    feature. `failures`, `backoff` and `next_attempt` describe the backoff.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
        *,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        """Initialise the coordinator; `jitter` is uniform in [0, 1)."""
        # Every refresh updates the backoff entities, even with unchanged data.
        super().__init__(
            hass,
            entry,
            client,
            name="trending",
            update_interval=TRENDING_SCAN_INTERVAL,
            always_update=True,
        )
        self._jitter = jitter
        self.present: bool | None = None
        self.failures = 0
        self.backoff: timedelta | None = None
        self.next_attempt: datetime | None = None

    @callback
    def async_start(self) -> None:
        """Start polling in the background, with or without entities."""
        entry = self.entry
        # Keeps the schedule running while the feature is absent and no entity listens.
        entry.async_on_unload(self.async_add_listener(lambda: None))
        entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{DOMAIN} trending first refresh"
        )

    @callback
    def async_rezone(self, _zone: tzinfo) -> None:
        """Read the statistics again: their times were read in another zone."""
        if self.data is not None:
            self.entry.async_create_background_task(
                self.hass, self.async_request_refresh(), f"{DOMAIN} trending refresh"
            )

    def _schedule_next(self, interval: timedelta) -> None:
        self.update_interval = interval
        self.next_attempt = dt_util.utcnow() + interval

    @override
    async def _async_update_data(self) -> TrendingStatistics | None:
        """Fetch the statistics and set the time of the next attempt."""
        try:
            statistics = await self.client.trending_statistics()
        except PrinternizerNotFoundError:
            self.failures = 0
            self.backoff = None
            if self.present is not False:
                LOGGER.info(
                    "The Printernizer server has no trending statistics; "
                    "checking again every %s",
                    TRENDING_ABSENT_INTERVAL,
                )
            self.present = False
            self._schedule_next(TRENDING_ABSENT_INTERVAL)
            return None
        except PrinternizerError as err:
            self.failures += 1
            source = self._jitter or random.random
            self.backoff = backoff_delay(self.failures, source())
            self._schedule_next(self.backoff)
            LOGGER.debug(
                "Trending statistics failed %d times in a row; next attempt in %s",
                self.failures,
                self.backoff,
            )
            raise update_failed_from(err) from err
        self.failures = 0
        self.backoff = None
        self.present = True
        self._schedule_next(TRENDING_SCAN_INTERVAL)
        return statistics

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        """Tell the entities about a repeated failure too (the base stays silent)."""
        super()._async_refresh_finished()
        if self.failures > 1 and not self.last_update_success:
            self.async_update_listeners()

    @override
    def extra_diagnostics(self) -> dict[str, Any]:
        """Return the feature state and the backoff."""
        return {
            "present": self.present,
            "consecutive_failures": self.failures,
            "backoff": self.backoff,
            "next_attempt": self.next_attempt,
        }
