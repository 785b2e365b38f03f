"""Fleet statistics and the material inventory: optional features, read every 15 minutes.

Servers that lack them answer 404 on `/api/v1/analytics/summary` and
`/api/v1/materials/stats`: the feature is then marked absent, no entities exist for it,
nothing is logged beyond one info line, and it is probed again every 6 hours and on
reload. Each feature has a coordinator of its own, so a failure of one leaves the other
alone. Costs and material values are in the server's currency, read from its
application settings at most every 6 hours (and again after a server restart).

Setup reads both once, one after the other, within a few seconds in all, so their
entities exist from the start; a slower server gets them a minute later. While the
server's health check fails nothing is read (and nothing logged here).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.generated.currencies import ACTIVE_CURRENCIES
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from ..api import (
    AnalyticsSummary,
    MaterialStats,
    PrinternizerClient,
    PrinternizerError,
    PrinternizerNotFoundError,
)
from ..const import DOMAIN, LOGGER
from ..helpers import async_remove_entity
from .base import PrinternizerCoordinator, update_failed_from

if TYPE_CHECKING:
    from . import PrinternizerConfigEntry

STATISTICS_SCAN_INTERVAL: Final = timedelta(minutes=15)
#: Setup waits this long at most for the first reads, together.
STATISTICS_SETUP_TIMEOUT: Final = 5.0
#: A first read that did not finish during setup is tried again after this long.
STATISTICS_RETRY_DELAY: Final = timedelta(minutes=1)
STATISTICS_ABSENT_INTERVAL: Final = timedelta(hours=6)
SETTINGS_MAX_AGE: Final = timedelta(hours=6)
#: The server counts the last 30 days unless told otherwise: count every job it has.
ALL_JOBS_SINCE: Final = date(2000, 1, 1)


def currency_code(value: str | None) -> str | None:
    """Return the ISO 4217 code the server's currency setting names, if it is one."""
    if value is None:
        return None
    code = value.strip().upper()
    return code if code in ACTIVE_CURRENCIES else None


class ServerCurrency:
    """The currency of the server's costs, from its settings, read at most every 6 h.

    Both coordinators ask for it on every refresh; it is read once for both. A
    setting that is not an ISO 4217 code (or a server without the settings route)
    gives None: the values are then shown without a currency.
    """

    def __init__(self, client: PrinternizerClient) -> None:
        """Initialise without a currency."""
        self._client = client
        self._lock = asyncio.Lock()
        self._known = False
        self._code: str | None = None
        self._setting: str | None = None
        self._read_at: datetime | None = None

    @property
    def code(self) -> str | None:
        """Return the currency in use (None before the first read)."""
        return self._code

    @callback
    def expire(self) -> None:
        """Read the settings again on the next refresh (the server restarted)."""
        self._read_at = None

    async def async_get(self) -> str | None:
        """Return the currency, reading the settings when the last read is old.

        A failed read keeps the currency read before and is tried again on the next
        refresh; with none read yet, the error is raised, so that the refresh fails
        rather than show values in no currency.
        """
        async with self._lock:
            now = dt_util.utcnow()
            if self._read_at is not None and now - self._read_at < SETTINGS_MAX_AGE:
                return self._code
            try:
                settings = await self._client.application_settings()
            except PrinternizerNotFoundError:
                setting = None
            except PrinternizerError as err:
                if not self._known:
                    raise
                LOGGER.debug("Keeping the currency %s: %s", self._code, err)
                return self._code
            else:
                setting = settings.currency
            self._read_at = now
            if not self._known or setting != self._setting:
                self._known = True
                self._setting = setting
                self._code = currency_code(setting)
                if self._code is None:
                    LOGGER.debug(
                        "The server's currency %r is not an ISO 4217 code; showing "
                        "its costs without a currency",
                        setting[:16] if setting else setting,
                    )
            return self._code

    def diagnostics(self) -> dict[str, Any]:
        """Return the setting and the code in use."""
        return {"setting": self._setting, "code": self._code}


@dataclass(frozen=True, slots=True)
class FleetStatistics:
    """The analytics summary and the currency its costs are in."""

    summary: AnalyticsSummary
    currency: str | None


@dataclass(frozen=True, slots=True)
class MaterialInventory:
    """The material statistics and the currency their values are in."""

    stats: MaterialStats
    currency: str | None


class OptionalFeatureCoordinator[DataT](PrinternizerCoordinator[DataT | None]):
    """Reads a feature older servers lack; `None` data means the server has none.

    `present` is None until the server first answered, then whether it has the
    feature. The coordinator keeps its own schedule: every 15 minutes (6 hours while
    the feature is absent), and not while the server's health check fails; a read
    that fell due then follows as soon as the server answers again. So an outage
    costs no requests and no log lines here, and the entities are unavailable for
    its duration.
    """

    feature: str

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
        currency: ServerCurrency,
        *,
        name: str,
    ) -> None:
        """Initialise the coordinator; nothing is read before `async_setup`."""
        super().__init__(hass, entry, client, name=name, update_interval=None)
        self.currency = currency
        self.present: bool | None = None
        self.interval = STATISTICS_SCAN_INTERVAL
        self._server_available = True
        self._due = False
        self._cancel_next: CALLBACK_TYPE | None = None
        self._stopped = False

    @property
    def server_available(self) -> bool:
        """Return whether the server answers its health check."""
        return self._server_available

    async def async_setup(self, deadline: float) -> None:
        """Read the feature once during setup, giving up at `deadline` (loop time).

        A read that does not finish in time is tried again a minute later; the
        entities follow the first successful read.
        """
        entry = self.entry
        health = entry.runtime_data.health
        self._server_available = health.last_update_success
        entry.async_on_unload(health.async_add_listener(self._on_health))
        entry.async_on_unload(self._stop)
        try:
            async with asyncio.timeout_at(deadline):
                await self.async_refresh()
        except TimeoutError:
            LOGGER.debug(
                "Reading the %s is slow; trying again in a minute", self.feature
            )
            self._schedule(STATISTICS_RETRY_DELAY)

    @callback
    def _stop(self) -> None:
        self._stopped = True
        if self._cancel_next is not None:
            self._cancel_next()
            self._cancel_next = None

    @callback
    def _refresh_in_background(self, what: str) -> None:
        self.entry.async_create_background_task(
            self.hass, self.async_refresh(), f"{DOMAIN} {self.feature} {what}"
        )

    @callback
    def _on_health(self) -> None:
        """Follow the health check; read what fell due once the server is back."""
        available = self.entry.runtime_data.health.last_update_success
        if available == self._server_available:
            return
        self._server_available = available
        if available and self._due:
            self._due = False
            self._refresh_in_background("refresh")
        self.async_update_listeners()

    @callback
    def _tick(self, _now: datetime) -> None:
        self._cancel_next = None
        if not self._server_available:
            self._due = True
            return
        self._refresh_in_background("refresh")

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        """Schedule the next read."""
        super()._async_refresh_finished()
        self._schedule(self.interval)

    @callback
    def _schedule(self, delay: timedelta) -> None:
        """Read the feature again in `delay`."""
        if self._stopped:
            return
        if self._cancel_next is not None:
            self._cancel_next()
        # A point in wall-clock time: the timer re-arms if it fires early.
        self._cancel_next = async_track_point_in_utc_time(
            self.hass, self._tick, dt_util.utcnow() + delay
        )

    async def _fetch(self) -> DataT:
        """Read the feature from the server."""
        raise NotImplementedError

    @override
    async def _async_update_data(self) -> DataT | None:
        """Read the feature; a 404 marks it absent."""
        try:
            data = await self._fetch()
        except PrinternizerNotFoundError:
            if self.present is not False:
                LOGGER.info(
                    "The Printernizer server has no %s; checking again every %s",
                    self.feature,
                    STATISTICS_ABSENT_INTERVAL,
                )
            self.present = False
            self.interval = STATISTICS_ABSENT_INTERVAL
            return None
        except PrinternizerError as err:
            raise update_failed_from(err) from err
        self.present = True
        self.interval = STATISTICS_SCAN_INTERVAL
        return data

    @override
    def extra_diagnostics(self) -> dict[str, Any]:
        """Return whether the server has the feature, and the schedule."""
        return {
            "present": self.present,
            "interval": self.interval,
            "server_available": self._server_available,
        }


class FleetStatisticsCoordinator(OptionalFeatureCoordinator[FleetStatistics]):
    """Reads the analytics summary: job counts, print time, material, cost.

    The server counts the jobs it knows of, and forgets those of its printers when
    it restarts: the totals drop then, which the sensors' state classes treat as a
    new cycle.
    """

    feature = "fleet statistics"

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
        currency: ServerCurrency,
    ) -> None:
        """Initialise the coordinator."""
        super().__init__(hass, entry, client, currency, name="statistics")

    @override
    async def _fetch(self) -> FleetStatistics:
        """Read the summary and the currency."""
        summary = await self.client.analytics_summary(since=ALL_JOBS_SINCE)
        return FleetStatistics(
            summary=summary, currency=await self.currency.async_get()
        )

    @override
    def extra_diagnostics(self) -> dict[str, Any]:
        """Return the feature state and the currency."""
        return {**super().extra_diagnostics(), "currency": self.currency.diagnostics()}


class MaterialsCoordinator(OptionalFeatureCoordinator[MaterialInventory]):
    """Reads the material inventory's statistics: spools, stock, consumption."""

    feature = "material inventory"

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
        currency: ServerCurrency,
    ) -> None:
        """Initialise the coordinator."""
        super().__init__(hass, entry, client, currency, name="materials")

    @override
    async def _fetch(self) -> MaterialInventory:
        """Read the statistics, then the currency (if due)."""
        stats = await self.client.materials_stats()
        return MaterialInventory(stats=stats, currency=await self.currency.async_get())


@callback
def async_track_feature(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    coordinator: OptionalFeatureCoordinator[Any],
    create: Callable[[], Iterable[Entity]],
    add: Callable[[Iterable[Entity]], None],
) -> None:
    """Add a feature's entities once the server has it; remove them when it has not.

    They appear with the first successful read and are removed from the entity
    registry when the server answers 404.
    """
    created: list[Entity] = []

    @callback
    def _sync() -> None:
        if coordinator.present is False:
            for entity in created:
                async_remove_entity(hass, entity)
            created.clear()
            return
        if created or coordinator.data is None:
            return
        created.extend(create())
        add(list(created))

    _sync()
    entry.async_on_unload(coordinator.async_add_listener(_sync))
