"""`scripts/develop --server URL --check` and the dashboard it installs, without Home Assistant.

The end-to-end runs are in tests/e2e/test_develop_server.py (marker `develop`); these
tests cover the rules and the reading of the server, quickly, against the simulator.
"""

from __future__ import annotations

import os
from pathlib import Path
import time
from typing import Any

import aiohttp
import pytest
import yaml

from scripts.develop_support.__main__ import (
    SERVER_PASSWORD_ENV,
    SERVER_TOKEN_ENV,
    SERVER_USERNAME_ENV,
    Develop,
    build_parser,
    normalize_server_url,
)
from scripts.develop_support.dashboard import (
    DASHBOARD_FILE,
    FleetPrinter,
    adapt,
    entity_ids,
    load_dashboard,
    section_prefix,
)
from scripts.develop_support.server_check import (
    HaPrinter,
    HaView,
    ServerPrinter,
    ServerReader,
    ServerSnapshot,
    compare,
    expected_printer_state,
    integration_errors,
)
from tests.simulator import FaultKind, SimPrinter, Simulator

DEV_FLEET = ["bambu_x1c", "prusa_mk4", "bambu_p1s"]


def status_body(status: str, bed: float | None, nozzle: float | None) -> dict[str, Any]:
    """A status answer as /api/v1/printers/{id}/status gives it."""
    return {
        "id": "p1",
        "name": "Printer",
        "status": status,
        "current_job": None,
        "temperatures": {
            "bed": {"current": bed, "target": None},
            "nozzle": {"current": nozzle, "target": None},
        },
        "timestamp": "2026-12-02T10:00:00",
    }


@pytest.mark.parametrize(
    ("printer_type", "status", "bed", "nozzle", "shown"),
    [
        ("bambu_lab", "online", 0.0, 0.0, "offline"),  # the server cannot reach it
        ("bambu_lab", "online", 0.0, 21.5, "online"),
        ("bambu_lab", "printing", 0.0, 0.0, "printing"),
        ("prusa_core", "online", 0.0, 0.0, "online"),
        ("bambu_lab", "paused", 55.0, 150.0, "paused"),
        ("prusa_core", "unknown", 22.0, 22.0, "unknown"),
        ("prusa_core", "maintenance", 22.0, 22.0, "unknown"),
        ("bambu_lab", "online", None, None, "online"),
    ],
)
def test_expected_printer_state(
    printer_type: str, status: str, bed: float | None, nozzle: float | None, shown: str
) -> None:
    """The documented rules: unknown values, and the Bambu Lab printer at 0.0 °C."""
    printer = ServerPrinter(
        "p1", "Printer", printer_type, status_body(status, bed, nozzle)
    )
    assert expected_printer_state(printer) == shown


def test_a_printer_without_a_status_answer_is_unavailable() -> None:
    """An error answer for a printer's status: the integration marks it unavailable."""
    printer = ServerPrinter("p1", "Printer", "bambu_lab", None, "GET ...: HTTP 503")
    assert expected_printer_state(printer) == "unavailable"


def ha_view(states: dict[str, str]) -> HaView:
    """Home Assistant with the hub, two services and two printers."""
    return HaView(
        hub_status="sensor.printernizer_server_status",
        hub_device_id="hub",
        services={
            "database": "sensor.printernizer_database_status",
            "file_service": "sensor.printernizer_file_service_status",
        },
        printers=[
            HaPrinter("d1", "Bambu X1C", ("ENTRY_p1",), "sensor.bambu_x1c_status"),
            # Renamed by the user: still found by its identifier.
            HaPrinter("d2", "Workshop", ("ENTRY_p2",), "sensor.prusa_mk4_status"),
        ],
        states=states,
    )


def snapshot(printers: list[ServerPrinter]) -> ServerSnapshot:
    """A server whose health report says `maintenance` (a value the integration lacks)."""
    return ServerSnapshot(
        status="maintenance",
        services={"database": "healthy", "file_service": "degraded"},
        printers=printers,
    )


def test_compare_finds_nothing_when_home_assistant_follows_the_rules() -> None:
    """Unknown values show as unknown; the printer at 0.0 °C shows offline."""
    server = snapshot(
        [
            ServerPrinter("p1", "Bambu X1C", "bambu_lab", status_body("online", 0, 0)),
            ServerPrinter(
                "p2", "Prusa MK4", "prusa_core", status_body("paused", 60, 150)
            ),
        ]
    )
    states = {
        "sensor.printernizer_server_status": "unknown",
        "sensor.printernizer_database_status": "healthy",
        "sensor.printernizer_file_service_status": "degraded",
        "sensor.bambu_x1c_status": "offline",
        "sensor.prusa_mk4_status": "paused",
    }
    assert compare(server, ha_view(states)) == {}


def test_compare_reports_each_difference_in_one_line() -> None:
    """States that differ, a missing service sensor, a missing and an extra printer."""
    server = ServerSnapshot(
        status="degraded",
        services={"database": "unhealthy", "event_service": "healthy"},
        printers=[
            ServerPrinter("p1", "Bambu X1C", "bambu_lab", status_body("online", 0, 0)),
            ServerPrinter("p3", "Voron", "octoprint", status_body("printing", 60, 210)),
        ],
    )
    states = {
        "sensor.printernizer_server_status": "healthy",
        "sensor.printernizer_database_status": "unhealthy",
        "sensor.bambu_x1c_status": "online",
        "sensor.prusa_mk4_status": "paused",
    }
    lines = sorted(m.line() for m in compare(server, ha_view(states)).values())
    assert lines == [
        (
            "mismatch: device 'Workshop': Home Assistant shows a printer device, "
            "the server says it has no such printer"
        ),
        (
            "mismatch: printer 'Bambu X1C' status (sensor.bambu_x1c_status): Home "
            "Assistant shows online, the server says online at 0.0 °C (shown as offline)"
        ),
        (
            "mismatch: printer 'Voron' (p3): Home Assistant shows no device, "
            "the server says a printer that is printing"
        ),
        (
            "mismatch: server status (sensor.printernizer_server_status): Home "
            "Assistant shows healthy, the server says degraded"
        ),
        (
            "mismatch: service event_service: Home Assistant shows no status sensor, "
            "the server says healthy"
        ),
    ]


def test_integration_errors_reads_this_run_of_the_log(tmp_path: Path) -> None:
    """Only the integration's ERROR lines count, and only from logs of this run."""
    since = time.time()
    old = tmp_path / "home-assistant.log.1"
    old.write_text(
        "2026-12-02 09:00:00.000 ERROR (MainThread) [custom_components.printernizer] "
        "from an earlier run\n"
    )
    os.utime(old, (since - 3600, since - 3600))
    error = (
        "2026-12-02 10:00:01.123 ERROR (MainThread) "
        "[custom_components.printernizer.coordinator] Unexpected error fetching"
    )
    lines = [
        "2026-12-02 10:00:00.001 WARNING (MainThread) [custom_components.printernizer] x",
        "2026-12-02 10:00:00.002 ERROR (MainThread) [haffmpeg.core] FFmpeg fails",
        "2026-12-02 10:00:00.003 ERROR (MainThread) [custom_components.printernizer_x] y",
        error,
        "Traceback (most recent call last):",
    ]
    (tmp_path / "home-assistant.log").write_text("\n".join(lines) + "\n")
    assert integration_errors(tmp_path, since) == [error]


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """Five printers: three pages of two."""
    return {"printers": 5}


async def test_reader_reads_every_page_and_only_gets(simulator: Simulator) -> None:
    """All printers over several pages, a 429 waited out, nothing but GET requests."""
    simulator.printer(0).start_job("benchy.gcode", duration_minutes=30)
    simulator.printer(1).go_unreachable()  # a Prusa printer: status error
    simulator.add_printer(SimPrinter("Bambu H2D", "bambu_lab")).go_unreachable()
    simulator.fault(FaultKind.RATE_LIMIT, path="/api/v1/printers", count=1)
    simulator.fault(
        FaultKind.STATUS, path=f"/api/v1/printers/{simulator.printer(3).id}/status"
    )
    async with aiohttp.ClientSession() as session:
        reader = ServerReader(session, simulator.url, page_size=2)
        server = await reader.snapshot()

    assert server.status == "healthy"
    assert server.services["database"] == "healthy"
    shown = {
        printer.name: expected_printer_state(printer) for printer in server.printers
    }
    assert shown == {
        "Bambu X1C": "printing",
        "Prusa MK4": "error",
        "Bambu P1S": "online",
        "Prusa XL": "unavailable",  # its status route answers 503
        "Bambu A1": "online",
        "Bambu H2D": "offline",  # online at 0.0 °C
    }
    lists = [r.query for r in simulator.requests if r.path == "/api/v1/printers"]
    assert lists == [
        {"page": "1", "limit": "2"},  # answered 429, then asked again
        {"page": "1", "limit": "2"},
        {"page": "2", "limit": "2"},
        {"page": "3", "limit": "2"},
    ]
    assert {r.method for r in simulator.requests} == {"GET"}


def test_dashboard_file_is_one_sections_view_of_built_in_cards() -> None:
    """docs/dashboard.yaml: one view, one section per development printer, alike."""
    config = load_dashboard()
    view = config["views"][0]
    assert view["type"] == "sections"
    prefixes = [section_prefix(s) for s in view["sections"]]
    assert prefixes == [None, *DEV_FLEET]

    def cards(section: dict[str, Any]) -> list[dict[str, Any]]:
        return list(section["cards"])

    built_in = {"heading", "tile", "picture-entity", "logbook"}
    types = {card["type"] for s in view["sections"] for card in cards(s)}
    assert types <= built_in, types - built_in
    # Each printer section refers to the same entities, with its own prefix.
    suffixes = [
        {entity.split(".", 1)[0] + entity.split(".", 1)[1][len(prefix) :]
         for entity in entity_ids(section)}
        for section, prefix in zip(view["sections"][1:], DEV_FLEET, strict=True)
    ]  # fmt: skip
    assert suffixes[0] == suffixes[1] == suffixes[2]
    assert "event_print_job" in suffixes[0]
    assert "image_job_thumbnail" in suffixes[0]
    # The marked place for a camera card, in every printer section.
    text = DASHBOARD_FILE.read_text()
    assert text.count("# Camera: ") == len(DEV_FLEET)
    assert yaml.safe_load(text) == config


def test_adapt_keeps_the_file_for_the_development_fleet() -> None:
    """Against the simulator the dashboard is installed exactly as the file has it."""
    config = load_dashboard()
    fleet = [FleetPrinter(name, prefix) for name, prefix in zip(
        ["Bambu X1C", "Prusa MK4", "Bambu P1S"], DEV_FLEET, strict=True
    )]  # fmt: skip
    assert adapt(config, fleet, "printernizer") is config


def test_adapt_gives_each_printer_of_another_fleet_a_section() -> None:
    """Another server: one section per printer, its entity ids and name; hub renamed."""
    config = load_dashboard()
    fleet = [
        FleetPrinter("Voron 2.4", "voron_2_4"),
        FleetPrinter("Prusa MK4", "prusa_mk4"),
    ]
    adapted = adapt(config, fleet, "workshop")
    sections = adapted["views"][0]["sections"]
    assert [section_prefix(s) for s in sections] == [None, "voron_2_4", "prusa_mk4"]
    assert sections[2] == config["views"][0]["sections"][2]  # a printer the file has
    voron = sections[1]
    assert voron["cards"][0]["heading"] == "Voron 2.4"
    assert all(e.split(".", 1)[1].startswith("voron_2_4_") for e in entity_ids(voron))
    assert "sensor.workshop_server_status" in entity_ids(sections[0])
    assert not {e for e in entity_ids(adapted) if ".printernizer_" in e}
    assert config == load_dashboard()  # the file's configuration is left as it was


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("http://Printernizer.local:8000/", "http://printernizer.local:8000"),
        ("192.168.1.5:8000", "http://192.168.1.5:8000"),
        ("https://farm.example/printernizer/", "https://farm.example/printernizer"),
    ],
)
def test_server_url_is_stored_as_the_integration_stores_it(raw: str, url: str) -> None:
    """Scheme added when missing, host in lower case, no trailing slash."""
    assert normalize_server_url(raw) == url


@pytest.mark.parametrize(
    "raw",
    ["ftp://printernizer.local", "http://", "http://dev:secret@printernizer.local"],
)
def test_server_url_without_credentials_or_host_is_refused(raw: str) -> None:
    """Credentials in the URL are refused (they go in environment variables)."""
    with pytest.raises(ValueError, match="--server") as err:
        normalize_server_url(raw)
    assert "secret" not in str(err.value)


@pytest.mark.parametrize(
    ("env", "entry", "header"),
    [
        ({}, {}, None),
        (
            {SERVER_USERNAME_ENV: "dev", SERVER_PASSWORD_ENV: "pw"},
            {"username": "dev", "password": "pw"},
            "Basic ZGV2OnB3",
        ),
        ({SERVER_TOKEN_ENV: "abc"}, {"token": "abc"}, "Bearer abc"),
    ],
)
async def test_server_credentials_reach_the_entry_and_the_check(
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    entry: dict[str, str],
    header: str | None,
) -> None:
    """The same reverse proxy credentials for Home Assistant's entry and the check."""
    for name in (SERVER_USERNAME_ENV, SERVER_PASSWORD_ENV, SERVER_TOKEN_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    develop = Develop(build_parser().parse_args(["--server", "http://farm:8000"]))
    develop.server_url = "http://farm:8000"
    assert develop.server_credentials() == entry
    async with aiohttp.ClientSession() as session:
        reader = develop.server_reader(session)
    assert reader.headers.get("Authorization") == header
