"""A programmable Printernizer test server on loopback, and a fake clock.

The server replays the captures of a real Printernizer server kept beside the
repository (``../shared/printernizer-api``) and answers anything a test sets.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
import pytest

from custom_components.printernizer.api import PrinternizerClient

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "printernizer-api"

PRUSA_ID = "825f54eb-66d1-4902-97f2-eb8be782dc2b"
BAMBU_ID = "d274c935-84d0-4cf4-a7e6-ad7c866648cf"
UNKNOWN_CHECKSUM = "0" * 64
# Credentials of the captured printers (printers.json): must never leak.
SECRETS = ("testapikey123", "12345678")

_REPLAYED_HEADERS = ("retry-after", "x-ratelimit-limit", "x-ratelimit-remaining")


def capture_text(name: str) -> str:
    """Return a capture's body."""
    return (CAPTURES / name).read_text(encoding="utf-8")


def capture_json(name: str) -> Any:
    """Return a capture's body, decoded."""
    return json.loads(capture_text(name))


def capture_lines(name: str) -> list[Any]:
    """Return the decoded lines of a JSON-lines capture."""
    return [json.loads(line) for line in capture_text(name).splitlines() if line]


@dataclass
class Reply:
    """One programmed answer of the test server."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    #: Seconds the fake clock moves on while the "server works".
    advance: float = 0.0
    #: Never answer (until the client gives up or the test ends).
    hang: bool = False
    #: Stream this many bytes of body in 64 KiB chunks, without a length.
    stream: int = 0

    def payload(self) -> bytes:
        """Return the body as bytes (JSON-encoding anything but str/bytes)."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


def capture(name: str) -> Reply:
    """Return a Reply replaying a capture with its status and headers."""
    lines = (CAPTURES / "_headers" / f"{name}.headers").read_text().splitlines()
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() in _REPLAYED_HEADERS:
            headers[key.strip()] = value.strip()
    return Reply(status=status, body=(CAPTURES / name).read_bytes(), headers=headers)


DEFAULT_ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/health"): "health.json",
    ("GET", "/api/v1/system/info"): "system_info.json",
    ("GET", "/api/v1/update-check"): "update_check.json",
    ("GET", "/api/v1/printers"): "printers.json",
    ("GET", f"/api/v1/printers/{PRUSA_ID}"): "printer_detail_prusa.json",
    ("GET", f"/api/v1/printers/{BAMBU_ID}"): "printer_detail_bambu.json",
    ("GET", f"/api/v1/printers/{PRUSA_ID}/status"): "printer_status_prusa.json",
    ("GET", f"/api/v1/printers/{BAMBU_ID}/status"): "printer_status_bambu.json",
    ("GET", f"/api/v1/printers/{PRUSA_ID}/details"): "printer_details_prusa.json",
    ("GET", f"/api/v1/printers/{PRUSA_ID}/thumbnail"): "printer_thumbnail_prusa.json",
    ("POST", f"/api/v1/printers/{PRUSA_ID}/pause"): "printer_pause_prusa.json",
    ("GET", "/api/v1/printers/does-not-exist"): "printer_not_found.json",
    ("GET", "/api/v1/printers/does-not-exist/status"): "printer_status_not_found.json",
    ("GET", "/api/v1/trending/statistics"): "trending_statistics.json",
    ("GET", "/api/v1/analytics/summary"): "analytics_summary.json",
    ("GET", "/api/v1/materials/stats"): "materials_stats.json",
    ("GET", "/api/v1/settings/application"): "settings_application.json",
    ("GET", "/api/v1/library/files"): "library_files_empty.json",
    ("GET", "/api/v1/library/statistics"): "library_statistics.json",
    ("POST", f"/api/v1/library/files/{UNKNOWN_CHECKSUM}/print"): (
        "library_print_unknown_file_404.json"
    ),
    ("GET", f"/api/v1/printers/{PRUSA_ID}/camera/status"): "camera_status_prusa.json",
    ("GET", f"/api/v1/printers/{BAMBU_ID}/camera/status"): "camera_status_bambu.json",
    ("GET", f"/api/v1/printers/{BAMBU_ID}/camera/preview"): (
        "camera_preview_no_frame_503.json"
    ),
    ("GET", f"/api/v1/printers/{PRUSA_ID}/camera/preview"): (
        "camera_preview_no_camera_400.json"
    ),
    ("GET", f"/api/v1/printers/{BAMBU_ID}/camera/stream"): (
        "camera_stream_unavailable_503.json"
    ),
    ("POST", f"/api/v1/printers/{BAMBU_ID}/camera/snapshot"): (
        "camera_snapshot_no_frame.json"
    ),
    ("GET", f"/api/v1/printers/{BAMBU_ID}/snapshots"): "snapshots_empty.json",
}


class FakeClock:
    """A monotonic clock that only moves when told to (or when slept on)."""

    def __init__(self, start: float = 1000.0) -> None:
        """Start at ``start`` seconds."""
        self.start = start
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        """Return the current time."""
        return self.now

    @property
    def elapsed(self) -> float:
        """Return the seconds passed since the start."""
        return self.now - self.start

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """Record the wait and move the clock on instead of waiting."""
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@dataclass
class Seen:
    """A request the test server received."""

    method: str
    path: str
    raw_path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float
    body: bytes = b""

    def json(self) -> Any:
        """Return the request body, decoded."""
        return json.loads(self.body)


class TokenBucket:
    """The server's rate limiter: ``per_minute`` per minute, ``capacity`` burst."""

    def __init__(self, clock: FakeClock, per_minute: float, capacity: float) -> None:
        """Start with a full bucket."""
        self.clock = clock
        self.rate = per_minute / 60.0
        self.capacity = capacity
        self.tokens = capacity
        self.updated = clock()

    def take(self) -> bool:
        """Take a token if there is one."""
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


type WsHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeServer:
    """Answers from the captures, from programmed replies, and on ``/ws``."""

    def __init__(self, clock: FakeClock) -> None:
        """Serve the default captures."""
        self.clock = clock
        self.prefix = ""
        self.requests: list[Seen] = []
        #: Body bytes written by streamed replies.
        self.streamed = 0
        self.limiter: TokenBucket | None = None
        #: Called with each request's path before it is answered.
        self.hook: Callable[[str], None] | None = None
        self._programmed: dict[tuple[str, str], list[Reply]] = {}
        self.server: TestServer | None = None
        # WebSocket state
        self.ws_connections: list[web.WebSocketResponse] = []
        self.ws_headers: list[dict[str, str]] = []
        self.ws_received: list[list[Any]] = []
        self.ws_answer_pings = True
        self.ws_handler: WsHandler | None = None
        self.ws_connected = asyncio.Event()
        self.ws_message = asyncio.Event()
        self._release = asyncio.Event()

    @property
    def url(self) -> str:
        """Return the server's base URL (with the prefix, no trailing slash)."""
        assert self.server is not None
        return str(self.server.make_url(self.prefix or "/")).rstrip("/")

    def set(self, method: str, path: str, *replies: Reply) -> None:
        """Answer the next requests with ``replies``; the last one repeats."""
        self._programmed[(method, path)] = list(replies)

    def hits(self, path: str, method: str = "GET") -> list[Seen]:
        """Return the requests received for one path."""
        return [r for r in self.requests if r.path == path and r.method == method]

    async def start(self, port: int | None = None) -> None:
        """Start listening on 127.0.0.1 (on ``port`` if given)."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.server = TestServer(app, host="127.0.0.1", port=port)
        await self.server.start_server(access_log=None)

    async def close(self) -> None:
        """Close open WebSockets and stop the server."""
        self._release.set()
        for ws in list(self.ws_connections):
            await ws.close()
        assert self.server is not None
        await self.server.close()

    def _reply_for(self, method: str, path: str) -> Reply:
        queue = self._programmed.get((method, path))
        if queue:
            return queue.pop(0) if len(queue) > 1 else queue[0]
        name = DEFAULT_ROUTES.get((method, path))
        if name is None:
            return Reply(status=404, body={"detail": "Not Found"})
        return capture(name)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if self.prefix and path.startswith(self.prefix):
            path = path.removeprefix(self.prefix)
        if path == "/ws" and request.headers.get("Upgrade", "").lower() == "websocket":
            self.ws_headers.append(dict(request.headers))
            return await (self.ws_handler or self.default_ws)(request)
        self.requests.append(
            Seen(
                request.method,
                path,
                request.rel_url.raw_path,
                dict(request.query),
                dict(request.headers),
                self.clock(),
                await request.read(),
            )
        )
        if (
            self.limiter is not None
            and not path.startswith("/api/v1/health")
            and not self.limiter.take()
        ):
            return self._respond(capture("rate_limited_429.json"))
        reply = self._reply_for(request.method, path)
        if self.hook is not None:
            self.hook(path)
        self.clock.advance(reply.advance)
        if reply.hang:
            await self._release.wait()
        if reply.stream:
            return await self._stream(request, reply)
        return self._respond(reply)

    async def _stream(self, request: web.Request, reply: Reply) -> web.StreamResponse:
        response = web.StreamResponse(status=reply.status)
        response.content_type = reply.content_type
        await response.prepare(request)
        chunk = b"\0" * 65536
        try:
            while self.streamed < reply.stream:
                await response.write(chunk)
                self.streamed += len(chunk)
        except ConnectionError:
            return response
        await response.write_eof()
        return response

    @staticmethod
    def _respond(reply: Reply) -> web.Response:
        if any(key.lower() == "content-type" for key in reply.headers):
            # Sent exactly as given (aiohttp would refuse both).
            return web.Response(
                status=reply.status, body=reply.payload(), headers=reply.headers
            )
        return web.Response(
            status=reply.status,
            body=reply.payload(),
            headers=reply.headers,
            content_type=reply.content_type,
        )

    # ------------------------------------------------------------------
    # WebSocket

    async def default_ws(self, request: web.Request) -> web.WebSocketResponse:
        """Behave like the server's /ws: subscriptions, pong, errors."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        received: list[Any] = []
        self.ws_received.append(received)
        self.ws_connections.append(ws)
        self.ws_connected.set()
        try:
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(message.data)
                except ValueError:
                    await ws.send_json(
                        {"type": "error", "message": "Invalid JSON format"}
                    )
                    continue
                received.append(data)
                self.ws_message.set()
                kind = data.get("type")
                if kind == "ping":
                    if self.ws_answer_pings:
                        await ws.send_json({"type": "pong"})
                elif kind == "subscribe_printer":
                    await ws.send_json(
                        {"type": "subscribed", "printer_id": data["printer_id"]}
                    )
                elif kind == "unsubscribe_printer":
                    await ws.send_json(
                        {"type": "unsubscribed", "printer_id": data["printer_id"]}
                    )
        finally:
            self.ws_connections.remove(ws)
        return ws

    async def hang_ws(self, request: web.Request) -> web.WebSocketResponse:
        """Accept the WebSocket, then never read or answer anything."""
        ws = web.WebSocketResponse(autoping=False, autoclose=False)
        await ws.prepare(request)
        self.ws_connected.set()
        await self._release.wait()
        return ws

    async def hang_handshake(self, request: web.Request) -> web.StreamResponse:
        """Never answer the WebSocket handshake."""
        self.ws_connected.set()
        await self._release.wait()
        return web.Response(status=503)

    async def push(self, message: Any) -> None:
        """Send a frame to every client: str and bytes as is, else as JSON."""
        for ws in list(self.ws_connections):
            if isinstance(message, str):
                await ws.send_str(message)
            elif isinstance(message, bytes):
                await ws.send_bytes(message)
            else:
                await ws.send_json(message)

    async def drop(self) -> None:
        """Close every WebSocket from the server side."""
        for ws in list(self.ws_connections):
            await ws.close()


async def eventually(condition: Callable[[], object]) -> None:
    """Wait (up to 5 s of real time) until ``condition()`` is true."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.005)
    pytest.fail("condition not met within 5 s")


@pytest.fixture
def clock() -> FakeClock:
    """A fake monotonic clock whose sleep returns at once."""
    return FakeClock()


@pytest.fixture
async def server(socket_enabled: None, clock: FakeClock) -> AsyncGenerator[FakeServer]:
    """A Printernizer test server on 127.0.0.1."""
    fake = FakeServer(clock)
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[aiohttp.ClientSession]:
    """A plain aiohttp session (the client never closes it)."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


class TimeWarpSession:
    """Passes requests through; an attempt that times out took its whole timeout.

    The real wait is cut to ``real`` seconds, and the fake clock is moved on by
    the timeout the client asked for, as if it had passed.
    """

    def __init__(
        self, session: aiohttp.ClientSession, clock: FakeClock, real: float = 0.2
    ) -> None:
        self.session = session
        self.clock = clock
        self.real = real
        self.timeouts: list[aiohttp.ClientTimeout] = []

    @asynccontextmanager
    async def request(
        self, method: str, url: Any, **kwargs: Any
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Send the request with a short real timeout."""
        timeout: aiohttp.ClientTimeout = kwargs["timeout"]
        self.timeouts.append(timeout)
        kwargs["timeout"] = aiohttp.ClientTimeout(total=self.real)
        try:
            async with self.session.request(method, url, **kwargs) as response:
                yield response
        except TimeoutError:
            self.clock.advance(timeout.total or 0.0)
            raise


def jitter_max() -> float:
    """Return the largest jitter factor (waits the full backoff cap)."""
    return 1.0


type ClientFactory = Callable[..., PrinternizerClient]


@pytest.fixture
def make_client(
    server: FakeServer, session: aiohttp.ClientSession, clock: FakeClock
) -> ClientFactory:
    """Return a factory of clients wired to the test server and fake clock."""

    def _make(**kwargs: Any) -> PrinternizerClient:
        kwargs.setdefault("sleep", clock.sleep)
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("random", jitter_max)
        base_url = kwargs.pop("base_url", server.url)
        return PrinternizerClient(session, base_url, **kwargs)

    return _make


@pytest.fixture
def client(make_client: ClientFactory) -> PrinternizerClient:
    """A client with the default policy on the fake clock."""
    return make_client()
