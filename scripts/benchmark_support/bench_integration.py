"""Measurements of the integration and of a polling baseline (run by scripts/benchmark).

The baseline (`baseline/custom_components/printernizer_polling`) is written the way
Home Assistant's core printer integrations are: one coordinator polls the printer
list and every printer's status every 30 s. Both run against the same simulator
configuration, one after the other (the server's rate limit is per address: side by
side they would share it).

Two clocks: setup, unload and push latency run in real time over loopback; request
rates, 429 responses, freshness and the outage run on Home Assistant's frozen test
clock, which `Timeline` moves from one due timer to the next (the client's request
budget and the server's rate limiter run on it too).

The integration is reached only through Home Assistant: config entries, states and
the entity registry. `printer_status_entity` holds the one convention it relies on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
import contextlib
from dataclasses import dataclass
from datetime import timedelta
import functools
import heapq
import itertools
import math
import random
import statistics
import time
import tracemalloc
from typing import Any
from unittest.mock import patch

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.camera import async_get_image
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    CONF_URL,
    CONF_VERIFY_SSL,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from homeassistant.util.async_ import get_scheduled_timer_handles
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from tests.simulator import RecordedRequest, SimPrinter, Simulator, default_fleet

from .parameters import (
    BASELINE_FLEETS,
    BASELINE_WARMUP,
    BASELINE_WINDOW,
    CAMERA_DISCOVERY_TIMEOUT,
    CAMERA_FLEET,
    CAMERA_PUSH_SAMPLES,
    CAMERA_PUSH_SPACING,
    CAMERA_VIEW_REFRESH,
    CAMERAS,
    DOWN_WINDOW,
    FLEETS,
    FRESHNESS_SAMPLES,
    OUTAGE,
    PUSH_BURSTS,
    PUSH_SAMPLES,
    RUNS,
    SERVER_POLL,
    SETTLE_DOWN,
    UP_WINDOW,
    WARMUP,
)

# Every refresh scheduled within this horizon starts when the clock jumps over it.
POLL_HORIZON = timedelta(minutes=6)
LONG_JOB_MINUTES = 24 * 60
type Record = Callable[[str, Any], None]


@dataclass(frozen=True)
class Implementation:
    """What runs against the simulator: the integration or the baseline."""

    key: str
    domain: str

    def __str__(self) -> str:
        """Return the key (the test ids and the results use it)."""
        return self.key


INTEGRATION = Implementation("integration", "printernizer")
BASELINE = Implementation("baseline", "printernizer_polling")
CASES = [
    pytest.param(impl, fleet, id=f"{impl}-{fleet}")
    for impl, fleets in ((INTEGRATION, FLEETS), (BASELINE, BASELINE_FLEETS))
    for fleet in fleets
]


def _entry(impl: Implementation, sim: Simulator) -> MockConfigEntry:
    return MockConfigEntry(
        domain=impl.domain,
        title="Printernizer",
        data={CONF_URL: sim.url, CONF_VERIFY_SSL: True},
    )


def printer_status_entity(
    hass: HomeAssistant, entry: MockConfigEntry, printer_id: str
) -> str:
    """Return the entity id of a printer's status sensor.

    The one convention of the integration the benchmark relies on (the baseline
    follows it too): the status sensor's unique id ends in `<printer id>_status`,
    and its state is the status the server reports (`online`, `printing`, ...).
    """
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if entity.domain == "sensor" and entity.unique_id.endswith(
            f"{printer_id}_status"
        ):
            return entity.entity_id
    raise AssertionError(f"no status sensor for printer {printer_id}")


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    """Set the entry up; return the seconds until it is loaded with its first data."""
    if entry.entry_id not in {e.entry_id for e in hass.config_entries.async_entries()}:
        entry.add_to_hass(hass)
    started = time.perf_counter()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    elapsed = time.perf_counter() - started
    assert entry.state is ConfigEntryState.LOADED
    return elapsed


async def _unload(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    started = time.perf_counter()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    return time.perf_counter() - started


@pytest.mark.parametrize(("impl", "fleet"), CASES)
async def test_setup_and_unload(
    hass: HomeAssistant,
    socket_enabled: None,
    record: Record,
    impl: Implementation,
    fleet: int,
) -> None:
    """Setup to a loaded entry; unload healthy and with every route hung."""
    setups: list[float] = []
    healthy: list[float] = []
    hung: list[float] = []
    async with Simulator(printers=fleet, rate_limit=False) as sim:
        entry = _entry(impl, sim)
        for _ in range(RUNS):
            setups.append(await _setup(hass, entry))
            await asyncio.sleep(0.2)
            entities = len(
                [
                    entity
                    for entity in er.async_entries_for_config_entry(
                        er.async_get(hass), entry.entry_id
                    )
                    if not entity.disabled
                ]
            )
            healthy.append(await _unload(hass, entry))
        for _ in range(RUNS):
            await _setup(hass, entry)
            fault = sim.fault("hang")
            # Every poll due within the horizon starts now, and hangs.
            async_fire_time_changed(hass, dt_util.utcnow() + POLL_HORIZON)
            await asyncio.wait_for(fault.hit.wait(), 10)
            await asyncio.sleep(0.1)
            hung.append(await _unload(hass, entry))
            sim.clear_faults()
    record(f"setup_s.{impl}.{fleet}", statistics.median(setups))
    record(f"unload_healthy_s.{impl}.{fleet}", statistics.median(healthy))
    record(f"unload_hung_s.{impl}.{fleet}", statistics.median(hung))
    record(f"entities.{impl}.{fleet}", entities)


# --------------------------------------------------------------------------
# The frozen clock


def _loop_is_idle(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether nothing is ready to run and no socket has anything to say."""
    return not loop._ready and not loop._selector.select(0)  # type: ignore[attr-defined]  # noqa: SLF001


async def _settle(hass: HomeAssistant) -> None:
    """Run everything that needs no clock movement: wait until the loop is idle.

    Requests go over real loopback sockets and finish in real time; whatever waits
    for a timer (a request budget, a backoff) waits for `Timeline` to move the clock.
    """
    idle = 0
    for _ in range(200_000):
        await asyncio.sleep(0)
        idle = idle + 1 if _loop_is_idle(hass.loop) else 0
        if idle >= 3:
            return
    raise AssertionError("the event loop never went idle")


class Timeline:
    """Home Assistant's frozen clock, moved from one due timer to the next.

    Every timer of the event loop fires at its own moment instead of on a fixed grid
    of steps; the benchmark's own events (the server's polls, status changes on the
    server) are scheduled here and interleave with them.
    """

    def __init__(self, hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
        """Start at the frozen clock's current time."""
        self.hass = hass
        self.freezer = freezer
        self._events: list[tuple[float, int, Callable[[], Awaitable[None]]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        """Return the event loop's (frozen) clock."""
        return self.hass.loop.time()

    def at(self, when: float, action: Callable[[], Awaitable[None]]) -> None:
        """Run `action` when the clock reaches `when`."""
        heapq.heappush(self._events, (when, next(self._order), action))

    def every(
        self, interval: float, action: Callable[[], Awaitable[None]]
    ) -> Callable[[], None]:
        """Run `action` every `interval` seconds from now on; return a canceller."""
        cancelled = False

        async def _repeat() -> None:
            if cancelled:
                return
            await action()
            self.at(self.now() + interval, _repeat)

        def _cancel() -> None:
            nonlocal cancelled
            cancelled = True

        self.at(self.now() + interval, _repeat)
        return _cancel

    def _next_timer(self) -> float:
        """Return when the earliest timer of the event loop is due (maybe already)."""
        return min(
            (
                handle.when()
                for handle in get_scheduled_timer_handles(self.hass.loop)
                if not handle.cancelled()
            ),
            default=math.inf,
        )

    async def run(self, seconds: float) -> None:
        """Move the clock `seconds` forward, through every timer due on the way."""
        end = self.now() + seconds
        while True:
            await _settle(self.hass)
            now = self.now()
            if self._events and self._events[0][0] <= now:
                _, _, action = heapq.heappop(self._events)
                await action()
                continue
            if now >= end:
                return
            target = min(
                end,
                self._next_timer(),
                self._events[0][0] if self._events else math.inf,
            )
            # One microsecond past the target: the loop runs a timer once its clock
            # is past it, and at the frozen clock's magnitude (seconds since 1970) a
            # float cannot tell the loop's clock resolution apart from nothing.
            step = math.ceil(max(0.0, target - now) * 1e6) + 1
            self.freezer.tick(timedelta(microseconds=step))


class RefusalCounter:
    """Counts the 429 responses of the simulator's rate limiter."""

    def __init__(self, sim: Simulator) -> None:
        """Wrap the limiter's check."""
        self.count = 0
        check = sim.rate_limiter.check

        def _counting_check(client: str, method: str, path: str) -> Any:
            decision = check(client, method, path)
            if not decision.allowed:
                self.count += 1
            return decision

        sim.rate_limiter.check = _counting_check  # type: ignore[method-assign]


@dataclass
class AttemptCounter:
    """Requests started by any aiohttp session (connection attempts included)."""

    count: int = 0
    websocket: int = 0


@contextlib.contextmanager
def _http_attempts() -> Iterator[AttemptCounter]:
    """Count every request an aiohttp client session starts, WebSocket connects too.

    A server that refuses connections never sees them, so they are counted where
    they start: in Home Assistant's shared session.
    """
    counter = AttemptCounter()
    original = aiohttp.ClientSession._request  # noqa: SLF001

    async def _counting(
        self: aiohttp.ClientSession, method: str, url: Any, **kwargs: Any
    ) -> Any:
        counter.count += 1
        if str(url).endswith("/ws"):
            counter.websocket += 1
        return await original(self, method, url, **kwargs)

    with patch.object(aiohttp.ClientSession, "_request", _counting):
        yield counter


async def _server_poll(sim: Simulator) -> None:
    """Poll the printers and push to subscribers, as the server does every 30 s."""
    if sim.is_up:
        sim.advance(SERVER_POLL)
        await sim.poll()


def _http(requests: list[RecordedRequest]) -> list[RecordedRequest]:
    return [request for request in requests if not request.websocket]


def _per_minute(requests: list[RecordedRequest], seconds: float) -> float:
    return len(requests) / (seconds / 60)


def _counted_per_minute(requests: list[RecordedRequest], seconds: float) -> float:
    """Return the requests a minute on routes the server's rate limit counts."""
    counted = [r for r in requests if not r.path.startswith("/api/v1/health")]
    return _per_minute(counted, seconds)


def _poll_gaps(requests: list[RecordedRequest]) -> list[float]:
    """Return each printer's median time between two of its status polls."""
    times: dict[str, list[float]] = {}
    for request in requests:
        parts = request.path.split("/")
        if len(parts) == 6 and parts[3] == "printers" and parts[5] == "status":
            times.setdefault(parts[4], []).append(request.time)
    return [
        statistics.median(b - a for a, b in itertools.pairwise(sorted(found)))
        for found in times.values()
        if len(found) > 1
    ]


def _poll_interval(requests: list[RecordedRequest]) -> float | None:
    """Return how often a printer is polled (the median over the printers)."""
    gaps = _poll_gaps(requests)
    return statistics.median(gaps) if gaps else None


def _longest_poll_interval(requests: list[RecordedRequest]) -> float:
    """Return the longest poll interval of any printer (30 s when none was seen)."""
    return max(_poll_gaps(requests), default=SERVER_POLL)


async def _freshness(
    hass: HomeAssistant,
    timeline: Timeline,
    sim: Simulator,
    entry: MockConfigEntry,
    longest_interval: float,
) -> list[float]:
    """Return the seconds from status changes on the server to Home Assistant.

    Each printer changes once per round (starts a long job, or stops it) at a
    random moment within the round's first `spread` seconds (stratified), a whole
    number of the
    server's poll intervals at least as long as `longest_interval` (the longest any
    printer waits between two polls); rounds are long enough for the change to
    arrive before the printer's next one. A change that never arrives counts as
    infinitely late.
    """
    rng = random.Random(len(sim.printers))  # noqa: S311 - moments, not secrets
    spread = SERVER_POLL * math.ceil(longest_interval / SERVER_POLL)
    # A whole number of windows, so that every round starts at the same phase of
    # the server's poll interval and the stratified moments stay evenly spread.
    round_length = spread * math.ceil((spread + 1.2 * longest_interval + 5) / spread)
    rounds = math.ceil(FRESHNESS_SAMPLES / len(sim.printers))
    printer_of = {
        printer_status_entity(hass, entry, printer_id): printer_id
        for printer_id in sim.printers
    }
    pending: dict[str, tuple[float, str]] = {}
    latencies: list[float] = []

    @callback
    def _on_state(event: Event[EventStateChangedData]) -> None:
        printer_id = printer_of.get(event.data["entity_id"])
        if printer_id not in pending or (new := event.data["new_state"]) is None:
            return
        changed_at, expected = pending[printer_id]
        if new.state == expected:
            latencies.append(timeline.now() - changed_at)
            del pending[printer_id]

    def _change(printer_id: str) -> Callable[[], Awaitable[None]]:
        async def _act() -> None:
            if printer_id in pending:
                return  # the last change has not arrived: no second sample on top
            printer = sim.printer(printer_id)
            if printer.job_name:
                printer.stop()
                expected = "online"
            else:
                printer.start_job("benchmark.gcode", duration_minutes=LONG_JOB_MINUTES)
                expected = "printing"
            pending[printer_id] = (timeline.now(), expected)

        return _act

    # Stratified: the changes' moments cover the window evenly, each at a random
    # point of its own stretch, so that few samples already show the distribution.
    changes = [
        (index, printer_id) for index in range(rounds) for printer_id in sim.printers
    ]
    rng.shuffle(changes)
    start = timeline.now()
    for position, (index, printer_id) in enumerate(changes):
        offset = spread * (position + rng.random()) / len(changes)
        timeline.at(start + index * round_length + offset, _change(printer_id))
    unsubscribe = hass.bus.async_listen(EVENT_STATE_CHANGED, _on_state)
    try:
        await timeline.run((rounds + 1) * round_length)
    finally:
        unsubscribe()
    return latencies + [math.inf] * len(pending)


def _quantiles(latencies: list[float]) -> tuple[float | None, float | None]:
    """Median and 95th percentile (None: more than that share never arrived)."""
    ordered = sorted(latencies)

    def _at(share: float) -> float | None:
        value = ordered[max(0, math.ceil(share * len(ordered)) - 1)]
        return None if math.isinf(value) else value

    return _at(0.5), _at(0.95)


def _record_freshness(
    record: Record, metric: str, key: str, latencies: list[float]
) -> None:
    median, p95 = _quantiles(latencies)
    record(f"{metric}_median_s.{key}", median)
    record(f"{metric}_p95_s.{key}", p95)
    record(f"{metric}_samples.{key}", len(latencies))


def _stream_up(sim: Simulator) -> bool:
    return sim.ws_clients > 0 and sim.subscribed_printer_ids == set(sim.printers)


@pytest.mark.parametrize("fleet", FLEETS)
async def test_integration_on_simulated_time(
    hass: HomeAssistant,
    socket_enabled: None,
    freezer: FrozenDateTimeFactory,
    record: Record,
    fleet: int,
) -> None:
    """Requests and 429s with the stream up and down, freshness, a 1-hour outage.

    Simulated clock: the server polls its printers and pushes every 30 s; 15 minutes
    to settle, 20 with the stream up, 5 to settle and 10 with it down, then status
    changes with the stream still down, then an hour with the server refusing
    connections.
    """
    async with Simulator(printers=fleet) as sim:
        refusals = RefusalCounter(sim)
        timeline = Timeline(hass, freezer)
        entry = _entry(INTEGRATION, sim)
        await _setup(hass, entry)
        timeline.every(SERVER_POLL, lambda: _server_poll(sim))
        await timeline.run(WARMUP)
        assert _stream_up(sim)

        sim.clear_requests()
        before = refusals.count
        await timeline.run(UP_WINDOW)
        up = _http(sim.requests)
        up_refused = refusals.count - before

        drop = sim.fault("ws_drop", path="/ws")
        await timeline.run(SETTLE_DOWN)
        assert sim.ws_clients == 0
        sim.clear_requests()
        before = refusals.count
        await timeline.run(DOWN_WINDOW)
        down = _http(sim.requests)
        down_refused = refusals.count - before
        latencies = await _freshness(
            hass, timeline, sim, entry, _longest_poll_interval(down)
        )
        drop.clear()

        await sim.go_down()
        with _http_attempts() as attempts:
            await timeline.run(OUTAGE)
        await sim.come_up()
        await _unload(hass, entry)

    key = f"integration.{fleet}"
    record(f"rpm_up.{key}", _per_minute(up, UP_WINDOW))
    record(f"rpm_up_counted.{key}", _counted_per_minute(up, UP_WINDOW))
    record(
        f"rpm_up_camera.{key}", _per_minute([r for r in up if _is_camera(r)], UP_WINDOW)
    )
    record(f"rpm_down.{key}", _per_minute(down, DOWN_WINDOW))
    record(f"rpm_down_counted.{key}", _counted_per_minute(down, DOWN_WINDOW))
    record(f"refused_per_hour_up.{key}", up_refused * 3600 / UP_WINDOW)
    record(f"refused_per_hour_down.{key}", down_refused * 3600 / DOWN_WINDOW)
    record(f"poll_period_up_s.{key}", _poll_interval(up))
    record(f"poll_period_down_s.{key}", _poll_interval(down))
    _record_freshness(record, "fresh_down", key, latencies)
    record(f"outage_attempts.{key}", attempts.count)
    record(f"outage_stream_attempts.{key}", attempts.websocket)


@pytest.mark.parametrize("fleet", BASELINE_FLEETS)
async def test_baseline_on_simulated_time(
    hass: HomeAssistant,
    socket_enabled: None,
    freezer: FrozenDateTimeFactory,
    record: Record,
    fleet: int,
) -> None:
    """The same measurements for the polling baseline (it has no stream).

    Simulated clock: 45 minutes to settle (long enough to spend the server's burst
    allowance where the baseline exceeds the limit), 20 to count, then status
    changes, then an hour with the server refusing connections.
    """
    async with Simulator(printers=fleet) as sim:
        refusals = RefusalCounter(sim)
        timeline = Timeline(hass, freezer)
        entry = _entry(BASELINE, sim)
        await _setup(hass, entry)
        timeline.every(SERVER_POLL, lambda: _server_poll(sim))
        await timeline.run(BASELINE_WARMUP)

        sim.clear_requests()
        before = refusals.count
        await timeline.run(BASELINE_WINDOW)
        window = _http(sim.requests)
        refused = refusals.count - before
        latencies = await _freshness(
            hass, timeline, sim, entry, _longest_poll_interval(window)
        )

        await sim.go_down()
        with _http_attempts() as attempts:
            await timeline.run(OUTAGE)
        await sim.come_up()
        await _unload(hass, entry)

    key = f"baseline.{fleet}"
    record(f"rpm.{key}", _per_minute(window, BASELINE_WINDOW))
    record(f"rpm_counted.{key}", _counted_per_minute(window, BASELINE_WINDOW))
    record(f"refused_per_hour.{key}", refused * 3600 / BASELINE_WINDOW)
    record(f"poll_period_s.{key}", _poll_interval(window))
    _record_freshness(record, "fresh", key, latencies)
    record(f"outage_attempts.{key}", attempts.count)


# --------------------------------------------------------------------------
# Pushes (real time)


def _toggle(sim: Simulator, printer_id: str) -> str:
    """Start a job on an idle printer or stop the running one; return the new status."""
    printer = sim.printer(printer_id)
    if printer.job_name:
        printer.stop()
        return "online"
    printer.start_job("benchmark.gcode", duration_minutes=LONG_JOB_MINUTES)
    return "printing"


class StateWaiter:
    """Waits until given entities show given states."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen to state changes."""
        self.hass = hass
        self.expected: dict[str, str] = {}
        self.done = asyncio.Event()
        self._unsub = hass.bus.async_listen(EVENT_STATE_CHANGED, self._on_state)

    def expect(self, expected: dict[str, str]) -> None:
        """Wait for these states from now on."""
        self.expected = dict(expected)
        self.done.clear()

    @callback
    def _on_state(self, event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        new = event.data["new_state"]
        if new is not None and self.expected.get(entity_id) == new.state:
            del self.expected[entity_id]
            if not self.expected:
                self.done.set()

    def close(self) -> None:
        """Stop listening."""
        self._unsub()


@pytest.mark.parametrize("fleet", FLEETS)
async def test_push(
    hass: HomeAssistant, socket_enabled: None, record: Record, fleet: int
) -> None:
    """A status change pushed by the server, to the state in Home Assistant.

    Latency: one printer at a time. CPU time: every printer changes and the server
    pushes them all at once; the event loop's CPU time (the simulator's sending
    included) until every state has changed, per printer.
    """
    async with Simulator(printers=fleet, rate_limit=False) as sim:
        entry = _entry(INTEGRATION, sim)
        await _setup(hass, entry)
        await asyncio.wait_for(sim.wait_for_ws(_stream_up), 10)
        entities = {
            printer_id: printer_status_entity(hass, entry, printer_id)
            for printer_id in sim.printers
        }
        waiter = StateWaiter(hass)
        printer_id = sim.printer(0).id
        latencies: list[float] = []
        for _ in range(PUSH_SAMPLES):
            waiter.expect({entities[printer_id]: _toggle(sim, printer_id)})
            started = time.perf_counter()
            await sim.poll(printer_id)
            await asyncio.wait_for(waiter.done.wait(), 5)
            latencies.append(time.perf_counter() - started)
        costs: list[float] = []
        for _ in range(PUSH_BURSTS):
            waiter.expect({entities[pid]: _toggle(sim, pid) for pid in sim.printers})
            started = time.thread_time()
            await sim.poll()
            await asyncio.wait_for(waiter.done.wait(), 30)
            costs.append((time.thread_time() - started) / fleet)
        waiter.close()
        assert all(
            hass.states.get(entity_id).state not in (STATE_UNAVAILABLE, STATE_UNKNOWN)  # type: ignore[union-attr]
            for entity_id in entities.values()
        )
        await _unload(hass, entry)

    median, p95 = _quantiles(latencies)
    record(f"push_median_s.integration.{fleet}", median)
    record(f"push_p95_s.integration.{fleet}", p95)
    record(f"push_cpu_s.integration.{fleet}", statistics.median(costs))


async def test_memory_per_printer(
    hass: HomeAssistant, socket_enabled: None, record: Record
) -> None:
    """Python heap held by a loaded entry, per printer (simulator excluded)."""
    sizes: dict[int, list[int]] = {1: [], 50: []}
    for _ in range(3):
        for fleet, found in sizes.items():
            async with Simulator(printers=fleet, rate_limit=False) as sim:
                entry = _entry(INTEGRATION, sim)
                tracemalloc.start()
                try:
                    base = tracemalloc.take_snapshot()
                    await _setup(hass, entry)
                    await asyncio.sleep(0.2)
                    loaded = tracemalloc.take_snapshot()
                finally:
                    tracemalloc.stop()
                keep = [tracemalloc.Filter(False, "*/tests/simulator/*")]
                growth = sum(
                    stat.size_diff
                    for stat in loaded.filter_traces(keep).compare_to(
                        base.filter_traces(keep), "filename"
                    )
                )
                found.append(growth)
                await _unload(hass, entry)
                await hass.config_entries.async_remove(entry.entry_id)
    per_printer = (statistics.median(sizes[50]) - statistics.median(sizes[1])) / 49
    record("memory_per_printer_kib.integration", per_printer / 1024)


# --------------------------------------------------------------------------
# Cameras


def camera_fleet(cameras: int) -> list[SimPrinter]:
    """`CAMERA_FLEET` printers; the first `cameras` (Bambu Lab) have a camera."""
    with_camera = [
        SimPrinter(f"Bambu P1S {index + 1}", "bambu_lab", camera=True)
        for index in range(cameras)
    ]
    others = default_fleet(CAMERA_FLEET - cameras)
    for printer in others:
        printer.camera = False
    return with_camera + others


def _is_camera(request: RecordedRequest) -> bool:
    return "/camera/" in request.path or request.path.endswith("/snapshots")


def camera_entities(hass: HomeAssistant, entry: MockConfigEntry) -> list[str]:
    """Return the entry's camera entities."""
    return sorted(
        entity.entity_id
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        )
        if entity.domain == "camera"
    )


@dataclass
class Views:
    """Camera views, as camera cards on open dashboards: what they were shown."""

    pictures: int = 0
    blank: int = 0

    async def look(self, hass: HomeAssistant, entity_id: str) -> None:
        """Ask for the camera's picture once, as a card's refresh does."""
        try:
            await async_get_image(hass, entity_id)
        except HomeAssistantError:
            self.blank += 1
        else:
            self.pictures += 1

    @property
    def share(self) -> float | None:
        """Return the share of refreshes that showed a picture, in percent."""
        total = self.pictures + self.blank
        return 100 * self.pictures / total if total else None


@pytest.mark.parametrize("cameras", CAMERAS)
async def test_cameras_on_simulated_time(
    hass: HomeAssistant,
    socket_enabled: None,
    freezer: FrozenDateTimeFactory,
    record: Record,
    cameras: int,
) -> None:
    """Fifty printers, with or without ten cameras watched every 10 s.

    As `test_integration_on_simulated_time`, with one view per camera asking for a
    picture every `CAMERA_VIEW_REFRESH` seconds from the end of the warm-up on.
    """
    async with Simulator(printers=camera_fleet(cameras)) as sim:
        refusals = RefusalCounter(sim)
        timeline = Timeline(hass, freezer)
        entry = _entry(INTEGRATION, sim)
        await _setup(hass, entry)
        timeline.every(SERVER_POLL, lambda: _server_poll(sim))
        await timeline.run(WARMUP)
        assert _stream_up(sim)
        watched = camera_entities(hass, entry)
        assert len(watched) == cameras
        views = Views()
        for index, entity_id in enumerate(watched):
            # Cards opened one after the other, each on its own refresh.
            timeline.at(
                timeline.now() + index * CAMERA_VIEW_REFRESH / max(cameras, 1),
                functools.partial(_view_every, timeline, views, hass, entity_id),
            )

        sim.clear_requests()
        before = refusals.count
        await timeline.run(UP_WINDOW)
        up = _http(sim.requests)
        up_refused = refusals.count - before

        drop = sim.fault("ws_drop", path="/ws")
        await timeline.run(SETTLE_DOWN)
        sim.clear_requests()
        before = refusals.count
        await timeline.run(DOWN_WINDOW)
        down = _http(sim.requests)
        down_refused = refusals.count - before
        latencies = await _freshness(
            hass, timeline, sim, entry, _longest_poll_interval(down)
        )
        drop.clear()
        await _unload(hass, entry)

    key = f"cameras.{cameras}"
    record(f"rpm_up.{key}", _per_minute(up, UP_WINDOW))
    record(
        f"rpm_up_camera.{key}", _per_minute([r for r in up if _is_camera(r)], UP_WINDOW)
    )
    record(f"rpm_down.{key}", _per_minute(down, DOWN_WINDOW))
    record(f"rpm_down_counted.{key}", _counted_per_minute(down, DOWN_WINDOW))
    record(
        f"rpm_down_camera.{key}",
        _per_minute([r for r in down if _is_camera(r)], DOWN_WINDOW),
    )
    record(f"refused_per_hour_up.{key}", up_refused * 3600 / UP_WINDOW)
    record(f"refused_per_hour_down.{key}", down_refused * 3600 / DOWN_WINDOW)
    record(f"poll_period_up_s.{key}", _poll_interval(up))
    record(f"poll_period_down_s.{key}", _poll_interval(down))
    _record_freshness(record, "fresh_down", key, latencies)
    record(f"views_with_picture_pct.{key}", views.share)


async def _view_every(
    timeline: Timeline, views: Views, hass: HomeAssistant, entity_id: str
) -> None:
    """Look now, and again every `CAMERA_VIEW_REFRESH` seconds."""
    await views.look(hass, entity_id)
    timeline.every(CAMERA_VIEW_REFRESH, lambda: views.look(hass, entity_id))


@pytest.mark.parametrize("cameras", CAMERAS)
async def test_push_with_cameras(
    hass: HomeAssistant, socket_enabled: None, record: Record, cameras: int
) -> None:
    """Push latency (real time) while every camera is watched every 10 s.

    Pushes are `CAMERA_PUSH_SPACING` seconds apart, with or without cameras, so
    that the views refresh in between.
    """
    async with Simulator(printers=camera_fleet(cameras), rate_limit=False) as sim:
        entry = _entry(INTEGRATION, sim)
        await _setup(hass, entry)
        await asyncio.wait_for(sim.wait_for_ws(_stream_up), 10)
        # The cameras' statuses come from spare tokens, at 12 reads a minute.
        deadline = time.monotonic() + CAMERA_DISCOVERY_TIMEOUT
        while len(camera_entities(hass, entry)) < cameras:
            assert time.monotonic() < deadline, "the cameras did not all appear"
            await asyncio.sleep(0.5)
        views = Views()

        async def _watch(entity_id: str, delay: float) -> None:
            await asyncio.sleep(delay)
            while True:
                await views.look(hass, entity_id)
                await asyncio.sleep(CAMERA_VIEW_REFRESH)

        watchers = [
            asyncio.create_task(
                _watch(entity_id, index * CAMERA_VIEW_REFRESH / max(cameras, 1))
            )
            for index, entity_id in enumerate(camera_entities(hass, entry))
        ]
        printer_id = sim.printer(cameras).id  # a printer without a camera
        entity_id = printer_status_entity(hass, entry, printer_id)
        waiter = StateWaiter(hass)
        latencies: list[float] = []
        try:
            for _ in range(CAMERA_PUSH_SAMPLES):
                await asyncio.sleep(CAMERA_PUSH_SPACING)
                waiter.expect({entity_id: _toggle(sim, printer_id)})
                started = time.perf_counter()
                await sim.poll(printer_id)
                await asyncio.wait_for(waiter.done.wait(), 5)
                latencies.append(time.perf_counter() - started)
        finally:
            waiter.close()
            for watcher in watchers:
                watcher.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
        await _unload(hass, entry)

    median, p95 = _quantiles(latencies)
    record(f"push_median_s.cameras.{cameras}", median)
    record(f"push_p95_s.cameras.{cameras}", p95)
