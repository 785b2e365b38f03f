"""Fixtures and helpers for the fault tests.

Every test runs with a frozen clock against the simulator (two printers, trending
statistics served). A poll is driven the way Home Assistant drives it: tick the
coordinator's own interval and fire the time-changed event. A request the simulator
holds (hang, slow) or a retry waiting out a `Retry-After` is released by ticking the
clock past it once the simulator saw the request (its `hit` event).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import timedelta
import logging
import time
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.printernizer.api import RequestBudget, RequestMetrics
from custom_components.printernizer.coordinator.printers import LIST_SCAN_INTERVAL
from tests.helpers import block_till_done
from tests.simulator import Simulator
from tests.simulator.faults import Fault

#: aiohttp's socket-read timeout (20 s) ends an attempt that gets no answer first.
ATTEMPT_TIMEOUT = 20.0
#: The integration's loggers (integration and client library).
OWN_LOGGER = "custom_components.printernizer"

#: Request-counter sensors: they count the fault itself, so they differ afterwards.
METRICS_SENSORS = frozenset(
    {
        "sensor.printernizer_requests",
        "sensor.printernizer_failed_requests",
        "sensor.printernizer_successful_requests",
        "sensor.printernizer_request_retries",
        "sensor.printernizer_rate_limited_requests",
        "sensor.printernizer_request_success_rate",
        "sensor.printernizer_consecutive_failed_requests",
        "sensor.printernizer_last_request_error",
        "sensor.printernizer_last_successful_request",
    }
)


#: Image entities rotate their access token every few minutes, by design.
ROTATING_ATTRIBUTES = frozenset({"access_token", "entity_picture"})
#: Start-up noise, and asyncio's slow-callback report, which sees the frozen clock jump.
IGNORED_LOGGERS = frozenset({"homeassistant.loader", "asyncio"})


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """Two printers and a server that serves trending statistics."""
    return {"printers": 2, "trending": "seed"}


@pytest.fixture(autouse=True)
def roomy_budget() -> Generator[None]:
    """Give the request budget room: it refills on the real clock, not the frozen one."""
    with patch(
        "custom_components.printernizer.api.client.RequestBudget",
        lambda **_: RequestBudget(per_minute=6000, burst=1000),
    ):
        yield


@dataclass(frozen=True)
class StateView:
    """A state as a user sees it: value and attributes."""

    state: str
    attributes: dict[str, Any]


#: Statistics the server counts up on every read: only their availability is compared.
MOVING_PREFIX = "sensor.printernizer_trending_"


def comparable(states: dict[str, StateView]) -> dict[str, Any]:
    """Return states as compared before and after a fault."""
    return {
        entity_id: (view.state == STATE_UNAVAILABLE)
        if entity_id.startswith(MOVING_PREFIX)
        else view
        for entity_id, view in states.items()
    }


class Harness:
    """Drives polls and reads what a user would see."""

    def __init__(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        simulator: Simulator,
        entry: MockConfigEntry,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        self.hass = hass
        self.freezer = freezer
        self.sim = simulator
        self.entry = entry
        self.caplog = caplog
        self._mark = 0

    # -------------------------------------------------------------- clock
    async def drain(self, held: int = 0) -> None:
        """Wait (in real time) until at most `held` client calls are in flight.

        Ticking the frozen clock while a healthy request is still on the wire would
        time it out; so would a ping whose pong has not been read yet.
        """
        inflight = self.entry.runtime_data.client._inflight
        for _ in range(2000):
            if len(inflight) <= held:
                break
            await self.hass.async_add_executor_job(time.sleep, 0.002)
        else:
            pytest.fail(f"{len(inflight)} requests still in flight, {held} expected")
        await self.hass.async_add_executor_job(time.sleep, 0.005)

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait (in real time) until `condition` holds."""
        for _ in range(2000):
            if condition():
                return
            await self.hass.async_add_executor_job(time.sleep, 0.002)
        pytest.fail("condition not met within 4 s")

    async def tick(self, seconds: float, *, held: int = 0) -> None:
        """Move the frozen clock and let due timers run (not waiting for polls)."""
        await self.drain(held)
        self.freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(self.hass)
        for _ in range(3):
            await asyncio.sleep(0)

    async def settle(self) -> None:
        """Wait for every poll in flight to finish."""
        await block_till_done(self.hass)

    def coordinator(self, name: str) -> DataUpdateCoordinator[Any]:
        """Return one of the entry's coordinators by its diagnostics name."""
        return self.entry.runtime_data.coordinators()[name]

    def interval(self, name: str) -> timedelta:
        """Return how often coordinator `name` polls.

        The fleet schedules the printer list and the printers; every other
        coordinator schedules itself.
        """
        if name == "printers":
            return LIST_SCAN_INTERVAL
        if name.startswith("printer "):
            return self.entry.runtime_data.printers.poll_interval
        interval = self.coordinator(name).update_interval
        assert interval is not None
        return interval

    async def poll(
        self,
        name: str,
        *,
        fault: Fault | None = None,
        holds: int = 0,
        step: float = 0,
        answered: bool = False,
    ) -> None:
        """Let coordinator `name` poll once, on its own schedule.

        `holds` is how many of its attempts the fault holds (hang, slow) or follows
        with a wait (429); each is released by ticking `step` seconds once the
        simulator saw the attempt; with `answered` (the attempt got an answer and
        the client waits before the next), only once the client counted it.
        """
        if fault is not None:
            fault.hit.clear()
        await self.tick(self.interval(name).total_seconds())
        for _ in range(holds):
            assert fault is not None
            failed = self.metrics.failed_requests
            await fault.hit.wait()
            fault.hit.clear()
            if answered:
                await self.until(
                    lambda failed=failed: self.metrics.failed_requests > failed
                )
            await self.tick(step, held=1)
        await self.settle()

    # ----------------------------------------------------------- seeing
    def state(self, entity_id: str) -> str:
        """Return an entity's state."""
        state = self.hass.states.get(entity_id)
        assert state is not None, entity_id
        return state.state

    def states(self) -> dict[str, StateView]:
        """Every state of the entry except the request counters."""
        return {
            state.entity_id: StateView(
                state.state,
                {
                    key: value
                    for key, value in state.attributes.items()
                    if key not in ROTATING_ATTRIBUTES
                },
            )
            for state in self.hass.states.async_all()
            if state.entity_id not in METRICS_SENSORS
        }

    def registries(self) -> tuple[Any, ...]:
        """The entry's entities and devices as the registries hold them."""
        entities = sorted(
            (entity.entity_id, entity.unique_id, entity.disabled_by, entity.device_id)
            for entity in er.async_entries_for_config_entry(
                er.async_get(self.hass), self.entry.entry_id
            )
        )
        devices = sorted(
            (device.id, str(sorted(device.identifiers)), device.name, device.sw_version)
            for device in dr.async_entries_for_config_entry(
                dr.async_get(self.hass), self.entry.entry_id
            )
        )
        return tuple(entities), tuple(devices)

    @property
    def metrics(self) -> RequestMetrics:
        """Return the client's request counters."""
        return self.entry.runtime_data.client.metrics

    # ----------------------------------------------------------- logging
    def mark(self) -> None:
        """Start counting log records from now."""
        self._mark = len(self.caplog.records)

    def records(self, level: int = logging.INFO) -> list[logging.LogRecord]:
        """Records since the mark at `level` or above, loader noise left out."""
        return [
            record
            for record in self.caplog.records[self._mark :]
            if record.levelno >= level and record.name not in IGNORED_LOGGERS
        ]

    def assert_no_traceback(self) -> None:
        """Nothing at WARNING or above carries a traceback."""
        for record in self.records(logging.WARNING):
            assert record.exc_info is None, record.getMessage()
            assert record.exc_text is None, record.getMessage()


@pytest.fixture
def harness(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    simulator: Simulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> Harness:
    """A loaded entry with every first refresh done."""
    caplog.set_level(logging.INFO)
    return Harness(hass, freezer, simulator, init_integration, caplog)
