"""Buttons: pause, resume and stop a printer's job; take a camera snapshot."""

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
from .coordinator import PrinterCamera, PrinternizerConfigEntry
from .coordinator.camera import redact_urls
from .entity import PrinterEntity, async_track_printers

# One command at a time: the server allows ten a minute (snapshots included).
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


TAKE_SNAPSHOT = ButtonEntityDescription(
    key="take_snapshot", translation_key="take_snapshot"
)


def _rate_limited(
    seconds: float | None, key: str = "action_rate_limited"
) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"seconds": str(max(1, math.ceil(seconds or 1)))},
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the print controls of every printer, and snapshots of its camera."""
    async_track_printers(
        entry,
        lambda coordinator: [
            PrinterButton(coordinator, description) for description in BUTTONS
        ],
        async_add_entities,
    )
    # Only a built-in camera takes snapshots the server stores.
    entry.runtime_data.cameras.async_add_tracker(
        lambda camera: camera.has_camera,
        TakeSnapshotButton,
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


class TakeSnapshotButton(PrinterEntity, ButtonEntity):
    """Has the server take a snapshot with the printer's camera and store it.

    The snapshot becomes the printer's Last snapshot image at once.
    """

    def __init__(self, camera: PrinterCamera) -> None:
        """Initialise the button."""
        super().__init__(camera.printer, TAKE_SNAPSHOT)
        self._camera = camera

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the camera's status too."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._camera.async_add_listener(self._handle_coordinator_update)
        )

    @property
    @override
    def available(self) -> bool:
        """Available while the camera can give pictures."""
        return super().available and self._camera.usable

    @override
    async def async_press(self) -> None:
        """Take the snapshot (a write: sent once); a failure says why."""
        coordinator = self.coordinator
        try:
            snapshot = await coordinator.client.take_snapshot(coordinator.printer_id)
        except PrinternizerRateLimitError as err:
            raise _rate_limited(err.retry_after, "snapshot_rate_limited") from err
        except PrinternizerError as err:
            if isinstance(err, PrinternizerServerError) and err.status == 503:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="snapshot_no_picture",
                    translation_placeholders={"printer": coordinator.printer.name},
                ) from err
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="snapshot_failed",
                translation_placeholders={
                    "printer": coordinator.printer.name,
                    "reason": redact_urls(err.message or str(err)),
                },
            ) from err
        self._camera.async_snapshot_taken(snapshot)
