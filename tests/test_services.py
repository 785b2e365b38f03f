"""The actions: print a library file on a printer, and list the library."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service import async_get_all_descriptions
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.printernizer.api import PRINT_FILE_DEADLINE
from custom_components.printernizer.const import DOMAIN
from custom_components.printernizer.helpers import hub_identifier, printer_identifier
from custom_components.printernizer.services import (
    SERVICE_GET_LIBRARY_FILES,
    SERVICE_PRINT_LIBRARY_FILE,
)
from tests.helpers import block_till_done, state_of
from tests.printer_helpers import BAMBU_ID, PRUSA_ID, mixed_fleet, settle
from tests.simulator import FaultKind, Simulator
from tests.simulator.library import LibraryFile

PRINT_PATH = "/api/v1/library/files/*/print"
LIBRARY_PATH = "/api/v1/library/files"


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A Bambu printer printing and an idle Prusa; the default library."""
    return {"printers": mixed_fleet()}


def _device_id(hass: HomeAssistant, entry: MockConfigEntry, printer_id: str) -> str:
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, printer_identifier(entry, printer_id)), entry.entry_id
    )
    assert device is not None
    return device.id


async def _print(
    hass: HomeAssistant, entry: MockConfigEntry, file: str, printer_id: str = PRUSA_ID
) -> None:
    """Call print_library_file and let the status refresh after it finish."""
    try:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_PRINT_LIBRARY_FILE,
            {ATTR_DEVICE_ID: _device_id(hass, entry, printer_id), "file": file},
            blocking=True,
        )
    finally:
        await block_till_done(hass)


async def _refused(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    file: str,
    printer_id: str = PRUSA_ID,
    error: type[HomeAssistantError] = ServiceValidationError,
) -> HomeAssistantError:
    with pytest.raises(error) as caught:
        await _print(hass, entry, file, printer_id)
    return caught.value


async def _files(hass: HomeAssistant, **data: Any) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        DOMAIN, SERVICE_GET_LIBRARY_FILES, data, blocking=True, return_response=True
    )
    assert response is not None
    files = response["files"]
    assert isinstance(files, list)
    return files


# ----------------------------------------------------------------------------
# print_library_file


async def test_print_by_file_name(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """The file is found by its exact name, sent once, and the printer starts."""
    benchy = simulator.library_file_named("benchy.gcode")
    await _print(hass, init_integration, "benchy.gcode")
    assert [
        (r.checksum, r.printer_id, r.outcome) for r in simulator.print_requests
    ] == [(benchy.checksum, PRUSA_ID, "started")]
    assert simulator.request_count(PRINT_PATH, "POST") == 1
    # The status read right after shows the new job.
    assert state_of(hass, "sensor.prusa_mk4_status") == "printing"
    assert state_of(hass, "sensor.prusa_mk4_current_job") == "benchy.gcode"


async def test_print_by_checksum(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A checksum goes straight to the server: no library search."""
    cube = simulator.library_file_named("calibration_cube.gcode")
    await _print(hass, init_integration, cube.checksum.upper())
    assert simulator.request_count(LIBRARY_PATH) == 0
    assert [r.checksum for r in simulator.print_requests] == [cube.checksum]
    assert simulator.printer(PRUSA_ID).job_name == "calibration_cube.gcode"


async def test_busy_printer_is_refused_before_anything_is_sent(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Printing or paused: a clear message, no request at all."""
    simulator.clear_requests()
    err = await _refused(hass, init_integration, "benchy.gcode", BAMBU_ID)
    assert err.translation_key == "print_printer_busy_with"
    assert err.translation_placeholders == {
        "printer": "Bambu X1C",
        "job": "benchy.gcode",
    }
    assert str(err) == (
        "Bambu X1C is busy with benchy.gcode, so nothing was sent. Start the file "
        "when the printer is free"
    )
    assert simulator.requests_matching("/api/v1/library/*") == []
    assert simulator.print_requests == []


async def test_busy_without_a_job_name(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A printer printing something the server cannot name is busy all the same."""
    simulator.printer(PRUSA_ID).phase = "printing"
    await init_integration.runtime_data.printers.printers[PRUSA_ID].async_refresh()
    err = await _refused(hass, init_integration, "benchy.gcode")
    assert err.translation_key == "print_printer_busy"
    assert str(err) == (
        "Prusa MK4 is busy with a job, so nothing was sent. Start the file when the "
        "printer is free"
    )


async def test_offline_printer_is_refused(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A printer the server reports offline gets nothing."""
    simulator.printer(PRUSA_ID).go_offline()
    await init_integration.runtime_data.printers.printers[PRUSA_ID].async_refresh()
    err = await _refused(hass, init_integration, "benchy.gcode")
    assert err.translation_key == "print_printer_offline"
    assert str(err) == "Prusa MK4 is offline, so nothing was sent"
    assert simulator.print_requests == []


async def test_unknown_printer_state_is_refused(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """While the server is down the printer's state is unknown: nothing is sent."""
    await simulator.go_down()
    freezer.tick(timedelta(seconds=30))
    async_fire_time_changed(hass)
    await block_till_done(hass)
    err = await _refused(
        hass, init_integration, "benchy.gcode", error=HomeAssistantError
    )
    assert err.translation_key == "print_printer_unavailable"
    await simulator.come_up()
    assert simulator.print_requests == []


async def test_hub_and_unknown_devices(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Only a printer's device can print."""
    hub = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, hub_identifier(init_integration)), init_integration.entry_id
    )
    assert hub is not None
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_PRINT_LIBRARY_FILE,
            {ATTR_DEVICE_ID: hub.id, "file": "benchy.gcode"},
            blocking=True,
        )
    assert caught.value.translation_key == "print_not_a_printer"
    assert str(caught.value) == (
        "Printernizer is not a Printernizer printer. Choose a printer's device"
    )
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_PRINT_LIBRARY_FILE,
            {ATTR_DEVICE_ID: "no-such-device", "file": "benchy.gcode"},
            blocking=True,
        )
    assert caught.value.translation_key == "service_device_not_found"
    assert simulator.print_requests == []


async def test_names_that_resolve_to_no_file(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Nothing found, only similar names, or a name too short to search for."""
    err = await _refused(hass, init_integration, "rocket.gcode")
    assert err.translation_key == "library_file_not_found"
    assert str(err) == "The Printernizer library has no file rocket.gcode"
    err = await _refused(hass, init_integration, "gcode")
    assert err.translation_key == "library_file_not_exact"
    assert str(err) == (
        "No file in the Printernizer library is named exactly gcode. Files found: "
        "calibration_cube.gcode, benchy.gcode"
    )
    err = await _refused(hass, init_integration, "B")
    assert err.translation_key == "library_search_too_short"
    assert simulator.print_requests == []


async def test_long_lists_are_cut(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """An error names ten files at most and says how many more there are."""
    simulator.library.extend(
        LibraryFile(f"bracket_{n:02}.gcode", 1000 + n) for n in range(12)
    )
    err = await _refused(hass, init_integration, "bracket")
    assert err.translation_key == "library_file_not_exact"
    found = err.translation_placeholders["found"]
    assert found.count("bracket_") == 10
    assert found.endswith(", … (2 more)")


async def test_ambiguous_name_lists_the_candidates(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Two files of the same name: both named with their checksums, nothing sent."""
    simulator.library.append(LibraryFile("benchy.gcode", 1_900_000, print_minutes=40))
    checksums = sorted(
        f.checksum for f in simulator.library if f.filename == "benchy.gcode"
    )
    err = await _refused(hass, init_integration, "benchy.gcode")
    assert err.translation_key == "library_file_ambiguous"
    placeholders = err.translation_placeholders
    assert placeholders["count"] == "2"
    assert all(checksum in placeholders["found"] for checksum in checksums)
    assert simulator.print_requests == []
    # Its checksum picks one.
    await _print(hass, init_integration, checksums[0])
    assert [r.checksum for r in simulator.print_requests] == [checksums[0]]


async def test_model_is_not_printable(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """By name it is refused before sending; by checksum the server refuses it."""
    err = await _refused(hass, init_integration, "planter_vase.stl")
    assert err.translation_key == "library_file_not_printable"
    assert simulator.print_requests == []
    vase = simulator.library_file_named("planter_vase.stl")
    err = await _refused(hass, init_integration, vase.checksum)
    assert err.translation_key == "library_file_not_printable"
    assert str(err) == (
        f"{vase.checksum} is not a print file (such as G-code or 3MF), so it cannot "
        "be printed"
    )
    assert [r.outcome for r in simulator.print_requests] == ["not_printable"]


async def test_unknown_checksum(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """The server does not know the checksum: a translated error, sent once."""
    unknown = "0" * 64
    err = await _refused(hass, init_integration, unknown)
    assert err.translation_key == "library_file_not_found"
    assert [r.outcome for r in simulator.print_requests] == ["not_found"]


@pytest.mark.parametrize(
    ("stage", "key", "message"),
    [
        (
            "upload",
            "print_upload_failed",
            (
                "The Printernizer server could not upload the file to Prusa MK4. "
                "Check that the printer is on and reachable"
            ),
        ),
        (
            "start",
            "print_start_failed",
            (
                "The file was uploaded to Prusa MK4, but the printer did not start "
                "it. Check the printer"
            ),
        ),
    ],
)
async def test_printer_refuses(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    stage: str,
    key: str,
    message: str,
) -> None:
    """The server's 502s: which step failed, never sent twice."""
    simulator.printer(PRUSA_ID).refuse_prints(stage)
    err = await _refused(
        hass, init_integration, "benchy.gcode", error=HomeAssistantError
    )
    assert err.translation_key == key
    assert str(err) == message
    assert simulator.request_count(PRINT_PATH, "POST") == 1


async def test_printer_gone_from_the_server(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A printer deleted on the server since the last list: translated 404."""
    simulator.remove_printer(PRUSA_ID)
    err = await _refused(
        hass, init_integration, "benchy.gcode", error=HomeAssistantError
    )
    assert err.translation_key == "print_printer_not_found"
    assert [r.outcome for r in simulator.print_requests] == ["printer_not_found"]


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"kind": FaultKind.STATUS, "status": 500}, "print_refused"),
        ({"kind": FaultKind.STATUS, "status": 409}, "print_refused"),
        ({"kind": FaultKind.RATE_LIMIT, "retry_after": 7}, "action_rate_limited"),
        ({"kind": FaultKind.RESET, "count": None}, "cannot_connect"),
        ({"kind": FaultKind.MALFORMED}, "invalid_response"),
    ],
)
async def test_other_failures_are_not_repeated(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    fault: dict[str, Any],
    key: str,
) -> None:
    """Whatever goes wrong once the request may have reached the server: one try."""
    simulator.fault(path=PRINT_PATH, method="POST", **fault)
    err = await _refused(
        hass, init_integration, "benchy.gcode", error=HomeAssistantError
    )
    assert err.translation_key == key
    assert str(err)
    assert simulator.request_count(PRINT_PATH, "POST") == 1


async def test_hung_server_times_out_once_within_the_bound(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """No answer: a translated error after the upload bound; one request, no retry.

    A second print to the same printer while the first is on the wire is refused.
    """
    hang = simulator.fault(FaultKind.HANG, path=PRINT_PATH, method="POST")
    # Not a task Home Assistant waits for: the waits below must not wait for it.
    call = hass.async_create_background_task(
        _print(hass, init_integration, "benchy.gcode"), "print on a hung server"
    )
    await hang.hit.wait()
    started = hass.loop.time()
    err = await _refused(hass, init_integration, "calibration_cube.gcode")
    assert err.translation_key == "print_in_progress"
    freezer.tick(timedelta(seconds=PRINT_FILE_DEADLINE - 1))
    async_fire_time_changed(hass)
    await settle()
    assert not call.done()
    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    with pytest.raises(HomeAssistantError) as caught:
        await call
    assert hass.loop.time() - started <= PRINT_FILE_DEADLINE + 1
    assert caught.value.translation_key == "print_timeout"
    assert str(caught.value) == (
        "The Printernizer server did not confirm the print within 120 s. The upload "
        "may still be running: check Prusa MK4 before you try again"
    )
    assert simulator.request_count(PRINT_PATH, "POST") == 1
    # What the message warns of: the request was held, not lost, and the server
    # goes on to start the print.
    hang.clear()
    await asyncio.wait_for(simulator.print_request_received.wait(), 2)
    assert [r.outcome for r in simulator.print_requests] == ["started"]
    await init_integration.runtime_data.printers.printers[PRUSA_ID].async_refresh()
    err = await _refused(hass, init_integration, "calibration_cube.gcode")
    assert err.translation_key == "print_printer_busy_with"
    assert simulator.request_count(PRINT_PATH, "POST") == 1


async def test_proxy_refuses_the_credentials(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """A reverse proxy that wants other credentials: the integration's own message."""
    simulator.set_auth(("user", "secret"))
    with pytest.raises(HomeAssistantError) as caught:
        await _files(hass)
    assert caught.value.translation_key == "authentication_failed"
    err = await _refused(hass, init_integration, "0" * 64, error=HomeAssistantError)
    assert err.translation_key == "authentication_failed"
    assert "secret" not in str(err)


async def test_unload_during_a_print(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Unloading abandons the request; the caller learns it may have started."""
    hang = simulator.fault(FaultKind.HANG, path=PRINT_PATH, method="POST")
    # Not a task Home Assistant waits for: the waits below must not wait for it.
    call = hass.async_create_background_task(
        _print(hass, init_integration, "benchy.gcode"), "print on a hung server"
    )
    await hang.hit.wait()
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(HomeAssistantError) as caught:
        await call
    assert caught.value.translation_key == "print_cancelled"
    assert simulator.request_count(PRINT_PATH, "POST") == 1


async def test_unloaded_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The actions stay registered; an unloaded entry's printer is refused."""
    device_id = _device_id(hass, init_integration, PRUSA_ID)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert hass.services.has_service(DOMAIN, SERVICE_PRINT_LIBRARY_FILE)
    with pytest.raises(ServiceValidationError) as caught:
        await hass.services.async_call(
            DOMAIN,
            SERVICE_PRINT_LIBRARY_FILE,
            {ATTR_DEVICE_ID: device_id, "file": "benchy.gcode"},
            blocking=True,
        )
    assert caught.value.translation_key == "service_config_entry_not_loaded"
    with pytest.raises(ServiceValidationError):
        await _files(hass)


# ----------------------------------------------------------------------------
# get_library_files


async def test_list_files(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """Every file, newest first, with what a choice needs."""
    files = await _files(hass)
    assert [f["filename"] for f in files] == [
        "planter_vase.stl",
        "phone_stand.3mf",
        "calibration_cube.gcode",
        "benchy.gcode",
    ]
    benchy = simulator.library_file_named("benchy.gcode")
    assert files[-1] == {
        "name": "benchy",
        "filename": "benchy.gcode",
        "checksum": benchy.checksum,
        "size": 1_846_213,
        "printable": True,
        "has_thumbnail": True,
    }
    assert files[0]["printable"] is False
    assert files[0]["has_thumbnail"] is False


async def test_search_and_limit(
    hass: HomeAssistant, init_integration: MockConfigEntry, simulator: Simulator
) -> None:
    """The search text and the limit go to the server; one page is enough."""
    files = await _files(
        hass, config_entry_id=init_integration.entry_id, search=" gcode ", limit=1
    )
    assert [f["filename"] for f in files] == ["calibration_cube.gcode"]
    request = simulator.requests_matching(LIBRARY_PATH)[-1]
    assert request.query["search"] == "gcode"
    assert request.query["limit"] == "1"
    assert await _files(hass, search="nothing like it") == []
    with pytest.raises(ServiceValidationError) as caught:
        await _files(hass, search="g")
    assert caught.value.translation_key == "library_search_too_short"
    assert str(caught.value) == "Give at least 2 characters of the file name"
    with pytest.raises(Exception, match="limit"):
        await _files(hass, limit=0)


@pytest.mark.parametrize("simulator_options", [{"printers": 1, "fresh": True}])
async def test_empty_library(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A fresh server's library is an empty list, not an error."""
    assert await _files(hass) == []


@pytest.mark.parametrize(
    ("fault", "key"),
    [
        ({"kind": FaultKind.STATUS, "status": 404}, "library_unavailable"),
        ({"kind": FaultKind.STATUS, "status": 500}, "request_failed"),
        (
            {"kind": FaultKind.WRONG_SHAPE, "body": {"files": "none"}},
            "invalid_response",
        ),
    ],
)
async def test_list_failures(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    fault: dict[str, Any],
    key: str,
) -> None:
    """A library the server lacks or cannot list: translated errors."""
    simulator.fault(path=LIBRARY_PATH, **fault)
    with pytest.raises(HomeAssistantError) as caught:
        await _files(hass)
    assert caught.value.translation_key == key
    assert str(caught.value)
    # The same errors when a print looks the file up.
    err = await _refused(
        hass, init_integration, "benchy.gcode", error=HomeAssistantError
    )
    assert err.translation_key == key
    assert simulator.print_requests == []


async def test_actions_exist_without_an_entry(hass: HomeAssistant) -> None:
    """Registered by the integration, described with fields, before any entry."""
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, DOMAIN, {})
    assert hass.services.has_service(DOMAIN, SERVICE_PRINT_LIBRARY_FILE)
    assert hass.services.has_service(DOMAIN, SERVICE_GET_LIBRARY_FILES)
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    assert set(descriptions[SERVICE_PRINT_LIBRARY_FILE]["fields"]) == {
        "device_id",
        "file",
    }
    assert set(descriptions[SERVICE_GET_LIBRARY_FILES]["fields"]) == {
        "config_entry_id",
        "search",
        "limit",
    }
    with pytest.raises(ServiceValidationError) as caught:
        await _files(hass)
    assert caught.value.translation_key == "service_found_no_config_entry_for_domain"
