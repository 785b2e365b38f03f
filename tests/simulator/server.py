"""The Printernizer simulator: an aiohttp server that follows the server's contract."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
import fnmatch
import logging
import random
import re
import time
from typing import Any, Self

from aiohttp import WSCloseCode, web

from .auth import ProxyAuth
from .cameras import CameraSet, Frame, Snapshot
from .common import (
    BARE_RESPONSE_KEY,
    JSON_CONTENT_TYPE,
    SECURITY_HEADERS,
    SERVICE_STATUSES,
    Clocks,
    drop,
    internal_error,
    json_response,
    method_not_allowed,
    not_found,
    rate_limited,
    status_response,
)
from .faults import GLOB_CHARS, HTTP_KINDS, Fault, FaultKind
from .jobs import JobHistory
from .library import LibraryFile, default_library
from .materials import MaterialSpool, default_spools, spool_id
from .printers import DEFAULT_NAMES, SimPrinter
from .prints import LibraryPrints, PrintRequest
from .ratelimit import RateLimiter, is_limited_path, retry_after_header
from .routes_camera import CameraRoutes
from .routes_jobs import JobRoutes
from .routes_library import LibraryRoutes
from .routes_materials import MaterialRoutes
from .routes_printers import PrinterRoutes
from .routes_system import SystemRoutes
from .websocket import WebSocketHub

_LOGGER = logging.getLogger(__name__)

CONTROL_PREFIX = "/_simulator"
API = "/api/v1"
DEFAULT_POLL_INTERVAL = 30.0
# Seconds a library print spends uploading to the printer in real-time mode.
REALTIME_UPLOAD_DELAY = 3.0
_VERSION_RE = re.compile(r"(\d+)\.(\d+)\.(\d+)")
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
    # True when the reverse proxy refused it (the server never saw it).
    auth_rejected: bool = False


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

    Besides printers it keeps what the server keeps: a job history (`jobs`), a file
    library (`library`), spools (`materials`) and camera snapshots (`snapshots`). The
    keyword options `auth`, `auth_failure_status`, `currency`, `analytics`, `fresh`,
    `upload_delay`, `camera_frame_seconds`, `ffmpeg_available` and
    `report_last_snapshot` are described in README.md.
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
        auth: tuple[str, str] | str | None = None,
        auth_failure_status: int = 401,
        currency: str = "EUR",
        analytics: bool = True,
        fresh: bool = False,
        upload_delay: float | None = None,
        camera_frame_seconds: float = 5.0,
        ffmpeg_available: bool = True,
        report_last_snapshot: bool = False,
    ) -> None:
        if trending not in ("absent", "seed"):
            raise ValueError("trending must be 'absent' or 'seed'")
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        if upload_delay is not None and upload_delay < 0:
            raise ValueError("upload_delay must not be negative")
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
        # A reverse proxy in front that wants credentials (None: no proxy auth).
        self.auth: ProxyAuth | None = None
        if auth is not None:
            self.set_auth(auth, failure_status=auth_failure_status)
        self.currency = currency
        # False: analytics and materials routes are absent (404), as on older servers.
        self.analytics = analytics
        # Library prints: seconds of upload before the printer starts (sim time in
        # deterministic mode, so `advance()` or `finish_uploads()` completes them).
        self.upload_delay = (
            upload_delay
            if upload_delay is not None
            else (REALTIME_UPLOAD_DELAY if realtime else 0.0)
        )
        # Cameras deliver a new picture at most this often (the server caches 5 s).
        self.camera_frame_seconds = camera_frame_seconds
        self.ffmpeg_available = ffmpeg_available
        # The server never fills last_snapshot_at; True makes the status report it.
        self.report_last_snapshot = report_last_snapshot
        self.jobs = JobHistory(self.clocks, seed)
        now = self.clocks.now()
        # Own generators, so these never shift the fleet's seeded ids and secrets.
        self._catalog_rng = random.Random(f"catalog-{seed}")
        self.library: list[LibraryFile] = [] if fresh else default_library(now)
        self.materials: list[MaterialSpool] = (
            [] if fresh else default_spools(now, self._catalog_rng)
        )
        self.cameras = CameraSet(self)
        self.prints = LibraryPrints(self)
        self.print_requests: list[PrintRequest] = []
        self.print_request_received = asyncio.Event()

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
        self._ws = WebSocketHub(self)
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

    async def restart(self, down_for: float = 0, *, forget_jobs: bool = False) -> None:
        """Go down, stay down for `down_for` seconds, then listen on the same port.

        With `forget_jobs` the job table is wiped as the real server wipes it on every
        restart (prints still running come back as new `running` jobs).
        """
        await self.go_down()
        if forget_jobs:
            self.forget_jobs()
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
        printer.listener = self.jobs.on_printer_event
        if printer.job_name:
            self.jobs.started(printer)
        return printer

    def remove_printer(self, printer_id: str) -> SimPrinter:
        """Remove a printer from the fleet; its job records go with it."""
        printer = self.printers.pop(printer_id)
        printer.listener = None
        self.jobs.drop_printer(printer_id)
        return printer

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
        self.prints.advance_to(self.sim_time)

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
            sent += await self._ws.push_printer_status(printer)
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

    # ================================================================ auth
    def set_auth(
        self, auth: tuple[str, str] | str | None, *, failure_status: int = 401
    ) -> None:
        """Put a reverse proxy with authentication in front (None removes it).

        `auth` is a (username, password) pair for HTTP Basic or a bearer token. Every
        route, /ws included, then needs the matching Authorization header; requests
        without one get 401, with a wrong one `failure_status` (401 or 403).
        """
        self.auth = (
            None if auth is None else ProxyAuth.from_option(auth, failure_status)
        )

    # ================================================================= jobs
    def forget_jobs(self) -> None:
        """Wipe the job table, as a server restart does."""
        self.jobs.forget(list(self.printers.values()))

    def make_fresh(self) -> None:
        """Look like a freshly installed server: no library, jobs, spools, snapshots."""
        self.library.clear()
        self.jobs.forget([])
        self.materials.clear()
        self.snapshots.clear()

    # ============================================================ materials
    def set_materials(self, spools: Iterable[MaterialSpool | dict[str, Any]]) -> None:
        """Replace the spool inventory (dicts take MaterialSpool's fields; [] = none)."""
        self.materials = [
            spool
            if isinstance(spool, MaterialSpool)
            else MaterialSpool(
                **{"id": spool_id(self._catalog_rng), **spool}  # type: ignore[arg-type]
            )
            for spool in spools
        ]

    # ============================================================== library
    def library_file(self, checksum: str) -> LibraryFile | None:
        """A library entry by checksum."""
        return next((f for f in self.library if f.checksum == checksum), None)

    def library_file_named(self, filename: str) -> LibraryFile:
        """A library entry by file name."""
        for entry in self.library:
            if entry.filename == filename:
                return entry
        raise KeyError(filename)

    @property
    def pending_uploads(self) -> int:
        """Library prints whose upload to the printer has not finished."""
        return self.prints.pending

    def finish_uploads(self) -> int:
        """Complete every running upload now; returns how many there were."""
        return self.prints.finish_uploads()

    async def run_library_print(self, record: PrintRequest) -> tuple[int, str]:
        """Carry out a print request the way the server's print route does."""
        return await self.prints.run(record)

    # ============================================================== cameras
    @property
    def snapshots(self) -> list[Snapshot]:
        """The stored snapshots, oldest first."""
        return self.cameras.snapshots

    def camera_frame(
        self, printer: SimPrinter, *, force_refresh: bool = False
    ) -> Frame | None:
        """The built-in camera's current picture, None when it has none to give."""
        return self.cameras.camera_frame(printer, force_refresh=force_refresh)

    def webcam_frame(self, printer: SimPrinter) -> Frame | None:
        """The external webcam's current picture (independent of the printer)."""
        return self.cameras.webcam_frame(printer)

    def store_snapshot(
        self,
        printer: SimPrinter,
        frame: Frame,
        trigger: str = "manual",
        job_id: int | None = None,
        notes: str | None = None,
    ) -> Snapshot:
        """Keep a snapshot as the server does (file plus database row)."""
        return self.cameras.store_snapshot(printer, frame, trigger, job_id, notes)

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
            for client in list(self._ws.clients.values()):
                if not fault.active:
                    break
                fault.record_hit()
                self._spawn(self._ws.close(client, WSCloseCode.GOING_AWAY))
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
                return drop(request)
            return None
        if kind is FaultKind.RESET:
            return drop(request)
        if kind is FaultKind.STATUS:
            return status_response(self.clocks, fault.status)
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
            return rate_limited(fault.retry_after, 100, header_seconds=None)
        return None  # pragma: no cover - WebSocket kinds never reach here

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

    def _record(
        self, request: web.Request, *, websocket: bool, auth_rejected: bool = False
    ) -> None:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                time=self.now(),
                client=request.remote,
                websocket=websocket,
                authorization=request.headers.get("Authorization"),
                auth_rejected=auth_rejected,
            )
        )
        self.request_received.set()

    # ============================================================ websocket
    @property
    def ws_clients(self) -> int:
        """Number of connected WebSocket clients."""
        return len(self._ws.clients)

    @property
    def ws_subscriptions(self) -> dict[int, set[str]]:
        """Client id → printer ids it subscribed to."""
        return {cid: set(c.subscriptions) for cid, c in self._ws.clients.items()}

    @property
    def subscribed_printer_ids(self) -> set[str]:
        """Printer ids with at least one subscriber."""
        return {pid for c in self._ws.clients.values() for pid in c.subscriptions}

    async def wait_for_ws(
        self, predicate: Callable[[Simulator], bool] | None = None
    ) -> None:
        """Wait until `predicate(sim)` holds (default: a client is connected).

        Re-checked whenever a client connects, disconnects or (un)subscribes. Wrap it in
        a timeout.
        """
        check = predicate or (lambda sim: sim.ws_clients > 0)
        while not check(self):
            self._ws.changed.clear()
            await self._ws.changed.wait()

    async def drop_websockets(self, code: int = WSCloseCode.GOING_AWAY) -> int:
        """Close every WebSocket connection; returns how many were closed."""
        return await self._ws.close_all(code)

    def _printer_status_message(self, printer: SimPrinter) -> dict[str, Any]:
        return self._ws.printer_status_message(printer)

    # ========================================================== application
    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        r = app.router
        SystemRoutes(self).register(r)
        PrinterRoutes(self).register(r)
        CameraRoutes(self).register(r)
        JobRoutes(self).register(r)
        LibraryRoutes(self).register(r)
        MaterialRoutes(self).register(r)
        r.add_get("/ws", self._ws.handle)
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
            return drop(request)
        started = time.perf_counter()
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        auth = self.auth
        authorization = request.headers.get("Authorization")
        rejected = auth.rejection_status(authorization) if auth else None
        self._record(request, websocket=upgrade, auth_rejected=rejected is not None)
        if auth is not None and rejected is not None:
            # The proxy answers before the server sees the request.
            return auth.rejection(rejected, credentials_sent=bool(authorization))
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
                limited = rate_limited(
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

    def _printer_json(self, printer: SimPrinter, *, list_view: bool) -> dict[str, Any]:
        return PrinterRoutes(self).printer_json(printer, list_view=list_view)

    # ======================================================= control API
    def _add_control_routes(self, r: web.UrlDispatcher) -> None:
        from .control import add_control_routes

        add_control_routes(self, r)

    def state(self) -> dict[str, Any]:
        """Return a JSON view of the whole simulator (for GET /_simulator/state)."""
        from .control import simulator_state

        return simulator_state(self)


def _resolve(waiter: asyncio.Future[str], value: str) -> None:
    if not waiter.done():
        waiter.set_result(value)
