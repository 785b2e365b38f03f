"""The Printernizer WebSocket (``/ws``) as a stream of printer status events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable, Mapping
import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
import json
import logging
import random as _random
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

from .exceptions import (
    PrinternizerError,
    PrinternizerResponseError,
    PrinternizerTimeoutError,
)
from .models import PrinterStatusEvent

if TYPE_CHECKING:
    from .policy import Sleep

_LOGGER = logging.getLogger(__name__)

type TaskFactory = Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]]

#: Longest time :meth:`EventStream.close` waits for the stream to stop.
CLOSE_BOUND = 5.0

_PING = {"type": "ping"}


def utc_now() -> datetime:
    """Return the current time, aware in UTC (the package imports no Home Assistant)."""
    return datetime.now(UTC)  # pylint: disable=home-assistant-enforce-utcnow


def http_url(base_url: str) -> URL:
    """Parse a server URL, refusing anything but an absolute http(s) URL."""
    url = URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("base_url must be an absolute http or https URL")
    return url


def authorization_header(
    url: URL, auth: aiohttp.BasicAuth | None, token: str | None
) -> str | None:
    """Return the Authorization header for a reverse proxy, if any.

    A token wins over ``auth``, which wins over the URL's userinfo.
    """
    if token:
        return f"Bearer {token}"
    if auth is not None:
        return aiohttp.encode_basic_auth(auth.login, auth.password, auth.encoding)
    if url.user or url.password:
        return aiohttp.encode_basic_auth(url.user or "", url.password or "")
    return None


@dataclass(frozen=True, slots=True)
class EventStreamStats:
    """An immutable snapshot of the event stream's counters.

    ``messages`` counts every text frame received, ``events`` the
    ``printer_status`` pushes handed to the callback, ``malformed`` the
    frames that could not be parsed and were ignored.
    """

    connects: int = 0
    disconnects: int = 0
    messages: int = 0
    events: int = 0
    malformed: int = 0
    last_connected: datetime | None = None
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (timestamps as ISO-8601 strings)."""
        return {
            "connects": self.connects,
            "disconnects": self.disconnects,
            "messages": self.messages,
            "events": self.events,
            "malformed": self.malformed,
            "last_connected": (
                None if self.last_connected is None else self.last_connected.isoformat()
            ),
            "last_error": self.last_error,
        }


class EventStream:
    """Keeps a WebSocket to the server open and forwards printer pushes.

    The stream subscribes to every printer in its set after each connect,
    sends a ``ping`` every ``ping_interval`` seconds and drops a connection
    that does not answer with a ``pong`` within ``pong_timeout``. It then
    reconnects with exponential backoff (``backoff_base`` doubling up to
    ``backoff_max``, full jitter) until :meth:`close`; the backoff starts
    again from the beginning after a connection that received a message.

    Callbacks are called in the stream's task. An exception raised by a
    callback is logged at debug level and does not stop the stream.
    ``on_disconnect`` is not called for the disconnect caused by
    :meth:`close`.

    ``time_zone`` is the zone naive push timestamps are read in: a tzinfo, or
    a callable returning one (e.g. ``lambda: client.time_zone``).
    ``auth`` (HTTP basic), ``token`` (Bearer) and ``headers`` are sent with
    the handshake, for a reverse proxy in front of the server.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        on_event: Callable[[PrinterStatusEvent], None],
        on_connect: Callable[[], None] | None = None,
        on_disconnect: Callable[[], None] | None = None,
        ping_interval: float = 30.0,
        pong_timeout: float = 10.0,
        sleep: Sleep = asyncio.sleep,
        random: Callable[[], float] = _random.random,
        auth: aiohttp.BasicAuth | None = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        time_zone: tzinfo | Callable[[], tzinfo] = UTC,
        wall_clock: Callable[[], datetime] = utc_now,
        connect_timeout: float = 10.0,
        close_timeout: float = 2.0,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
    ) -> None:
        """Create a stream for the server at ``base_url`` (http or https)."""
        url = http_url(base_url)
        self._url = (
            url.with_user(None)
            .with_query(None)
            .with_fragment(None)
            .with_scheme("wss" if url.scheme == "https" else "ws")
            .with_path(url.path.rstrip("/") + "/ws")
        )
        self._session = session
        self._on_event = on_event
        self._on_connect = on_connect
        self._on_disconnect = on_disconnect
        self._ping_interval = ping_interval
        self._pong_timeout = pong_timeout
        self._sleep = sleep
        self._random = random
        self._headers = dict(headers or {})
        authorization = authorization_header(url, auth, token)
        if authorization is not None:
            self._headers["Authorization"] = authorization
        self._time_zone = time_zone
        self._wall_clock = wall_clock
        self._connect_timeout = connect_timeout
        self._close_timeout = close_timeout
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max

        self._printer_ids: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        # The open connection's send queue; None while disconnected.
        self._outbox: asyncio.Queue[dict[str, str]] | None = None
        self._closing = False
        self._got_message = False
        self._connects = 0
        self._disconnects = 0
        self._messages = 0
        self._events = 0
        self._malformed = 0
        self._last_connected: datetime | None = None
        self._last_error: str | None = None

    def __repr__(self) -> str:
        """Name the WebSocket URL only."""
        return f"EventStream({str(self._url)!r})"

    @property
    def url(self) -> str:
        """Return the WebSocket URL (without credentials)."""
        return str(self._url)

    @property
    def connected(self) -> bool:
        """Return whether a WebSocket connection is currently open."""
        return self._outbox is not None

    @property
    def printer_ids(self) -> frozenset[str]:
        """Return the printers the stream subscribes to."""
        return frozenset(self._printer_ids)

    @property
    def stats(self) -> EventStreamStats:
        """Return a snapshot of the counters."""
        return EventStreamStats(
            connects=self._connects,
            disconnects=self._disconnects,
            messages=self._messages,
            events=self._events,
            malformed=self._malformed,
            last_connected=self._last_connected,
            last_error=self._last_error,
        )

    # ------------------------------------------------------------------
    # Subscriptions

    def set_printers(self, printer_ids: Iterable[str]) -> None:
        """Subscribe to exactly these printers (now, and after reconnects)."""
        wanted = set(printer_ids)
        for printer_id in sorted(self._printer_ids - wanted):
            self.unsubscribe(printer_id)
        for printer_id in sorted(wanted - self._printer_ids):
            self.subscribe(printer_id)

    def subscribe(self, printer_id: str) -> None:
        """Add a printer to the subscriptions."""
        if printer_id in self._printer_ids:
            return
        self._printer_ids.add(printer_id)
        self._send({"type": "subscribe_printer", "printer_id": printer_id})

    def unsubscribe(self, printer_id: str) -> None:
        """Remove a printer from the subscriptions."""
        if printer_id not in self._printer_ids:
            return
        self._printer_ids.discard(printer_id)
        self._send({"type": "unsubscribe_printer", "printer_id": printer_id})

    def _send(self, message: dict[str, str]) -> None:
        if self._outbox is not None:
            self._outbox.put_nowait(message)

    # ------------------------------------------------------------------
    # Lifecycle

    def start(self, create_task: TaskFactory | None = None) -> None:
        """Start the stream in its own task.

        ``create_task`` lets the caller own the task (e.g. as a background
        task of a Home Assistant config entry); by default the running loop
        creates it. Starting a running stream does nothing.
        """
        if self._closing:
            raise RuntimeError("the event stream is closed")
        if self._task is not None and not self._task.done():
            return
        factory = create_task or asyncio.get_running_loop().create_task
        self._task = factory(self._run())

    async def close(self) -> None:
        """Stop the stream; returns within 5 seconds whatever the server does."""
        self._closing = True
        task = self._task
        if task is None or task.done():
            return
        task.cancel()
        await asyncio.wait({task}, timeout=CLOSE_BOUND)

    # ------------------------------------------------------------------
    # The connection loop

    async def _run(self) -> None:
        failures = 0
        while True:
            self._got_message = False
            try:
                await self._connection()
            except (aiohttp.ClientError, OSError, TimeoutError) as err:
                self._note_error(err)
            if self._got_message:
                failures = 0
            cap = min(self._backoff_base * 2.0 ** min(failures, 62), self._backoff_max)
            failures += 1
            delay = self._random() * cap
            _LOGGER.debug("WebSocket reconnect in %.1f s", delay)
            await self._sleep(delay)

    async def _connection(self) -> None:
        """Connect, then serve the connection until it ends.

        Returns after a connection that ended on the server's side or went
        silent; raises when the connection could not be made, and when
        cancelled (then without calling ``on_disconnect``).
        """
        async with asyncio.timeout(self._connect_timeout):
            ws = await self._session.ws_connect(
                self._url,
                headers=self._headers,
                autoping=True,
                heartbeat=None,
                # Closing is bounded by close_timeout below.
                timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=None),
            )
        outbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        for printer_id in sorted(self._printer_ids):
            outbox.put_nowait({"type": "subscribe_printer", "printer_id": printer_id})
        writer = asyncio.create_task(self._write(ws, outbox))
        self._outbox = outbox
        self._connects += 1
        self._last_connected = self._wall_clock()
        _LOGGER.debug("WebSocket connected to %s", self._url)
        try:
            self._callback(self._on_connect)
            await self._read(ws)
        except PrinternizerError as err:
            self._note_error(err)
        finally:
            self._outbox = None
            self._disconnects += 1
            writer.cancel()
            await asyncio.wait({writer})
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._close_timeout):
                    await ws.close()
        _LOGGER.debug("WebSocket disconnected")
        self._callback(self._on_disconnect)

    async def _write(
        self, ws: aiohttp.ClientWebSocketResponse, outbox: asyncio.Queue[dict[str, str]]
    ) -> None:
        while True:
            message = await outbox.get()
            try:
                await ws.send_str(json.dumps(message))
            except (aiohttp.ClientError, OSError, RuntimeError) as err:
                self._note_error(err)
                return

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self._ping_interval
        pong_due: float | None = None
        while True:
            wake = next_ping if pong_due is None else min(next_ping, pong_due)
            try:
                message = await ws.receive(timeout=max(wake - loop.time(), 0.001))
            except TimeoutError:
                now = loop.time()
                if pong_due is not None and now >= pong_due:
                    raise PrinternizerTimeoutError(
                        f"no pong within {self._pong_timeout:g} s"
                    ) from None
                # Not a pong overdue, so it is time to ping.
                self._send(_PING)
                if pong_due is None:
                    pong_due = now + self._pong_timeout
                next_ping = now + self._ping_interval
                continue
            if message.type is aiohttp.WSMsgType.TEXT:
                self._got_message = True
                if self._handle(message.data):
                    pong_due = None
            elif message.type is aiohttp.WSMsgType.ERROR:
                self._note_error(message.data)
                return
            elif message.type in (
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSING,
                aiohttp.WSMsgType.CLOSED,
            ):
                return
            else:
                self._messages += 1
                self._malformed += 1
                _LOGGER.debug("Ignoring WebSocket frame of type %s", message.type)

    def _handle(self, text: str) -> bool:
        """Handle one text frame; return True when it was a pong."""
        self._messages += 1
        try:
            payload = json.loads(text)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            self._malformed += 1
            _LOGGER.debug("Ignoring a WebSocket frame that is not a JSON object")
            return False
        kind = payload.get("type")
        if kind == "pong":
            return True
        if kind != "printer_status":
            _LOGGER.debug("Ignoring WebSocket message of type %s", kind)
            return False
        zone = self._time_zone
        try:
            event = PrinterStatusEvent.from_message(
                payload, tz=zone if isinstance(zone, tzinfo) else zone()
            )
        except PrinternizerResponseError as err:
            self._malformed += 1
            _LOGGER.debug("Ignoring malformed printer_status push: %s", err)
            return False
        self._events += 1
        self._callback(self._on_event, event)
        return False

    def _callback[*Ts](
        self, callback: Callable[[*Ts], None] | None, *args: *Ts
    ) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception as err:  # a callback must not end the stream
            self._note_error(err)
            _LOGGER.debug("WebSocket callback failed", exc_info=True)

    def _note_error(self, err: BaseException | object) -> None:
        self._last_error = (
            f"{type(err).__name__}: {err}"
            if isinstance(err, BaseException)
            else str(err)
        )
        _LOGGER.debug("WebSocket error: %s", self._last_error)
