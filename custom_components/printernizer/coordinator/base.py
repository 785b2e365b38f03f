"""Tell interested parts of an entry whenever one of its coordinators finished a refresh.

Coordinator listeners only hear about changed data or a change of availability; a
refresh that failed again, or that brought the same data, stays silent. The request
metrics, the trending backoff and the rate-limit repair need every refresh, so the
entry's coordinators announce each one on a dispatcher signal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, override

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import (
    async_dispatcher_connect,
    async_dispatcher_send,
)
from homeassistant.helpers.update_coordinator import TimestampDataUpdateCoordinator

from .const import DOMAIN

if TYPE_CHECKING:
    from .coordinator import PrinternizerConfigEntry


def signal_refresh_finished(entry_id: str) -> str:
    """Return the dispatcher signal sent after every refresh of the entry."""
    return f"{DOMAIN}_{entry_id}_refresh_finished"


class SignallingCoordinator[DataT](TimestampDataUpdateCoordinator[DataT]):
    """A coordinator that announces every finished refresh, failed or not."""

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        """Send the entry's refresh signal."""
        super()._async_refresh_finished()
        if self.config_entry is not None:
            async_dispatcher_send(
                self.hass, signal_refresh_finished(self.config_entry.entry_id)
            )

    def extra_diagnostics(self) -> dict[str, Any]:
        """Return coordinator state worth a bug report beyond the data."""
        return {}


@callback
def async_track_refreshes(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    action: Callable[[], None],
) -> CALLBACK_TYPE:
    """Call `action` after every refresh of any of the entry's coordinators.

    Every coordinator of the entry is a `SignallingCoordinator`, so the signal alone
    covers them all, including those added after the call.
    """
    return async_dispatcher_connect(
        hass, signal_refresh_finished(entry.entry_id), action
    )
