"""Images: the thumbnail of each printer's current job, and its newest snapshot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import override

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import Image, PrinternizerError
from .const import LOGGER
from .coordinator import PrinterCamera, PrinterCoordinator, PrinternizerConfigEntry
from .entity import PrinterEntity, async_track_printers

PARALLEL_UPDATES = 0

THUMBNAIL = ImageEntityDescription(key="thumbnail", translation_key="thumbnail")
LAST_SNAPSHOT = ImageEntityDescription(
    key="last_snapshot", translation_key="last_snapshot"
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the job thumbnail of every printer and the snapshots of its camera."""
    async_track_printers(
        entry,
        lambda coordinator: [JobThumbnail(hass, coordinator)],
        async_add_entities,
    )
    entry.runtime_data.cameras.async_add_tracker(
        lambda camera: camera.has_camera,
        lambda camera: LastSnapshotImage(hass, camera),
        async_add_entities,
    )


class PrinterImage(PrinterEntity, ImageEntity):
    """An image of the printer fetched once per version (a job, a snapshot).

    The content type comes from the response; a failed fetch shows no image and
    is tried again when the image is next asked for.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        coordinator: PrinterCoordinator,
        description: ImageEntityDescription,
    ) -> None:
        """Initialise the image."""
        PrinterEntity.__init__(self, coordinator, description)
        ImageEntity.__init__(self, hass)
        self._cached_version: object = None
        self._cached: bytes | None = None

    async def _async_cached(
        self, version: object, fetch: Callable[[], Awaitable[Image | None]]
    ) -> bytes | None:
        """Return the image of `version`, fetching it unless it is the cached one."""
        if version is None:
            return None
        if version != self._cached_version:
            try:
                image = await fetch()
            except PrinternizerError as err:
                LOGGER.debug(
                    "No %s for %s: %s", self.entity_description.key, version, err
                )
                return None
            self._cached_version = version
            self._cached = image.content if image is not None else None
            if image is not None:
                self._attr_content_type = image.content_type
        return self._cached


class JobThumbnail(PrinterImage):
    """The current job's thumbnail, fetched once per job, in the server's format."""

    def __init__(self, hass: HomeAssistant, coordinator: PrinterCoordinator) -> None:
        """Initialise the image."""
        super().__init__(hass, coordinator, THUMBNAIL)
        self._job = coordinator.status.job_name
        self._attr_image_last_updated = dt_util.utcnow()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Mark the image as changed when the job changes."""
        job = self.coordinator.status.job_name
        if job != self._job:
            self._job = job
            self._attr_image_last_updated = dt_util.utcnow()
        super()._handle_coordinator_update()

    @override
    async def async_image(self) -> bytes | None:
        """Return the thumbnail, fetching it only when the job changed."""
        return await self._async_cached(
            self._job,
            lambda: self.coordinator.client.thumbnail(self.coordinator.printer_id),
        )


class LastSnapshotImage(PrinterImage):
    """The newest snapshot the server stored of the printer's camera.

    It changes when a snapshot is taken with the button, and when the camera's
    status read finds a newer one. Stored snapshots stay viewable while the
    printer is offline; each is fetched once.
    """

    def __init__(self, hass: HomeAssistant, camera: PrinterCamera) -> None:
        """Initialise the image."""
        super().__init__(hass, camera.printer, LAST_SNAPSHOT)
        self._camera = camera
        self._shown: int | None = None
        self._follow_snapshot()

    @callback
    def _follow_snapshot(self) -> None:
        """Take the newest snapshot's time as the image's."""
        latest = self._camera.latest_snapshot
        if latest is None or latest.id == self._shown:
            return
        self._shown = latest.id
        self._attr_image_last_updated = latest.captured_at or dt_util.utcnow()

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the camera's snapshots too."""
        await super().async_added_to_hass()
        self.async_on_remove(self._camera.async_add_listener(self._handle_snapshot))

    @callback
    def _handle_snapshot(self) -> None:
        self._follow_snapshot()
        self.async_write_ha_state()

    @override
    async def async_image(self) -> bytes | None:
        """Return the newest snapshot, fetching it once."""
        latest = self._camera.latest_snapshot
        if latest is None:
            return None
        return await self._async_cached(
            latest.id, lambda: self.coordinator.client.snapshot_image(latest.id)
        )
