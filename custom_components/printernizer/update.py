"""Update entity for the Printernizer server.

It only reports: the server runs as an add-on or a container and is updated there.
"""

from __future__ import annotations

from typing import override

from homeassistant.components.update import (
    UpdateEntity,
    UpdateEntityDescription,
    UpdateEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import parse_version
from .coordinator import PrinternizerConfigEntry, ServerUpdateCoordinator
from .entity import PrinternizerHubEntity

PARALLEL_UPDATES = 0

SERVER_UPDATE = UpdateEntityDescription(
    key="server_update",
    translation_key="server_update",
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: PrinternizerConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the update entity of a config entry."""
    async_add_entities(
        [ServerUpdateEntity(entry, entry.runtime_data.update, SERVER_UPDATE)]
    )


class ServerUpdateEntity(PrinternizerHubEntity[ServerUpdateCoordinator], UpdateEntity):
    """The installed and the latest release of the Printernizer server."""

    _attr_supported_features = UpdateEntityFeature(0)
    _attr_title = "Printernizer"

    def __init__(
        self,
        entry: PrinternizerConfigEntry,
        coordinator: ServerUpdateCoordinator,
        description: UpdateEntityDescription,
    ) -> None:
        """Initialise the entity."""
        super().__init__(entry, coordinator, description)
        self._health = entry.runtime_data.health

    @property
    @override
    def available(self) -> bool:
        """Available once the server answered an update check."""
        return super().available and self.coordinator.data is not None

    @override
    async def async_added_to_hass(self) -> None:
        """Also follow the health check, which reports the running version."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._health.async_add_listener(self._handle_coordinator_update)
        )

    @property
    @override
    def installed_version(self) -> str | None:
        """Return the version the server runs.

        The health check (every 30 s) sees an upgrade long before the next update
        check (every 12 h) does.
        """
        health = self._health.data
        if health is not None and health.version:
            return health.version
        return self.coordinator.data.current_version

    @property
    @override
    def latest_version(self) -> str | None:
        """Return the newest release the server knows of."""
        return self.coordinator.data.latest_version

    @property
    @override
    def release_url(self) -> str | None:
        """Return the release page."""
        return self.coordinator.data.release_url

    @override
    def version_is_newer(self, latest_version: str, installed_version: str) -> bool:
        """Compare the leading major.minor.patch, as the server does.

        `git describe` versions such as `2.42.0-3-gabc1234` count as their release.
        """
        latest = parse_version(latest_version)
        installed = parse_version(installed_version)
        if latest is None or installed is None:
            return super().version_is_newer(latest_version, installed_version)
        return latest > installed
