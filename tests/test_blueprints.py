"""Tests for the automation blueprints shipped with the integration."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests.helpers import block_till_done
from tests.printer_helpers import tick
from tests.simulator import Simulator

BLUEPRINTS = Path(__file__).parent.parent / "blueprints"
STATUS = "sensor.printernizer_server_status"
FILE_PROBLEM = "binary_sensor.printernizer_file_service_problem"
JOB_EVENT = "event.prusa_mk4_print_job"
NOTIFY = "notify.mobile_app_phone"


@pytest.fixture(autouse=True)
def blueprint_config_dir(hass: HomeAssistant, tmp_path: Path) -> None:
    """Give Home Assistant a configuration folder holding our blueprints."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints")


@pytest.fixture(autouse=True)
async def stop_automations(hass: HomeAssistant) -> AsyncGenerator[None]:
    """Turn the automations off at the end, cancelling their pending timers."""
    yield
    if "automation" in hass.config.components:
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": "all"}, blocking=True
        )


@pytest.fixture
def notifications(hass: HomeAssistant) -> list[ServiceCall]:
    """Record calls of a notify action."""
    return async_mock_service(hass, "notify", "mobile_app_phone")


async def _automation(hass: HomeAssistant, path: str, inputs: dict[str, Any]) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": {
                "alias": "under test",
                "use_blueprint": {"path": path, "input": inputs},
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.under_test")
    assert state is not None
    assert state.state == "on"


async def _tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta
) -> None:
    freezer.tick(delta)
    async_fire_time_changed(hass)
    await block_till_done(hass)


HEALTH_INPUTS = {
    "status_sensor": STATUS,
    "problem_sensors": [FILE_PROBLEM],
    "notify_action": NOTIFY,
}


async def test_health_degraded_for_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
) -> None:
    """A degraded server notifies after the minutes chosen; a problem at once."""
    hass.states.async_set(STATUS, "healthy")
    hass.states.async_set(
        FILE_PROBLEM, "off", {"friendly_name": "File service problem"}
    )
    await _automation(
        hass, "printernizer/server_health_notify.yaml", HEALTH_INPUTS | {"duration": 3}
    )
    hass.states.async_set(STATUS, "degraded")
    hass.states.async_set(FILE_PROBLEM, "on", {"friendly_name": "File service problem"})
    await hass.async_block_till_done()
    assert [call.data["message"] for call in notifications] == [
        "File service problem: a problem was reported."
    ]
    assert notifications[0].data["title"] == "Printernizer"

    await _tick(hass, freezer, timedelta(minutes=2))
    assert len(notifications) == 1
    await _tick(hass, freezer, timedelta(minutes=1, seconds=1))
    assert notifications[-1].data["message"] == (
        "The Printernizer server has been degraded for 3 minutes."
    )


async def test_health_recovering_in_time_does_not_notify(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
) -> None:
    """A short degradation, with the default of 5 minutes, sends nothing."""
    hass.states.async_set(STATUS, "healthy")
    await _automation(
        hass,
        "printernizer/server_health_notify.yaml",
        {"status_sensor": STATUS, "notify_action": NOTIFY},
    )
    hass.states.async_set(STATUS, "unhealthy")
    await _tick(hass, freezer, timedelta(minutes=4))
    hass.states.async_set(STATUS, "healthy")
    await _tick(hass, freezer, timedelta(minutes=10))
    assert notifications == []
    hass.states.async_set(STATUS, "unhealthy")
    await _tick(hass, freezer, timedelta(minutes=5))
    assert [call.data["message"] for call in notifications] == [
        "The Printernizer server has been unhealthy for 5 minutes."
    ]


async def test_health_unreachable(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
) -> None:
    """A server down for the minutes chosen is reported unreachable."""
    hass.states.async_set(STATUS, "healthy")
    await _automation(hass, "printernizer/server_health_notify.yaml", HEALTH_INPUTS)
    hass.states.async_set(STATUS, "unavailable")
    await _tick(hass, freezer, timedelta(minutes=5))
    assert [call.data["message"] for call in notifications] == [
        "The Printernizer server has been unreachable for 5 minutes."
    ]


async def test_health_with_the_integration(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    notifications: list[ServiceCall],
) -> None:
    """The blueprint takes the integration's own entities: a real problem notifies."""
    await _automation(hass, "printernizer/server_health_notify.yaml", HEALTH_INPUTS)
    simulator.set_service_status("file_service", "degraded")
    await init_integration.runtime_data.health.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(FILE_PROBLEM).state == "on"
    assert [call.data["message"] for call in notifications] == [
        "Printernizer File service problem: a problem was reported."
    ]


def _event_state(event_type: str, **attributes: Any) -> tuple[str, dict[str, Any]]:
    return dt_util.utcnow().isoformat(timespec="milliseconds"), {
        "event_types": [
            "started",
            "paused",
            "resumed",
            "finished",
            "failed",
            "cancelled",
        ],
        "event_type": event_type,
        "friendly_name": "Prusa MK4 Print job",
        **attributes,
    }


@pytest.mark.parametrize(
    ("event_type", "attributes", "message"),
    [
        (
            "finished",
            {"job_name": "benchy.gcode", "printer_name": "Prusa MK4", "progress": 99},
            "benchy.gcode finished on Prusa MK4.",
        ),
        (
            "failed",
            {"job_name": "benchy.gcode", "printer_name": "Prusa MK4", "progress": 42.4},
            "benchy.gcode failed on Prusa MK4 at 42 %.",
        ),
        (
            "failed",
            {"job_name": None, "printer_name": None, "progress": None},
            "The print failed on Prusa MK4 Print job.",
        ),
    ],
)
async def test_print_finished_notifies(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
    event_type: str,
    attributes: dict[str, Any],
    message: str,
) -> None:
    """A finished or failed job sends a notification naming the job."""
    hass.states.async_set(JOB_EVENT, "unknown", _event_state("finished")[1])
    await _automation(
        hass,
        "printernizer/print_finished_notify.yaml",
        {"job_event": JOB_EVENT, "notify_action": NOTIFY},
    )
    hass.states.async_set(JOB_EVENT, *_event_state(event_type, **attributes))
    await hass.async_block_till_done()
    assert [call.data["message"] for call in notifications] == [message]


async def test_print_finished_ignores_other_events_and_restores(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    notifications: list[ServiceCall],
) -> None:
    """Started, paused or cancelled, a restored state and unavailability send nothing."""
    await _automation(
        hass,
        "printernizer/print_finished_notify.yaml",
        {"job_event": JOB_EVENT, "notify_action": NOTIFY},
    )
    # The entity added with a state restored from before a restart.
    hass.states.async_set(JOB_EVENT, *_event_state("finished"))
    await hass.async_block_till_done()
    for event_type in ("started", "paused", "resumed", "cancelled"):
        freezer.tick(1)
        hass.states.async_set(JOB_EVENT, *_event_state(event_type))
        await hass.async_block_till_done()
    hass.states.async_set(JOB_EVENT, "unavailable", _event_state("finished")[1])
    await hass.async_block_till_done()
    freezer.tick(1)
    hass.states.async_set(JOB_EVENT, *_event_state("finished"))
    await hass.async_block_till_done()
    assert notifications == []


async def test_print_finished_cancelled_when_chosen(
    hass: HomeAssistant,
    notifications: list[ServiceCall],
) -> None:
    """Cancelled notifies when it is among the chosen events."""
    hass.states.async_set(JOB_EVENT, "unknown", _event_state("finished")[1])
    await _automation(
        hass,
        "printernizer/print_finished_notify.yaml",
        {
            "job_event": JOB_EVENT,
            "notify_action": NOTIFY,
            "event_types": ["cancelled"],
        },
    )
    hass.states.async_set(
        JOB_EVENT,
        *_event_state("cancelled", job_name="cube.gcode", printer_name="Bambu X1C"),
    )
    await hass.async_block_till_done()
    assert [call.data["message"] for call in notifications] == [
        "cube.gcode was cancelled on Bambu X1C."
    ]
    assert notifications[0].data["title"] == "Bambu X1C"


async def test_print_finished_with_a_real_printer(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    notifications: list[ServiceCall],
) -> None:
    """A job finishing on a simulated printer sends the notification."""
    await _automation(
        hass,
        "printernizer/print_finished_notify.yaml",
        {"job_event": JOB_EVENT, "notify_action": NOTIFY},
    )
    printer = simulator.printer(1)
    fleet = init_integration.runtime_data.printers
    assert fleet is not None
    coordinator = fleet.printers[printer.id]
    printer.start_job("benchy.gcode", 10)
    await coordinator.async_refresh()
    simulator.advance(9.95 * 60)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert notifications == []
    simulator.advance(60)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert [call.data["message"] for call in notifications] == [
        "benchy.gcode finished on Prusa MK4."
    ]


async def test_print_finished_attaches_the_camera_picture(
    hass: HomeAssistant, notifications: list[ServiceCall]
) -> None:
    """With a camera chosen, the Companion app gets its proxy URL as the image."""
    hass.states.async_set(JOB_EVENT, "unknown", _event_state("finished")[1])
    await _automation(
        hass,
        "printernizer/print_finished_notify.yaml",
        {
            "job_event": JOB_EVENT,
            "notify_action": NOTIFY,
            "camera": "camera.prusa_mk4_camera",
        },
    )
    hass.states.async_set(
        JOB_EVENT,
        *_event_state("finished", job_name="benchy.gcode", printer_name="Prusa MK4"),
    )
    await hass.async_block_till_done()
    assert [call.data for call in notifications] == [
        {
            "title": "Prusa MK4",
            "message": "benchy.gcode finished on Prusa MK4.",
            "data": {"image": "/api/camera_proxy/camera.prusa_mk4_camera"},
        }
    ]


async def test_print_finished_without_a_camera_sends_text_only(
    hass: HomeAssistant, notifications: list[ServiceCall]
) -> None:
    """No camera chosen: no image data, which other notify actions may refuse."""
    hass.states.async_set(JOB_EVENT, "unknown", _event_state("finished")[1])
    await _automation(
        hass,
        "printernizer/print_finished_notify.yaml",
        {"job_event": JOB_EVENT, "notify_action": NOTIFY},
    )
    hass.states.async_set(JOB_EVENT, *_event_state("failed", job_name="cube.gcode"))
    await hass.async_block_till_done()
    assert [call.data for call in notifications] == [
        {
            "title": "Prusa MK4 Print job",
            "message": "cube.gcode failed on Prusa MK4 Print job.",
        }
    ]


async def test_print_finished_picture_from_a_real_camera(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    notifications: list[ServiceCall],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A job finishing on the simulated Bambu X1C: its camera's picture is attached."""
    await _automation(
        hass,
        "printernizer/print_finished_notify.yaml",
        {
            "job_event": "event.bambu_x1c_print_job",
            "notify_action": NOTIFY,
            "camera": "camera.bambu_x1c_camera",
        },
    )
    printer = simulator.printer(0)
    coordinator = init_integration.runtime_data.printers.printers[printer.id]
    printer.start_job("benchy.gcode", 10)
    await coordinator.async_refresh()
    simulator.advance(9.95 * 60)
    await coordinator.async_refresh()
    simulator.advance(60)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    [call] = notifications
    assert call.data["message"] == "benchy.gcode finished on Bambu X1C."
    image = call.data["data"]["image"]
    assert image == "/api/camera_proxy/camera.bambu_x1c_camera"
    # What the phone fetches a moment later (the request budget has refilled what
    # setup took): the printer's picture, through Home Assistant.
    await tick(hass, freezer, 10)
    response = await (await hass_client()).get(image)
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    assert (await response.read()).startswith(b"\xff\xd8")
