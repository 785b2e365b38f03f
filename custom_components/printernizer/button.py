"""Buttons that pause, resume and stop a printer's job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import math
from typing import override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import (
    PrinternizerClient,
    PrinternizerError,
    PrinternizerRateLimitError,
    PrinternizerServerError,
    PrinterState,
)
from .const import DOMAIN
from .coordinator import PrinternizerConfigEntry
from .entity import PrinterEntity, async_track_printers

# One command at a time: the server allows ten a minute.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class PrinterButtonDescription(ButtonEntityDescription):
    """Describes a print control."""

    allowed_in: frozenset[PrinterState]
    press_fn: Callable[[PrinternizerClient, str], Awaitable[None]]


BUTTONS: tuple[PrinterButtonDescription, ...] = (
    PrinterButtonDescription(
        key="pause",
        translation_key="pause",
        allowed_in=frozenset({PrinterState.PRINTING}),
        press_fn=lambda client, printer_id: client.pause(printer_id),
    ),
    PrinterButtonDescription(
        key="resume",
        translation_key="resume",
        allowed_in=frozenset({PrinterState.PAUSED}),
        press_fn=lambda client, printer_id: client.resume(printer_id),
    ),
    PrinterButtonDescription(
        key="stop",
        translation_key="stop",
        allowed_in=frozenset({PrinterState.PRINTING, PrinterState.PAUSED}),
        press_fn=lambda client, printer_id: client.stop(printer_id),
    ),
)


def _rate_limited(seconds: float | None) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="action_rate_limited",
        translation_placeholders={"seconds": str(max(1, math.ceil(seconds or 1)))},
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the print controls of every printer."""
    async_track_printers(
        entry,
        lambda coordinator: [
            PrinterButton(coordinator, description) for description in BUTTONS
        ],
        async_add_entities,
    )


class PrinterButton(PrinterEntity, ButtonEntity):
    """A print control, available only when the printer's state allows it."""

    entity_description: PrinterButtonDescription

    @property
    @override
    def available(self) -> bool:
        """Available while the printer's state allows the command."""
        return (
            super().available
            and self.coordinator.status.state in self.entity_description.allowed_in
        )

    @override
    async def async_press(self) -> None:
        """Send the command once; the new status follows in the background.

        A refused or failed command raises at once with the reason; the client
        never repeats a command that may have reached the server.
        """
        coordinator = self.coordinator
        try:
            await self.entity_description.press_fn(
                coordinator.client, coordinator.printer_id
            )
        except PrinternizerRateLimitError as err:
            raise _rate_limited(err.retry_after) from err
        except PrinternizerError as err:
            reason = (
                err.message
                if isinstance(err, PrinternizerServerError) and err.message
                else str(err)
            )
            self._async_refresh_soon()
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="action_failed",
                translation_placeholders={
                    "printer": coordinator.printer.name,
                    "reason": reason,
                },
            ) from err
        self._async_refresh_soon()

    @callback
    def _async_refresh_soon(self) -> None:
        """Fetch the printer's status in the background after a command."""
        coordinator = self.coordinator
        coordinator.entry.async_create_background_task(
            self.hass,
            coordinator.async_refresh(),
            f"{DOMAIN} {coordinator.printer.name} status after a command",
        )
