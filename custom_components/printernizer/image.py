"""The thumbnail of each printer's current job."""

from __future__ import annotations

from typing import override

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import PrinternizerError
from .const import LOGGER
from .coordinator import PrinterCoordinator, PrinternizerConfigEntry
from .entity import PrinterEntity, async_track_printers

PARALLEL_UPDATES = 0

THUMBNAIL = ImageEntityDescription(key="thumbnail", translation_key="thumbnail")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the job thumbnail of every printer."""
    async_track_printers(
        entry,
        lambda coordinator: [JobThumbnail(hass, coordinator)],
        async_add_entities,
    )


class JobThumbnail(PrinterEntity, ImageEntity):
    """The current job's thumbnail, fetched once per job, in the server's format."""

    def __init__(self, hass: HomeAssistant, coordinator: PrinterCoordinator) -> None:
        """Initialise the image."""
        PrinterEntity.__init__(self, coordinator, THUMBNAIL)
        ImageEntity.__init__(self, hass)
        self._job = coordinator.status.job_name
        self._attr_image_last_updated = dt_util.utcnow()
        self._cached_job: str | None = None
        self._cached: bytes | None = None

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
        job = self._job
        if job is None:
            return None
        if job != self._cached_job:
            try:
                image = await self.coordinator.client.thumbnail(
                    self.coordinator.printer_id
                )
            except PrinternizerError as err:
                LOGGER.debug("No thumbnail for %s: %s", job, err)
                return None
            self._cached_job = job
            self._cached = image.content if image is not None else None
            if image is not None:
                self._attr_content_type = image.content_type
        return self._cached
