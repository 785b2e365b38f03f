"""Parsing the captured server responses into models."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.printernizer.api import (
    DatabaseHealth,
    Filament,
    HealthStatus,
    Printer,
    PrinterJob,
    PrinternizerResponseError,
    PrinterState,
    PrinterStatus,
    PrinterStatusEvent,
    PrinterTemperatures,
    PrinterType,
    ServerHealth,
    ServiceStatus,
    SystemInfo,
    Temperature,
    TrendingStatistics,
    UpdateCheck,
    is_printernizer_health,
    parse_timestamp,
    parse_version,
)

from .conftest import BAMBU_ID, PRUSA_ID, SECRETS, capture_json, capture_lines

BERLIN = ZoneInfo("Europe/Berlin")


def _printer_status_push() -> dict[str, Any]:
    return next(
        line
        for line in capture_lines("websocket_messages.jsonl")
        if line["type"] == "printer_status"
    )


# --------------------------------------------------------------------------
# Health


@pytest.mark.parametrize(
    "name", ["health.json", "health_no_printers.json", "health_after_restart.json"]
)
def test_health_captures(name: str) -> None:
    health = ServerHealth.from_dict(capture_json(name), tz=BERLIN)

    assert health.status is HealthStatus.HEALTHY
    assert health.version == "2.42.0"
    assert health.environment == "production"
    assert health.error is None
    assert health.database == DatabaseHealth(
        type="sqlite", healthy=True, connection_count=1
    )
    assert set(health.services) == {
        "database",
        "printer_service",
        "file_service",
        "trending_service",
        "event_service",
    }
    assert health.services["trending_service"].status is ServiceStatus.DISABLED
    assert health.services["trending_service"].details == {
        "reason": "temporarily disabled"
    }
    assert health.services["database"].details == {"connected": True}
    assert health.timestamp is not None
    assert health.timestamp.tzinfo is BERLIN
    assert is_printernizer_health(capture_json(name))


def test_health_timestamp_is_read_in_the_given_zone() -> None:
    health = ServerHealth.from_dict(capture_json("health.json"), tz=BERLIN)

    # 22:01:56 in Berlin (CET, UTC+1 in November) is 21:01:56 UTC.
    assert health.timestamp is not None
    assert health.timestamp.astimezone(UTC).replace(microsecond=0) == datetime(
        2026, 11, 28, 21, 1, 56, tzinfo=UTC
    )
    assert ServerHealth.from_dict(capture_json("health.json")).timestamp == datetime(
        2026, 11, 28, 22, 1, 56, 205574, tzinfo=UTC
    )


def test_health_fallback_body_exposes_the_error() -> None:
    body = {
        "status": "unhealthy",
        "timestamp": "2026-11-28T22:01:56.205574",
        "version": "2.42.0",
        "environment": "production",
        "database": {"type": "sqlite", "healthy": False},
        "services": {"error": "database is locked"},
        "uptime_seconds": None,
    }

    health = ServerHealth.from_dict(body)

    assert health.status is HealthStatus.UNHEALTHY
    assert health.services == {}
    assert health.error == "database is locked"
    assert health.database == DatabaseHealth(
        type="sqlite", healthy=False, connection_count=None
    )


def test_health_unknown_values_map_to_unknown() -> None:
    body = capture_json("health.json")
    body["status"] = "on-fire"
    body["services"]["file_service"]["status"] = "sleepy"
    body["services"]["event_service"]["status"] = None
    body["database"] = None

    health = ServerHealth.from_dict(body)

    assert health.status is HealthStatus.UNKNOWN
    assert health.services["file_service"].status is ServiceStatus.UNKNOWN
    assert health.services["event_service"].status is ServiceStatus.UNKNOWN
    assert health.database is None


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda b: b["services"]["database"].update(status=1),
            "health.services.database.status: expected str, got int",
        ),
        (lambda b: b.update(status=True), "health.status: expected str, got bool"),
        (lambda b: b.pop("status"), "health.status: missing"),
        (lambda b: b.pop("services"), "health.services: missing"),
        (
            lambda b: b.update(services=[]),
            "health.services: expected object, got array",
        ),
        (
            lambda b: b["services"].update(file_service="ok"),
            "health.services.file_service: expected object, got str",
        ),
        (
            lambda b: b["services"]["database"].update(details=[1]),
            "health.services.database.details: expected object, got array",
        ),
        (
            lambda b: b["database"].update(connection_count="1"),
            "health.database.connection_count: expected int, got str",
        ),
        (
            lambda b: b["database"].update(connection_count=1.5),
            "health.database.connection_count: expected int, got float",
        ),
        (
            lambda b: b["database"].update(healthy="yes"),
            "health.database.healthy: expected bool, got str",
        ),
        (
            lambda b: b.update(database="sqlite"),
            "health.database: expected object, got str",
        ),
        (lambda b: b.update(version=2.42), "health.version: expected str, got float"),
        (
            lambda b: b.update(timestamp=1764367316),
            "health.timestamp: expected timestamp, got int",
        ),
    ],
)
def test_health_wrong_types_name_the_field(mutate: Any, message: str) -> None:
    body = capture_json("health.json")
    mutate(body)

    with pytest.raises(PrinternizerResponseError) as err:
        ServerHealth.from_dict(body)

    assert str(err.value) == message
    assert not is_printernizer_health(body)


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "ok"},
        {"status": "alive"},
        {"detail": "Not Found"},
        [capture_json("health.json")],
        "healthy",
        None,
    ],
)
def test_other_bodies_are_not_printernizer_health(payload: Any) -> None:
    assert not is_printernizer_health(payload)
    with pytest.raises(PrinternizerResponseError, match=r"^health"):
        ServerHealth.from_dict(payload)


def test_health_is_immutable() -> None:
    health = ServerHealth.from_dict(capture_json("health.json"))

    with pytest.raises(FrozenInstanceError):
        health.status = HealthStatus.UNHEALTHY  # type: ignore[misc]


def test_integral_float_is_accepted_as_int() -> None:
    body = capture_json("health.json")
    body["database"]["connection_count"] = 1.0

    health = ServerHealth.from_dict(body)

    assert health.database is not None
    assert health.database.connection_count == 1


# --------------------------------------------------------------------------
# Printers


@pytest.mark.parametrize(
    "name",
    ["printers.json", "printers_after_restart.json", "printers_filter_offline.json"],
)
def test_printer_list_captures(name: str) -> None:
    body = capture_json(name)

    printers = [Printer.from_dict(item, tz=BERLIN) for item in body["printers"]]

    assert len(printers) == body["total_count"]
    prusa = printers[0]
    assert prusa.id == PRUSA_ID
    assert prusa.name == "Test Prusa MK4"
    assert prusa.printer_type is PrinterType.PRUSA_CORE
    assert prusa.status is PrinterState.OFFLINE
    assert prusa.last_seen is None
    assert prusa.temperatures is None
    assert prusa.current_job is None
    assert prusa.filaments == ()
    assert prusa.total_jobs == 0
    for printer in printers:
        text = repr(printer)
        for secret in SECRETS:
            assert secret not in text
        assert not hasattr(printer, "connection_config")
        assert not hasattr(printer, "ip_address")


def test_bambu_printer_detail() -> None:
    printer = Printer.from_dict(capture_json("printer_detail_bambu.json"), tz=BERLIN)

    assert printer.id == BAMBU_ID
    assert printer.printer_type is PrinterType.BAMBU_LAB
    assert printer.status is PrinterState.ONLINE
    assert printer.temperatures == PrinterTemperatures(bed=0.0, nozzle=0.0)
    assert printer.last_seen == datetime(2026, 11, 28, 22, 1, 51, 92540, tzinfo=BERLIN)
    assert printer.total_jobs is None
    assert "01P00A000000001" not in repr(printer)
    assert "12345678" not in repr(printer)


def test_prusa_printer_detail() -> None:
    printer = Printer.from_dict(capture_json("printer_detail_prusa.json"))

    assert printer.id == PRUSA_ID
    assert printer.status is PrinterState.OFFLINE
    assert "testapikey123" not in repr(printer)


def test_printer_with_a_job_and_filaments() -> None:
    body = capture_json("printer_detail_bambu.json")
    body.update(
        status="printing",
        current_job={
            "name": "benchy.3mf",
            "status": "printing",
            "progress": 42,
            "started_at": "2026-11-28T22:01:51.092540",
            "estimated_remaining": None,
            "layer_current": None,
            "layer_total": None,
        },
        temperatures={"bed": 60.5, "nozzle": 215},
        filaments=[
            {"slot": 0, "color": "#FF0000", "type": "PLA", "is_active": True},
            {"slot": 1, "color": None, "type": None, "is_active": False},
        ],
    )

    printer = Printer.from_dict(body)

    assert printer.status is PrinterState.PRINTING
    assert printer.current_job == PrinterJob(
        name="benchy.3mf", status="printing", progress=42.0
    )
    assert printer.temperatures == PrinterTemperatures(bed=60.5, nozzle=215.0)
    assert printer.filaments == (
        Filament(slot=0, color="#FF0000", material="PLA", is_active=True),
        Filament(slot=1, color=None, material=None, is_active=False),
    )


def test_printer_leaves_out_filament_slots_that_do_not_parse() -> None:
    body = capture_json("printer_detail_bambu.json")
    body.update(
        filaments=[
            {"slot": "A", "colour": "#00FF00"},
            "PLA",
            None,
            {"slot": 1, "color": "#FF0000", "type": "PLA", "is_active": True},
            {"color": None, "type": "ABS", "is_active": False, "nozzle": 2},
        ]
    )

    printer = Printer.from_dict(body)

    assert printer.filaments == (
        Filament(slot=1, color="#FF0000", material="PLA", is_active=True),
        Filament(slot=None, color=None, material="ABS", is_active=False),
    )


def test_printer_lenient_fields() -> None:
    printer = Printer.from_dict(
        {
            "id": "config-printer",
            "name": None,
            "printer_type": "klipper",
            "status": "idle",
            "temperatures": {"nozzle": 200.0},
        }
    )

    assert printer.name == "config-printer"
    assert printer.printer_type is PrinterType.UNKNOWN
    assert printer.status is PrinterState.UNKNOWN
    assert printer.temperatures == PrinterTemperatures(bed=None, nozzle=200.0)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b.update(id=7), "printer.id: expected str, got int"),
        (lambda b: b.pop("id"), "printer.id: missing"),
        (lambda b: b.update(status=3), "printer.status: expected str, got int"),
        (
            lambda b: b.update(filaments={"slot": 1}),
            "printer.filaments: expected array, got object",
        ),
        (
            lambda b: b.update(temperatures={"bed": "hot"}),
            "printer.temperatures.bed: expected object, got str",
        ),
        (
            lambda b: b.update(temperatures=[20.0]),
            "printer.temperatures: expected object, got array",
        ),
        (
            lambda b: b.update(current_job="benchy"),
            "printer.current_job: expected object, got str",
        ),
        (
            lambda b: b.update(current_job={"name": "x", "progress": "42%"}),
            "printer.current_job.progress: expected number, got str",
        ),
        (
            lambda b: b.update(total_jobs=True),
            "printer.total_jobs: expected int, got bool",
        ),
    ],
)
def test_printer_wrong_types_name_the_field(mutate: Any, message: str) -> None:
    body = capture_json("printer_detail_bambu.json")
    mutate(body)

    with pytest.raises(PrinternizerResponseError) as err:
        Printer.from_dict(body)

    assert str(err.value) == message
    for secret in SECRETS:
        assert secret not in str(err.value)


# --------------------------------------------------------------------------
# Printer status


def test_printer_status_bambu() -> None:
    status = PrinterStatus.from_dict(
        capture_json("printer_status_bambu.json"), tz=BERLIN
    )

    assert status.id == BAMBU_ID
    assert status.name == "Test Bambu A1"
    assert status.state is PrinterState.ONLINE
    assert status.bed == Temperature(current=0.0, target=None)
    assert status.nozzle == Temperature(current=0.0, target=None)
    assert status.job_name is None
    assert status.progress is None
    assert status.remaining_time is None
    assert status.message is None
    assert status.timestamp == datetime(2026, 11, 28, 22, 1, 55, 322604, tzinfo=BERLIN)


@pytest.mark.parametrize(
    "name", ["printer_status_prusa.json", "printer_status_bambu_after_restart.json"]
)
def test_printer_status_captures(name: str) -> None:
    body = capture_json(name)

    status = PrinterStatus.from_dict(body)

    assert status.id == body["id"]
    assert status.state is PrinterState(body["status"])


def test_printer_status_prusa_has_no_temperatures() -> None:
    status = PrinterStatus.from_dict(capture_json("printer_status_prusa.json"))

    assert status.state is PrinterState.OFFLINE
    assert status.bed == Temperature()
    assert status.nozzle == Temperature()


def test_printer_status_with_a_job() -> None:
    body = capture_json("printer_status_bambu.json")
    body.update(
        status="printing",
        current_job={"name": "benchy.3mf", "progress": 37, "remaining_time": 42},
        temperatures={
            "bed": {"current": 59.8, "target": 60},
            "nozzle": {"current": 219.5, "target": None},
        },
    )

    status = PrinterStatus.from_dict(body)

    assert status.state is PrinterState.PRINTING
    assert status.job_name == "benchy.3mf"
    assert status.progress == 37.0
    assert status.remaining_time == 42
    assert status.bed == Temperature(current=59.8, target=60.0)
    assert status.nozzle == Temperature(current=219.5, target=None)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda b: b.update(current_job={"name": "x", "remaining_time": "soon"}),
            "printer_status.current_job.remaining_time: expected int, got str",
        ),
        (
            lambda b: b.update(temperatures={"bed": {"current": "hot"}}),
            "printer_status.temperatures.bed.current: expected number, got str",
        ),
        (
            lambda b: b.update(temperatures="warm"),
            "printer_status.temperatures: expected object, got str",
        ),
        (lambda b: b.update(name=5), "printer_status.name: expected str, got int"),
    ],
)
def test_printer_status_wrong_types(mutate: Any, message: str) -> None:
    body = capture_json("printer_status_bambu.json")
    mutate(body)

    with pytest.raises(PrinternizerResponseError) as err:
        PrinterStatus.from_dict(body)

    assert str(err.value) == message


def test_printer_status_array_is_rejected() -> None:
    with pytest.raises(PrinternizerResponseError) as err:
        PrinterStatus.from_dict([capture_json("printer_status_bambu.json")])

    assert str(err.value) == "printer_status: expected object, got array"


# --------------------------------------------------------------------------
# WebSocket pushes


def test_printer_status_push_from_capture() -> None:
    event = PrinterStatusEvent.from_message(_printer_status_push(), tz=BERLIN)

    assert event == PrinterStatusEvent(
        printer_id=BAMBU_ID,
        state=PrinterState.ONLINE,
        message="Ready",
        temperature_bed=0.0,
        temperature_nozzle=0.0,
        progress=0.0,
        current_job=None,
        current_job_has_thumbnail=None,
        timestamp=datetime(2026, 11, 28, 22, 2, 21, 95895, tzinfo=BERLIN),
    )


def test_push_takes_the_printer_id_from_the_envelope() -> None:
    message = _printer_status_push()
    del message["data"]["printer_id"]

    event = PrinterStatusEvent.from_message(message)

    assert event.printer_id == BAMBU_ID


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"type": "pong"}, "printer_status.type: not printer_status"),
        ({"type": "printer_status"}, "printer_status.data: expected object, got null"),
        (
            {"type": "printer_status", "data": {"status": "online"}},
            "printer_status.data.printer_id: missing",
        ),
        (
            {"type": "printer_status", "data": {"printer_id": "p", "progress": "50"}},
            "printer_status.data.progress: expected number, got str",
        ),
        (["printer_status"], "printer_status: expected object, got array"),
    ],
)
def test_malformed_pushes(message: Any, error: str) -> None:
    with pytest.raises(PrinternizerResponseError) as err:
        PrinterStatusEvent.from_message(message)

    assert str(err.value) == error


def _printing_status() -> PrinterStatus:
    return PrinterStatus(
        id=BAMBU_ID,
        name="Test Bambu A1",
        state=PrinterState.PRINTING,
        timestamp=datetime(2026, 11, 28, 22, 0, tzinfo=UTC),
        bed=Temperature(current=59.0, target=60.0),
        nozzle=Temperature(current=218.0, target=220.0),
        job_name="benchy.3mf",
        progress=30.0,
        remaining_time=42,
    )


def _event(**changes: Any) -> PrinterStatusEvent:
    values: dict[str, Any] = {
        "printer_id": BAMBU_ID,
        "state": PrinterState.PRINTING,
        "message": "Printing",
        "temperature_bed": 60.1,
        "temperature_nozzle": 219.9,
        "progress": 31.0,
        "current_job": "benchy.3mf",
        "current_job_has_thumbnail": True,
        "timestamp": datetime(2026, 11, 28, 22, 0, 30, tzinfo=UTC),
    }
    values.update(changes)
    return PrinterStatusEvent(**values)


def test_merge_keeps_targets_and_remaining_time_of_the_same_job() -> None:
    merged = _printing_status().merged_with(_event())

    assert merged.progress == 31.0
    assert merged.bed == Temperature(current=60.1, target=60.0)
    assert merged.nozzle == Temperature(current=219.9, target=220.0)
    assert merged.remaining_time == 42
    assert merged.message == "Printing"
    assert merged.timestamp == datetime(2026, 11, 28, 22, 0, 30, tzinfo=UTC)
    assert merged.name == "Test Bambu A1"


def test_merge_ends_the_job_when_the_push_has_none() -> None:
    merged = _printing_status().merged_with(
        _event(
            state=PrinterState.ONLINE,
            current_job=None,
            progress=None,
            temperature_bed=None,
            timestamp=None,
        )
    )

    assert merged.state is PrinterState.ONLINE
    assert merged.job_name is None
    assert merged.remaining_time is None
    assert merged.progress == 30.0
    assert merged.bed == Temperature(current=59.0, target=60.0)
    assert merged.timestamp == datetime(2026, 11, 28, 22, 0, tzinfo=UTC)


def test_merge_drops_remaining_time_of_another_job() -> None:
    merged = _printing_status().merged_with(_event(current_job="other.3mf"))

    assert merged.job_name == "other.3mf"
    assert merged.remaining_time is None


def test_merge_refuses_another_printer() -> None:
    with pytest.raises(ValueError, match="another printer"):
        _printing_status().merged_with(_event(printer_id=PRUSA_ID))


def test_status_from_a_push_alone() -> None:
    event = PrinterStatusEvent.from_message(_printer_status_push())

    status = PrinterStatus.from_event(event, name="Test Bambu A1")
    unnamed = PrinterStatus.from_event(event)

    assert status.id == BAMBU_ID
    assert status.name == "Test Bambu A1"
    assert unnamed.name == BAMBU_ID
    assert status.state is PrinterState.ONLINE
    assert status.bed == Temperature(current=0.0, target=None)
    assert status.remaining_time is None
    assert status.message == "Ready"


# --------------------------------------------------------------------------
# System, update check, trending


def test_update_check_capture() -> None:
    check = UpdateCheck.from_dict(capture_json("update_check.json"))

    assert check.current_version == "2.42.0"
    assert check.latest_version is None
    assert check.update_available is False
    assert check.check_failed is True
    assert check.error_message is not None
    assert check.error_message.startswith("Cannot connect to host api.github.com")


def test_update_check_available() -> None:
    check = UpdateCheck.from_dict(
        {
            "current_version": "2.42.0",
            "latest_version": "2.43.1",
            "update_available": True,
            "release_url": "https://github.com/example/printernizer/releases/tag/v2.43.1",
            "check_failed": False,
            "error_message": None,
        }
    )

    assert check.update_available is True
    assert parse_version(check.latest_version) == (2, 43, 1)


def test_update_check_wrong_type() -> None:
    with pytest.raises(PrinternizerResponseError) as err:
        UpdateCheck.from_dict({"update_available": "yes"})

    assert str(err.value) == "update_check.update_available: expected bool, got str"


@pytest.mark.parametrize(
    ("name", "size", "uptime"),
    [("system_info.json", 0.77, 30), ("system_info_after_restart.json", 0.82, 44)],
)
def test_system_info_captures(name: str, size: float, uptime: int) -> None:
    info = SystemInfo.from_dict(capture_json(name))

    assert info == SystemInfo(
        version="unknown",
        environment="production",
        timezone="Europe/Berlin",
        database_size_mb=size,
        uptime_seconds=uptime,
    )
    assert parse_version(info.version) is None


def test_system_info_fractional_uptime_and_wrong_type() -> None:
    assert SystemInfo.from_dict({"uptime_seconds": 12.7}).uptime_seconds == 12
    with pytest.raises(PrinternizerResponseError) as err:
        SystemInfo.from_dict({"timezone": 1})
    assert str(err.value) == "system_info.timezone: expected str, got int"


DOCUMENTED_TRENDING = {
    "total_cached": 120,
    "valid_items": 110,
    "by_platform": {"makerworld": 70, "printables": 50},
    "last_refresh": {"makerworld": "2025-09-26T18:00:00", "printables": None},
    "performance_metrics": {
        "total_requests": 15,
        "failed_requests": 1,
        "successful_fetches": 14,
        "success_rate": "93.33%",
        "last_fetch_time": "2025-09-26T18:00:00",
        "last_error": None,
        "cache_hits": 40,
        "cache_misses": 3,
    },
}


def test_trending_statistics_documented_shape() -> None:
    stats = TrendingStatistics.from_dict(DOCUMENTED_TRENDING, tz=BERLIN)

    assert stats.total_cached == 120
    assert stats.valid_items == 110
    assert stats.by_platform == {"makerworld": 70, "printables": 50}
    assert stats.last_refresh == DOCUMENTED_TRENDING["last_refresh"]
    performance = stats.performance_metrics
    assert performance is not None
    assert performance.success_rate == 93.33
    assert performance.total_requests == 15
    assert performance.failed_requests == 1
    assert performance.successful_fetches == 14
    assert performance.cache_hits == 40
    assert performance.cache_misses == 3
    assert performance.last_error is None
    assert performance.last_fetch_time == datetime(2025, 9, 26, 18, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("93.33%", 93.33), (" 50 % ", 50.0), (75, 75.0), ("n/a", None), (None, None)],
)
def test_trending_success_rate(value: Any, expected: float | None) -> None:
    stats = TrendingStatistics.from_dict(
        {"performance_metrics": {"success_rate": value}}
    )

    assert stats.performance_metrics is not None
    assert stats.performance_metrics.success_rate == expected


def test_trending_statistics_minimal_and_wrong_types() -> None:
    stats = TrendingStatistics.from_dict(
        {"by_platform": {"makerworld": None}, "last_refresh": None}
    )

    assert stats.by_platform == {}
    assert stats.last_refresh == {}
    assert stats.performance_metrics is None
    with pytest.raises(PrinternizerResponseError) as err:
        TrendingStatistics.from_dict({"by_platform": {"makerworld": "70"}})
    assert (
        str(err.value)
        == "trending_statistics.by_platform.makerworld: expected int, got str"
    )
    with pytest.raises(PrinternizerResponseError) as err:
        TrendingStatistics.from_dict({"performance_metrics": {"cache_hits": []}})
    assert (
        str(err.value)
        == "trending_statistics.performance_metrics.cache_hits: expected int, got array"
    )


# --------------------------------------------------------------------------
# Helpers


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.42.0", (2, 42, 0)),
        ("2.42.0-3-gabc1234-dirty", (2, 42, 0)),
        ("v2.43.10", (2, 43, 10)),
        ("unknown", None),
        ("be0da09", None),
        ("2.42", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_version(
    version: str | None, expected: tuple[int, int, int] | None
) -> None:
    assert parse_version(version) == expected


def test_parse_timestamp() -> None:
    plus_two = timezone(timedelta(hours=2))

    assert parse_timestamp("2026-11-28T22:01:55", BERLIN) == datetime(
        2026, 11, 28, 22, 1, 55, tzinfo=BERLIN
    )
    assert parse_timestamp("2025-09-26T18:55:00Z", BERLIN) == datetime(
        2025, 9, 26, 18, 55, tzinfo=UTC
    )
    assert parse_timestamp("2026-11-28T22:01:55+02:00").tzinfo == plus_two  # type: ignore[union-attr]
    assert parse_timestamp("yesterday") is None
    assert parse_timestamp(None) is None
    with pytest.raises(TypeError):
        parse_timestamp(1764367316)


def test_every_model_name_is_importable_from_the_models_module() -> None:
    from custom_components.printernizer.api import models

    names = {
        "DatabaseHealth",
        "Filament",
        "HealthStatus",
        "Printer",
        "PrinterJob",
        "PrinterState",
        "PrinterStatus",
        "PrinterStatusEvent",
        "PrinterTemperatures",
        "PrinterType",
        "ServerHealth",
        "ServiceHealth",
        "ServiceStatus",
        "SystemInfo",
        "Temperature",
        "TrendingPerformance",
        "TrendingStatistics",
        "UpdateCheck",
        "is_printernizer_health",
        "parse_timestamp",
        "parse_version",
    }

    assert names <= set(models.__all__)
    assert all(callable(getattr(models, name)) for name in names)
