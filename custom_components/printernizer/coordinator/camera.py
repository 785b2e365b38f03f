"""Printer cameras: what the server says of each camera, its pictures and snapshots.

* `PrinterCamera` keeps one printer's camera status (whether it has a built-in camera
  or an external webcam, whether the server can reach it), the last frame, and the
  newest stored snapshot.
* `PrinterCameras` reads the camera statuses: when a printer appears, then every
  10 minutes for printers with a camera (one request each) and every hour for those
  without (a webcam may be configured later). Reads go one at a time, at most
  `CHECKS_PER_MINUTE` a minute after a burst of `CHECK_BURST`, and take only spare
  tokens of the client's request budget (it must be full): they never wait for a
  token and never hold a status poll up. Setup's first reads take any token the
  budget holds, but do not wait for one either. The newest snapshot of a printer with a
  built-in camera is read with its first status, then with the status every hour,
  and when the server reports a new time for its last snapshot.
* Frames are fetched on demand, once for every viewer of a camera, and kept for at
  least `FRAME_MAX_AGE` seconds (the server's own cache). With several cameras
  watched, each camera's frames are spaced so that all of them together stay within
  the client's sustained frame budget: every camera gets its turn, none starves. When
  the client's frame budget is spent the last frame is shown.
* A camera that gives no picture (the server's `error_message`, or a frame that fails)
  is logged once when the outage starts and once when a frame arrives again.

Request budget: the client allows 60 requests a minute; status polls take at most 45
(see printers.py). Camera statuses add one request per camera printer every 10 minutes
(and one an hour for its newest snapshot) and one per other printer an hour, never
more than 12 a minute and only from a full budget; frames have their own 20 a minute
and only use the shared budget while it keeps a reserve for status polls.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from functools import partial
import math
import re
from typing import TYPE_CHECKING, Any, Self, override
from uuid import UUID

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.util import dt as dt_util
from yarl import URL

from ..api import (
    CAMERA_FRAME_BURST,
    CAMERA_FRAMES_PER_MINUTE,
    CameraStatus,
    Image,
    PrinternizerCancelledError,
    PrinternizerError,
    PrinternizerNotFoundError,
    PrinternizerRateLimitError,
    PrinterState,
    RequestBudget,
    Snapshot,
)
from ..const import DOMAIN, LOGGER
from ..helpers import async_remove_entity, rezone
from .base import (
    PrinternizerCoordinator,
    signal_refresh_finished,
    update_failed_from,
)

if TYPE_CHECKING:
    from . import PrinternizerConfigEntry
    from .printers import PrinterCoordinator, PrinterFleet

#: Camera printers have their status read this often. Frames and pushes tell most
#: changes sooner; with 50 camera printers this costs 5 requests a minute.
STATUS_INTERVAL = timedelta(minutes=10)
#: Printers without a camera are asked again this often (a webcam may be added).
NO_CAMERA_INTERVAL = timedelta(hours=1)
#: The newest snapshot is read again this often (snapshots taken elsewhere).
SNAPSHOT_INTERVAL = timedelta(hours=1)
#: Rounds drift by the seconds their reads take: a little slack for "due".
DUE_SLACK = 30.0
#: Camera status and snapshot reads: at most this many a minute, after a burst.
CHECKS_PER_MINUTE = 12
CHECK_BURST = 3
#: How long setup waits for the first camera statuses before going on without them.
SETUP_TIMEOUT = 5.0
#: A frame is kept at least this long (the server caches its pictures for 5 s).
FRAME_MAX_AGE = 5.0
#: A viewer with a last frame to see waits this long for a new one, at most.
FRAME_WAIT = 3.0
#: A camera counts as watched this long after a frame was last asked for.
WATCHED_WINDOW = 30.0
#: Frames a minute the client's frame budget sustains (beyond its burst).
SUSTAINED_FRAMES_PER_MINUTE = CAMERA_FRAMES_PER_MINUTE - CAMERA_FRAME_BURST
#: URL schemes Home Assistant's stream component opens.
STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "rtmps", "http", "https"})

_URL_RE = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


def redact_urls(text: str) -> str:
    """Return `text` with every URL's credentials and query string removed.

    Camera URLs carry secrets in both places (``rtsps://user:code@host``,
    ``...?access_code=...``); what remains tells which host and path failed.
    """

    def _redact(match: re.Match[str]) -> str:
        try:
            url = URL(match.group(0))
        except ValueError:
            return "<url>"
        if url.host is None:
            return "<url>"
        return str(url.with_user(None).with_query(None).with_fragment(None))

    return _URL_RE.sub(_redact, text)


def has_camera_routes(printer_id: str) -> bool:
    """Tell whether the server's camera routes take this printer id.

    They take UUIDs only (and answer 422 to anything else); the server gives
    every printer one.
    """
    try:
        UUID(printer_id)
    except ValueError:
        return False
    return True


def is_stream_url(url: str | None, server: URL) -> bool:
    """Tell whether `url` is a live stream Home Assistant's stream component opens.

    A relative path, or one on the Printernizer server itself, is the server's
    picture route, not a stream.
    """
    if not url:
        return False
    try:
        parsed = URL(url)
    except ValueError:
        return False
    if not parsed.absolute or parsed.scheme.lower() not in STREAM_SCHEMES:
        return False
    return (parsed.scheme, parsed.host, parsed.port) != (
        server.scheme,
        server.host,
        server.port,
    )


@dataclass(frozen=True, slots=True)
class CameraInfo:
    """What the server says of a printer's camera, without any URL.

    `live_stream` tells whether the server offers the printer's own stream.
    """

    has_camera: bool
    has_external_webcam: bool
    is_available: bool
    live_stream: bool
    external_webcam_type: str | None
    ffmpeg_missing: bool
    error_message: str | None
    last_snapshot_at: datetime | None

    @classmethod
    def from_status(cls, status: CameraStatus, server: URL) -> Self:
        """Keep what matters of a camera status; its URLs may hold secrets."""
        return cls(
            has_camera=status.has_camera,
            has_external_webcam=status.has_external_webcam,
            is_available=status.is_available,
            live_stream=status.has_camera and is_stream_url(status.stream_url, server),
            external_webcam_type=status.external_webcam_type,
            ffmpeg_missing=status.ffmpeg_required and not status.ffmpeg_available,
            error_message=(
                redact_urls(status.error_message) if status.error_message else None
            ),
            last_snapshot_at=status.last_snapshot_at,
        )

    @property
    def has_any(self) -> bool:
        """Return whether the printer has a camera of any kind."""
        return self.has_camera or self.has_external_webcam


class OutageSource(StrEnum):
    """What told of a camera outage."""

    STATUS = "status"
    FRAME = "frame"


@dataclass(frozen=True, slots=True)
class CameraOutage:
    """A camera giving no picture: since when, and the latest reason."""

    source: OutageSource
    reason: str
    since: datetime


@dataclass(slots=True)
class FrameStats:
    """What became of the frames asked for."""

    fetched: int = 0
    failed: int = 0
    refused: int = 0
    from_cache: int = 0


class PrinterCamera(PrinternizerCoordinator[CameraInfo | None]):
    """One printer's camera: its status, its last frame and its newest snapshot.

    Its data is None until the server first answered. It fetches nothing on its
    own: `PrinterCameras` reads its status when the pace and the budget allow and
    sets it here. Listeners hear of a changed status and of a new snapshot.
    """

    def __init__(self, cameras: PrinterCameras, printer: PrinterCoordinator) -> None:
        """Initialise the camera of `printer`."""
        super().__init__(
            cameras.hass,
            cameras.entry,
            cameras.client,
            name=f"camera {printer.printer.name}",
            update_interval=None,
            owned_by_entry=False,
        )
        self.cameras = cameras
        self.printer = printer
        self.printer_id = printer.printer_id
        self.data = None
        self.checked_at: float | None = None
        self.frame: Image | None = None
        self.frame_at: float | None = None
        self.stats = FrameStats()
        self.outage: CameraOutage | None = None
        self.latest_snapshot: Snapshot | None = None
        self.snapshots_read_at: float | None = None
        self._next_attempt = -math.inf
        self._fetch: asyncio.Task[Image | None] | None = None

    @property
    def printer_name(self) -> str:
        """Return the printer's name, for log lines."""
        return self.printer.printer.name

    @property
    def has_any(self) -> bool:
        """Return whether the printer has a camera of any kind."""
        return self.data is not None and self.data.has_any

    @property
    def has_camera(self) -> bool:
        """Return whether the printer has a built-in camera."""
        return self.data is not None and self.data.has_camera

    @property
    def live_stream(self) -> bool:
        """Return whether the server offers the camera's live stream."""
        return self.data is not None and self.data.live_stream

    @property
    def usable(self) -> bool:
        """Return whether the camera can give pictures now.

        It must exist, the server must call it available, and the printer must
        not be offline (an unreachable Bambu Lab printer shows as offline).
        """
        return (
            self.data is not None
            and self.data.has_any
            and self.data.is_available
            and self.printer.status.state is not PrinterState.OFFLINE
        )

    async def async_read_status(self, *, spare: bool = True) -> float | None:
        """Read the camera status, with a spare token of the client's budget.

        Setup's reads (not `spare`) take any token the budget holds, but never
        wait for one either: when the budget has none, nothing is sent and the
        seconds until it may have one are returned. A failed read is logged once, like a
        coordinator's.
        """
        try:
            status = await self.client.camera_status(
                self.printer_id, spare=spare, wait=False
            )
        except PrinternizerRateLimitError as err:
            if err.status is None:  # refused by the client, not sent
                return err.retry_after or 1.0
            self._async_failed(err)
        except PrinternizerError as err:
            if isinstance(err, PrinternizerNotFoundError):
                # The printer was removed: the printer list will tell.
                self.cameras.fleet.async_request_list_refresh()
            self._async_failed(err)
        else:
            self._async_read(CameraInfo.from_status(status, URL(self.client.base_url)))
        return None

    @callback
    def _async_failed(self, err: PrinternizerError) -> None:
        error = update_failed_from(err)
        if not isinstance(error, Exception):
            return  # the entry unloads and abandoned the read: no outage
        self.async_set_update_error(error)
        async_dispatcher_send(self.hass, signal_refresh_finished(self.entry.entry_id))

    @callback
    def _async_read(self, info: CameraInfo) -> None:
        self.checked_at = self.hass.loop.time()
        self.last_update_success_time = dt_util.utcnow()
        if not self.last_update_success:
            LOGGER.info("The camera status of %s is read again", self.printer_name)
        self._follow_status(info)
        if info != self.data or not self.last_update_success:
            self.async_set_updated_data(info)
        async_dispatcher_send(self.hass, signal_refresh_finished(self.entry.entry_id))

    @callback
    def _follow_status(self, info: CameraInfo) -> None:
        """Start or end an outage the camera status tells of."""
        if info.has_any and (info.error_message or not info.is_available):
            self._begin_outage(
                OutageSource.STATUS,
                info.error_message or "the server reports it as not available",
            )
        elif self.outage is not None and self.outage.source is OutageSource.STATUS:
            self._end_outage()

    @callback
    def _begin_outage(self, source: OutageSource, reason: str) -> None:
        if self.outage is None:
            LOGGER.info(
                "The camera of %s gives no picture: %s", self.printer_name, reason
            )
            self.outage = CameraOutage(source, reason, dt_util.utcnow())
        else:
            self.outage = replace(self.outage, reason=reason)

    @callback
    def _end_outage(self) -> None:
        if self.outage is not None:
            LOGGER.info("The camera of %s gives pictures again", self.printer_name)
            self.outage = None

    async def async_frame(self) -> Image | None:
        """Return the camera's current frame, as fresh as the budgets allow.

        Every viewer of the camera shares one fetch and its result, which is
        kept for the camera's frame interval. When the fetch fails, takes
        longer than `FRAME_WAIT` or the frame budget is spent, the last frame
        is returned (None before the first).
        """
        now = self.hass.loop.time()
        self.cameras.watched(self.printer_id, now)
        fetch = self._fetch
        if fetch is None and now >= self._next_attempt:
            self._next_attempt = now + self.cameras.frame_interval(now)
            fetch = self.entry.async_create_background_task(
                self.hass,
                self._async_fetch(),
                f"{DOMAIN} camera frame {self.printer_name}",
            )
            # A refused fetch is over before it is even kept.
            if not fetch.done():
                self._fetch = fetch
                fetch.add_done_callback(self._fetch_done)
        if fetch is not None:
            # A viewer that gives up must not cancel the fetch the others wait on.
            if self.frame is None:
                return await asyncio.shield(fetch)
            try:
                async with asyncio.timeout(FRAME_WAIT):
                    return await asyncio.shield(fetch)
            except TimeoutError:
                # A slow or hung camera route: show the last frame meanwhile.
                return self.frame
        self.stats.from_cache += 1
        return self.frame

    @callback
    def _fetch_done(self, _fetch: asyncio.Task[Image | None]) -> None:
        # The next fetch starts only once this one is over.
        self._fetch = None

    async def _async_fetch(self) -> Image | None:
        """Fetch a frame; on failure keep the last one."""
        try:
            image = await self.client.camera_frame(
                self.printer_id, external=not self.has_camera
            )
        except PrinternizerRateLimitError as err:
            self.stats.refused += 1
            # Its turn comes as soon as a token does, before cameras that were
            # served: refused cameras never fall behind for good.
            self._next_attempt = self.hass.loop.time() + min(
                err.retry_after or FRAME_MAX_AGE, FRAME_MAX_AGE
            )
            return self.frame
        except PrinternizerCancelledError:
            return self.frame
        except PrinternizerError as err:
            self.stats.failed += 1
            self._begin_outage(OutageSource.FRAME, redact_urls(str(err)))
            return self.frame
        self.stats.fetched += 1
        self.frame = image
        self.frame_at = self.hass.loop.time()
        self._end_outage()
        return image

    @callback
    def async_snapshot_taken(self, snapshot: Snapshot) -> None:
        """Show a snapshot just taken, or found, as the newest one."""
        latest = self.latest_snapshot
        if latest is not None and latest.id >= snapshot.id:
            return
        self.latest_snapshot = snapshot
        self.async_update_listeners()

    async def async_read_latest_snapshot(self, *, spare: bool = True) -> float | None:
        """Read the newest stored snapshot; a failure is retried with the status.

        As `async_read_status`, returns the seconds to wait when the budget had
        no token for it.
        """
        try:
            found = await self.client.snapshots(
                self.printer_id, limit=1, spare=spare, wait=False
            )
        except PrinternizerError as err:
            if isinstance(err, PrinternizerRateLimitError) and err.status is None:
                return err.retry_after or 1.0  # refused by the client, not sent
            LOGGER.debug("No snapshot list for %s: %s", self.printer_name, err)
            return None
        self.snapshots_read_at = self.hass.loop.time()
        if found:
            self.async_snapshot_taken(found[0])
        return None

    def wants_snapshot_read(self, now: float) -> bool:
        """Tell whether the newest snapshot should be read after the status.

        Only a built-in camera stores snapshots. They are read the first time,
        when the server reports a new time for the last one, and every hour
        (current servers report none; a snapshot taken with the button needs
        no read).
        """
        info = self.data
        if info is None or not info.has_camera:
            return False
        if self.snapshots_read_at is None:
            return True
        latest = self.latest_snapshot
        if info.last_snapshot_at is not None and (
            latest is None or latest.captured_at != info.last_snapshot_at
        ):
            return True
        return (
            now - self.snapshots_read_at
            >= SNAPSHOT_INTERVAL.total_seconds() - DUE_SLACK
        )

    @callback
    def async_rezone(self, zone: tzinfo) -> None:
        """Read the newest snapshot's naive server time in the server's zone.

        The camera status's own time is read again with the next status.
        """
        if (latest := self.latest_snapshot) is not None:
            self.latest_snapshot = replace(
                latest, captured_at=rezone(latest.captured_at, zone)
            )
        self.async_update_listeners()

    @override
    def extra_diagnostics(self) -> dict[str, Any]:
        """Return the frame cache, the outage and the newest snapshot."""
        now = self.hass.loop.time()
        frame = self.frame
        latest = self.latest_snapshot
        return {
            "frame": None
            if frame is None or self.frame_at is None
            else {
                "content_type": frame.content_type,
                "bytes": len(frame.content),
                "age": round(now - self.frame_at, 1),
            },
            "frames": {
                "fetched": self.stats.fetched,
                "failed": self.stats.failed,
                "refused_by_budget": self.stats.refused,
                "from_cache": self.stats.from_cache,
            },
            "outage": None
            if self.outage is None
            else {
                "source": self.outage.source,
                "reason": self.outage.reason,
                "since": self.outage.since,
            },
            "latest_snapshot": None
            if latest is None
            else {
                "id": latest.id,
                "captured_at": latest.captured_at,
                "capture_trigger": latest.capture_trigger,
            },
        }


class Read(StrEnum):
    """A paced read of one printer."""

    STATUS = "status"
    SNAPSHOT = "snapshot"


@dataclass(slots=True)
class _Tracker:
    """Entities of one kind, one per printer whose camera wants one."""

    wanted: Callable[[PrinterCamera], bool]
    create: Callable[[PrinterCamera], Entity]
    add: Callable[[Iterable[Entity]], None]
    entities: dict[str, Entity] = field(default_factory=dict)


class PrinterCameras:
    """Every printer's camera: status reads on a pace of their own, and entities."""

    def __init__(
        self, hass: HomeAssistant, entry: PrinternizerConfigEntry, fleet: PrinterFleet
    ) -> None:
        """Create the cameras; nothing is read before `async_start`."""
        self.hass = hass
        self.entry = entry
        self.fleet = fleet
        self.client = fleet.client
        self.cameras: dict[str, PrinterCamera] = {}
        # Reads that are due, in turn.
        self._due: deque[tuple[Read, PrinterCamera]] = deque()
        self._pacer = RequestBudget(per_minute=CHECKS_PER_MINUTE, burst=CHECK_BURST)
        self._running: set[asyncio.Task[None]] = set()
        self._cancel_pace: CALLBACK_TYPE | None = None
        # No read before this (loop time): the client's budget had nothing to spare.
        self._not_before = -math.inf
        self._trackers: list[_Tracker] = []
        self._watched: dict[str, float] = {}
        self._started = False
        self._stopped = False

    async def async_setup(self) -> None:
        """Follow the fleet; read the first statuses the pace allows, briefly.

        These few may take any token of the budget (nothing polls yet) and setup
        waits at most `SETUP_TIMEOUT` seconds for them, so that a small fleet's
        cameras are there when setup ends. The others follow in the background.
        """
        self.fleet.async_add_listener(self._add_printers)
        self.entry.async_on_unload(self._stop)
        first: list[PrinterCamera] = []
        while self._due and not self._pacer.try_take(self.hass.loop.time()):
            first.append(self._due.popleft()[1])
        if first:
            # One after the other, in the fleet's order; a slow server's reads go
            # on in the background after the wait.
            await asyncio.wait([self._start(first, spare=False)], timeout=SETUP_TIMEOUT)

    @callback
    def async_start(self) -> None:
        """Read camera statuses on schedule from now on."""
        self.entry.async_on_unload(
            async_track_time_interval(
                self.hass,
                self._round,
                STATUS_INTERVAL,
                name=f"{DOMAIN} camera statuses",
            )
        )
        self._started = True
        self._pump()

    @callback
    def async_add_tracker(
        self,
        wanted: Callable[[PrinterCamera], bool],
        create: Callable[[PrinterCamera], Entity],
        add: Callable[[Iterable[Entity]], None],
    ) -> None:
        """Keep one entity for every camera `wanted` holds true for.

        The entity is added once the camera's status says so, and removed (from
        the entity registry too) when a later status says otherwise.
        """
        tracker = _Tracker(wanted, create, add)
        self._trackers.append(tracker)
        self.entry.async_on_unload(lambda: self._trackers.remove(tracker))

    @callback
    def watched(self, printer_id: str, now: float) -> None:
        """Note that a viewer asked for a frame of the printer's camera."""
        self._watched[printer_id] = now

    def frame_interval(self, now: float) -> float:
        """Return the seconds between two frames of one camera.

        With many cameras watched at once, their frames share the sustained frame
        budget evenly; otherwise a frame is kept `FRAME_MAX_AGE` seconds.
        """
        watched = self._watched_count(now)
        return max(FRAME_MAX_AGE, 60.0 * watched / SUSTAINED_FRAMES_PER_MINUTE)

    def _watched_count(self, now: float) -> int:
        return sum(1 for seen in self._watched.values() if now - seen < WATCHED_WINDOW)

    def diagnostics(self) -> dict[str, Any]:
        """Return the state of the status reads and of the frame pace."""
        now = self.hass.loop.time()
        return {
            "checks_queued": len(self._due),
            "checks_running": len(self._running),
            "watched_cameras": self._watched_count(now),
            "frame_interval": self.frame_interval(now),
        }

    @callback
    def async_rezone(self, zone: tzinfo) -> None:
        """Re-read every camera's times in the server's zone, now known."""
        for camera in self.cameras.values():
            camera.async_rezone(zone)

    # ------------------------------------------------------------------
    # Printers coming and going

    @callback
    def _add_printers(self, printers: list[PrinterCoordinator]) -> None:
        for printer in printers:
            if not has_camera_routes(printer.printer_id):
                continue
            camera = PrinterCamera(self, printer)
            self.cameras[printer.printer_id] = camera
            printer.async_on_remove(
                camera.async_add_listener(partial(self._follow_all, camera))
            )
            printer.async_on_remove(partial(self._remove, camera))
            self._queue(camera)
        self._pump()

    @callback
    def _remove(self, camera: PrinterCamera) -> None:
        """Forget a printer that left the fleet (its device takes its entities)."""
        printer_id = camera.printer_id
        del self.cameras[printer_id]
        self._watched.pop(printer_id, None)
        for due in [due for due in self._due if due[1] is camera]:
            self._due.remove(due)
        for tracker in self._trackers:
            tracker.entities.pop(printer_id, None)

    @callback
    def _follow_all(self, camera: PrinterCamera) -> None:
        for tracker in self._trackers:
            self._follow(tracker, camera)

    @callback
    def _follow(self, tracker: _Tracker, camera: PrinterCamera) -> None:
        """Add or remove the tracker's entity of `camera` as its status says."""
        if camera.data is None:
            return  # not known yet: a failed read changes nothing
        entity = tracker.entities.get(camera.printer_id)
        if tracker.wanted(camera):
            if entity is None:
                entity = tracker.entities[camera.printer_id] = tracker.create(camera)
                tracker.add([entity])
            return
        if entity is None:
            return
        del tracker.entities[camera.printer_id]
        async_remove_entity(self.hass, entity)

    # ------------------------------------------------------------------
    # Paced reads

    @callback
    def _queue(
        self, camera: PrinterCamera, read: Read = Read.STATUS, *, first: bool = False
    ) -> None:
        due = (read, camera)
        if due in self._due:
            return
        if first:
            self._due.appendleft(due)
        else:
            self._due.append(due)

    @callback
    def _round(self, _now: datetime) -> None:
        """Queue the cameras whose status is due: camera printers, and stale others."""
        now = self.hass.loop.time()
        for camera in self.cameras.values():
            checked = camera.checked_at
            if (
                checked is None
                or camera.has_any
                or now - checked >= NO_CAMERA_INTERVAL.total_seconds() - DUE_SLACK
            ):
                self._queue(camera)
        self._pump()

    @callback
    def _pump(self, _now: datetime | None = None) -> None:
        """Start the next read when none runs, the pace and the budget allow it.

        Nothing is read while the server fails its health check: the next round
        tries again.
        """
        if self._cancel_pace is not None:
            self._cancel_pace()
            self._cancel_pace = None
        if not self._started or self._stopped or self._running or not self._due:
            return
        if not self.fleet.server_available:
            return
        now = self.hass.loop.time()
        wait = self._not_before - now
        if wait <= 0:
            wait = self._pacer.try_take(now)
        if wait > 0:
            self._cancel_pace = async_call_later(self.hass, wait, self._pump)
            return
        read, camera = self._due.popleft()
        self._start([camera], read)

    @callback
    def _start(
        self,
        cameras: list[PrinterCamera],
        read: Read = Read.STATUS,
        *,
        spare: bool = True,
    ) -> asyncio.Task[None]:
        task = self.entry.async_create_background_task(
            self.hass,
            self._async_checks(cameras, read, spare=spare),
            f"{DOMAIN} camera {read} "
            + ", ".join(camera.printer_name for camera in cameras),
        )
        self._running.add(task)
        task.add_done_callback(self._check_done)
        return task

    @callback
    def _check_done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._pump()

    async def _async_checks(
        self, cameras: list[PrinterCamera], read: Read, *, spare: bool
    ) -> None:
        for camera in cameras:
            await self._async_check(camera, read, spare=spare)

    async def _async_check(
        self, camera: PrinterCamera, read: Read, *, spare: bool
    ) -> None:
        """Read a camera's status (then its newest snapshot when that is due).

        A read the client's budget had no spare token for goes back in line,
        and waits until the budget may have one. Setup's reads (not `spare`)
        read the snapshot at once; later ones give it its own turn.
        """
        if spare:
            # Work due at this same moment (polls, other refreshes) goes first.
            await asyncio.sleep(0)
        if read is Read.SNAPSHOT:
            wait = await camera.async_read_latest_snapshot(spare=spare)
        else:
            wait = await camera.async_read_status(spare=spare)
        if wait:
            self._pacer.refund()
            self._queue(camera, read, first=True)
            self._not_before = self.hass.loop.time() + wait
            return
        now = self.hass.loop.time()
        if not (
            read is Read.STATUS
            and camera.last_update_success
            and camera.wants_snapshot_read(now)
        ):
            return
        if spare:
            self._queue(camera, Read.SNAPSHOT, first=True)
            return
        # The second read of the turn counts against the pace too.
        self._pacer.reserve(now, math.inf)
        if await camera.async_read_latest_snapshot(spare=False):
            self._queue(camera, Read.SNAPSHOT)

    @callback
    def _stop(self) -> None:
        """Stop reading (Home Assistant cancels the entry's background tasks)."""
        self._stopped = True
        if self._cancel_pace is not None:
            self._cancel_pace()
            self._cancel_pace = None
