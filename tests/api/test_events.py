"""The WebSocket event stream against a loopback test server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Coroutine
from datetime import UTC, datetime
import json
import socket
import time
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
import pytest

from custom_components.printernizer.api import (
    CLOSE_BOUND,
    EventStream,
    EventStreamStats,
    PrinterState,
    PrinterStatusEvent,
)

from .conftest import (
    BAMBU_ID,
    PRUSA_ID,
    ClientFactory,
    FakeClock,
    FakeServer,
    capture_lines,
    eventually,
)

BERLIN = ZoneInfo("Europe/Berlin")
WALL = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)
PUSH = next(
    line
    for line in capture_lines("websocket_messages.jsonl")
    if line["type"] == "printer_status"
)


def _subscribe(printer_id: str) -> dict[str, str]:
    return {"type": "subscribe_printer", "printer_id": printer_id}


def _unsubscribe(printer_id: str) -> dict[str, str]:
    return {"type": "unsubscribe_printer", "printer_id": printer_id}


class Recorder:
    """Collects what the stream reports through its callbacks."""

    def __init__(self) -> None:
        self.events: list[PrinterStatusEvent] = []
        self.connects = 0
        self.disconnects = 0

    def on_event(self, event: PrinterStatusEvent) -> None:
        self.events.append(event)

    def on_connect(self) -> None:
        self.connects += 1

    def on_disconnect(self) -> None:
        self.disconnects += 1


type StreamFactory = Callable[..., EventStream]


@pytest.fixture
def recorder() -> Recorder:
    """Callbacks that record."""
    return Recorder()


@pytest.fixture
async def make_stream(
    server: FakeServer,
    session: aiohttp.ClientSession,
    clock: FakeClock,
    recorder: Recorder,
) -> AsyncGenerator[StreamFactory]:
    """Return a factory of streams to the test server; all are closed after."""
    streams: list[EventStream] = []

    def _make(**kwargs: Any) -> EventStream:
        kwargs.setdefault("on_event", recorder.on_event)
        kwargs.setdefault("on_connect", recorder.on_connect)
        kwargs.setdefault("on_disconnect", recorder.on_disconnect)
        kwargs.setdefault("sleep", clock.sleep)
        kwargs.setdefault("random", lambda: 1.0)
        kwargs.setdefault("wall_clock", lambda: WALL)
        base_url = kwargs.pop("base_url", server.url)
        stream = EventStream(session, base_url, **kwargs)
        streams.append(stream)
        return stream

    yield _make
    for stream in streams:
        await stream.close()


class StoppingSleep:
    """A sleep that records its delays and hangs from the ``limit``-th on."""

    def __init__(self, limit: int) -> None:
        self.delays: list[float] = []
        self._limit = limit
        self._enough = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if len(self.delays) >= self._limit:
            self._enough.set()
            await asyncio.Event().wait()

    async def reached(self) -> None:
        """Wait until the stream has slept ``limit`` times."""
        await asyncio.wait_for(self._enough.wait(), 5)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_subscribes_and_forwards_pushes(
    make_stream: StreamFactory, server: FakeServer, recorder: Recorder
) -> None:
    stream = make_stream(time_zone=BERLIN)
    stream.set_printers([PRUSA_ID, BAMBU_ID])
    stream.start()

    await eventually(lambda: server.ws_received and len(server.ws_received[0]) == 2)
    assert server.ws_received[0] == [_subscribe(PRUSA_ID), _subscribe(BAMBU_ID)]
    await eventually(lambda: stream.connected)
    assert recorder.connects == 1

    await server.push(PUSH)
    await eventually(lambda: recorder.events)

    assert recorder.events == [PrinterStatusEvent.from_message(PUSH, tz=BERLIN)]
    event = recorder.events[0]
    assert event.printer_id == BAMBU_ID
    assert event.state is PrinterState.ONLINE
    assert event.message == "Ready"
    assert event.timestamp == datetime(2026, 11, 28, 22, 2, 21, 95895, tzinfo=BERLIN)
    stats = stream.stats
    assert stats.connects == 1
    assert stats.events == 1
    assert stats.messages == 3  # two "subscribed" replies and the push
    assert stats.malformed == 0
    assert stats.last_connected == WALL

    await stream.close()

    assert not stream.connected
    assert recorder.disconnects == 0
    assert stream.stats.disconnects == 1


async def test_subscriptions_change_while_connected(
    make_stream: StreamFactory, server: FakeServer
) -> None:
    stream = make_stream()
    stream.subscribe(PRUSA_ID)
    stream.start()
    await eventually(lambda: server.ws_received and server.ws_received[0])

    stream.subscribe(BAMBU_ID)
    stream.subscribe(BAMBU_ID)
    stream.unsubscribe("never-subscribed")
    stream.set_printers([BAMBU_ID, "third"])
    stream.unsubscribe("third")
    await eventually(lambda: len(server.ws_received[0]) == 5)

    assert server.ws_received[0] == [
        _subscribe(PRUSA_ID),
        _subscribe(BAMBU_ID),
        _unsubscribe(PRUSA_ID),
        _subscribe("third"),
        _unsubscribe("third"),
    ]
    assert stream.printer_ids == {BAMBU_ID}


async def test_reconnects_and_subscribes_again_after_a_drop(
    make_stream: StreamFactory, server: FakeServer, recorder: Recorder, clock: FakeClock
) -> None:
    stream = make_stream()
    stream.set_printers([PRUSA_ID, BAMBU_ID])
    stream.start()
    await eventually(lambda: server.ws_received and len(server.ws_received[0]) == 2)
    await eventually(lambda: stream.stats.messages == 2)

    await server.drop()
    await eventually(
        lambda: len(server.ws_received) == 2 and len(server.ws_received[1]) == 2
    )

    assert server.ws_received[1] == [_subscribe(PRUSA_ID), _subscribe(BAMBU_ID)]
    await eventually(lambda: stream.connected)
    assert recorder.disconnects == 1
    assert recorder.connects == 2
    assert stream.stats.connects == 2
    assert stream.stats.disconnects == 1
    # The dropped connection had received messages: the backoff starts afresh.
    assert clock.sleeps == [1.0]

    await server.push(PUSH)
    await eventually(lambda: recorder.events)


async def test_backoff_doubles_to_60_s_while_the_server_is_down(
    socket_enabled: None, make_stream: StreamFactory
) -> None:
    sleeps = StoppingSleep(9)
    stream = make_stream(base_url=f"http://127.0.0.1:{_closed_port()}", sleep=sleeps)
    stream.start()
    await sleeps.reached()

    assert sleeps.delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
    assert not stream.connected
    stats = stream.stats
    assert stats.connects == 0
    assert stats.last_error is not None
    assert stats.last_error.startswith("ClientConnectorError")


async def test_backoff_uses_full_jitter(
    socket_enabled: None, make_stream: StreamFactory
) -> None:
    sleeps = StoppingSleep(3)
    draws = iter([0.5, 0.25, 0.0])
    stream = make_stream(
        base_url=f"http://127.0.0.1:{_closed_port()}",
        sleep=sleeps,
        random=lambda: next(draws),
    )
    stream.start()
    await sleeps.reached()

    assert sleeps.delays == [0.5, 0.5, 0.0]


@pytest.mark.parametrize(
    ("say_hello", "expected"), [(True, [1.0, 1.0, 1.0]), (False, [1.0, 2.0, 4.0])]
)
async def test_backoff_resets_only_after_a_connection_that_received_a_message(
    make_stream: StreamFactory,
    server: FakeServer,
    say_hello: bool,
    expected: list[float],
) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        if say_hello:
            await ws.send_json({"type": "system_event", "event_type": "hello"})
        await ws.close()
        return ws

    server.ws_handler = handler
    sleeps = StoppingSleep(3)
    stream = make_stream(sleep=sleeps)
    stream.start()
    await sleeps.reached()

    assert sleeps.delays == expected
    assert stream.stats.connects == 3


async def test_a_silent_server_is_dropped_and_reconnected(
    make_stream: StreamFactory, server: FakeServer, recorder: Recorder
) -> None:
    server.ws_answer_pings = False
    stream = make_stream(ping_interval=0.05, pong_timeout=0.1)
    stream.start()

    await eventually(lambda: stream.stats.connects >= 2)

    assert {"type": "ping"} in server.ws_received[0]
    assert recorder.disconnects >= 1
    assert stream.stats.last_error == "PrinternizerTimeoutError: no pong within 0.1 s"


async def test_a_server_that_answers_pings_stays_connected(
    make_stream: StreamFactory, server: FakeServer
) -> None:
    stream = make_stream(ping_interval=0.02, pong_timeout=0.1)
    stream.start()

    await eventually(
        lambda: (
            server.ws_received and server.ws_received[0].count({"type": "ping"}) >= 5
        )
    )

    assert stream.stats.connects == 1
    assert stream.connected


async def test_malformed_frames_are_counted_and_ignored(
    make_stream: StreamFactory, server: FakeServer, recorder: Recorder
) -> None:
    stream = make_stream()
    stream.start()
    await eventually(lambda: server.ws_connections)

    for frame in (
        "not json at all",
        "[1, 2]",
        {"type": "printer_status", "data": {"printer_id": "x", "progress": "50"}},
        {"type": "printer_status"},
        b"\x00\x01",
        {"type": "system_event", "event_type": "download_progress", "data": {}},
        {"type": "error", "message": "Unknown message type: hello"},
        {"type": "job_update"},
        PUSH,
    ):
        await server.push(frame)
    await eventually(lambda: recorder.events)

    stats = stream.stats
    assert stats.malformed == 5
    assert stats.messages == 9
    assert stats.events == 1
    assert stats.connects == 1
    assert stream.connected


async def test_a_failing_callback_does_not_stop_the_stream(
    make_stream: StreamFactory, server: FakeServer
) -> None:
    received: list[PrinterStatusEvent] = []

    def on_event(event: PrinterStatusEvent) -> None:
        received.append(event)
        if len(received) == 1:
            raise RuntimeError("boom")

    def on_connect() -> None:
        raise ValueError("not ready")

    stream = make_stream(on_event=on_event, on_connect=on_connect)
    stream.start()
    await eventually(lambda: server.ws_connections)

    await server.push(PUSH)
    await server.push(PUSH)
    await eventually(lambda: len(received) == 2)

    assert stream.stats.last_error == "RuntimeError: boom"
    assert stream.connected
    assert stream.stats.connects == 1


async def test_a_protocol_error_ends_the_connection(
    make_stream: StreamFactory, server: FakeServer, recorder: Recorder
) -> None:
    stream = make_stream()
    stream.start()
    await eventually(lambda: server.ws_connections)

    ws = server.ws_connections[0]
    await ws.send_frame(b"\xff\xfe", aiohttp.WSMsgType.TEXT)

    await eventually(lambda: stream.stats.connects >= 2)
    assert recorder.disconnects >= 1


async def test_close_returns_promptly_when_the_server_never_answers(
    make_stream: StreamFactory, server: FakeServer
) -> None:
    server.ws_handler = server.hang_ws
    stream = make_stream()
    stream.start()
    await eventually(lambda: stream.connected)

    started = time.monotonic()
    await stream.close()
    elapsed = time.monotonic() - started

    assert elapsed < CLOSE_BOUND
    assert not stream.connected


async def test_close_during_a_hung_handshake(
    make_stream: StreamFactory, server: FakeServer
) -> None:
    server.ws_handler = server.hang_handshake
    stream = make_stream()
    stream.start()
    await asyncio.wait_for(server.ws_connected.wait(), 5)

    started = time.monotonic()
    await stream.close()

    assert time.monotonic() - started < 1.0
    assert stream.stats.connects == 0


async def test_lifecycle(make_stream: StreamFactory, server: FakeServer) -> None:
    stream = make_stream()
    await stream.close()
    with pytest.raises(RuntimeError, match="closed"):
        stream.start()

    created: list[asyncio.Task[None]] = []

    def create_task(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        created.append(task)
        return task

    other = make_stream()
    other.start(create_task)
    other.start(create_task)
    await eventually(lambda: other.connected)

    assert len(created) == 1
    await other.close()
    await other.close()
    assert created[0].done()


async def test_send_failure_ends_the_writer() -> None:
    class BrokenSocket:
        async def send_str(self, data: str) -> None:
            raise aiohttp.ClientConnectionResetError(
                "Cannot write to closing transport"
            )

    stream = EventStream(
        aiohttp.ClientSession.__new__(aiohttp.ClientSession),
        "http://127.0.0.1:1",
        on_event=lambda _: None,
    )
    outbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    outbox.put_nowait({"type": "ping"})

    await asyncio.wait_for(stream._write(BrokenSocket(), outbox), 1)  # type: ignore[arg-type]

    assert stream.stats.last_error == (
        "ClientConnectionResetError: Cannot write to closing transport"
    )


# --------------------------------------------------------------------------
# URL and credentials


@pytest.mark.parametrize(
    ("base_url", "ws_url"),
    [
        ("http://printernizer.local:8000", "ws://printernizer.local:8000/ws"),
        (
            "https://ha:pa55word@example.org/ingress/abc/",
            "wss://example.org/ingress/abc/ws",
        ),
        ("http://10.0.0.2:8000/?x=1#top", "ws://10.0.0.2:8000/ws"),
    ],
)
def test_websocket_url(base_url: str, ws_url: str) -> None:
    stream = EventStream(
        aiohttp.ClientSession.__new__(aiohttp.ClientSession),
        base_url,
        on_event=lambda _: None,
    )

    assert stream.url == ws_url
    assert "pa55word" not in repr(stream)


@pytest.mark.parametrize("base_url", ["ws://h/ws", "printernizer.local"])
def test_websocket_url_must_be_http(base_url: str) -> None:
    with pytest.raises(ValueError, match="http or https"):
        EventStream(
            aiohttp.ClientSession.__new__(aiohttp.ClientSession),
            base_url,
            on_event=lambda _: None,
        )


@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated")
@pytest.mark.parametrize(
    ("kwargs", "userinfo", "expected"),
    [
        (lambda: {"token": "s3cr3t-" + "token"}, "", "Bearer s3cr3t-token"),
        (
            lambda: {"auth": aiohttp.BasicAuth("ha", "pa55word")},
            "",
            aiohttp.encode_basic_auth("ha", "pa55word"),
        ),
        (dict, "ha:pa55word@", aiohttp.encode_basic_auth("ha", "pa55word")),
        (lambda: {"headers": {"Authorization": "Custom x"}}, "", "Custom x"),
    ],
)
async def test_handshake_credentials(
    make_stream: StreamFactory,
    server: FakeServer,
    kwargs: Callable[[], dict[str, Any]],
    userinfo: str,
    expected: str,
) -> None:
    stream = make_stream(
        base_url=server.url.replace("http://", f"http://{userinfo}"), **kwargs()
    )
    stream.start()
    await eventually(lambda: server.ws_headers)

    assert server.ws_headers[0]["Authorization"] == expected


async def test_handshake_without_credentials(
    make_stream: StreamFactory, server: FakeServer
) -> None:
    make_stream().start()
    await eventually(lambda: server.ws_headers)

    assert "Authorization" not in server.ws_headers[0]


async def test_stream_from_the_client_shares_credentials_and_time_zone(
    make_client: ClientFactory, server: FakeServer, recorder: Recorder
) -> None:
    client = make_client(token="s3cr3t-" + "token")
    stream = client.event_stream(on_event=recorder.on_event, ping_interval=5.0)
    try:
        stream.subscribe(BAMBU_ID)
        stream.start()
        await eventually(lambda: server.ws_received and server.ws_received[0])
        await client.system_info()
        await server.push(PUSH)
        await eventually(lambda: recorder.events)
    finally:
        await stream.close()

    assert server.ws_headers[0]["Authorization"] == "Bearer s3cr3t-token"
    assert recorder.events[0].timestamp == datetime(
        2026, 11, 28, 22, 2, 21, 95895, tzinfo=BERLIN
    )


async def test_last_connected_defaults_to_the_wall_clock(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    stream = EventStream(session, server.url, on_event=lambda _: None)
    stream.start()
    try:
        await eventually(lambda: stream.connected)
    finally:
        await stream.close()

    last_connected = stream.stats.last_connected
    assert last_connected is not None
    assert last_connected.tzinfo is UTC
    assert abs((datetime.now(UTC) - last_connected).total_seconds()) < 60


def test_stats_as_dict_is_json_safe() -> None:
    stats = EventStreamStats(
        connects=2, disconnects=1, messages=5, events=1, last_connected=WALL
    )

    assert json.loads(json.dumps(stats.as_dict())) == {
        "connects": 2,
        "disconnects": 1,
        "messages": 5,
        "events": 1,
        "malformed": 0,
        "last_connected": "2026-11-28T21:00:00+00:00",
        "last_error": None,
    }
    assert EventStreamStats().as_dict()["last_connected"] is None
