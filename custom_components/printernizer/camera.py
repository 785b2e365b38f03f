"""The camera of each printer that has one: built-in, or an external webcam."""

from __future__ import annotations

from typing import override

from homeassistant.components.camera import (
    Camera,
    CameraEntityDescription,
    CameraEntityFeature,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from yarl import URL

from .api import PrinternizerError
from .const import LOGGER
from .coordinator import PrinternizerConfigEntry
from .coordinator.camera import FRAME_MAX_AGE, PrinterCamera, is_stream_url
from .entity import PrinterEntity

# Frames come from each camera's shared cache; nothing waits on another entity.
PARALLEL_UPDATES = 0

CAMERA = CameraEntityDescription(key="camera", translation_key="camera")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up a camera for every printer whose camera status reports one."""
    entry.runtime_data.cameras.async_add_tracker(
        lambda camera: camera.has_any,
        PrinterCameraEntity,
        async_add_entities,
    )


class PrinterCameraEntity(PrinterEntity, Camera):
    """A printer's camera: pictures from the server's preview, the printer's stream.

    Unavailable while the printer is offline or the server calls the camera not
    available. Its pictures are shared by every viewer (see `PrinterCamera`).
    """

    entity_description: CameraEntityDescription
    # The still stream asks no more often than a frame is kept.
    _attr_frame_interval = FRAME_MAX_AGE

    def __init__(self, camera: PrinterCamera) -> None:
        """Initialise the camera entity."""
        PrinterEntity.__init__(self, camera.printer, CAMERA)
        Camera.__init__(self)
        self._camera = camera
        self._set_features()

    @callback
    def _set_features(self) -> None:
        self._attr_supported_features = (
            CameraEntityFeature.STREAM
            if self._camera.live_stream
            else CameraEntityFeature(0)
        )

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the camera's status too."""
        await super().async_added_to_hass()
        self.async_on_remove(self._camera.async_add_listener(self._handle_camera))

    @callback
    def _handle_camera(self) -> None:
        self._set_features()
        self.async_write_ha_state()

    @property
    @override
    def available(self) -> bool:
        """Available while the printer's status is current and the camera usable."""
        return super().available and self._camera.usable

    @override
    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        """Return the current frame, or the last one; nothing while unavailable."""
        if not self.available:
            return None
        image = await self._camera.async_frame()
        if image is None:
            return None
        self.content_type = image.content_type
        return image.content

    @override
    async def stream_source(self) -> str | None:
        """Return the printer's live stream, from the server's stream redirect.

        The URL carries the printer's credentials: it goes to the stream component
        only, never into a log line or an attribute.
        """
        if not self._camera.live_stream:
            return None
        client = self.coordinator.client
        try:
            url = await client.camera_stream_url(self.coordinator.printer_id)
        except PrinternizerError as err:
            LOGGER.debug(
                "No live stream from the camera of %s: %s",
                self.coordinator.printer.name,
                err,
            )
            return None
        if not is_stream_url(url, URL(client.base_url)):
            return None
        return url
