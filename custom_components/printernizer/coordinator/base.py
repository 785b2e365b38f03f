"""The base coordinator of the integration, and the signal every refresh sends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any, override

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.debounce import Debouncer
from homeassistant.helpers.dispatcher import (
    async_dispatcher_connect,
    async_dispatcher_send,
)
from homeassistant.helpers.update_coordinator import (
    TimestampDataUpdateCoordinator,
    UpdateFailed,
)

from ..api import (
    PrinternizerAuthenticationError,
    PrinternizerCancelledError,
    PrinternizerClient,
    PrinternizerConnectionError,
    PrinternizerError,
    PrinternizerResponseError,
)
from ..const import DOMAIN, LOGGER

if TYPE_CHECKING:
    from . import PrinternizerConfigEntry


def signal_refresh_finished(entry_id: str) -> str:
    """Return the dispatcher signal sent after every refresh of the entry."""
    return f"{DOMAIN}_{entry_id}_refresh_finished"


@callback
def async_track_refreshes(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    action: Callable[[], None],
) -> CALLBACK_TYPE:
    """Call `action` after every refresh of any of the entry's coordinators.

    Coordinator listeners only hear about changed data or a change of availability;
    the request metrics and the rate-limit repair need every refresh, failed or not.
    """
    return async_dispatcher_connect(
        hass, signal_refresh_finished(entry.entry_id), action
    )


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
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=error_translation_key(err),
        translation_placeholders={"error": str(err)},
    )


def error_translation_key(err: PrinternizerError) -> str:
    """Return the key of the translated message that tells what `err` was."""
    if isinstance(err, PrinternizerAuthenticationError):
        return "authentication_failed"
    if isinstance(err, PrinternizerResponseError):
        return "invalid_response"
    if isinstance(err, PrinternizerConnectionError):
        return "cannot_connect"
    return "request_failed"


class PrinternizerCoordinator[DataT](TimestampDataUpdateCoordinator[DataT]):
    """A coordinator of one entry that fetches through the entry's client.

    Listeners hear only of changed data (`always_update` off): the models are
    frozen dataclasses that compare by value. Every finished refresh, failed or
    not, is announced on the entry's refresh signal.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: PrinternizerConfigEntry,
        client: PrinternizerClient,
        *,
        name: str,
        update_interval: timedelta | None,
        always_update: bool = False,
        owned_by_entry: bool = True,
        request_refresh_debouncer: Debouncer[Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        """Initialise the coordinator; `name` appears in its log lines.

        A coordinator `owned_by_entry` is shut down by Home Assistant when the
        entry unloads; any other is shut down by whoever created it.
        """
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry if owned_by_entry else None,
            name=f"{DOMAIN} {name}",
            update_interval=update_interval,
            always_update=always_update,
            request_refresh_debouncer=request_refresh_debouncer,
        )
        self.entry = entry
        self.client = client

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        """Send the entry's refresh signal."""
        super()._async_refresh_finished()
        async_dispatcher_send(self.hass, signal_refresh_finished(self.entry.entry_id))

    def extra_diagnostics(self) -> dict[str, Any]:
        """Return coordinator state worth a bug report beyond the data."""
        return {}
