"""Fleet statistics, materials, settings and the file library."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.printernizer.api import (
    AnalyticsSummary,
    ApplicationSettings,
    LibraryFile,
    LowStockSpool,
    MaterialGroup,
    MaterialStats,
    PrinternizerClient,
    PrinternizerNotFoundError,
    PrinternizerResponseError,
)

from .conftest import ClientFactory, FakeServer, Reply

FILES = "/api/v1/library/files"
TOKYO = ZoneInfo("Asia/Tokyo")


def _file(number: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"id-{number}",
        "checksum": f"{number:064x}",
        "filename": f"part_{number}.3mf",
        "display_name": f"Part {number}",
        "library_path": f"models/part_{number}.3mf",
        "file_size": 1000 + number,
        "file_type": ".3mf",
        "status": "available",
        "added_to_library": "2026-11-28T22:00:00.123456",
        "last_modified": None,
        "has_thumbnail": True,
        "role": None,
    }
    body.update(changes)
    return body


def _files_page(files: list[dict[str, Any]], page: int, total_pages: int) -> Reply:
    return Reply(
        body={
            "files": files,
            "pagination": {
                "page": page,
                "limit": len(files),
                "total_items": 0,
                "total_pages": total_pages,
                "has_next": page < total_pages,
            },
        }
    )


# --------------------------------------------------------------------------
# Analytics, materials, settings


async def test_analytics_summary_capture(client: PrinternizerClient) -> None:
    summary = await client.analytics_summary()

    assert summary == AnalyticsSummary(
        total_jobs=0,
        completed_jobs=0,
        failed_jobs=0,
        total_print_time_hours=0.0,
        total_material_used_kg=0.0,
        total_cost_eur=0.0,
        average_job_duration_hours=0.0,
        success_rate_percent=0.0,
    )


def test_analytics_numbers_as_ints_or_floats() -> None:
    summary = AnalyticsSummary.from_dict(
        {
            "total_jobs": 12.0,
            "completed_jobs": 10,
            "failed_jobs": 2,
            "total_print_time_hours": 31,
            "total_material_used_kg": 1.25,
            "total_cost_eur": 40,
            "average_job_duration_hours": 2.5833,
            "success_rate_percent": 83,
        }
    )

    assert summary.total_jobs == 12
    assert summary.total_print_time_hours == 31.0
    assert isinstance(summary.total_cost_eur, float)
    assert summary.success_rate_percent == 83.0
    with pytest.raises(PrinternizerResponseError) as err:
        AnalyticsSummary.from_dict({"total_jobs": 2.5})
    assert str(err.value) == "analytics_summary.total_jobs: expected int, got float"
    with pytest.raises(PrinternizerResponseError) as err:
        AnalyticsSummary.from_dict({"total_cost_eur": "40"})
    assert str(err.value) == (
        "analytics_summary.total_cost_eur: expected number, got str"
    )


async def test_materials_stats_capture(client: PrinternizerClient) -> None:
    stats = await client.materials_stats()

    assert stats == MaterialStats(
        total_spools=0,
        total_weight=0.0,
        total_remaining=0.0,
        total_value=0.0,
        remaining_value=0.0,
        by_type={},
        by_brand={},
        by_color={},
        low_stock=(),
        consumption_30d=0.0,
        consumption_rate=0.0,
    )


def test_materials_stats_with_spools() -> None:
    stats = MaterialStats.from_dict(
        {
            "total_spools": 3,
            "total_weight": 3.0,
            "total_remaining": 1.15,
            "total_value": "75.50",
            "remaining_value": "n/a",
            "by_type": {
                "PLA": {
                    "count": 2,
                    "total_weight": 2.0,
                    "remaining_weight": 1.1,
                    "value": "27.50",
                },
                "PETG": {
                    "count": 1,
                    "total_weight": 1,
                    "remaining_weight": 0.05,
                    "value": 1.25,
                },
            },
            "by_brand": {
                "BAMBU": {"count": 3, "total_weight": 3.0, "remaining_weight": 1.15}
            },
            "by_color": {"BLACK": 2, "WHITE": 1, "RED": None},
            "low_stock": ["spool-petg-1"],
            "consumption_30d": 0.9,
            "consumption_rate": 0.03,
        }
    )

    assert stats.total_value == 75.5
    assert stats.remaining_value is None
    assert stats.by_type == {
        "PLA": MaterialGroup(
            count=2, total_weight=2.0, remaining_weight=1.1, value=27.5
        ),
        "PETG": MaterialGroup(
            count=1, total_weight=1.0, remaining_weight=0.05, value=1.25
        ),
    }
    assert stats.by_brand["BAMBU"] == MaterialGroup(
        count=3, total_weight=3.0, remaining_weight=1.15, value=None
    )
    assert stats.by_color == {"BLACK": 2, "WHITE": 1}
    assert stats.low_stock == (LowStockSpool(material_id="spool-petg-1"),)
    assert stats.consumption_rate == 0.03


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", 0.0), (" 12.5 ", 12.5), ("NaN", None), ("Infinity", None), ("", None)],
)
def test_material_values_from_strings(value: str, expected: float | None) -> None:
    assert MaterialStats.from_dict({"total_value": value}).total_value == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"low_stock": [{"id": "a"}]},
            "materials_stats.low_stock[0]: expected str, got object",
        ),
        ({"low_stock": "a"}, "materials_stats.low_stock: expected array, got str"),
        (
            {"by_type": {"PLA": []}},
            "materials_stats.by_type.PLA: expected object, got array",
        ),
        (
            {"by_type": {"PLA": {"value": True}}},
            "materials_stats.by_type.PLA.value: expected number, got bool",
        ),
        (
            {"by_color": {"RED": "2"}},
            "materials_stats.by_color.RED: expected int, got str",
        ),
        (
            {"total_value": []},
            "materials_stats.total_value: expected number, got array",
        ),
    ],
)
def test_materials_stats_wrong_types(body: dict[str, Any], message: str) -> None:
    with pytest.raises(PrinternizerResponseError) as err:
        MaterialStats.from_dict(body)

    assert str(err.value) == message


async def test_application_settings_capture(
    client: PrinternizerClient, server: FakeServer
) -> None:
    settings = await client.application_settings()

    assert settings == ApplicationSettings(
        currency="EUR",
        timezone="Europe/Berlin",
        vat_rate=19.0,
        monitoring_interval=30,
        library_enabled=True,
        timelapse_enabled=False,
    )
    # Paths and addresses of the server are not kept.
    assert "/data" not in repr(settings)
    assert [seen.raw_path for seen in server.requests] == [
        "/api/v1/settings/application"
    ]


def test_application_settings_without_currency() -> None:
    settings = ApplicationSettings.from_dict({})

    assert settings.currency is None
    with pytest.raises(PrinternizerResponseError) as err:
        ApplicationSettings.from_dict({"currency": 978})
    assert str(err.value) == "application_settings.currency: expected str, got int"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("analytics_summary", "/api/v1/analytics/summary"),
        ("materials_stats", "/api/v1/materials/stats"),
        ("application_settings", "/api/v1/settings/application"),
    ],
)
async def test_routes_the_server_lacks_are_not_found(
    client: PrinternizerClient, server: FakeServer, method: str, path: str
) -> None:
    server.set("GET", path, Reply(status=404, body={"detail": "Not Found"}))

    with pytest.raises(PrinternizerNotFoundError) as err:
        await getattr(client, method)()

    assert str(err.value) == f"GET {path}: HTTP 404: Not Found"
    assert len(server.requests) == 1


# --------------------------------------------------------------------------
# Library


async def test_library_files_empty_capture(
    client: PrinternizerClient, server: FakeServer
) -> None:
    assert await client.library_files() == []

    [seen] = server.requests
    assert seen.query == {"page": "1", "limit": "50"}


async def test_library_files(make_client: ClientFactory, server: FakeServer) -> None:
    client = make_client(time_zone=TOKYO)
    server.set(
        "GET",
        FILES,
        _files_page(
            [
                _file(1),
                _file(2, display_name=None, file_type=".STL", has_thumbnail=False),
                _file(3, file_type=".stl", role="printfile"),
                _file(4, file_type="gcode"),
            ],
            1,
            1,
        ),
    )

    files = await client.library_files(search=" part ")

    assert files[0] == LibraryFile(
        checksum=f"{1:064x}",
        name="Part 1",
        filename="part_1.3mf",
        file_type=".3mf",
        size=1001,
        status="available",
        role=None,
        has_thumbnail=True,
        printable=True,
        added_to_library=datetime(2026, 11, 28, 13, 0, 0, 123456, tzinfo=UTC),
    )
    assert files[1].name == "part_2.3mf"
    assert (files[1].printable, files[1].has_thumbnail) == (False, False)
    # As the server decides: a print file whatever its type, or a printable type.
    assert files[2].printable is True
    assert files[3].printable is True
    assert server.requests[0].query == {"page": "1", "limit": "50", "search": "part"}


async def test_library_files_fetches_pages_up_to_the_limit(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET",
        FILES,
        _files_page([_file(1), _file(2)], 1, 3),
        # The list shifted between pages: file 2 comes again and is kept once.
        _files_page([_file(2), _file(3)], 2, 3),
        _files_page([_file(4), _file(5)], 3, 3),
    )

    files = await client.library_files(limit=4)

    assert [f.filename for f in files] == [
        "part_1.3mf",
        "part_2.3mf",
        "part_3.3mf",
        "part_4.3mf",
    ]
    assert [(s.query["page"], s.query["limit"]) for s in server.requests] == [
        ("1", "4"),
        ("2", "4"),
        ("3", "4"),
    ]


async def test_library_files_stop_at_the_last_page(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET",
        FILES,
        _files_page([_file(1)], 1, 2),
        _files_page([_file(2)], 2, 2),
    )

    files = await client.library_files(limit=500)

    assert len(files) == 2
    assert [s.query["limit"] for s in server.requests] == ["200", "200"]


async def test_library_files_stop_at_an_empty_page(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set("GET", FILES, _files_page([_file(1)], 1, 9), _files_page([], 2, 9))

    assert len(await client.library_files()) == 1
    assert len(server.requests) == 2


async def test_library_files_page_bound(
    client: PrinternizerClient, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("custom_components.printernizer.api.client.MAX_PAGES", 2)
    server.set("GET", FILES, _files_page([_file(1)], 1, 1000))

    assert len(await client.library_files()) == 1
    assert len(server.requests) == 2


async def test_library_files_arguments(client: PrinternizerClient) -> None:
    with pytest.raises(ValueError, match="limit"):
        await client.library_files(limit=0)
    with pytest.raises(ValueError, match="2 characters"):
        await client.library_files(search=" a ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "library_files: expected object, got list"),
        ({"files": None}, "library_files.files: expected array, got NoneType"),
        (
            {"files": [{"checksum": "c"}]},
            "library_files.files[0].filename: missing",
        ),
        (
            {"files": [_file(1, has_thumbnail="yes")]},
            "library_files.files[0].has_thumbnail: expected bool, got str",
        ),
    ],
)
async def test_library_files_wrong_shapes(
    client: PrinternizerClient, server: FakeServer, body: object, message: str
) -> None:
    server.set("GET", FILES, Reply(body=body))

    with pytest.raises(PrinternizerResponseError) as err:
        await client.library_files()

    assert str(err.value) == message


def test_library_file_types() -> None:
    def printable(file_type: str | None) -> bool:
        return LibraryFile.from_dict(_file(1, file_type=file_type)).printable

    assert [printable(t) for t in (".gcode", ".bgcode", ".G", "3mf")] == [True] * 4
    assert [printable(t) for t in (".stl", ".obj", "", None)] == [False] * 4
