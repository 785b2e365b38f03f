"""The server's time zone, learnt from system info, applied to later timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
import logging
from zoneinfo import ZoneInfo

import pytest

from custom_components.printernizer.api import PrinternizerClient, PrinterStatusEvent

from .conftest import (
    BAMBU_ID,
    ClientFactory,
    FakeServer,
    Reply,
    capture_json,
    capture_lines,
    eventually,
)

LOGGER = "custom_components.printernizer.api"
PUSH = next(
    line
    for line in capture_lines("websocket_messages.jsonl")
    if line["type"] == "printer_status"
)


def _zone(server: FakeServer, zone: str | None) -> None:
    body = capture_json("system_info.json")
    body["timezone"] = zone
    server.set("GET", "/api/v1/system/info", Reply(body=body))


def _zone_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(LOGGER) and "time zone" in record.getMessage()
    ]


@pytest.mark.parametrize(
    ("zone", "health", "status", "push"),
    [
        # East of UTC: 22:01 in Tokyo (UTC+9) is 13:01 UTC the same day.
        (
            "Asia/Tokyo",
            datetime(2026, 11, 28, 13, 1, 56, 205574, tzinfo=UTC),
            datetime(2026, 11, 28, 13, 1, 55, 322604, tzinfo=UTC),
            datetime(2026, 11, 28, 13, 2, 21, 95895, tzinfo=UTC),
        ),
        # West of UTC: 22:01 in New York (EST, UTC-5) is 03:01 UTC the next day.
        (
            "America/New_York",
            datetime(2026, 11, 29, 3, 1, 56, 205574, tzinfo=UTC),
            datetime(2026, 11, 29, 3, 1, 55, 322604, tzinfo=UTC),
            datetime(2026, 11, 29, 3, 2, 21, 95895, tzinfo=UTC),
        ),
    ],
)
async def test_later_timestamps_are_read_in_the_learnt_zone(
    client: PrinternizerClient,
    server: FakeServer,
    zone: str,
    health: datetime,
    status: datetime,
    push: datetime,
) -> None:
    events: list[PrinterStatusEvent] = []
    stream = client.event_stream(on_event=events.append, ping_interval=5.0)
    _zone(server, zone)

    await client.system_info()
    report = await client.health()
    printer = await client.printer_status(BAMBU_ID)
    try:
        stream.subscribe(BAMBU_ID)
        stream.start()
        await eventually(lambda: server.ws_received and server.ws_received[0])
        await server.push(PUSH)
        await eventually(lambda: events)
    finally:
        await stream.close()

    assert client.time_zone == ZoneInfo(zone)
    assert report.timestamp == health
    assert printer.timestamp == status
    assert events[0].timestamp == push
    # The same instant, shown in the server's zone, is the captured wall time.
    assert report.timestamp is not None
    assert (
        report.timestamp.astimezone(ZoneInfo(zone))
        .isoformat(timespec="microseconds")
        .startswith("2026-11-28T22:01:56.205574")
    )


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "../../etc/passwd", "", None])
async def test_an_unusable_zone_sets_utc_again_and_is_logged_once(
    client: PrinternizerClient,
    server: FakeServer,
    caplog: pytest.LogCaptureFixture,
    bad: str | None,
) -> None:
    _zone(server, "Asia/Tokyo")
    await client.system_info()
    _zone(server, bad)

    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        for _ in range(3):
            info = await client.system_info()
        health = await client.health()

    assert info.timezone == bad
    assert client.time_zone is UTC
    assert health.timestamp == datetime(2026, 11, 28, 22, 1, 56, 205574, tzinfo=UTC)
    assert _zone_lines(caplog) == [
        f"The server's time zone {bad!r} is unknown; reading its timestamps as UTC"
    ]
    assert all(r.levelno == logging.DEBUG for r in caplog.records)


async def test_the_zone_is_logged_again_only_when_it_changes(
    client: PrinternizerClient,
    server: FakeServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        for zone in (None, None, "Nowhere/Land", "Nowhere/Land", "Europe/Berlin"):
            _zone(server, zone)
            await client.system_info()
        zone_after_berlin = client.time_zone
        _zone(server, None)
        await client.system_info()

    assert zone_after_berlin == ZoneInfo("Europe/Berlin")
    assert client.time_zone is UTC
    unknown = "The server's time zone {} is unknown; reading its timestamps as UTC"
    assert _zone_lines(caplog) == [
        unknown.format(None),
        unknown.format("'Nowhere/Land'"),
        unknown.format(None),
    ]


async def test_a_long_bad_zone_is_shortened_in_the_log(
    make_client: ClientFactory,
    server: FakeServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = make_client(time_zone=ZoneInfo("Asia/Tokyo"))
    _zone(server, "X" * 500)

    with caplog.at_level(logging.DEBUG, logger=LOGGER):
        await client.system_info()

    [line] = _zone_lines(caplog)
    assert f"'{'X' * 64}'" in line
    assert "X" * 65 not in line
    assert client.time_zone is UTC
