"""The current job's thumbnail."""

from __future__ import annotations

from random import Random
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.image import DATA_COMPONENT
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from tests.conftest import SetupIntegration
from tests.helpers import image_proxy, state_of
from tests.printer_helpers import BAMBU_ID, mixed_fleet, stream_up, until
from tests.simulator import FaultKind, SimPrinter, Simulator
from tests.simulator.png import thumbnail_png

BAMBU_IMAGE = "image.bambu_x1c_job_thumbnail"
PRUSA_IMAGE = "image.prusa_mk4_job_thumbnail"
THUMBNAILS = "/api/v1/printers/*/thumbnail"
PNG_BENCHY = ("image/png", thumbnail_png("benchy.gcode"))


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A Bambu printer printing and an idle Prusa."""
    return {"printers": mixed_fleet()}


async def test_snapshot(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """The thumbnail entity of a printing and an idle printer."""
    freezer.move_to("2026-11-29T12:00:00+00:00")
    with (
        patch("custom_components.printernizer.PLATFORMS", [Platform.IMAGE]),
        patch("homeassistant.components.image._RND", Random(0)),
    ):
        entry = await setup_integration()
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_thumbnail_fetched_once_per_job(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """The image is fetched when the job changes, not on every update."""
    client = await hass_client()
    await stream_up(simulator, init_integration)
    first = state_of(hass, BAMBU_IMAGE)
    assert await image_proxy(client, BAMBU_IMAGE) == PNG_BENCHY
    assert await image_proxy(client, BAMBU_IMAGE) == PNG_BENCHY
    assert simulator.request_count(THUMBNAILS) == 1

    # Updates of the same job change nothing.
    simulator.advance(60)
    await simulator.poll()
    await until(lambda: hass.states.get("sensor.bambu_x1c_progress").state != "50.0")
    assert state_of(hass, BAMBU_IMAGE) == first
    await image_proxy(client, BAMBU_IMAGE)
    assert simulator.request_count(THUMBNAILS) == 1

    # A new job: a new image.
    simulator.printer(BAMBU_ID).stop().start_job("gear.gcode", 20)
    await simulator.poll()
    await until(lambda: state_of(hass, BAMBU_IMAGE) != first)
    assert await image_proxy(client, BAMBU_IMAGE) == (
        "image/png",
        thumbnail_png("gear.gcode"),
    )
    assert simulator.request_count(THUMBNAILS) == 2


async def test_no_job_no_image(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """An idle printer has no thumbnail, and nothing is asked for."""
    entity = hass.data[DATA_COMPONENT].get_entity(PRUSA_IMAGE)
    assert entity is not None
    assert await entity.async_image() is None
    assert simulator.request_count(THUMBNAILS) == 0


async def test_failed_fetch_is_retried(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A thumbnail that failed to load is asked for again next time."""
    entity = hass.data[DATA_COMPONENT].get_entity(BAMBU_IMAGE)
    assert entity is not None
    fault = simulator.fault(
        FaultKind.STATUS, path=f"/api/v1/printers/{BAMBU_ID}/thumbnail", status=500
    )
    assert await entity.async_image() is None
    fault.clear()
    assert await entity.async_image() == thumbnail_png("benchy.gcode")


@pytest.mark.parametrize(
    "simulator_options",
    [
        {
            "printers": [
                SimPrinter(
                    "Bambu X1C",
                    "bambu_lab",
                    id=BAMBU_ID,
                    status="printing",
                    job_name="benchy.3mf",
                    thumbnail_type="image/jpeg",
                )
            ]
        }
    ],
)
async def test_content_type_comes_from_the_server(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
) -> None:
    """A JPEG thumbnail is served as a JPEG, not labelled PNG."""
    content_type, body = await image_proxy(await hass_client(), BAMBU_IMAGE)
    assert content_type == "image/jpeg"
    assert body[:2] == b"\xff\xd8"
