"""Coordinators that keep Home Assistant in step with a Printernizer server."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import (
    DataUpdateCoordinator,
    UpdateFailed,
)

from .api import (
    PrinternizerAuthenticationError,
    PrinternizerCancelledError,
    PrinternizerClient,
    PrinternizerConnectionError,
    PrinternizerError,
    PrinternizerResponseError,
    PrinternizerUnreachableError,
    ServerHealth,
)
from .const import (
    DOMAIN,
    HEALTH_SCAN_INTERVAL,
    HEALTH_SETUP_TIMEOUT,
    LOGGER,
    SHUTDOWN_TIMEOUT_DEFAULT,
)
from .refresh import SignallingCoordinator
from .shutdown import ShutdownStep

if TYPE_CHECKING:
    from .printers import PrinterFleet
    from .server_update import ServerUpdateCoordinator
    from .trending import TrendingCoordinator


@dataclass(slots=True)
class PrinternizerRuntimeData:
    """Everything one config entry owns while it is loaded."""

    client: PrinternizerClient
    health: ServerHealthCoordinator
    printers: PrinterFleet | None = None
    trending: TrendingCoordinator | None = None
    update: ServerUpdateCoordinator | None = None

    def coordinators(self) -> dict[str, DataUpdateCoordinator[Any]]:
        """Every coordinator of the entry, by a name for diagnostics."""
        named: dict[str, DataUpdateCoordinator[Any]] = {"health": self.health}
        if self.printers is not None:
            named.update(self.printers.coordinators())
        if self.trending is not None:
            named["trending"] = self.trending
        if self.update is not None:
            named["update"] = self.update
        return named

    def shutdown_steps(self) -> list[ShutdownStep]:
        """Everything to stop on unload, each with its time budget."""
        return [
            ShutdownStep(
                "health coordinator",
                self.health.async_shutdown,
                SHUTDOWN_TIMEOUT_DEFAULT,
            ),
            *(self.printers.shutdown_steps() if self.printers is not None else ()),
            *(
                ShutdownStep(
                    f"{name} coordinator",
                    coordinator.async_shutdown,
                    SHUTDOWN_TIMEOUT_DEFAULT,
                )
                for name, coordinator in (
                    ("trending", self.trending),
                    ("update", self.update),
                )
                if coordinator is not None
            ),
        ]


type PrinternizerConfigEntry = ConfigEntry[PrinternizerRuntimeData]


def update_failed_from(err: PrinternizerError) -> BaseException:
    """Translate a client error into the exception a coordinator raises."""
    if isinstance(err, PrinternizerCancelledError):
        # The entry is unloading and abandoned the request: end the refresh
        # quietly, as a cancelled one, instead of logging an outage.
        return asyncio.CancelledError()
    if isinstance(err, PrinternizerAuthenticationError):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="authentication_failed"
        )
    if isinstance(err, PrinternizerResponseError):
        key = "invalid_response"
    elif isinstance(err, PrinternizerConnectionError):
        key = "cannot_connect"
    else:
        key = "request_failed"
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"error": str(err)},
    )


class PrinternizerCoordinator[DataT](SignallingCoordinator[DataT]):
    """A coordinator of one entry that fetches through the entry's client.

    Listeners hear only of changed data (`always_update` off): the models are
    frozen dataclasses that compare by value.
    """

    config_entry: PrinternizerConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
        *,
        name: str,
        update_interval: timedelta,
        always_update: bool = False,
    ) -> None:
        """Initialise the coordinator; `name` appears in its log lines."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {name}",
            update_interval=update_interval,
            always_update=always_update,
        )
        self.client = client

    def _raise_while_server_unreachable(self) -> None:
        """Spare the request while the health check finds nothing listening.

        Each printer would otherwise try (and retry) on its own schedule against a
        server that is not there; they resume once the health check reaches it.
        """
        if self.config_entry.runtime_data.health.server_unreachable:
            raise UpdateFailed(
                translation_domain=DOMAIN, translation_key="server_unreachable"
            )


class ServerHealthCoordinator(PrinternizerCoordinator[ServerHealth]):
    """Polls the server's health report; its first refresh gates setup."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
    ) -> None:
        """Initialise the coordinator."""
        super().__init__(
            hass, entry, client, name="health", update_interval=HEALTH_SCAN_INTERVAL
        )
        # True while the last health check found nothing accepting connections.
        self.server_unreachable = False

    @override
    async def _async_update_data(self) -> ServerHealth:
        """Fetch the health report.

        The first fetch gates setup, so it gets a short bound of its own: a hung
        server then means "not ready, retry later" instead of a stalled start-up.
        """
        bound = HEALTH_SETUP_TIMEOUT if self.data is None else None
        try:
            async with asyncio.timeout(bound):
                health = await self.client.health()
        except PrinternizerUnreachableError as err:
            self.server_unreachable = True
            raise update_failed_from(err) from err
        except TimeoutError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="setup_timeout",
                translation_placeholders={"seconds": f"{HEALTH_SETUP_TIMEOUT:.0f}"},
            ) from err
        except PrinternizerError as err:
            self.server_unreachable = False
            raise update_failed_from(err) from err
        self.server_unreachable = False
        return health
