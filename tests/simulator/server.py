"""The Printernizer simulator: an aiohttp server that follows the server's contract."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
import fnmatch
import itertools
import json
import logging
import math
import random
import re
import time
from typing import Any, Self

from aiohttp import WSCloseCode, WSMsgType, web

from .common import (
    BARE_RESPONSE_KEY,
    JSON_CONTENT_TYPE,
    PRINTER_STATUSES,
    PRINTER_TYPES,
    SECURITY_HEADERS,
    SERVICE_STATUSES,
    Clocks,
    dumps_ws,
    enum_message,
    error_response,
    internal_error,
    json_response,
    method_not_allowed,
    not_found,
    validation_error,
)
from .faults import GLOB_CHARS, HTTP_KINDS, Fault, FaultKind
from .png import thumbnail_png
from .printers import DEFAULT_NAMES, PrinterActionError, SimPrinter
from .ratelimit import RateLimiter, is_limited_path, retry_after_header

_LOGGER = logging.getLogger(__name__)

CONTROL_PREFIX = "/_simulator"
API = "/api/v1"
DEFAULT_POLL_INTERVAL = 30.0
# Loop iterations a WebSocket close handshake may take before the transport is cut.
_WS_CLOSE_SPINS = 200
_VERSION_RE = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_GATEWAY_TEXT = {502: "Bad Gateway", 504: "Gateway Timeout"}
DEMO_JOBS = (
    "benchy.gcode",
    "calibration_cube.gcode",
    "phone_stand.3mf",
    "cable_clip_x8.gcode",
    "planter_vase.3mf",
    "gridfinity_bin_2x3.gcode",
)


@dataclass(frozen=True)
class RecordedRequest:
    """A request the simulator received (control routes excluded)."""

    method: str
    path: str
    query: dict[str, str]
    time: float
    client: str | None = None
    websocket: bool = False
    authorization: str | None = None


@dataclass
class WsClient:
    """One connected WebSocket client."""

    id: int
    ws: web.WebSocketResponse
    request: web.Request
    subscriptions: set[str] = field(default_factory=set)


def _version_tuple(version: str | None) -> tuple[int, int, int] | None:
    if not version:
        return None
    match = _VERSION_RE.search(version)
    if match is None:
        return None
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


def _glob_match(pattern: str | None, value: str) -> bool:
    if pattern is None:
        return True
    if GLOB_CHARS & set(pattern):
        return fnmatch.fnmatchcase(value, pattern)
    return value == pattern


def default_fleet(count: int) -> list[SimPrinter]:
    """`count` printers alternating Bambu Lab and Prusa, named like real machines."""
    fleet: list[SimPrinter] = []
    for index in range(count):
        printer_type = "bambu_lab" if index % 2 == 0 else "prusa_core"
        names = DEFAULT_NAMES[printer_type]
        position = index // 2
        name = names[position % len(names)]
        if position >= len(names):
            name = f"{name} {position // len(names) + 1}"
        fleet.append(SimPrinter(name, printer_type))
    return fleet


class Simulator:
    """A fake Printernizer server over real sockets that can misbehave on demand.

    Deterministic by default: printers only change through `advance()` and the test's
    own calls, and pushes happen on `poll()`. With `realtime=True` the printers move
    with the clock and the simulator polls and pushes every `poll_interval` seconds.
    """

    def __init__(
        self,
        printers: int | Iterable[SimPrinter] | None = None,
        trending: str = "absent",
        seed: int = 0,
        realtime: bool = False,
        version: str = "2.42.0",
        timezone: str = "Europe/Berlin",
        rate_limit: bool = True,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        clock: Callable[[], float] | None = None,
        environment: str = "production",
        system_info_version: str = "unknown",
        scenario: str | None = None,
        auto_jobs: bool = False,
    ) -> None:
        if trending not in ("absent", "seed"):
            raise ValueError("trending must be 'absent' or 'seed'")
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        self.trending = trending
        self.seed = seed
        self.realtime = realtime
        self.version = version
        self.timezone = timezone
        self.environment = environment
        self.system_info_version = system_info_version
        self.poll_interval = poll_interval
        self.database_size_mb = 0.77
        # Realtime only: idle printers start new jobs now and then on a poll.
        self.auto_jobs = auto_jobs
        self._clock = clock
        self._rng = random.Random(seed)
        self.clocks = Clocks(timezone)
        self.rate_limiter = RateLimiter(self.now)
        self.rate_limiter.enabled = rate_limit

        self.printers: dict[str, SimPrinter] = {}
        self._printer_index = 0
        if printers is None:
            printers = 2
        fleet = default_fleet(printers) if isinstance(printers, int) else list(printers)
        for printer in fleet:
            self.add_printer(printer)

        self.services: dict[str, dict[str, Any]] = {}
        for name in ("database", "printer_service", "file_service"):
            self.add_service(name, "healthy")
        if trending == "seed":
            self.add_service("trending_service", "healthy")
        else:
            self.add_service("trending_service", "disabled")
        self.add_service("event_service", "healthy")
        self.health_error: str | None = None

        self.update_check: dict[str, Any] = {}
        self.set_update_check(latest_version=version)

        self.faults: list[Fault] = []
        self.requests: list[RecordedRequest] = []
        self.request_received = asyncio.Event()

        self.host = "127.0.0.1"
        self._port = 0
        self._runner: web.AppRunner | None = None
        self._ws_clients: dict[int, WsClient] = {}
        self._ws_ids = itertools.count(1)
        self._ws_changed = asyncio.Event()
        self._held: set[asyncio.Future[str]] = set()
        self._accepting = False
        self._background: set[asyncio.Task[Any]] = set()
        self._poll_task: asyncio.Task[None] | None = None
        self._started_at = 0.0
        self._last_sync: float | None = None
        self.sim_time = 0.0
        self._trending_reads = 0
        self._trending_base = {
            "cached": 140 + self._rng.randrange(20),
            "requests": 40 + self._rng.randrange(10),
            "hits": 1200 + self._rng.randrange(100),
        }
        if scenario is not None:
            from .scenarios import apply_scenario

            apply_scenario(self, scenario)

    # ================================================================ clock
    def now(self) -> float:
        """Return the simulator's clock: the injected one, else the running loop's."""
        if self._clock is not None:
            return self._clock()
        try:
            return asyncio.get_running_loop().time()
        except RuntimeError:
            return time.monotonic()

    # ============================================================ lifecycle
    @property
    def port(self) -> int:
        """The TCP port (known after `start()`)."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:8000."""
        return f"http://{self.host}:{self._port}"

    @property
    def ws_url(self) -> str:
        """The WebSocket URL."""
        return f"ws://{self.host}:{self._port}/ws"

    @property
    def is_up(self) -> bool:
        """Whether the server is listening."""
        return self._runner is not None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind and start serving; port 0 picks a free port."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        self.host = host
        self._port = port
        # The server has polled every connected printer once by the time it answers.
        self._last_sync = self.now()
        stamp = self.clocks.ts()
        for printer in self.printers.values():
            if printer.connected:
                printer.on_poll(stamp)
        await self.come_up()

    async def stop(self) -> None:
        """Stop listening, release held requests and close WebSocket connections."""
        current = asyncio.current_task()
        for task in list(self._background):
            if task is not current:
                task.cancel()
        await self.go_down()
        pending = [task for task in self._background if task is not current]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def go_down(self) -> None:
        """Stop listening (connections are refused) and drop every connection."""
        await self._stop_poll_loop()
        runner, self._runner = self._runner, None
        if runner is None:
            return
        # From here on, requests still arriving are cut off instead of being served.
        self._accepting = False
        for waiter in list(self._held):
            if not waiter.done():
                waiter.set_result("shutdown")
        self._held.clear()
        for fault in self.faults:
            fault.release("shutdown")
        await self.drop_websockets(code=WSCloseCode.SERVICE_RESTART)
        await runner.cleanup()

    async def come_up(self) -> None:
        """Listen again on the same port, with a fresh rate limiter and uptime."""
        if self._runner is not None:
            return
        app = self._make_app()
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=5.0
        )
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._port, reuse_address=True)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._accepting = True
        if self._port == 0:
            self._port = int(runner.addresses[0][1])
        self.rate_limiter.reset()
        self._started_at = self.now()
        if self.realtime:
            self._poll_task = asyncio.create_task(
                self._poll_loop(), name="printernizer-sim-poll"
            )

    async def restart(self, down_for: float = 0) -> None:
        """Go down, stay down for `down_for` seconds, then listen on the same port."""
        await self.go_down()
        await asyncio.sleep(down_for)
        await self.come_up()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ============================================================= services
    def _default_details(self, name: str, status: str) -> dict[str, Any]:
        if name == "database":
            return {"connected": status != "unhealthy"}
        if name == "printer_service":
            # The server reads a non-existent attribute: always 0 / false.
            return {"printer_count": 0, "monitoring_active": False}
        if name == "trending_service":
            if status == "disabled":
                return {"reason": "temporarily disabled"}
            return {"http_session_active": status == "healthy"}
        if status == "healthy":
            return {"initialized": True}
        if status == "disabled":
            return {"reason": "disabled"}
        return {"error": f"{name} is {status}"}

    def add_service(
        self, name: str, status: str = "healthy", details: dict[str, Any] | None = None
    ) -> None:
        """Add (or replace) a service in the health report."""
        if status not in SERVICE_STATUSES:
            raise ValueError(f"service status must be one of {SERVICE_STATUSES}")
        entry: dict[str, Any] = {"status": status}
        if name == "database":
            entry["type"] = "sqlite"
        entry["details"] = (
            details if details is not None else self._default_details(name, status)
        )
        self.services[name] = entry

    def set_service_status(
        self, name: str, status: str, details: dict[str, Any] | None = None
    ) -> None:
        """Change a service's status (and details); the overall status follows."""
        if name not in self.services:
            raise KeyError(f"unknown service {name!r}; use add_service()")
        self.add_service(name, status, details)

    def remove_service(self, name: str) -> None:
        """Remove a service from the health report."""
        self.services.pop(name, None)

    @property
    def overall_status(self) -> str:
        """Overall health (healthy/degraded/unhealthy), computed as the server does."""
        statuses = [
            entry["status"]
            for entry in self.services.values()
            if entry["status"] != "disabled"
        ]
        if all(status == "healthy" for status in statuses):
            return "healthy"
        if any(status == "unhealthy" for status in statuses):
            return "unhealthy"
        return "degraded"

    def set_update_check(
        self,
        *,
        latest_version: str | None = None,
        check_failed: bool = False,
        error_message: str | None = None,
        release_url: str | None = None,
    ) -> None:
        """Configure what /api/v1/update-check reports."""
        current = _version_tuple(self.version)
        latest = _version_tuple(latest_version)
        if latest_version and release_url is None:
            release_url = f"https://github.com/schmacka/printernizer/releases/tag/v{latest_version}"
        self.update_check = {
            "current_version": self.version,
            "latest_version": latest_version,
            "update_available": bool(current and latest and latest > current),
            "release_url": release_url,
            "check_failed": check_failed,
            "error_message": error_message,
        }

    # ============================================================= printers
    def add_printer(self, printer: SimPrinter) -> SimPrinter:
        """Add a printer (ids and secrets filled in when missing)."""
        printer.fill_missing(self._rng, self._printer_index)
        self._printer_index += 1
        if printer.id in self.printers:
            raise ValueError(f"duplicate printer id {printer.id!r}")
        self.printers[printer.id] = printer
        return printer

    def remove_printer(self, printer_id: str) -> SimPrinter:
        """Remove a printer from the fleet."""
        return self.printers.pop(printer_id)

    def printer(self, index_or_id: int | str) -> SimPrinter:
        """Return a printer by position in the fleet or by id."""
        if isinstance(index_or_id, int):
            return list(self.printers.values())[index_or_id]
        return self.printers[index_or_id]

    @property
    def secrets(self) -> list[str]:
        """Every secret string in the fleet (API keys, access codes, serial numbers)."""
        return [secret for p in self.printers.values() for secret in p.secrets]

    def advance(self, seconds: float) -> None:
        """Move simulated time forward: jobs progress, temperatures move."""
        if seconds <= 0:
            return
        self.sim_time += seconds
        for printer in self.printers.values():
            printer.advance(seconds)

    def _sync_realtime(self) -> None:
        if not self.realtime:
            return
        now = self.now()
        if self._last_sync is None:
            self._last_sync = now
            return
        elapsed, self._last_sync = now - self._last_sync, now
        self.advance(elapsed)

    async def poll(self, printer_id: str | None = None) -> int:
        """Poll printer(s) now as the server does and push `printer_status`.

        Offline printers are skipped. Returns the number of messages sent.
        """
        self._sync_realtime()
        if printer_id is None:
            targets = list(self.printers.values())
        else:
            targets = [self.printers[printer_id]]
        sent = 0
        for printer in targets:
            if not printer.connected:
                continue
            printer.on_poll(self.clocks.ts())
            sent += await self._push_printer_status(printer)
        return sent

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                if self.auto_jobs:
                    self.start_random_jobs()
                await self.poll()
            except Exception:
                _LOGGER.exception("simulated poll failed")

    def start_random_jobs(self, chance: float = 0.25) -> list[SimPrinter]:
        """Let some idle, connected printers start a job (seeded, so repeatable)."""
        started = []
        for printer in self.printers.values():
            if printer.phase != "idle" or not printer.connected or printer.unreachable:
                continue
            if self._rng.random() >= chance:
                continue
            printer.start_job(
                self._rng.choice(DEMO_JOBS), duration_minutes=self._rng.randint(5, 90)
            )
            started.append(printer)
        return started

    async def _stop_poll_loop(self) -> None:
        task, self._poll_task = self._poll_task, None
        if task is None or task is asyncio.current_task():
            return
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            if (current := asyncio.current_task()) and current.cancelling():
                raise

    # =============================================================== faults
    def fault(
        self,
        kind: FaultKind | str,
        *,
        path: str | None = None,
        method: str | None = None,
        count: int | None = None,
        status: int = 503,
        delay: float = 0,
        retry_after: float = 1,
        body: Any = None,
    ) -> Fault:
        """Inject a fault; see `FaultKind`. The newest matching fault wins."""
        fault = Fault(
            FaultKind(str(kind).lower()),
            path=path,
            method=method,
            count=count,
            status=status,
            delay=delay,
            retry_after=retry_after,
            body=body,
            on_clear=self._forget_fault,
        )
        self.faults.append(fault)
        if fault.kind is FaultKind.WS_DROP and _glob_match(path, "/ws"):
            for client in list(self._ws_clients.values()):
                if not fault.active:
                    break
                fault.record_hit()
                self._spawn(self._close_ws(client, WSCloseCode.GOING_AWAY))
        return fault

    def clear_faults(self) -> None:
        """Remove every fault and release the requests they hold."""
        for fault in list(self.faults):
            fault.clear()
        self.faults.clear()

    def _forget_fault(self, fault: Fault) -> None:
        if fault in self.faults:
            self.faults.remove(fault)

    def _find_fault(
        self, kinds: Iterable[FaultKind], method: str, path: str
    ) -> Fault | None:
        kinds = frozenset(kinds)
        for fault in reversed(self.faults):
            if fault.kind in kinds and fault.matches(method, path):
                return fault
        return None

    def _ws_fault(self, kind: FaultKind) -> Fault | None:
        return self._find_fault((kind,), "GET", "/ws")

    async def _hold(self, fault: Fault, delay: float | None) -> str:
        """Hold a request until the fault is cleared, `delay` passes or shutdown."""
        if not self._accepting:
            return "shutdown"
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[str] = loop.create_future()
        handle = (
            loop.call_later(delay, _resolve, waiter, "elapsed")
            if delay is not None
            else None
        )
        fault.add_waiter(waiter)
        self._held.add(waiter)
        try:
            return await waiter
        finally:
            if handle is not None:
                handle.cancel()
            fault.discard_waiter(waiter)
            self._held.discard(waiter)

    async def _apply_http_fault(
        self, fault: Fault, request: web.Request
    ) -> web.StreamResponse | None:
        """Return the faulty response, or None to continue with the normal one."""
        fault.record_hit()
        kind = fault.kind
        if kind is FaultKind.HANG or kind is FaultKind.SLOW:
            outcome = await self._hold(
                fault, fault.delay if kind is FaultKind.SLOW else None
            )
            if outcome == "shutdown":
                return _drop(request)
            return None
        if kind is FaultKind.RESET:
            return _drop(request)
        if kind is FaultKind.STATUS:
            return self._status_response(fault.status, request.path)
        if kind is FaultKind.MALFORMED:
            body = (
                fault.body if fault.body is not None else '{"status": "healthy", "tim'
            )
            raw = body.encode() if isinstance(body, str) else bytes(body)
            return web.Response(
                body=raw, status=200, headers={"Content-Type": JSON_CONTENT_TYPE}
            )
        if kind is FaultKind.WRONG_SHAPE:
            body = fault.body if fault.body is not None else [{"unexpected": "shape"}]
            return json_response(body)
        if kind is FaultKind.RATE_LIMIT:
            return self._rate_limited(fault.retry_after, 100, header_seconds=None)
        return None  # pragma: no cover - WebSocket kinds never reach here

    def _status_response(self, status: int, path: str) -> web.Response:
        if status in _GATEWAY_TEXT:
            response = web.Response(
                text=f"{status} {_GATEWAY_TEXT[status]}",
                status=status,
                content_type="text/plain",
            )
            response[BARE_RESPONSE_KEY] = True
            return response
        if status == 500:
            return internal_error(self.clocks)
        if status == 503:
            return error_response(
                self.clocks,
                503,
                "Service unavailable: the server is not ready",
                "SERVICE_UNAVAILABLE",
                {"service": "printernizer", "reason": "the server is not ready"},
            )
        if status == 404:
            return not_found()
        if status == 429:
            return self._rate_limited(1, 100, header_seconds=None)
        reason = web.Response(status=status).reason
        return error_response(self.clocks, status, reason, f"HTTP_{status}")

    def _rate_limited(
        self, retry_after: float, limit: int, header_seconds: str | None
    ) -> web.Response:
        headers = {
            "Retry-After": header_seconds or str(math.ceil(retry_after)),
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(int(time.time() + retry_after) + 1),
        }
        response = json_response(
            {
                "status": "error",
                "message": "Too many requests. Please try again later.",
                "error_code": "RATE_LIMIT_EXCEEDED",
                "details": {
                    "retry_after_seconds": float(retry_after),
                    "rate_limit_per_minute": limit,
                },
            },
            status=429,
            headers=headers,
        )
        response[BARE_RESPONSE_KEY] = True
        return response

    # ============================================================ recording
    def request_count(
        self, path_glob: str | None = None, method: str | None = None
    ) -> int:
        """Count requests received, optionally by path (exact or glob) and method."""
        return len(self.requests_matching(path_glob, method))

    def requests_matching(
        self, path_glob: str | None = None, method: str | None = None
    ) -> list[RecordedRequest]:
        """Return the recorded requests by path (exact or glob) and method."""
        return [
            recorded
            for recorded in self.requests
            if _glob_match(path_glob, recorded.path)
            and (method is None or recorded.method == method.upper())
        ]

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self.requests.clear()

    def _record(self, request: web.Request, *, websocket: bool) -> None:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                time=self.now(),
                client=request.remote,
                websocket=websocket,
                authorization=request.headers.get("Authorization"),
            )
        )
        self.request_received.set()

    # ============================================================ websocket
    @property
    def ws_clients(self) -> int:
        """Number of connected WebSocket clients."""
        return len(self._ws_clients)

    @property
    def ws_subscriptions(self) -> dict[int, set[str]]:
        """Client id → printer ids it subscribed to."""
        return {cid: set(c.subscriptions) for cid, c in self._ws_clients.items()}

    @property
    def subscribed_printer_ids(self) -> set[str]:
        """Printer ids with at least one subscriber."""
        return {pid for c in self._ws_clients.values() for pid in c.subscriptions}

    async def wait_for_ws(
        self, predicate: Callable[[Simulator], bool] | None = None
    ) -> None:
        """Wait until `predicate(sim)` holds (default: a client is connected).

        Re-checked whenever a client connects, disconnects or (un)subscribes. Wrap it in
        a timeout.
        """
        check = predicate or (lambda sim: sim.ws_clients > 0)
        while not check(self):
            self._ws_changed.clear()
            await self._ws_changed.wait()

    async def drop_websockets(self, code: int = WSCloseCode.GOING_AWAY) -> int:
        """Close every WebSocket connection; returns how many were closed."""
        clients = list(self._ws_clients.values())
        await asyncio.gather(*(self._close_ws(client, code) for client in clients))
        return len(clients)

    async def _close_ws(self, client: WsClient, code: int) -> None:
        """Close with a close frame; cut the transport if the peer doesn't answer."""
        ws = client.ws
        if ws.closed:
            self._forget_ws(client)
            return
        task = asyncio.create_task(ws.close(code=code, message=b"server closing"))
        try:
            if self.realtime:
                await asyncio.wait({task}, timeout=2)
            else:
                for _ in range(_WS_CLOSE_SPINS):
                    if task.done():
                        break
                    await asyncio.sleep(0)
        finally:
            if not task.done():
                transport = client.request.transport
                if transport is not None:
                    transport.abort()
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            self._forget_ws(client)

    def _forget_ws(self, client: WsClient) -> None:
        if self._ws_clients.pop(client.id, None) is not None:
            self._ws_changed.set()

    async def _ws_send(self, client: WsClient, message: dict[str, Any]) -> bool:
        if client.ws.closed:
            return False
        try:
            await client.ws.send_str(dumps_ws(message))
        except ConnectionError, RuntimeError:
            return False
        return True

    def _printer_status_message(self, printer: SimPrinter) -> dict[str, Any]:
        bed, nozzle = printer.temperatures()
        has_job = printer.reports_job
        return {
            "type": "printer_status",
            "printer_id": printer.id,
            "data": {
                "printer_id": printer.id,
                "status": printer.status,
                "message": printer.status_message(),
                "temperature_bed": bed,
                "temperature_nozzle": nozzle,
                "progress": int(printer.progress) if has_job else 0,
                "current_job": printer.job_name if has_job else None,
                "current_job_file_id": None,
                "current_job_has_thumbnail": True if has_job else None,
                "current_job_thumbnail_url": (
                    f"{API}/printers/{printer.id}/thumbnail" if has_job else None
                ),
                "timestamp": self.clocks.ts(),
            },
        }

    async def _push_printer_status(self, printer: SimPrinter) -> int:
        subscribers = [
            c for c in self._ws_clients.values() if printer.id in c.subscriptions
        ]
        if not subscribers:
            return 0
        message = self._printer_status_message(printer)
        sent = 0
        for client in subscribers:
            silent = self._ws_fault(FaultKind.WS_SILENT)
            if silent is not None:
                silent.record_hit()
                continue
            if await self._ws_send(client, message):
                sent += 1
        return sent

    async def _handle_ws(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return not_found()
        if not self._accepting:
            return _drop(request)
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        client = WsClient(next(self._ws_ids), ws, request)
        self._ws_clients[client.id] = client
        self._ws_changed.set()
        try:
            drop = self._ws_fault(FaultKind.WS_DROP)
            if drop is not None:
                drop.record_hit()
                await self._close_ws(client, WSCloseCode.GOING_AWAY)
                return ws
            async for msg in ws:
                silent = self._ws_fault(FaultKind.WS_SILENT)
                if msg.type is WSMsgType.PING:
                    if silent is not None:
                        silent.record_hit()
                    else:
                        await ws.pong(msg.data)
                    continue
                if msg.type is not WSMsgType.TEXT:
                    continue
                if silent is not None:
                    silent.record_hit()
                    continue
                await self._ws_message(client, msg.data)
        finally:
            self._forget_ws(client)
        return ws

    async def _ws_message(self, client: WsClient, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            await self._ws_send(
                client, {"type": "error", "message": "Invalid JSON format"}
            )
            return
        if not isinstance(message, dict):
            message = {"type": None}
        kind = message.get("type")
        printer_id = message.get("printer_id")
        if kind == "ping":
            await self._ws_send(client, {"type": "pong"})
        elif kind == "subscribe_printer":
            if printer_id:
                client.subscriptions.add(str(printer_id))
                self._ws_changed.set()
                await self._ws_send(
                    client, {"type": "subscribed", "printer_id": printer_id}
                )
        elif kind == "unsubscribe_printer":
            if printer_id:
                client.subscriptions.discard(str(printer_id))
                self._ws_changed.set()
                await self._ws_send(
                    client, {"type": "unsubscribed", "printer_id": printer_id}
                )
        else:
            await self._ws_send(
                client, {"type": "error", "message": f"Unknown message type: {kind}"}
            )

    # ========================================================== application
    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        r.add_get(f"{API}/health", self._health)
        r.add_get(f"{API}/readiness", self._readiness)
        r.add_get(f"{API}/liveness", self._liveness)
        r.add_get(f"{API}/system/info", self._system_info)
        r.add_get(f"{API}/update-check", self._update_check)
        r.add_get(f"{API}/printers", self._list_printers)
        r.add_post(f"{API}/printers", self._create_printer)
        r.add_delete(f"{API}/printers/{{printer_id}}", self._delete_printer)
        r.add_get(f"{API}/printers/discover", self._discover)
        r.add_get(f"{API}/printers/discover/startup", self._discover_startup)
        r.add_get(f"{API}/ideas/trending/{{platform}}", self._trending_ideas)
        r.add_get(f"{API}/ideas/{{idea_id}}", self._idea)
        r.add_get(f"{API}/printers/{{printer_id}}", self._get_printer)
        r.add_get(f"{API}/printers/{{printer_id}}/status", self._printer_status)
        r.add_get(f"{API}/printers/{{printer_id}}/thumbnail", self._thumbnail)
        r.add_get(f"{API}/printers/{{printer_id}}/details", self._printer_details)
        r.add_get(f"{API}/printers/{{printer_id}}/camera/status", self._camera_status)
        r.add_post(
            f"{API}/printers/{{printer_id}}/{{action:pause|resume|stop|connect|disconnect}}",
            self._printer_control,
        )
        if self.trending == "seed":
            r.add_get(f"{API}/trending/statistics", self._trending_statistics)
        r.add_get("/ws", self._handle_ws)
        self._add_control_routes(r)
        return app

    @web.middleware
    async def _middleware(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        path = request.path
        if path == CONTROL_PREFIX or path.startswith(f"{CONTROL_PREFIX}/"):
            return await self._dispatch(request, handler)
        if not self._accepting:
            return _drop(request)
        started = time.perf_counter()
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        self._record(request, websocket=upgrade)
        fault = self._find_fault(HTTP_KINDS, request.method, path)
        if fault is not None:
            faulty = await self._apply_http_fault(fault, request)
            if faulty is not None:
                return self._finish(faulty, started, None)
        limit_headers: dict[str, str] | None = None
        if self.rate_limiter.enabled and is_limited_path(
            path, websocket_upgrade=upgrade
        ):
            client = request.headers.get("X-Forwarded-For", "").split(",")[0].strip()
            decision = self.rate_limiter.check(
                client or request.remote or "unknown", request.method, path
            )
            if not decision.allowed:
                limited = self._rate_limited(
                    round(decision.retry_after, 1),
                    decision.limit,
                    header_seconds=retry_after_header(decision.retry_after),
                )
                return self._finish(limited, started, None)
            limit_headers = {
                "X-RateLimit-Limit": str(decision.limit),
                "X-RateLimit-Remaining": str(decision.remaining),
            }
        self._sync_realtime()
        response = await self._dispatch(request, handler)
        return self._finish(response, started, limit_headers)

    async def _dispatch(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPMethodNotAllowed:
            return method_not_allowed()
        except web.HTTPNotFound:
            return not_found()
        except web.HTTPException:
            raise
        except asyncio.CancelledError, ConnectionResetError:
            # A client that goes away mid-request is normal, not a simulator fault.
            raise
        except Exception:
            _LOGGER.exception("simulator handler failed for %s", request.path)
            return internal_error(self.clocks)

    def _finish(
        self,
        response: web.StreamResponse,
        started: float,
        limit_headers: dict[str, str] | None,
    ) -> web.StreamResponse:
        if response.prepared:
            return response
        response.headers["Server"] = "uvicorn"
        if response.get(BARE_RESPONSE_KEY):
            return response
        response.headers.update(SECURITY_HEADERS)
        response.headers["X-Process-Time"] = str(time.perf_counter() - started)
        if limit_headers:
            response.headers.update(limit_headers)
        return response

    # ======================================================= REST: system
    async def _health(self, request: web.Request) -> web.Response:
        if self.health_error is not None:
            return json_response(
                {
                    "status": "unhealthy",
                    "timestamp": self.clocks.ts(),
                    "version": self.version,
                    "environment": self.environment,
                    "database": {"type": "sqlite", "healthy": False},
                    "services": {"error": self.health_error},
                    "uptime_seconds": None,
                }
            )
        database = self.services.get("database")
        db_healthy = database is None or database["status"] == "healthy"
        return json_response(
            {
                "status": self.overall_status,
                "timestamp": self.clocks.ts(),
                "version": self.version,
                "environment": self.environment,
                "database": {
                    "type": "sqlite",
                    "healthy": db_healthy,
                    "connection_count": 1 if db_healthy else 0,
                },
                "services": json.loads(json.dumps(self.services)),
                "uptime_seconds": None,
            }
        )

    async def _readiness(self, request: web.Request) -> web.Response:
        return json_response({"status": "ready"})

    async def _liveness(self, request: web.Request) -> web.Response:
        return json_response({"status": "alive"})

    async def _system_info(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "version": self.system_info_version,
                "environment": self.environment,
                "timezone": self.timezone,
                "database_size_mb": float(self.database_size_mb),
                "uptime_seconds": int(max(0.0, self.now() - self._started_at)),
            }
        )

    async def _update_check(self, request: web.Request) -> web.Response:
        return json_response(dict(self.update_check))

    async def _trending_statistics(self, request: web.Request) -> web.Response:
        self._trending_reads += 1
        base = self._trending_base
        t = self.sim_time
        total_requests = base["requests"] + int(t // 120)
        failed = 3 + int(t // 1800)
        successful = total_requests - failed
        cached = base["cached"] + int(t // 600) % 12
        valid = cached - 30 + int(t // 900) % 5
        makerworld = valid // 2
        now = self.clocks.now()
        refreshed = (now - timedelta(seconds=t % 3600)).isoformat()
        return json_response(
            {
                "total_cached": cached,
                "valid_items": valid,
                "by_platform": {
                    "makerworld": makerworld,
                    "printables": valid - makerworld,
                },
                "last_refresh": {"makerworld": refreshed, "printables": refreshed},
                "performance_metrics": {
                    "total_requests": total_requests,
                    "failed_requests": failed,
                    "successful_fetches": successful,
                    "success_rate": f"{100 * successful / total_requests:.2f}%",
                    "last_fetch_time": refreshed,
                    "last_error": None,
                    "cache_hits": base["hits"] + self._trending_reads + int(t // 10),
                    "cache_misses": total_requests,
                },
            }
        )

    async def _trending_ideas(self, request: web.Request) -> web.Response:
        platform = request.match_info["platform"]
        platforms = ("makerworld", "printables")
        if platform not in (*platforms, "all"):
            error = "Invalid platform. Must be 'makerworld', 'printables', or 'all'"
            return error_response(
                self.clocks,
                400,
                f"Validation failed for 'platform': {error}",
                "VALIDATION",
                {"field": "platform", "error": error},
            )
        if self.trending != "seed":
            # The cache that feeds this route is never filled any more.
            return json_response([])
        now = self.clocks.now()
        cached_at = now.isoformat()
        expires_at = (now + timedelta(hours=6)).isoformat()
        items = []
        for index in range(6):
            source = platforms[index % 2]
            if platform not in ("all", source):
                continue
            items.append(
                {
                    "id": f"{source}-{index}",
                    "platform": source,
                    "model_id": str(100000 + index),
                    "title": f"Trending model {index + 1}",
                    "url": f"https://{source}.example/models/{100000 + index}",
                    "thumbnail_url": None,
                    "thumbnail_local_path": None,
                    "downloads": 1000 - 90 * index,
                    "likes": 300 - 25 * index,
                    "creator": f"maker{index}",
                    "category": "functional" if index % 3 else "art",
                    "cached_at": cached_at,
                    "expires_at": expires_at,
                }
            )
        return json_response(items)

    async def _idea(self, request: web.Request) -> web.Response:
        idea_id = request.match_info["idea_id"]
        return error_response(
            self.clocks,
            404,
            f"Idea not found: {idea_id}",
            "NOT_FOUND",
            {"resource_type": "idea", "resource_id": idea_id},
        )

    async def _discover(self, request: web.Request) -> web.Response:
        reason = "discovery is disabled in configuration"
        return error_response(
            self.clocks,
            503,
            f"Printer Discovery is unavailable: {reason}",
            "SERVICE_UNAVAILABLE",
            {"service": "Printer Discovery", "reason": reason},
        )

    async def _discover_startup(self, request: web.Request) -> web.Response:
        return json_response({"discovered": [], "count": 0, "new_count": 0})

    # ===================================================== REST: printers
    def _printer_json(self, printer: SimPrinter, *, list_view: bool) -> dict[str, Any]:
        now = self.clocks.ts()
        temperatures = None
        if printer.reports_temperatures:
            bed, nozzle = printer.temperatures()
            temperatures = {"bed": bed, "nozzle": nozzle}
        current_job = None
        if printer.reports_job:
            current_job = {
                "name": printer.job_name,
                "status": "printing" if printer.phase == "printing" else "idle",
                "progress": int(printer.progress),
                "started_at": printer.job_started_at,
                "estimated_remaining": None,
                "layer_current": None,
                "layer_total": None,
            }
        return {
            "id": printer.id,
            "name": printer.name,
            "printer_type": printer.printer_type,
            "status": printer.status,
            "ip_address": printer.ip_address,
            "connection_config": {
                "ip_address": printer.ip_address,
                "api_key": printer.api_key,
                "access_code": printer.access_code,
                "serial_number": printer.serial_number,
                "webcam_url": printer.webcam_url,
            },
            "location": None,
            "description": None,
            "is_enabled": True,
            "last_seen": printer.last_seen,
            "current_job": current_job,
            "temperatures": temperatures,
            "filaments": (
                [dict(slot) for slot in printer.filaments]
                if printer.filaments is not None
                and printer.connected
                and not printer.unreachable
                else None
            ),
            "total_jobs": printer.total_jobs if list_view else None,
            "created_at": now,
            "updated_at": now,
        }

    def _printer_not_found(self, printer_id: str) -> web.Response:
        return error_response(
            self.clocks,
            404,
            f"Printer not found: {printer_id}",
            "PRINTER_NOT_FOUND",
            {"printer_id": printer_id},
        )

    async def _list_printers(self, request: web.Request) -> web.Response:
        query = request.query
        errors: list[dict[str, Any]] = []
        page = _int_param(query, "page", 1, minimum=1, maximum=None, errors=errors)
        limit = _int_param(query, "limit", 50, minimum=1, maximum=100, errors=errors)
        printer_type = _enum_param(query, "printer_type", PRINTER_TYPES, errors)
        status = _enum_param(query, "status", PRINTER_STATUSES, errors)
        is_active = _bool_param(query, "is_active", errors)
        if errors:
            return validation_error(self.clocks, errors)
        selected = [
            printer
            for printer in self.printers.values()
            if (printer_type is None or printer.printer_type == printer_type)
            and (status is None or printer.status == status)
            and (is_active is None or is_active)
        ]
        total = len(selected)
        start = (page - 1) * limit
        return json_response(
            {
                "printers": [
                    self._printer_json(printer, list_view=True)
                    for printer in selected[start : start + limit]
                ],
                "total_count": total,
                "pagination": {
                    "page": page,
                    "limit": limit,
                    "total_items": total,
                    "total_pages": math.ceil(total / limit),
                },
            }
        )

    async def _create_printer(self, request: web.Request) -> web.Response:
        raw = await request.text()
        try:
            body = json.loads(raw)
        except ValueError:
            return validation_error(
                self.clocks,
                [
                    {
                        "type": "json_invalid",
                        "loc": ["body", 0],
                        "msg": "JSON decode error",
                        "input": {},
                    }
                ],
            )
        errors = _create_errors(body)
        if errors:
            return validation_error(self.clocks, errors)
        printer_type = body["printer_type"]
        config = body["connection_config"]
        secret_key = "access_code" if printer_type == "bambu_lab" else "api_key"
        if printer_type == "unknown" or not (
            config.get("ip_address") and config.get(secret_key)
        ):
            error = "Failed to add printer configuration"
            return error_response(
                self.clocks,
                400,
                f"Validation failed for 'printer_config': {error}",
                "VALIDATION",
                {"field": "printer_config", "error": error},
            )
        printer = SimPrinter(
            str(body["name"]),
            "bambu_lab" if printer_type == "bambu_lab" else "prusa_core",
            ip_address=str(config["ip_address"]),
            api_key=config.get("api_key"),
            access_code=config.get("access_code"),
            serial_number=config.get("serial_number"),
            webcam_url=config.get("webcam_url"),
        )
        self.add_printer(printer)
        created = self._printer_json(printer, list_view=False)
        # Right after creation the server has not polled the printer yet.
        created.update(
            status="unknown",
            location=body.get("location"),
            description=body.get("description"),
            last_seen=None,
            current_job=None,
            temperatures=None,
            filaments=None,
        )
        return json_response(created, status=201)

    async def _delete_printer(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        errors: list[dict[str, Any]] = []
        force = _bool_param(request.query, "force", errors)
        if errors:
            return validation_error(self.clocks, errors)
        printer = self.printers.get(printer_id)
        if printer is None:
            return self._printer_not_found(printer_id)
        if printer.job_name and not force:
            return error_response(
                self.clocks,
                409,
                "Cannot delete printer with active jobs. Use force=true to delete anyway.",
                "HTTP_409",
            )
        self.remove_printer(printer_id)
        return web.Response(status=204)

    async def _get_printer(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        printer = self.printers.get(printer_id)
        if printer is None:
            return self._printer_not_found(printer_id)
        return json_response(self._printer_json(printer, list_view=False))

    async def _printer_details(self, request: web.Request) -> web.Response:
        # Always 500 in this server version (an AttributeError in the route).
        return internal_error(self.clocks)

    async def _printer_status(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        printer = self.printers.get(printer_id)
        if printer is None:
            return self._printer_not_found(printer_id)
        current_job = None
        if printer.reports_job:
            current_job = {
                "name": printer.job_name,
                "progress": int(printer.progress),
                "remaining_time": printer.remaining_minutes,
            }
        temperatures = None
        if printer.reports_temperatures:
            bed, nozzle = printer.temperatures()
            temperatures = {
                "bed": {"current": bed, "target": None},
                "nozzle": {"current": nozzle, "target": None},
            }
        return json_response(
            {
                "id": printer.id,
                "name": printer.name,
                "status": printer.status,
                "current_job": current_job,
                "temperatures": temperatures,
                "timestamp": self.clocks.ts(),
            }
        )

    def _connection_failure(self, printer: SimPrinter, reason: str) -> web.Response:
        return error_response(
            self.clocks,
            503,
            f"Failed to connect to printer: {reason}",
            "PRINTER_CONNECTION",
            {"printer_id": printer.id, "reason": reason},
        )

    def _unreachable_reason(self, printer: SimPrinter) -> str:
        if printer.printer_type == "prusa_core":
            host = printer.ip_address
            return (
                "Failed to connect to printer: Cannot connect to Prusa printer: "
                f"Cannot connect to host {host}:80 ssl:default "
                f"[Connect call failed ('{host}', 80)]"
            )
        return "Failed to connect to printer: Bambu Lab printer is not connected"

    async def _printer_control(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        action = request.match_info["action"]
        printer = self.printers.get(printer_id)
        if printer is None:
            return self._printer_not_found(printer_id)
        if action == "disconnect":
            printer.connected = False
            return _success("disconnected")
        if not printer.connected or printer.unreachable:
            return self._connection_failure(printer, self._unreachable_reason(printer))
        if action == "connect":
            return _success("connected")
        operation = {
            "pause": printer.pause,
            "resume": printer.resume,
            "stop": printer.stop,
        }
        try:
            operation[action]()
        except PrinterActionError as err:
            return self._connection_failure(printer, f"Failed to {action} print: {err}")
        return _success(
            {"pause": "paused", "resume": "resumed", "stop": "stopped"}[action]
        )

    async def _thumbnail(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        printer = self.printers.get(printer_id)
        if printer is None:
            return self._printer_not_found(printer_id)
        if printer.reports_job and printer.job_name:
            return web.Response(
                body=thumbnail_png(printer.job_name), content_type="image/png"
            )
        reason = (
            "No status available for printer"
            if not printer.connected
            else "No current print job"
        )
        return error_response(
            self.clocks,
            404,
            "File not found: current_job_thumbnail",
            "FILE_NOT_FOUND",
            {
                "file_id": "current_job_thumbnail",
                "printer_id": printer.id,
                "reason": reason,
            },
        )

    async def _camera_status(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        printer = self.printers.get(printer_id)
        if printer is None:
            return self._printer_not_found(printer_id)
        bambu = printer.printer_type == "bambu_lab"
        return json_response(
            {
                "has_camera": bambu,
                "has_external_webcam": printer.webcam_url is not None,
                "is_available": bambu and printer.connected,
                "stream_url": (
                    f"{API}/printers/{printer.id}/camera/preview" if bambu else None
                ),
                "external_webcam_url": printer.webcam_url,
                "external_webcam_type": None,
                "ffmpeg_available": True,
                "ffmpeg_required": False,
                "error_message": (
                    None
                    if bambu
                    else "No camera detected by PrusaLink. Please ensure a camera is "
                    "connected and configured in PrusaLink settings. Access PrusaLink "
                    "at http://<printer-ip> to configure the camera."
                ),
                "last_snapshot_at": None,
            }
        )

    # ======================================================= control API
    def _add_control_routes(self, r: web.UrlDispatcher) -> None:
        from .control import add_control_routes

        add_control_routes(self, r)

    def state(self) -> dict[str, Any]:
        """Return a JSON view of the whole simulator (for GET /_simulator/state)."""
        return {
            "url": self.url,
            "up": self.is_up,
            "version": self.version,
            "trending": self.trending,
            "realtime": self.realtime,
            "poll_interval": self.poll_interval,
            "sim_time": self.sim_time,
            "overall_status": self.overall_status,
            "services": self.services,
            "printers": [
                {
                    **self._printer_json(printer, list_view=True),
                    "progress": printer.progress,
                    "remaining_minutes": printer.remaining_minutes,
                }
                for printer in self.printers.values()
            ],
            "faults": [fault.to_dict() for fault in self.faults],
            "ws_clients": self.ws_clients,
            "ws_subscriptions": {
                str(cid): sorted(subs) for cid, subs in self.ws_subscriptions.items()
            },
            "requests": len(self.requests),
            "update_check": self.update_check,
        }


def _resolve(waiter: asyncio.Future[str], value: str) -> None:
    if not waiter.done():
        waiter.set_result(value)


def _drop(request: web.Request) -> web.Response:
    """Cut the connection without answering."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    response = web.Response(status=500)
    response[BARE_RESPONSE_KEY] = True
    return response


def _success(status: str) -> web.Response:
    return json_response({"status": "success", "data": {"status": status}})


def _int_param(
    query: Any,
    name: str,
    default: int,
    *,
    minimum: int,
    maximum: int | None,
    errors: list[dict[str, Any]],
) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        errors.append(
            {
                "type": "int_parsing",
                "loc": ["query", name],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": raw,
            }
        )
        return default
    if value < minimum:
        errors.append(
            {
                "type": "greater_than_equal",
                "loc": ["query", name],
                "msg": f"Input should be greater than or equal to {minimum}",
                "input": raw,
            }
        )
        return default
    if maximum is not None and value > maximum:
        errors.append(
            {
                "type": "less_than_equal",
                "loc": ["query", name],
                "msg": f"Input should be less than or equal to {maximum}",
                "input": raw,
            }
        )
        return default
    return value


def _enum_param(
    query: Any, name: str, values: tuple[str, ...], errors: list[dict[str, Any]]
) -> str | None:
    raw = query.get(name)
    if raw is None:
        return None
    if raw not in values:
        errors.append(
            {
                "type": "enum",
                "loc": ["query", name],
                "msg": enum_message(values),
                "input": raw,
            }
        )
        return None
    return str(raw)


def _create_errors(body: Any) -> list[dict[str, Any]]:
    """Pydantic's errors for a PrinterCreateRequest body."""
    if not isinstance(body, dict):
        return [
            {
                "type": "model_attributes_type",
                "loc": ["body"],
                "msg": "Input should be a valid dictionary or object to extract fields from",
                "input": body,
            }
        ]
    errors: list[dict[str, Any]] = [
        {
            "type": "missing",
            "loc": ["body", name],
            "msg": "Field required",
            "input": body,
        }
        for name in ("name", "printer_type", "connection_config")
        if name not in body
    ]
    if "name" in body and not isinstance(body["name"], str):
        errors.append(
            {
                "type": "string_type",
                "loc": ["body", "name"],
                "msg": "Input should be a valid string",
                "input": body["name"],
            }
        )
    if "printer_type" in body and body["printer_type"] not in PRINTER_TYPES:
        errors.append(
            {
                "type": "enum",
                "loc": ["body", "printer_type"],
                "msg": enum_message(PRINTER_TYPES),
                "input": body["printer_type"],
            }
        )
    if "connection_config" in body and not isinstance(body["connection_config"], dict):
        errors.append(
            {
                "type": "dict_type",
                "loc": ["body", "connection_config"],
                "msg": "Input should be a valid dictionary",
                "input": body["connection_config"],
            }
        )
    return errors


_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}


def _bool_param(query: Any, name: str, errors: list[dict[str, Any]]) -> bool | None:
    raw = query.get(name)
    if raw is None:
        return None
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    errors.append(
        {
            "type": "bool_parsing",
            "loc": ["query", name],
            "msg": "Input should be a valid boolean, unable to interpret input",
            "input": raw,
        }
    )
    return None
