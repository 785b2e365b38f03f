"""The Printernizer REST client.

Every call goes through :meth:`PrinternizerClient._call`, which applies, in
order: the request budget, the per-attempt timeouts, retries with backoff
inside the call's deadline, and the metrics. Nothing is logged above debug.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
import email.utils
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

from .events import EventStream, authorization_header, http_url
from .exceptions import (
    PrinternizerAuthenticationError,
    PrinternizerCancelledError,
    PrinternizerConnectionError,
    PrinternizerError,
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
    Printer,
    PrinterStatus,
    PrinterStatusEvent,
    ServerHealth,
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
#: Upper bound on pages fetched for one listing, against a looping server.
MAX_PAGES = 100

_HEALTH_PATH = "/api/v1/health"
_MESSAGE_LIMIT = 200
_USERINFO_RE = re.compile(r"(?<=://)[^/@\s]+@")


@dataclass(slots=True)
class _Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(slots=True, eq=False)
class _Inflight:
    task: asyncio.Task[Any]
    cancelled: bool = False


@dataclass(slots=True)
class _Request:
    method: str
    route: str
    url: URL
    query: Mapping[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.method} {self.route}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _load_zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError, ValueError:
        return None


class PrinternizerClient:
    """Talks to one Printernizer server over an injected aiohttp session.

    The session is never closed by the client. ``auth`` (HTTP basic) and
    ``token`` (a Bearer header) are only for a reverse proxy in front of the
    server, which has no authentication of its own; credentials in the URL's
    userinfo are used as ``auth`` and removed from the URL.

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
        budget: RequestBudget | None = None,
        auth: aiohttp.BasicAuth | None = None,
        token: str | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        wall_clock: Callable[[], datetime] = _utc_now,
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
        self._budget = budget or RequestBudget()
        # The server refills print commands (POSTs under /api/v1/printers) at
        # 10/min per client; a command is refused at once rather than queued.
        self._control_budget = RequestBudget(per_minute=10, burst=10)
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

        UTC until :meth:`system_info` reported a valid zone.
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
    # Endpoints

    async def health(self) -> ServerHealth:
        """Return the server's health report (exempt from the budget).

        Raises :class:`PrinternizerResponseError` when the body is not a
        Printernizer health report.
        """
        request = self._request("GET", _HEALTH_PATH)
        return await self._call(
            request,
            lambda r: ServerHealth.from_dict(self._json(request, r), tz=self._tz),
        )

    async def system_info(self) -> SystemInfo:
        """Return system information and learn the server's time zone."""
        request = self._request("GET", "/api/v1/system/info")
        info = await self._call(
            request, lambda r: SystemInfo.from_dict(self._json(request, r))
        )
        if info.timezone:
            zone = await asyncio.to_thread(_load_zone, info.timezone)
            if zone is not None:
                self._tz = zone
        return info

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
        request = self._request("GET", "/api/v1/printers/{id}", printer_id)
        return await self._call(
            request, lambda r: Printer.from_dict(self._json(request, r), tz=self._tz)
        )

    async def printer_status(self, printer_id: str) -> PrinterStatus:
        """Return the lightweight status of one printer."""
        request = self._request("GET", "/api/v1/printers/{id}/status", printer_id)
        return await self._call(
            request,
            lambda r: PrinterStatus.from_dict(self._json(request, r), tz=self._tz),
        )

    async def pause(self, printer_id: str) -> None:
        """Pause the printer's current job."""
        await self._control(printer_id, "pause")

    async def resume(self, printer_id: str) -> None:
        """Resume the printer's paused job."""
        await self._control(printer_id, "resume")

    async def stop(self, printer_id: str) -> None:
        """Stop the printer's current job."""
        await self._control(printer_id, "stop")

    async def update_check(self) -> UpdateCheck:
        """Return the server's update check (it asks GitHub on every call)."""
        request = self._request("GET", "/api/v1/update-check")
        return await self._call(
            request, lambda r: UpdateCheck.from_dict(self._json(request, r))
        )

    async def trending_statistics(self) -> TrendingStatistics:
        """Return the trending statistics.

        Current servers do not serve this route and the call raises
        :class:`PrinternizerNotFoundError`.
        """
        request = self._request("GET", "/api/v1/trending/statistics")
        return await self._call(
            request,
            lambda r: TrendingStatistics.from_dict(self._json(request, r), tz=self._tz),
        )

    async def thumbnail(self, printer_id: str) -> bytes | None:
        """Return the current job's thumbnail, or None when there is none."""
        request = self._request("GET", "/api/v1/printers/{id}/thumbnail", printer_id)
        request.headers["Accept"] = "image/*"
        return await self._call(request, lambda r: self._thumbnail(request, r))

    # ------------------------------------------------------------------
    # Parsing helpers

    async def _control(self, printer_id: str, action: str) -> None:
        """Send a print command, within the server's 10 commands a minute.

        A command over that limit raises :class:`PrinternizerRateLimitError`
        (with ``retry_after``) without being sent: a late pause is worse than
        a refused one.
        """
        request = self._request("POST", f"/api/v1/printers/{{id}}/{action}", printer_id)
        now = self._clock()
        self._control_budget.reserve(now, now)
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
        pagination = body.get("pagination")
        total_pages = 1
        if isinstance(pagination, Mapping):
            value = pagination.get("total_pages")
            if isinstance(value, int) and not isinstance(value, bool):
                total_pages = value
        return items, total_pages

    def _thumbnail(self, request: _Request, reply: _Reply) -> bytes | None:
        if reply.status == 404:
            code, _, _ = _envelope(reply.body)
            if code == "FILE_NOT_FOUND":
                return None
        self._raise_for_status(request, reply)
        return reply.body

    def _json(self, request: _Request, reply: _Reply) -> Any:
        self._raise_for_status(request, reply)
        try:
            return json.loads(reply.body)
        except ValueError:
            raise PrinternizerResponseError(
                f"{request.name}: response is not JSON", status=reply.status
            ) from None

    def _raise_for_status(self, request: _Request, reply: _Reply) -> None:
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
            raise PrinternizerNotFoundError(text, status=status, error_code=code)
        if status == 429:
            retry_after = self._retry_after(reply.headers)
            raise PrinternizerRateLimitError(
                text,
                retry_after=retry_after
                if retry_after is not None
                else body_retry_after,
                status=status,
                error_code=code,
            )
        if status >= 500:
            raise PrinternizerServerError(
                text, status=status, error_code=code, message=message
            )
        if status >= 400:
            raise PrinternizerRequestError(text, status=status, error_code=code)
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
        printer_id: str | None = None,
        *,
        query: Mapping[str, str] | None = None,
    ) -> _Request:
        segments = route.strip("/").split("/")
        if printer_id is not None:
            if not printer_id:
                raise ValueError("printer_id must not be empty")
            segments = [printer_id if seg == "{id}" else seg for seg in segments]
        url = self._base.joinpath(
            *(quote(segment, safe="") for segment in segments), encoded=True
        )
        headers = {"Accept": "application/json", **self._auth_headers()}
        return _Request(method, route, url, query, headers)

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
        policy = self._retry
        deadline = self._clock() + policy.deadline
        # Every wait must leave this much of the deadline to the attempt after it.
        reserve = min(1.0, policy.deadline / 4)
        exempt = request.route.startswith(_HEALTH_PATH)
        attempt = 0
        while True:
            attempt += 1
            if not exempt:
                try:
                    await self._budget.acquire(
                        self._clock, self._sleep, deadline - reserve
                    )
                except PrinternizerRateLimitError as err:
                    self._metrics.note_error(err)
                    raise
            remaining = max(deadline - self._clock(), 0.001)
            self._metrics.attempt(request.route)
            try:
                result = parse(await self._send(request, remaining))
            except PrinternizerNotFoundError:
                # The server answered: it has no such printer or feature. Absence
                # is information, not a failed request, and is never retried.
                self._metrics.answered()
                raise
            except PrinternizerError as err:
                self._metrics.attempt_failed(request.route, err)
                if isinstance(err, PrinternizerRateLimitError):
                    self._metrics.rate_limited += 1
                delay = self._retry_delay(err, attempt, deadline - reserve)
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

    def _retry_delay(
        self, err: PrinternizerError, attempt: int, latest: float
    ) -> float | None:
        """Return the wait before the next attempt, or None not to retry."""
        if attempt >= self._retry.max_attempts or not _retryable(err):
            return None
        delay = self._random() * self._retry.backoff_cap(attempt)
        if isinstance(err, PrinternizerRateLimitError) and err.retry_after is not None:
            delay = max(delay, err.retry_after)
        if self._clock() + delay > latest:
            return None
        return delay

    async def _send(self, request: _Request, remaining: float) -> _Reply:
        timeout = aiohttp.ClientTimeout(
            total=min(ATTEMPT_TIMEOUT.total or remaining, remaining),
            connect=ATTEMPT_TIMEOUT.connect,
            sock_read=ATTEMPT_TIMEOUT.sock_read,
        )
        try:
            async with self._session.request(
                request.method,
                request.url,
                params=request.query,
                headers=request.headers,
                timeout=timeout,
            ) as response:
                body = await response.read()
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


def _retryable(err: PrinternizerError) -> bool:
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


__all__ = ["ATTEMPT_TIMEOUT", "PrinternizerClient"]
