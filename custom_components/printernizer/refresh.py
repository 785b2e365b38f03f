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

    It hears the refresh signal and also listens to every coordinator the entry
    lists, looking for new ones each time, so a coordinator that does not send the
    signal still counts whenever its data or availability changes.
    """
    watched: dict[int, CALLBACK_TYPE] = {}

    @callback
    def _watch() -> None:
        current = {
            id(coordinator): coordinator
            for coordinator in entry.runtime_data.coordinators().values()
        }
        for key in set(watched) - set(current):
            watched.pop(key)()
        for key, coordinator in current.items():
            if key not in watched:
                watched[key] = coordinator.async_add_listener(_refreshed)

    @callback
    def _refreshed() -> None:
        _watch()
        action()

    _watch()
    unsub_signal = async_dispatcher_connect(
        hass, signal_refresh_finished(entry.entry_id), _refreshed
    )

    @callback
    def _unsubscribe() -> None:
        unsub_signal()
        while watched:
            watched.popitem()[1]()

    return _unsubscribe
