"""The client's endpoints and errors against a loopback test server."""

from __future__ import annotations

from datetime import UTC, datetime
import socket
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from custom_components.printernizer.api import (
    HealthStatus,
    Image,
    PrinternizerAuthenticationError,
    PrinternizerClient,
    PrinternizerError,
    PrinternizerNotFoundError,
    PrinternizerRequestError,
    PrinternizerResponseError,
    PrinternizerServerError,
    PrinternizerUnreachableError,
    PrinterState,
    PrinterType,
    RetryPolicy,
    ServiceStatus,
)

from .conftest import (
    BAMBU_ID,
    PRUSA_ID,
    SECRETS,
    ClientFactory,
    FakeServer,
    Reply,
    capture,
    capture_json,
)

PROXY_BEARER = "s3cr3t-" + "token"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _printer(printer_id: str, name: str) -> dict[str, object]:
    body: dict[str, object] = capture_json("printer_detail_bambu.json")
    body.update(id=printer_id, name=name)
    return body


def _page(printers: list[dict[str, object]], page: int, total_pages: int) -> Reply:
    return Reply(
        body={
            "printers": printers,
            "total_count": len(printers),
            "pagination": {
                "page": page,
                "limit": 100,
                "total_items": 0,
                "total_pages": total_pages,
            },
        }
    )


# --------------------------------------------------------------------------
# Endpoints


async def test_health(client: PrinternizerClient, server: FakeServer) -> None:
    health = await client.health()

    assert health.status is HealthStatus.HEALTHY
    assert health.version == "2.42.0"
    assert health.services["event_service"].status is ServiceStatus.HEALTHY
    [seen] = server.requests
    assert seen.method == "GET"
    assert seen.raw_path == "/api/v1/health"
    assert seen.headers["Accept"] == "application/json"
    assert "Authorization" not in seen.headers


async def test_base_url_path_prefix_is_kept(
    make_client: ClientFactory, server: FakeServer
) -> None:
    server.prefix = "/api/hassio_ingress/abc"
    client = make_client(base_url=server.url + "/")

    await client.health()
    await client.printer_status(BAMBU_ID)

    assert client.base_url == server.url
    assert [seen.raw_path for seen in server.requests] == [
        "/api/hassio_ingress/abc/api/v1/health",
        f"/api/hassio_ingress/abc/api/v1/printers/{BAMBU_ID}/status",
    ]


async def test_system_info_teaches_the_time_zone(
    client: PrinternizerClient, server: FakeServer
) -> None:
    assert client.time_zone is UTC
    before = await client.printer(BAMBU_ID)

    info = await client.system_info()
    after = await client.printer(BAMBU_ID)

    assert info.timezone == "Europe/Berlin"
    assert info.version == "unknown"
    assert client.time_zone == ZoneInfo("Europe/Berlin")
    assert before.last_seen == datetime(2026, 11, 28, 22, 1, 51, 92540, tzinfo=UTC)
    assert after.last_seen == datetime(
        2026, 11, 28, 22, 1, 51, 92540, tzinfo=ZoneInfo("Europe/Berlin")
    )


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "../../etc/passwd", "", None])
async def test_system_info_with_an_unusable_zone_reads_utc(
    client: PrinternizerClient, server: FakeServer, zone: str | None
) -> None:
    body = capture_json("system_info.json")
    body["timezone"] = zone
    server.set("GET", "/api/v1/system/info", Reply(body=body))

    info = await client.system_info()

    assert info.timezone == zone
    assert client.time_zone is UTC


async def test_printers_from_capture(
    client: PrinternizerClient, server: FakeServer
) -> None:
    printers = await client.printers()

    assert [(p.id, p.printer_type, p.status) for p in printers] == [
        (PRUSA_ID, PrinterType.PRUSA_CORE, PrinterState.OFFLINE),
        (BAMBU_ID, PrinterType.BAMBU_LAB, PrinterState.ONLINE),
    ]
    [seen] = server.requests
    assert seen.raw_path == "/api/v1/printers"
    assert seen.query == {"page": "1", "limit": "100"}
    for secret in SECRETS:
        assert secret not in repr(printers)


async def test_printers_empty(client: PrinternizerClient, server: FakeServer) -> None:
    server.set("GET", "/api/v1/printers", capture("printers_empty.json"))

    assert await client.printers() == []
    assert len(server.requests) == 1


async def test_printers_fetches_every_page(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET",
        "/api/v1/printers",
        _page([_printer("a", "A"), _printer("b", "B")], 1, 3),
        # The list shifted between pages: "b" comes again and is kept once.
        _page([_printer("b", "B again"), _printer("c", "C")], 2, 3),
        _page([_printer("d", "D")], 3, 3),
    )

    printers = await client.printers()

    assert [(p.id, p.name) for p in printers] == [
        ("a", "A"),
        ("b", "B"),
        ("c", "C"),
        ("d", "D"),
    ]
    assert [seen.query["page"] for seen in server.requests] == ["1", "2", "3"]


async def test_printers_stops_at_an_empty_page(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET",
        "/api/v1/printers",
        _page([_printer("a", "A")], 1, 5),
        _page([], 2, 5),
    )

    printers = await client.printers()

    assert [p.id for p in printers] == ["a"]
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "pagination", [None, {"page": 1}, {"total_pages": "3"}, {"total_pages": True}]
)
async def test_printers_without_usable_pagination_is_one_page(
    client: PrinternizerClient, server: FakeServer, pagination: object
) -> None:
    server.set(
        "GET",
        "/api/v1/printers",
        Reply(body={"printers": [_printer("a", "A")], "pagination": pagination}),
    )

    assert [p.id for p in await client.printers()] == ["a"]
    assert len(server.requests) == 1


async def test_printers_page_limit_bounds_a_looping_server(
    client: PrinternizerClient, server: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("custom_components.printernizer.api.client.MAX_PAGES", 3)
    server.set("GET", "/api/v1/printers", _page([_printer("a", "A")], 1, 1000))

    assert [p.id for p in await client.printers()] == ["a"]
    assert len(server.requests) == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "printers: expected object, got list"),
        ({"printers": {"a": 1}}, "printers.printers: expected array, got dict"),
        (
            {"printers": [{"id": 1}]},
            "printers.printers[0].id: expected str, got int",
        ),
    ],
)
async def test_printers_wrong_shape(
    client: PrinternizerClient, server: FakeServer, body: object, message: str
) -> None:
    server.set("GET", "/api/v1/printers", Reply(body=body))

    with pytest.raises(PrinternizerResponseError) as err:
        await client.printers()

    assert str(err.value) == message


async def test_printer_and_status(
    client: PrinternizerClient, server: FakeServer
) -> None:
    printer = await client.printer(PRUSA_ID)
    status = await client.printer_status(BAMBU_ID)

    assert printer.name == "Test Prusa MK4"
    assert status.state is PrinterState.ONLINE
    assert status.bed.current == 0.0
    assert [seen.raw_path for seen in server.requests] == [
        f"/api/v1/printers/{PRUSA_ID}",
        f"/api/v1/printers/{BAMBU_ID}/status",
    ]


async def test_printer_id_is_one_path_segment(
    client: PrinternizerClient, server: FakeServer
) -> None:
    with pytest.raises(PrinternizerNotFoundError):
        await client.printer("a/b?c")
    with pytest.raises(ValueError, match="printer_id"):
        await client.printer_status("")

    assert [seen.raw_path for seen in server.requests] == ["/api/v1/printers/a%2Fb%3Fc"]


@pytest.mark.parametrize("method", ["printer", "printer_status"])
async def test_printer_not_found(
    client: PrinternizerClient, server: FakeServer, method: str
) -> None:
    with pytest.raises(PrinternizerNotFoundError) as err:
        await getattr(client, method)("does-not-exist")

    assert err.value.status == 404
    assert err.value.error_code == "PRINTER_NOT_FOUND"
    assert "Printer not found: does-not-exist" in str(err.value)
    assert len(server.requests) == 1


async def test_controls(client: PrinternizerClient, server: FakeServer) -> None:
    for action in ("pause", "resume", "stop"):
        server.set(
            "POST",
            f"/api/v1/printers/{BAMBU_ID}/{action}",
            Reply(body={"status": "success", "data": {"status": f"{action}d"}}),
        )

    await client.pause(BAMBU_ID)
    await client.resume(BAMBU_ID)
    await client.stop(BAMBU_ID)

    assert [(seen.method, seen.raw_path) for seen in server.requests] == [
        ("POST", f"/api/v1/printers/{BAMBU_ID}/pause"),
        ("POST", f"/api/v1/printers/{BAMBU_ID}/resume"),
        ("POST", f"/api/v1/printers/{BAMBU_ID}/stop"),
    ]
    assert client.metrics.successful_fetches == 3
    assert set(client.metrics.endpoints) == {
        "/api/v1/printers/{id}/pause",
        "/api/v1/printers/{id}/resume",
        "/api/v1/printers/{id}/stop",
    }


async def test_pause_unreachable_printer(
    client: PrinternizerClient, server: FakeServer
) -> None:
    with pytest.raises(PrinternizerServerError) as err:
        await client.pause(PRUSA_ID)

    assert err.value.status == 503
    assert err.value.error_code == "PRINTER_CONNECTION"
    assert err.value.message is not None
    assert err.value.message.startswith("Failed to connect to printer")
    # The printer, not the server, is unavailable: no retry.
    assert len(server.requests) == 1


async def test_control_with_a_non_object_body(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set("POST", f"/api/v1/printers/{BAMBU_ID}/stop", Reply(body=["ok"]))

    with pytest.raises(PrinternizerResponseError) as err:
        await client.stop(BAMBU_ID)

    assert (
        str(err.value) == "POST /api/v1/printers/{id}/stop: expected object, got list"
    )


async def test_update_check(client: PrinternizerClient) -> None:
    check = await client.update_check()

    assert check.current_version == "2.42.0"
    assert check.check_failed is True


async def test_trending_statistics_absent(
    client: PrinternizerClient, server: FakeServer
) -> None:
    with pytest.raises(PrinternizerNotFoundError) as err:
        await client.trending_statistics()

    assert err.value.error_code is None
    assert str(err.value) == "GET /api/v1/trending/statistics: HTTP 404: Not Found"
    assert len(server.requests) == 1


async def test_trending_statistics_present(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET",
        "/api/v1/trending/statistics",
        Reply(
            body={
                "total_cached": 3,
                "valid_items": 2,
                "by_platform": {"printables": 3},
                "last_refresh": {},
                "performance_metrics": {"success_rate": "93.33%"},
            }
        ),
    )

    stats = await client.trending_statistics()

    assert stats.by_platform == {"printables": 3}
    assert stats.performance_metrics is not None
    assert stats.performance_metrics.success_rate == 93.33


async def test_thumbnail(client: PrinternizerClient, server: FakeServer) -> None:
    server.set(
        "GET",
        f"/api/v1/printers/{BAMBU_ID}/thumbnail",
        Reply(body=PNG, content_type="image/png"),
    )

    assert await client.thumbnail(BAMBU_ID) == Image(
        content=PNG, content_type="image/png"
    )
    assert server.requests[0].headers["Accept"] == "image/*"


async def test_thumbnail_content_type_without_parameters(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET",
        f"/api/v1/printers/{BAMBU_ID}/thumbnail",
        Reply(body=PNG, headers={"Content-Type": "Image/PNG; charset=binary"}),
    )

    image = await client.thumbnail(BAMBU_ID)

    assert image is not None
    assert image.content_type == "image/png"
    assert repr(image) == "Image(content_type='image/png', size=40)"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(body="<html>hi</html>", content_type="text/html"),
            "GET /api/v1/printers/{id}/thumbnail: expected an image, got text/html",
        ),
        (
            Reply(body=PNG, content_type="application/octet-stream"),
            (
                "GET /api/v1/printers/{id}/thumbnail: expected an image, "
                "got application/octet-stream"
            ),
        ),
        (
            Reply(body=b"", content_type="image/png"),
            "GET /api/v1/printers/{id}/thumbnail: empty image",
        ),
    ],
)
async def test_thumbnail_that_is_no_image(
    client: PrinternizerClient, server: FakeServer, reply: Reply, message: str
) -> None:
    server.set("GET", f"/api/v1/printers/{BAMBU_ID}/thumbnail", reply)

    with pytest.raises(PrinternizerResponseError) as err:
        await client.thumbnail(BAMBU_ID)

    assert str(err.value) == message
    assert len(server.requests) == 1


async def test_thumbnail_absent_is_none(
    client: PrinternizerClient, server: FakeServer
) -> None:
    assert await client.thumbnail(PRUSA_ID) is None
    metrics = client.metrics
    assert metrics.failed_requests == 0
    assert metrics.successful_fetches == 1


async def test_thumbnail_of_an_unknown_printer(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET",
        "/api/v1/printers/does-not-exist/thumbnail",
        capture("printer_not_found.json"),
    )
    with pytest.raises(PrinternizerNotFoundError) as err:
        await client.thumbnail("does-not-exist")
    assert err.value.error_code == "PRINTER_NOT_FOUND"

    # A plain 404 (no envelope) is not "no thumbnail" either.
    with pytest.raises(PrinternizerNotFoundError):
        await client.thumbnail("gone")


# --------------------------------------------------------------------------
# Errors from bodies


async def test_internal_server_error_is_not_retried(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET",
        f"/api/v1/printers/{PRUSA_ID}/status",
        capture("printer_details_prusa.json"),
    )

    with pytest.raises(PrinternizerServerError) as err:
        await client.printer_status(PRUSA_ID)

    assert err.value.status == 500
    assert err.value.error_code == "INTERNAL_SERVER_ERROR"
    assert err.value.message == "An unexpected error occurred. Please try again later."
    assert len(server.requests) == 1


async def test_validation_error_is_a_request_error(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set("GET", "/api/v1/printers", capture("printers_bad_status_filter.json"))

    with pytest.raises(PrinternizerRequestError) as err:
        await client.printers()

    assert err.value.status == 422
    assert err.value.error_code == "VALIDATION_ERROR"
    assert len(server.requests) == 1


async def test_5xx_without_envelope(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set(
        "GET",
        "/api/v1/update-check",
        Reply(
            status=501, body="<html>Not Implemented</html>", content_type="text/html"
        ),
    )

    with pytest.raises(PrinternizerServerError) as err:
        await client.update_check()

    assert err.value.error_code is None
    assert err.value.message is None
    assert str(err.value) == "GET /api/v1/update-check: HTTP 501"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            Reply(body="<html>It works!</html>", content_type="text/html"),
            "GET /api/v1/health: response is not JSON",
        ),
        (Reply(body=b'{"status": "heal'), "GET /api/v1/health: response is not JSON"),
        (Reply(body=b"\xff\xfe"), "GET /api/v1/health: response is not JSON"),
        (Reply(status=204, body=b""), "GET /api/v1/health: response is not JSON"),
        (
            Reply(body=[capture_json("health.json")]),
            "health: expected object, got array",
        ),
        (Reply(body={"status": "ok"}), "health.services: missing"),
        (
            Reply(body={"status": "healthy", "services": {"database": {"status": 1}}}),
            "health.services.database.status: expected str, got int",
        ),
        (Reply(status=304), "GET /api/v1/health: unexpected HTTP 304"),
    ],
)
async def test_unusable_health_bodies_are_response_errors(
    client: PrinternizerClient, server: FakeServer, reply: Reply, message: str
) -> None:
    server.set("GET", "/api/v1/health", reply)

    with pytest.raises(PrinternizerResponseError) as err:
        await client.health()

    assert str(err.value) == message
    # A response that does not parse is never retried.
    assert len(server.requests) == 1
    assert client.metrics.failed_requests == 1


async def test_unknown_enum_value_is_unknown(
    client: PrinternizerClient, server: FakeServer
) -> None:
    body = capture_json("printer_status_bambu.json")
    body["status"] = "idle"
    server.set("GET", f"/api/v1/printers/{BAMBU_ID}/status", Reply(body=body))

    status = await client.printer_status(BAMBU_ID)

    assert status.state is PrinterState.UNKNOWN


# --------------------------------------------------------------------------
# Authentication for a reverse proxy


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_credentials(
    make_client: ClientFactory, server: FakeServer, status: int
) -> None:
    client = make_client(token=PROXY_BEARER)
    server.set(
        "GET",
        "/api/v1/health",
        Reply(status=status, body={"message": "bad token s3cr3t-token"}),
    )

    with pytest.raises(PrinternizerAuthenticationError) as err:
        await client.health()

    assert err.value.status == status
    assert "s3cr3t-token" not in str(err.value)
    assert len(server.requests) == 1


async def test_bearer_token(make_client: ClientFactory, server: FakeServer) -> None:
    client = make_client(token=PROXY_BEARER)

    await client.health()

    assert server.requests[0].headers["Authorization"] == "Bearer s3cr3t-token"
    assert "s3cr3t-token" not in repr(client)


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated")
async def test_basic_auth(make_client: ClientFactory, server: FakeServer) -> None:
    auth = aiohttp.BasicAuth("ha", "pa55word")
    client = make_client(auth=auth)

    await client.health()

    assert server.requests[0].headers["Authorization"] == auth.encode()


async def test_credentials_in_the_url_become_basic_auth(
    make_client: ClientFactory, server: FakeServer
) -> None:
    url = server.url.replace("http://", "http://ha:pa55word@")
    client = make_client(base_url=url)

    await client.health()

    assert client.base_url == server.url
    assert "pa55word" not in repr(client)
    assert server.requests[0].headers["Authorization"] == aiohttp.encode_basic_auth(
        "ha", "pa55word"
    )


async def test_secrets_are_scrubbed_from_server_messages(
    make_client: ClientFactory, server: FakeServer
) -> None:
    client = make_client(
        base_url=server.url.replace("http://", "http://ha:pa55word@"),
        retry=RetryPolicy(max_attempts=1),
    )
    server.set(
        "GET",
        "/api/v1/health",
        Reply(
            status=500,
            body={
                "status": "error",
                "error_code": "INTERNAL_SERVER_ERROR",
                "message": "proxy http://ha:pa55word@upstream failed with pa55word "
                + "x" * 300,
            },
        ),
    )

    with pytest.raises(PrinternizerServerError) as err:
        await client.health()

    text = str(err.value)
    assert "pa55word" not in text
    assert "proxy http://upstream failed with ***" in text
    assert len(err.value.message or "") == 200
    assert "pa55word" not in (client.metrics.last_error or "")


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated")
def test_constructor_rejects_bad_arguments() -> None:
    session = aiohttp.ClientSession.__new__(aiohttp.ClientSession)
    with pytest.raises(ValueError, match="http or https"):
        PrinternizerClient(session, "printernizer.local:8000")
    with pytest.raises(ValueError, match="http or https"):
        PrinternizerClient(session, "ftp://printernizer.local")
    with pytest.raises(ValueError, match="either auth or token"):
        PrinternizerClient(
            session, "http://h", auth=aiohttp.BasicAuth("a", "b"), token=PROXY_BEARER
        )


# --------------------------------------------------------------------------
# Transport errors


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_connection_refused(
    socket_enabled: None, make_client: ClientFactory
) -> None:
    client = make_client(
        base_url=f"http://ha:pa55word@127.0.0.1:{_closed_port()}",
        retry=RetryPolicy(max_attempts=2),
    )

    with pytest.raises(PrinternizerUnreachableError) as err:
        await client.health()

    assert "pa55word" not in str(err.value)
    assert str(err.value).startswith("GET /api/v1/health: ")
    metrics = client.metrics
    # Nothing listens: no retry within the call, the next poll asks again.
    assert metrics.total_requests == 1
    assert metrics.retries == 0
    assert metrics.last_error is not None
    assert metrics.last_error.startswith("PrinternizerUnreachableError")


async def test_session_is_not_closed(
    client: PrinternizerClient, session: aiohttp.ClientSession
) -> None:
    await client.health()

    assert not session.closed


async def test_every_error_is_a_printernizer_error(
    client: PrinternizerClient, server: FakeServer
) -> None:
    errors: list[PrinternizerError] = []
    for call in (
        client.trending_statistics(),
        client.pause(PRUSA_ID),
        client.printer("does-not-exist"),
    ):
        with pytest.raises(PrinternizerError) as err:
            await call
        errors.append(err.value)

    for error in errors:
        for secret in SECRETS:
            assert secret not in str(error)
