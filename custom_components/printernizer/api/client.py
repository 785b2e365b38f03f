"""The Printernizer REST client.

Every call goes through :meth:`PrinternizerClient._call`, which applies, in
order: the request budgets, the per-attempt timeouts and the response size
cap, retries with backoff inside the call's deadline, and the metrics.
Nothing is logged above debug.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
import email.utils
from enum import Enum, auto
import functools
import json
import logging
import random as _random
import re
import time
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiohttp
from yarl import URL

from .events import EventStream, authorization_header, http_url, utc_now
from .exceptions import (
    PrinternizerAuthenticationError,
    PrinternizerCancelledError,
    PrinternizerConnectionError,
    PrinternizerError,
    PrinternizerNoFrameError,
    PrinternizerNotFoundError,
    PrinternizerRateLimitError,
    PrinternizerRequestError,
    PrinternizerResponseError,
    PrinternizerServerError,
    PrinternizerTimeoutError,
    PrinternizerUnreachableError,
)
from .metrics import MetricsRecorder, RequestMetrics
from .models import (
    AnalyticsSummary,
    ApplicationSettings,
    CameraStatus,
    Image,
    LibraryFile,
    MaterialStats,
    Printer,
    PrinterStatus,
    PrinterStatusEvent,
    ServerHealth,
    Snapshot,
    SystemInfo,
    TrendingStatistics,
    UpdateCheck,
)
from .policy import Clock, RequestBudget, RetryPolicy, Sleep

_LOGGER = logging.getLogger(__name__)

#: Per-attempt timeouts: connect 10 s, socket read 20 s, whole attempt 30 s.
ATTEMPT_TIMEOUT = aiohttp.ClientTimeout(total=30.0, connect=10.0, sock_read=20.0)
#: Statuses worth another attempt (429 is handled on its own).
RETRY_STATUSES = frozenset({502, 503, 504})
#: Printers per page when listing (the server's maximum).
PAGE_LIMIT = 100
#: Library files per page when listing (the server's maximum).
LIBRARY_PAGE_LIMIT = 200
#: Upper bound on pages fetched for one listing, against a looping server.
MAX_PAGES = 100
#: Longest a write (POST) may take in all, attempts to connect included.
WRITE_DEADLINE = 15.0
#: Longest printing a library file may take: the server uploads the file to
#: the printer before it answers.
PRINT_FILE_DEADLINE = 120.0
#: Longest a camera frame may take: a late frame is useless.
FRAME_DEADLINE = 10.0
#: Camera frames a client may fetch at once, and in any minute.
CAMERA_FRAME_BURST = 5
CAMERA_FRAMES_PER_MINUTE = 20
#: Tokens a camera frame must leave in the shared budget for status polls.
FRAME_RESERVE = 2.0
#: Largest response bodies read: JSON (and error bodies), and images.
MAX_JSON_BYTES = 4 * 1024 * 1024
MAX_IMAGE_BYTES = 8 * 1024 * 1024

_HEALTH_PATH = "/api/v1/health"
# The server's own rule for its 10 POSTs a minute: the path starts with this.
_COMMAND_PREFIX = "/api/v1/printers"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# A stream route answers with a redirect; anything longer is not one.
_REDIRECT_BYTES = 64 * 1024
_MESSAGE_LIMIT = 200
_USERINFO_RE = re.compile(r"(?<=://)[^/@\s]+@")
_NOT_LEARNED = object()
_FRAME_POLICY = RetryPolicy(max_attempts=1, deadline=FRAME_DEADLINE)


@dataclass(slots=True)
class _Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(slots=True, eq=False)
class _Inflight:
    task: asyncio.Task[Any]
    cancelled: bool = False


class _Budget(Enum):
    """Which request budget a request draws from."""

    #: The shared budget, waiting for a token within the deadline.
    SHARED = auto()
    #: None (health checks).
    EXEMPT = auto()
    #: The camera budget and, leaving a reserve, the shared one; never waits.
    FRAMES = auto()
    #: Only a token the full shared budget would otherwise not hold; never waits.
    SPARE = auto()
    #: A token of the shared budget if it has one now; never waits.
    AVAILABLE = auto()


@dataclass(slots=True)
class _Request:
    method: str
    route: str
    url: URL
    policy: RetryPolicy
    limit: int
    budget: _Budget = _Budget.SHARED
    query: Mapping[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    #: Per-attempt timeouts; None for :data:`ATTEMPT_TIMEOUT`.
    timeout: aiohttp.ClientTimeout | None = None
    follow_redirects: bool = True

    @property
    def name(self) -> str:
        return f"{self.method} {self.route}"

    @property
    def is_print_command(self) -> bool:
        """Tell whether the server counts this against its 10 commands a minute."""
        return self.method == "POST" and self.route.startswith(_COMMAND_PREFIX)

    def for_images(self) -> _Request:
        self.headers["Accept"] = "image/*"
        self.limit = MAX_IMAGE_BYTES
        return self


def _load_zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    # OSError: a name too long for a file name.
    except ZoneInfoNotFoundError, ValueError, OSError:
        return None


def _size(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    return f"{limit} bytes"


class PrinternizerClient:
    """Talks to one Printernizer server over an injected aiohttp session.

    The session is never closed by the client. ``auth`` (HTTP basic) and
    ``token`` (a Bearer header) are only for a reverse proxy in front of the
    server, which has no authentication of its own; credentials in the URL's
    userinfo are used as ``auth`` and removed from the URL.

    ``retry`` governs reads. Writes (POST) follow ``write_retry``, by
    default the same backoff within :data:`WRITE_DEADLINE`; whatever it
    says, a write is sent again only after a failure to connect, never once
    it may have reached the server. ``budget`` is shared by every call
    except health checks; print commands are held to the server's 10 a
    minute and camera frames to ``camera_budget`` (see :meth:`camera_frame`).
    Camera status and snapshot reads can ask for spare tokens only, which
    never delays another call (see :meth:`camera_status`).

    ``sleep``, ``clock`` (monotonic seconds), ``wall_clock`` (aware UTC
    datetime) and ``random`` (uniform in [0, 1)) are injectable for tests.

    :meth:`cancel_inflight` abandons every call in flight: each one raises
    :class:`PrinternizerCancelledError` (a :class:`PrinternizerConnectionError`)
    in its caller, unless the caller task was itself cancelled, in which case
    :class:`asyncio.CancelledError` propagates as usual.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        retry: RetryPolicy | None = None,
        write_retry: RetryPolicy | None = None,
        budget: RequestBudget | None = None,
        camera_budget: RequestBudget | None = None,
        auth: aiohttp.BasicAuth | None = None,
        token: str | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Callable[[], datetime] = utc_now,
        random: Callable[[], float] = _random.random,
        time_zone: tzinfo = UTC,
    ) -> None:
        """Create a client for the server at ``base_url`` (http or https)."""
        url = http_url(base_url)
        if auth is not None and token is not None:
            raise ValueError("use either auth or token, not both")
        self._base = (
            url.with_user(None)
            .with_query(None)
            .with_fragment(None)
            .with_path(url.path.rstrip("/"))
        )
        self._session = session
        self._retry = retry or RetryPolicy()
        self._write_retry = replace(
            write_retry
            or replace(self._retry, deadline=min(self._retry.deadline, WRITE_DEADLINE)),
            idempotent=False,
        )
        self._budget = budget or RequestBudget()
        # The server refills print commands (POSTs under /api/v1/printers) at
        # 10/min per client; a command is refused at once rather than queued.
        self._control_budget = RequestBudget(per_minute=10, burst=10)
        # A token bucket lets through its burst plus its rate in any minute.
        self._camera_budget = camera_budget or RequestBudget(
            per_minute=CAMERA_FRAMES_PER_MINUTE - CAMERA_FRAME_BURST,
            burst=CAMERA_FRAME_BURST,
        )
        self._authorization = authorization_header(url, auth, token)
        self._secrets = tuple(
            secret
            for secret in (token, auth.password if auth else None, url.password)
            if secret
        )
        self._sleep = sleep
        self._clock = clock
        self._wall_clock = wall_clock
        self._random = random
        self._tz: tzinfo = time_zone
        self._zone_source: object = _NOT_LEARNED
        self._metrics = MetricsRecorder()
        self._inflight: set[_Inflight] = set()

    def __repr__(self) -> str:
        """Name the server only."""
        return f"PrinternizerClient({str(self._base)!r})"

    @property
    def base_url(self) -> str:
        """Return the server URL, without credentials or trailing slash."""
        return str(self._base)

    @property
    def time_zone(self) -> tzinfo:
        """Return the zone naive server timestamps are read in.

        The zone :meth:`system_info` last reported; UTC before that, and
        while the server reports no zone or one that does not exist.
        """
        return self._tz

    @property
    def metrics(self) -> RequestMetrics:
        """Return a snapshot of the request counters."""
        return self._metrics.snapshot()

    def cancel_inflight(self) -> int:
        """Cancel every call in flight and return how many were cancelled."""
        count = 0
        for entry in list(self._inflight):
            if not entry.cancelled:
                entry.cancelled = True
                entry.task.cancel()
                count += 1
        return count

    async def async_cancel_inflight(self) -> None:
        """Cancel every call in flight and wait until each has ended."""
        tasks = [entry.task for entry in self._inflight]
        self.cancel_inflight()
        if tasks:
            await asyncio.wait(tasks)

    def event_stream(
        self,
        *,
        on_event: Callable[[PrinterStatusEvent], None],
        on_connect: Callable[[], None] | None = None,
        on_disconnect: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> EventStream:
        """Create an :class:`EventStream` to the same server.

        It shares the session, credentials, sleep and random source, and reads
        push timestamps in this client's time zone. ``kwargs`` go to
        :class:`EventStream`.
        """
        kwargs.setdefault("sleep", self._sleep)
        kwargs.setdefault("random", self._random)
        kwargs.setdefault("wall_clock", self._wall_clock)
        return EventStream(
            self._session,
            self.base_url,
            on_event=on_event,
            on_connect=on_connect,
            on_disconnect=on_disconnect,
            headers=self._auth_headers(),
            time_zone=lambda: self._tz,
            **kwargs,
        )

    # ------------------------------------------------------------------
    # Server

    async def health(self) -> ServerHealth:
        """Return the server's health report (exempt from the budget).

        Raises :class:`PrinternizerResponseError` when the body is not a
        Printernizer health report.
        """
        return await self._read(
            _HEALTH_PATH, lambda body: ServerHealth.from_dict(body, tz=self._tz)
        )

    async def system_info(self) -> SystemInfo:
        """Return system information and learn the server's time zone.

        A missing zone, or one that does not exist, sets the zone back to UTC
        and is logged once at debug level (again only when it changes).
        """
        info = await self._read("/api/v1/system/info", SystemInfo.from_dict)
        await self._learn_zone(info.timezone)
        return info

    async def update_check(self) -> UpdateCheck:
        """Return the server's update check (it asks GitHub on every call)."""
        return await self._read("/api/v1/update-check", UpdateCheck.from_dict)

    async def application_settings(self) -> ApplicationSettings:
        """Return the server's settings that matter to a dashboard."""
        return await self._read(
            "/api/v1/settings/application", ApplicationSettings.from_dict
        )

    # ------------------------------------------------------------------
    # Printers

    async def printers(self) -> list[Printer]:
        """Return every printer, fetching all pages."""
        printers: dict[str, Printer] = {}
        page = 1
        while True:
            request = self._request(
                "GET",
                "/api/v1/printers",
                query={"page": str(page), "limit": str(PAGE_LIMIT)},
            )
            items, total_pages = await self._call(
                request, functools.partial(self._printer_page, request)
            )
            for item in items:
                printers.setdefault(item.id, item)
            if not items or page >= total_pages or page >= MAX_PAGES:
                return list(printers.values())
            page += 1

    async def printer(self, printer_id: str) -> Printer:
        """Return one printer."""
        return await self._read(
            "/api/v1/printers/{id}",
            lambda body: Printer.from_dict(body, tz=self._tz),
            printer_id,
        )

    async def printer_status(self, printer_id: str) -> PrinterStatus:
        """Return the lightweight status of one printer."""
        return await self._read(
            "/api/v1/printers/{id}/status",
            lambda body: PrinterStatus.from_dict(body, tz=self._tz),
            printer_id,
        )

    async def pause(self, printer_id: str) -> None:
        """Pause the printer's current job (a write: sent at most once)."""
        await self._control(printer_id, "pause")

    async def resume(self, printer_id: str) -> None:
        """Resume the printer's paused job (a write: sent at most once)."""
        await self._control(printer_id, "resume")

    async def stop(self, printer_id: str) -> None:
        """Stop the printer's current job (a write: sent at most once)."""
        await self._control(printer_id, "stop")

    async def thumbnail(self, printer_id: str) -> Image | None:
        """Return the current job's thumbnail, or None when there is none.

        Raises :class:`PrinternizerResponseError` when the response is not
        an image or is empty.
        """
        request = self._request(
            "GET", "/api/v1/printers/{id}/thumbnail", printer_id
        ).for_images()
        return await self._call(request, lambda r: self._thumbnail(request, r))

    # ------------------------------------------------------------------
    # Cameras

    async def camera_status(
        self, printer_id: str, *, spare: bool = False, wait: bool = True
    ) -> CameraStatus:
        """Return what the server knows of the printer's cameras.

        With ``spare`` the call only uses the shared budget while it is full,
        so it never delays another call; otherwise it raises
        :class:`PrinternizerRateLimitError` (with ``retry_after``) unsent.
        Without ``wait`` it takes any token the budget holds now, and is
        refused the same way when there is none. Either makes one attempt:
        it is never retried.
        """
        request = self._request(
            "GET", "/api/v1/printers/{id}/camera/status", printer_id
        )
        self._without_waiting(request, spare=spare, wait=wait)
        return await self._call(
            request,
            lambda r: CameraStatus.from_dict(self._json(request, r), tz=self._tz),
        )

    async def camera_frame(self, printer_id: str, *, external: bool = False) -> Image:
        """Return the current frame of the printer's camera (or external webcam).

        Never retried, and given up after :data:`FRAME_DEADLINE`: a late
        frame is useless. Frames have a budget of their own (by default 5 at
        once and 20 in any minute) and take from the shared budget only while
        that leaves :data:`FRAME_RESERVE` tokens for status polls; when
        either has no room the call raises :class:`PrinternizerRateLimitError`
        (with ``retry_after``) at once, without sending anything, so the
        caller can show its last frame.

        Raises :class:`PrinternizerNoFrameError` when the camera has no
        picture (the server's 503) and :class:`PrinternizerRequestError` when
        the printer has no such camera (400).
        """
        route = (
            "/api/v1/printers/{id}/camera/external-preview"
            if external
            else "/api/v1/printers/{id}/camera/preview"
        )
        request = self._request("GET", route, printer_id).for_images()
        request.budget = _Budget.FRAMES
        request.policy = _FRAME_POLICY
        return await self._call(request, lambda r: self._frame(request, r))

    async def camera_stream_url(self, printer_id: str) -> str | None:
        """Return where the printer's live stream is, or None when it has none.

        The server answers with a redirect to the printer's own stream, which
        is not followed. The URL may hold the printer's credentials (e.g.
        ``rtsps://user:code@host/...``): keep it out of logs and errors.
        """
        request = self._request(
            "GET", "/api/v1/printers/{id}/camera/stream", printer_id
        )
        request.follow_redirects = False
        request.limit = _REDIRECT_BYTES
        return await self._call(request, lambda r: self._stream_url(request, r))

    async def take_snapshot(self, printer_id: str) -> Snapshot:
        """Have the server take and store a snapshot (a write: sent at most once).

        Raises :class:`PrinternizerServerError` with status 503 when the
        camera had no picture.
        """
        request = self._request(
            "POST",
            "/api/v1/printers/{id}/camera/snapshot",
            printer_id,
            body={"printer_id": printer_id, "capture_trigger": "manual"},
        )
        return await self._call(
            request,
            lambda r: Snapshot.from_dict(self._json(request, r), tz=self._tz),
        )

    async def snapshots(
        self,
        printer_id: str,
        *,
        limit: int = 10,
        spare: bool = False,
        wait: bool = True,
    ) -> list[Snapshot]:
        """Return the printer's stored snapshots, newest first (at most ``limit``).

        ``spare`` and ``wait`` as for :meth:`camera_status`.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        request = self._request(
            "GET",
            "/api/v1/printers/{id}/snapshots",
            printer_id,
            query={"limit": str(limit)},
        )
        self._without_waiting(request, spare=spare, wait=wait)
        return await self._call(
            request,
            lambda r: Snapshot.list_from(self._json(request, r), tz=self._tz)[:limit],
        )

    async def snapshot_image(self, snapshot_id: int) -> Image:
        """Return a stored snapshot's image."""
        if isinstance(snapshot_id, bool) or not isinstance(snapshot_id, int):
            raise TypeError("snapshot_id must be an int")
        request = self._request(
            "GET",
            "/api/v1/printers/snapshots/{id}/download",
            str(snapshot_id),
            ident_name="snapshot_id",
        ).for_images()
        return await self._call(request, lambda r: self._image(request, r))

    # ------------------------------------------------------------------
    # Fleet statistics

    async def analytics_summary(self, *, since: date | None = None) -> AnalyticsSummary:
        """Return job counts, print time, material and cost of the jobs since a day.

        Without ``since`` the server counts the last 30 days only.
        """
        return await self._read(
            "/api/v1/analytics/summary",
            AnalyticsSummary.from_dict,
            query=None if since is None else {"start_date": since.isoformat()},
        )

    async def materials_stats(self) -> MaterialStats:
        """Return the material inventory's statistics."""
        return await self._read("/api/v1/materials/stats", MaterialStats.from_dict)

    async def trending_statistics(self) -> TrendingStatistics:
        """Return the trending statistics.

        Current servers do not serve this route and the call raises
        :class:`PrinternizerNotFoundError`.
        """
        return await self._read(
            "/api/v1/trending/statistics",
            lambda body: TrendingStatistics.from_dict(body, tz=self._tz),
        )

    # ------------------------------------------------------------------
    # Library

    async def library_files(
        self, *, search: str | None = None, limit: int = 50
    ) -> list[LibraryFile]:
        """Return up to ``limit`` library files, newest first, fetching pages.

        ``search`` matches file names; the server needs at least two
        characters (``ValueError`` otherwise).
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if search is not None:
            search = search.strip()
            if len(search) < 2:
                raise ValueError("search must be at least 2 characters")
        per_page = min(limit, LIBRARY_PAGE_LIMIT)
        files: dict[str, LibraryFile] = {}
        page = 1
        while True:
            query = {"page": str(page), "limit": str(per_page)}
            if search is not None:
                query["search"] = search
            request = self._request("GET", "/api/v1/library/files", query=query)
            items, more = await self._call(
                request, functools.partial(self._library_page, request, page)
            )
            for item in items:
                files.setdefault(item.checksum, item)
            if not items or not more or len(files) >= limit or page >= MAX_PAGES:
                return list(files.values())[:limit]
            page += 1

    async def print_library_file(self, checksum: str, printer_id: str) -> None:
        """Upload a library file to a printer and start printing it.

        A write, sent at most once, given :data:`PRINT_FILE_DEADLINE`: the
        server uploads the file before it answers. The error keeps the
        server's ``error_code`` and ``message``: a
        :class:`PrinternizerRequestError` (400) for a file that is not
        printable, :class:`PrinternizerNotFoundError` for an unknown file
        (``LIBRARY_ITEM_NOT_FOUND``) or printer, and
        :class:`PrinternizerServerError` (502) when the printer refused the
        upload or the start.
        """
        if not printer_id:
            raise ValueError("printer_id must not be empty")
        request = self._request(
            "POST",
            "/api/v1/library/files/{checksum}/print",
            checksum,
            ident_name="checksum",
            body={"printer_id": printer_id},
        )
        request.policy = replace(request.policy, deadline=PRINT_FILE_DEADLINE)
        # No read timeout: nothing arrives while the server uploads the file.
        request.timeout = aiohttp.ClientTimeout(
            total=None, connect=ATTEMPT_TIMEOUT.connect, sock_read=None
        )
        await self._call(request, lambda r: self._success(request, r))

    # ------------------------------------------------------------------
    # Parsing helpers

    async def _learn_zone(self, name: str | None) -> None:
        if name == self._zone_source:
            return
        self._zone_source = name
        zone = await asyncio.to_thread(_load_zone, name) if name else None
        if zone is None:
            _LOGGER.debug(
                "The server's time zone %r is unknown; reading its timestamps as UTC",
                name[:64] if name else name,
            )
            zone = UTC
        self._tz = zone

    async def _read[T](
        self,
        route: str,
        parse: Callable[[Any], T],
        printer_id: str | None = None,
        *,
        query: Mapping[str, str] | None = None,
    ) -> T:
        """GET a JSON route and parse its decoded body."""
        request = self._request("GET", route, printer_id, query=query)
        return await self._call(
            request, lambda reply: parse(self._json(request, reply))
        )

    def _without_waiting(self, request: _Request, *, spare: bool, wait: bool) -> None:
        """Send `request` in one attempt, with a spare or an available token."""
        if spare:
            request.budget = _Budget.SPARE
        elif not wait:
            request.budget = _Budget.AVAILABLE
        else:
            return
        request.policy = replace(request.policy, max_attempts=1)

    async def _control(self, printer_id: str, action: str) -> None:
        request = self._request("POST", f"/api/v1/printers/{{id}}/{action}", printer_id)
        await self._call(request, lambda r: self._success(request, r))

    def _success(self, request: _Request, reply: _Reply) -> None:
        body = self._json(request, reply)
        if not isinstance(body, Mapping):
            raise PrinternizerResponseError(
                f"{request.name}: expected object, got {type(body).__name__}"
            )

    def _printer_page(
        self, request: _Request, reply: _Reply
    ) -> tuple[list[Printer], int]:
        body = self._json(request, reply)
        if not isinstance(body, Mapping):
            raise PrinternizerResponseError(
                f"printers: expected object, got {type(body).__name__}"
            )
        raw = body.get("printers")
        if not isinstance(raw, list):
            raise PrinternizerResponseError(
                f"printers.printers: expected array, got {type(raw).__name__}"
            )
        items = [
            Printer.from_dict(item, tz=self._tz, path=f"printers.printers[{index}]")
            for index, item in enumerate(raw)
        ]
        return items, _total_pages(body)

    def _library_page(
        self, request: _Request, page: int, reply: _Reply
    ) -> tuple[list[LibraryFile], bool]:
        body = self._json(request, reply)
        if not isinstance(body, Mapping):
            raise PrinternizerResponseError(
                f"library_files: expected object, got {type(body).__name__}"
            )
        raw = body.get("files")
        if not isinstance(raw, list):
            raise PrinternizerResponseError(
                f"library_files.files: expected array, got {type(raw).__name__}"
            )
        items = [
            LibraryFile.from_dict(
                item, tz=self._tz, path=f"library_files.files[{index}]"
            )
            for index, item in enumerate(raw)
        ]
        return items, page < _total_pages(body)

    def _thumbnail(self, request: _Request, reply: _Reply) -> Image | None:
        if reply.status == 404:
            code, _, _ = _envelope(reply.body)
            if code == "FILE_NOT_FOUND":
                return None
        return self._image(request, reply)

    def _frame(self, request: _Request, reply: _Reply) -> Image:
        # A 503 here is the server's "no frame", not an overload.
        self._raise_for_status(request, reply, unavailable=PrinternizerNoFrameError)
        return self._image(request, reply)

    def _image(self, request: _Request, reply: _Reply) -> Image:
        self._raise_for_status(request, reply)
        content_type = (
            reply.headers.get("Content-Type", "").partition(";")[0].strip().lower()
        )
        if not content_type.startswith("image/"):
            raise PrinternizerResponseError(
                f"{request.name}: expected an image, got "
                f"{self._scrub(content_type) or 'no content type'}",
                status=reply.status,
            )
        if not reply.body:
            raise PrinternizerResponseError(
                f"{request.name}: empty image", status=reply.status
            )
        return Image(content=reply.body, content_type=content_type)

    def _stream_url(self, request: _Request, reply: _Reply) -> str | None:
        # The location may hold the printer's credentials: it never goes
        # into an error text or a log line.
        if reply.status in _REDIRECTS:
            location = reply.headers.get("Location", "").strip()
            try:
                url = URL(location)
            except ValueError:
                url = None
            if not location or url is None:
                raise PrinternizerResponseError(
                    f"{request.name}: redirect without a usable location",
                    status=reply.status,
                )
            return location if url.is_absolute() else str(self._base.join(url))
        if reply.status in (404, 503):
            return None
        self._raise_for_status(request, reply)
        raise PrinternizerResponseError(
            f"{request.name}: expected a redirect, got HTTP {reply.status}",
            status=reply.status,
        )

    def _json(self, request: _Request, reply: _Reply) -> Any:
        self._raise_for_status(request, reply)
        try:
            return json.loads(reply.body)
        except ValueError:
            raise PrinternizerResponseError(
                f"{request.name}: response is not JSON", status=reply.status
            ) from None

    def _raise_for_status(
        self,
        request: _Request,
        reply: _Reply,
        *,
        unavailable: type[PrinternizerServerError] = PrinternizerServerError,
    ) -> None:
        status = reply.status
        if 200 <= status < 300:
            return
        code, message, body_retry_after = _envelope(reply.body)
        text = f"{request.name}: HTTP {status}"
        if code:
            text += f" {code}"
        if status in (401, 403):
            raise PrinternizerAuthenticationError(
                f"{text}: credentials refused", status=status, error_code=code
            )
        if message:
            message = self._scrub(message)
            text += f": {message}"
        if status == 404:
            raise PrinternizerNotFoundError(
                text, status=status, error_code=code, message=message
            )
        if status == 429:
            retry_after = self._retry_after(reply.headers)
            raise PrinternizerRateLimitError(
                text,
                retry_after=retry_after
                if retry_after is not None
                else body_retry_after,
                status=status,
                error_code=code,
                message=message,
            )
        if status >= 500:
            error = unavailable if status == 503 else PrinternizerServerError
            raise error(text, status=status, error_code=code, message=message)
        if status >= 400:
            raise PrinternizerRequestError(
                text, status=status, error_code=code, message=message
            )
        raise PrinternizerResponseError(
            f"{request.name}: unexpected HTTP {status}", status=status
        )

    def _retry_after(self, headers: Mapping[str, str]) -> float | None:
        value = headers.get("Retry-After")
        if value is None:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except TypeError, ValueError:
                return None
            seconds = (when - self._wall_clock()).total_seconds()
        return max(0.0, seconds)

    def _scrub(self, text: str) -> str:
        text = _USERINFO_RE.sub("", text)
        for secret in self._secrets:
            text = text.replace(secret, "***")
        if len(text) > _MESSAGE_LIMIT:
            text = text[: _MESSAGE_LIMIT - 1] + "…"
        return text

    # ------------------------------------------------------------------
    # The request path

    def _request(
        self,
        method: str,
        route: str,
        ident: str | None = None,
        *,
        ident_name: str = "printer_id",
        query: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> _Request:
        """Build a request for ``route``, its ``{...}`` segment set to ``ident``.

        Reads follow the read policy, every other method the write policy;
        health checks are exempt from the budget.
        """
        segments = route.strip("/").split("/")
        if ident is not None:
            if not ident:
                raise ValueError(f"{ident_name} must not be empty")
            segments = [ident if seg.startswith("{") else seg for seg in segments]
        url = self._base.joinpath(
            *(quote(segment, safe="") for segment in segments), encoded=True
        )
        return _Request(
            method,
            route,
            url,
            policy=self._retry if method == "GET" else self._write_retry,
            limit=MAX_JSON_BYTES,
            budget=(
                _Budget.EXEMPT if route.startswith(_HEALTH_PATH) else _Budget.SHARED
            ),
            query=query,
            headers={"Accept": "application/json", **self._auth_headers()},
            body=body,
        )

    def _auth_headers(self) -> dict[str, str]:
        if self._authorization is None:
            return {}
        return {"Authorization": self._authorization}

    async def _call[T](self, request: _Request, parse: Callable[[_Reply], T]) -> T:
        task = asyncio.current_task()
        assert task is not None  # always inside a task
        entry = _Inflight(task)
        self._inflight.add(entry)
        try:
            return await self._attempts(request, parse)
        except asyncio.CancelledError:
            if entry.cancelled and task.uncancel() == 0:
                error = PrinternizerCancelledError(f"{request.name}: cancelled")
                self._metrics.note_error(error)
                raise error from None
            raise
        finally:
            self._inflight.discard(entry)

    async def _attempts[T](self, request: _Request, parse: Callable[[_Reply], T]) -> T:
        policy = request.policy
        deadline = self._clock() + policy.deadline
        # Every wait must leave this much of the deadline to the attempt after it.
        reserve = min(1.0, policy.deadline / 4)
        if request.is_print_command:
            wait = self._control_budget.try_take(self._clock())
            if wait:
                error = PrinternizerRateLimitError(
                    "print command budget exhausted", retry_after=wait
                )
                self._metrics.note_error(error)
                raise error
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._take_budget(request, deadline - reserve)
            except PrinternizerRateLimitError:
                if request.is_print_command and attempt == 1:
                    self._control_budget.refund()
                raise
            remaining = max(deadline - self._clock(), 0.001)
            self._metrics.attempt(request.route)
            try:
                result = parse(await self._send(request, remaining))
            except PrinternizerNotFoundError, PrinternizerNoFrameError:
                # The server answered: it has no such thing, or no picture.
                # Absence is information, not a failed request, and is never
                # retried.
                self._metrics.answered()
                raise
            except PrinternizerError as err:
                self._metrics.attempt_failed(request.route, err)
                if isinstance(err, PrinternizerRateLimitError):
                    self._metrics.rate_limited += 1
                delay = self._retry_delay(err, attempt, policy, deadline - reserve)
                if delay is None:
                    raise
                self._metrics.retries += 1
                _LOGGER.debug(
                    "%s: attempt %d failed (%s), retrying in %.2f s",
                    request.name,
                    attempt,
                    err,
                    delay,
                )
                await self._sleep(delay)
                continue
            self._metrics.success(self._wall_clock())
            return result

    async def _take_budget(self, request: _Request, latest: float) -> None:
        """Take what one attempt needs from the budgets, or raise unsent.

        A refused camera frame or spare request is routine (the caller shows
        its last frame, or asks again later), so it is not remembered as the
        last error.
        """
        if request.budget is _Budget.EXEMPT:
            return
        if request.budget is _Budget.SHARED:
            try:
                await self._budget.acquire(self._clock, self._sleep, latest)
            except PrinternizerRateLimitError as err:
                self._metrics.note_error(err)
                raise
            return
        now = self._clock()
        if request.budget is _Budget.SPARE:
            wait = self._budget.try_take(now, reserve=self._budget.burst - 1)
            if wait:
                raise PrinternizerRateLimitError(
                    "request budget has nothing to spare", retry_after=wait
                )
            return
        if request.budget is _Budget.AVAILABLE:
            wait = self._budget.try_take(now)
            if wait:
                raise PrinternizerRateLimitError(
                    "request budget exhausted for now", retry_after=wait
                )
            return
        wait = self._camera_budget.try_take(now)
        if wait:
            raise PrinternizerRateLimitError(
                "camera frame budget exhausted", retry_after=wait
            )
        wait = self._budget.try_take(now, reserve=FRAME_RESERVE)
        if wait:
            self._camera_budget.refund()
            raise PrinternizerRateLimitError(
                "request budget kept for status polls", retry_after=wait
            )

    def _retry_delay(
        self,
        err: PrinternizerError,
        attempt: int,
        policy: RetryPolicy,
        latest: float,
    ) -> float | None:
        """Return the wait before the next attempt, or None not to retry."""
        if attempt >= policy.max_attempts or not _retryable(err, policy):
            return None
        delay = self._random() * policy.backoff_cap(attempt)
        if isinstance(err, PrinternizerRateLimitError) and err.retry_after is not None:
            delay = max(delay, err.retry_after)
        if self._clock() + delay > latest:
            return None
        return delay

    async def _send(self, request: _Request, remaining: float) -> _Reply:
        limits = request.timeout or ATTEMPT_TIMEOUT
        timeout = aiohttp.ClientTimeout(
            total=min(limits.total or remaining, remaining),
            connect=limits.connect,
            sock_read=limits.sock_read,
        )
        options: dict[str, Any] = {}
        if request.body is not None:
            options["json"] = request.body
        try:
            async with self._session.request(
                request.method,
                request.url,
                params=request.query,
                headers=request.headers,
                timeout=timeout,
                allow_redirects=request.follow_redirects,
                **options,
            ) as response:
                body = await _read_body(response, request)
                return _Reply(response.status, response.headers, body)
        except TimeoutError as err:
            raise PrinternizerTimeoutError(f"{request.name}: timed out") from err
        except (aiohttp.ClientError, OSError) as err:
            detail = self._scrub(str(err)) or type(err).__name__
            error = (
                PrinternizerUnreachableError
                if isinstance(err, aiohttp.ClientConnectorError)
                else PrinternizerConnectionError
            )
            raise error(f"{request.name}: {detail}") from err


async def _read_body(response: aiohttp.ClientResponse, request: _Request) -> bytes:
    """Read the body, refusing one larger than the request's limit unread."""
    limit = request.limit
    declared = response.content_length
    if declared is not None and declared > limit:
        raise _too_large(request, response.status)
    body = bytearray()
    async for chunk in response.content.iter_any():
        body += chunk
        if len(body) > limit:
            raise _too_large(request, response.status)
    return bytes(body)


def _too_large(request: _Request, status: int) -> PrinternizerResponseError:
    return PrinternizerResponseError(
        f"{request.name}: response larger than {_size(request.limit)}", status=status
    )


def _total_pages(body: Mapping[str, Any]) -> int:
    """Return a listing's page count; 1 when the server did not say."""
    pagination = body.get("pagination")
    if isinstance(pagination, Mapping):
        value = pagination.get("total_pages")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 1


def _retryable(err: PrinternizerError, policy: RetryPolicy) -> bool:
    if not policy.idempotent:
        # Only a request that never left may be sent again.
        return isinstance(err, PrinternizerUnreachableError)
    if isinstance(err, PrinternizerUnreachableError):
        # Nothing listens: a server takes longer than a backoff to start, and the
        # next poll asks again anyway.
        return False
    if isinstance(err, PrinternizerConnectionError):
        return True
    if isinstance(err, PrinternizerRateLimitError):
        return True
    return (
        isinstance(err, PrinternizerServerError)
        and err.status in RETRY_STATUSES
        # The printer, not the server, is unreachable: retrying will not help.
        and err.error_code != "PRINTER_CONNECTION"
    )


def _envelope(body: bytes) -> tuple[str | None, str | None, float | None]:
    """Return the error code, message and retry-after of an error body."""
    try:
        data = json.loads(body)
    except ValueError:
        return None, None, None
    if not isinstance(data, Mapping):
        return None, None, None
    code = data.get("error_code")
    message = data.get("message")
    if message is None:
        message = data.get("detail")
    details = data.get("details")
    retry_after = (
        details.get("retry_after_seconds") if isinstance(details, Mapping) else None
    )
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else None,
        float(retry_after)
        if isinstance(retry_after, int | float) and not isinstance(retry_after, bool)
        else None,
    )


__all__ = [
    "ATTEMPT_TIMEOUT",
    "CAMERA_FRAMES_PER_MINUTE",
    "CAMERA_FRAME_BURST",
    "FRAME_DEADLINE",
    "FRAME_RESERVE",
    "MAX_IMAGE_BYTES",
    "MAX_JSON_BYTES",
    "PRINT_FILE_DEADLINE",
    "WRITE_DEADLINE",
    "PrinternizerClient",
]
