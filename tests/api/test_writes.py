"""Writes (POST) are sent at most once, within their deadline."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from custom_components.printernizer.api import (
    PRINT_FILE_DEADLINE,
    WRITE_DEADLINE,
    PrinternizerClient,
    PrinternizerError,
    PrinternizerRateLimitError,
    PrinternizerServerError,
    PrinternizerTimeoutError,
    PrinternizerUnreachableError,
    RequestBudget,
    RetryPolicy,
)

from .conftest import (
    BAMBU_ID,
    PRUSA_ID,
    ClientFactory,
    FakeClock,
    FakeServer,
    Reply,
    TimeWarpSession,
    capture,
)

PAUSE = f"/api/v1/printers/{BAMBU_ID}/pause"
PRINT = "/api/v1/library/files/{}/print"
CHECKSUM = "a" * 64
SUCCESS = Reply(body={"status": "success", "data": {"status": "paused"}})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _warped_client(
    server: FakeServer, warp: TimeWarpSession, clock: FakeClock, **kwargs: object
) -> PrinternizerClient:
    return PrinternizerClient(
        warp,  # type: ignore[arg-type]
        server.url,
        sleep=clock.sleep,
        clock=clock,
        random=lambda: 1.0,
        **kwargs,  # type: ignore[arg-type]
    )


async def test_a_command_that_times_out_is_sent_once_within_15_s(
    server: FakeServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    warp = TimeWarpSession(session, clock)
    client = _warped_client(server, warp, clock)
    server.set("POST", PAUSE, Reply(hang=True), SUCCESS)

    with pytest.raises(PrinternizerTimeoutError):
        await client.pause(BAMBU_ID)

    assert len(server.hits(PAUSE, "POST")) == 1
    # The attempt may use the whole bound, and nothing follows it.
    assert [t.total for t in warp.timeouts] == [WRITE_DEADLINE]
    assert clock.elapsed == pytest.approx(WRITE_DEADLINE)
    assert clock.sleeps == []
    assert client.metrics.retries == 0


async def test_reads_still_retry_a_timeout(
    server: FakeServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    warp = TimeWarpSession(session, clock)
    client = _warped_client(server, warp, clock)
    status = f"/api/v1/printers/{BAMBU_ID}/status"
    server.set("GET", status, Reply(hang=True), capture("printer_status_bambu.json"))

    await client.printer_status(BAMBU_ID)

    assert len(server.hits(status)) == 2


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=502),
        Reply(status=503, body={"error_code": "SERVICE_UNAVAILABLE"}),
        Reply(status=504),
        Reply(status=429, headers={"Retry-After": "1"}),
    ],
)
async def test_a_command_is_not_resent_after_an_answer(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock, reply: Reply
) -> None:
    server.set("POST", PAUSE, reply, SUCCESS)

    with pytest.raises(PrinternizerError) as err:
        await client.pause(BAMBU_ID)

    assert err.value.status == reply.status
    assert len(server.hits(PAUSE, "POST")) == 1
    assert clock.sleeps == []


async def test_printer_connection_fails_at_once_with_the_servers_message(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    with pytest.raises(PrinternizerServerError) as err:
        await client.pause(PRUSA_ID)

    assert err.value.status == 503
    assert err.value.error_code == "PRINTER_CONNECTION"
    assert err.value.message is not None
    assert err.value.message.startswith(
        "Failed to connect to printer: Failed to connect to printer: "
        "Cannot connect to Prusa printer"
    )
    assert len(server.hits(f"/api/v1/printers/{PRUSA_ID}/pause", "POST")) == 1
    assert clock.sleeps == []


async def test_a_refused_connection_is_retried_and_the_command_sent_once(
    socket_enabled: None, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    port = _closed_port()
    server = FakeServer(clock)
    server.set("POST", PAUSE, SUCCESS)

    async def start_server_then_sleep(seconds: float) -> None:
        # The server comes up during the backoff after the refused attempt.
        if server.server is None:
            await server.start(port=port)
        await clock.sleep(seconds)

    client = PrinternizerClient(
        session,
        f"http://127.0.0.1:{port}",
        sleep=start_server_then_sleep,
        clock=clock,
        random=lambda: 1.0,
    )
    try:
        await client.pause(BAMBU_ID)
    finally:
        if server.server is not None:
            await server.close()

    assert len(server.hits(PAUSE, "POST")) == 1
    assert clock.sleeps == [1.0]
    metrics = client.metrics
    assert metrics.total_requests == 2
    assert metrics.retries == 1
    assert metrics.last_error is not None
    assert metrics.last_error.startswith("PrinternizerUnreachableError")


async def test_refused_connections_stop_at_the_write_deadline(
    socket_enabled: None, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    client = PrinternizerClient(
        session,
        f"http://127.0.0.1:{_closed_port()}",
        retry=RetryPolicy(max_attempts=10, base_delay=4.0, max_delay=4.0),
        sleep=clock.sleep,
        clock=clock,
        random=lambda: 1.0,
    )

    with pytest.raises(PrinternizerUnreachableError):
        await client.stop(BAMBU_ID)

    # Waits of 4 s fit three times into 15 s, leaving a second for the attempt.
    assert clock.sleeps == [4.0, 4.0, 4.0]
    assert clock.elapsed <= WRITE_DEADLINE


async def test_an_explicit_write_policy_is_still_at_most_once(
    make_client: ClientFactory, server: FakeServer, clock: FakeClock
) -> None:
    client = make_client(write_retry=RetryPolicy(max_attempts=5, deadline=100.0))
    server.set("POST", PAUSE, Reply(status=503), SUCCESS)

    with pytest.raises(PrinternizerServerError):
        await client.pause(BAMBU_ID)

    assert len(server.hits(PAUSE, "POST")) == 1


async def test_the_write_deadline_follows_a_shorter_read_deadline(
    server: FakeServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    warp = TimeWarpSession(session, clock)
    client = _warped_client(server, warp, clock, retry=RetryPolicy(deadline=5.0))
    server.set("POST", PAUSE, Reply(hang=True))

    with pytest.raises(PrinternizerTimeoutError):
        await client.pause(BAMBU_ID)

    assert [t.total for t in warp.timeouts] == [5.0]


# --------------------------------------------------------------------------
# The print command budget


async def test_the_eleventh_command_in_a_minute_is_refused_unsent(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    server.set("POST", PAUSE, SUCCESS)
    for _ in range(10):
        await client.pause(BAMBU_ID)

    with pytest.raises(PrinternizerRateLimitError) as err:
        await client.pause(BAMBU_ID)

    assert err.value.retry_after == pytest.approx(6.0)
    assert err.value.status is None
    assert len(server.hits(PAUSE, "POST")) == 10
    assert client.metrics.last_error == (
        "PrinternizerRateLimitError: print command budget exhausted"
    )
    clock.advance(6.0)
    await client.pause(BAMBU_ID)
    assert len(server.hits(PAUSE, "POST")) == 11


async def test_a_command_refused_by_the_shared_budget_keeps_its_command_token(
    make_client: ClientFactory, server: FakeServer, clock: FakeClock
) -> None:
    client = make_client(budget=RequestBudget(per_minute=1, burst=1))
    server.set("POST", PAUSE, SUCCESS)
    await client.pause(BAMBU_ID)
    for _ in range(12):
        with pytest.raises(PrinternizerRateLimitError) as err:
            await client.pause(BAMBU_ID)
        assert str(err.value) == "request budget exhausted"

    assert len(server.hits(PAUSE, "POST")) == 1


# --------------------------------------------------------------------------
# Printing a library file


async def test_printing_a_library_file_names_the_printer(
    client: PrinternizerClient, server: FakeServer
) -> None:
    path = PRINT.format(CHECKSUM)
    server.set("POST", path, Reply(body={"status": "started", "filename": "a.3mf"}))

    await client.print_library_file(CHECKSUM, BAMBU_ID)

    [seen] = server.hits(path, "POST")
    assert seen.json() == {"printer_id": BAMBU_ID}
    assert seen.headers["Content-Type"] == "application/json"
    # Not a printer route: the server's 10 commands a minute do not apply.
    for _ in range(12):
        await client.print_library_file(CHECKSUM, BAMBU_ID)
    assert len(server.hits(path, "POST")) == 13


async def test_a_hung_print_times_out_once_within_its_bound(
    server: FakeServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    warp = TimeWarpSession(session, clock)
    client = _warped_client(server, warp, clock)
    path = PRINT.format(CHECKSUM)
    server.set("POST", path, Reply(hang=True), Reply(body={"status": "started"}))

    with pytest.raises(PrinternizerTimeoutError):
        await client.print_library_file(CHECKSUM, BAMBU_ID)

    assert len(server.hits(path, "POST")) == 1
    [timeout] = warp.timeouts
    # The whole bound for the one attempt; no read timeout cuts the upload.
    assert (timeout.total, timeout.sock_read) == (PRINT_FILE_DEADLINE, None)
    assert clock.elapsed == pytest.approx(PRINT_FILE_DEADLINE)
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("reply", "status", "code", "message"),
    [
        (
            capture("library_print_unknown_file_404.json"),
            404,
            "LIBRARY_ITEM_NOT_FOUND",
            "Library item not found: " + "0" * 64,
        ),
        (
            Reply(
                status=404,
                body={
                    "status": "error",
                    "message": "Printer not found",
                    "error_code": "PRINTER_NOT_FOUND",
                    "details": {},
                },
            ),
            404,
            "PRINTER_NOT_FOUND",
            "Printer not found",
        ),
        (
            Reply(
                status=400,
                body={
                    "status": "error",
                    "message": "File is not a printable print file",
                    "error_code": "HTTP_400",
                    "details": {},
                },
            ),
            400,
            "HTTP_400",
            "File is not a printable print file",
        ),
        (
            Reply(
                status=409,
                body={
                    "status": "error",
                    "message": "Printer is busy",
                    "error_code": "HTTP_409",
                    "details": {},
                },
            ),
            409,
            "HTTP_409",
            "Printer is busy",
        ),
        (
            Reply(
                status=502,
                body={
                    "status": "error",
                    "message": "Failed to upload file to printer",
                    "error_code": "HTTP_502",
                    "details": {},
                },
            ),
            502,
            "HTTP_502",
            "Failed to upload file to printer",
        ),
    ],
)
async def test_print_errors_keep_the_servers_code_and_message(
    client: PrinternizerClient,
    server: FakeServer,
    reply: Reply,
    status: int,
    code: str,
    message: str,
) -> None:
    checksum = "0" * 64
    if status != 404 or code != "LIBRARY_ITEM_NOT_FOUND":
        server.set("POST", PRINT.format(checksum), reply)

    with pytest.raises(PrinternizerError) as err:
        await client.print_library_file(checksum, BAMBU_ID)

    assert (err.value.status, err.value.error_code) == (status, code)
    assert err.value.message == message
    assert len(server.hits(PRINT.format(checksum), "POST")) == 1


async def test_print_arguments_are_checked(client: PrinternizerClient) -> None:
    with pytest.raises(ValueError, match="checksum"):
        await client.print_library_file("", BAMBU_ID)
    with pytest.raises(ValueError, match="printer_id"):
        await client.print_library_file(CHECKSUM, "")
