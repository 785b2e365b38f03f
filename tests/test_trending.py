"""Tests for the trending coordinator: both server kinds, backoff and recovery."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from itertools import pairwise
import logging
from typing import Any
from unittest.mock import MagicMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.printernizer.api import TrendingPerformance
from custom_components.printernizer.coordinator.trending import (
    TRENDING_ABSENT_INTERVAL,
    TRENDING_SCAN_INTERVAL,
    backoff_delay,
)
from custom_components.printernizer.diagnostics import (
    async_get_config_entry_diagnostics,
)
from custom_components.printernizer.sensor import cache_hit_ratio
from tests.conftest import SetupIntegration
from tests.helpers import block_till_done
from tests.simulator import Simulator

TRENDING_PATH = "/api/v1/trending/statistics"
SEED = {"printers": 0, "trending": "seed"}
ABSENT = {"printers": 0, "trending": "absent"}
DAY = 24 * 3600.0


@pytest.fixture
def simulator_options() -> dict[str, Any]:
    """A server with trending statistics unless a test says otherwise."""
    return dict(SEED)


@pytest.fixture(autouse=True)
def exact_jitter() -> Generator[MagicMock]:
    """Jitter in the middle of its range: exactly the exponential step."""
    with patch("custom_components.printernizer.coordinator.trending.random") as source:
        source.random.return_value = 0.5
        yield source


async def _advance(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await block_till_done(hass)


def _attempts(simulator: Simulator) -> list[float]:
    """Start times of the refreshes (one refresh may make several attempts)."""
    times: list[float] = []
    for request in simulator.requests:
        if request.path == TRENDING_PATH and (
            not times or request.time - times[-1] > 1
        ):
            times.append(request.time)
    return times


def _gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in pairwise(times)]


def test_backoff_delay() -> None:
    """Exponential from 60 s, capped at 1 h, jitter ±10 % within the cap."""
    steps = [backoff_delay(n, 0.5).total_seconds() for n in range(1, 9)]
    assert steps == [60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert backoff_delay(1, 0.0).total_seconds() == pytest.approx(54)
    assert backoff_delay(1, 1.0).total_seconds() == pytest.approx(66)
    assert backoff_delay(10, 1.0).total_seconds() == 3600
    assert backoff_delay(10, 0.0).total_seconds() == pytest.approx(3240)
    assert backoff_delay(10_000, 0.5).total_seconds() == 3600


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_present_creates_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """A server with trending gets its statistics as hub sensors."""
    cached = hass.states.get("sensor.printernizer_trending_items_cached")
    assert cached is not None
    assert int(cached.state) > 0
    valid = int(hass.states.get("sensor.printernizer_trending_items_valid").state)
    makerworld = hass.states.get("sensor.printernizer_trending_items_on_makerworld")
    printables = hass.states.get("sensor.printernizer_trending_items_on_printables")
    assert int(makerworld.state) + int(printables.state) == valid
    rate = hass.states.get("sensor.printernizer_trending_fetch_success_rate")
    assert rate.attributes["unit_of_measurement"] == "%"
    assert 0 < float(rate.state) <= 100
    ratio = float(hass.states.get("sensor.printernizer_trending_cache_hit_ratio").state)
    hits = int(hass.states.get("sensor.printernizer_trending_cache_hits").state)
    misses = int(hass.states.get("sensor.printernizer_trending_cache_misses").state)
    assert ratio == pytest.approx(100 * hits / (hits + misses), abs=0.01)
    assert hass.states.get("sensor.printernizer_trending_last_error").state == "unknown"
    assert hass.states.get("sensor.printernizer_trending_last_fetch").state not in (
        "unknown",
        STATE_UNAVAILABLE,
    )
    assert hass.states.get("sensor.printernizer_trending_retry_backoff").state == "0"
    assert hass.states.get("sensor.printernizer_trending_next_update").state not in (
        "unknown",
        STATE_UNAVAILABLE,
    )
    assert simulator.request_count(TRENDING_PATH) == 1


async def test_polls_every_15_minutes(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """Without failures the statistics are read every 15 minutes."""
    interval = TRENDING_SCAN_INTERVAL.total_seconds()
    for _ in range(3):
        await _advance(hass, freezer, interval - 2)
        count = simulator.request_count(TRENDING_PATH)
        await _advance(hass, freezer, 3)
        assert simulator.request_count(TRENDING_PATH) == count + 1
    attempts = _attempts(simulator)
    assert _gaps(attempts) == pytest.approx([900, 900, 900], abs=2)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_backoff_sequence_and_recovery(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """Six failures back off 60, 120, ... 1920 s; the first success resets to 15 min."""
    fault = simulator.fault("status", path=TRENDING_PATH, status=503)
    entry = await setup_integration()
    await block_till_done(hass)
    assert entry.state is ConfigEntryState.LOADED
    expected = [60, 120, 240, 480, 960, 1920]
    for delay in expected[:-1]:
        await _advance(hass, freezer, delay - 2)
        before = simulator.request_count(TRENDING_PATH)
        await _advance(hass, freezer, 3)
        assert simulator.request_count(TRENDING_PATH) == before + 3
    coordinator = entry.runtime_data.trending
    assert coordinator.failures == 6
    assert coordinator.backoff == timedelta(seconds=1920)

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    trending = diagnostics["coordinators"]["trending"]
    assert trending["backoff"] == 1920
    assert trending["consecutive_failures"] == 6
    assert trending["next_attempt"] is not None
    assert trending["update_interval"] == 1920

    fault.clear()
    await _advance(hass, freezer, 1920 - 2)
    before = simulator.request_count(TRENDING_PATH)
    await _advance(hass, freezer, 3)
    assert simulator.request_count(TRENDING_PATH) == before + 1
    assert coordinator.failures == 0
    assert coordinator.backoff is None
    # Entities appear with the first success; the backoff is gone.
    assert hass.states.get("sensor.printernizer_trending_retry_backoff").state == "0"
    await _advance(hass, freezer, 900)

    attempts = _attempts(simulator)
    assert _gaps(attempts) == pytest.approx([*expected, 900], abs=2)


async def test_outage_request_rate(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
) -> None:
    """A day of failures costs 29 refreshes of 3 attempts: 87 requests, 3 an hour at the cap."""
    simulator.fault("status", path=TRENDING_PATH, status=503)
    await setup_integration()
    await block_till_done(hass)
    start = _attempts(simulator)[0]
    for _ in range(int(DAY // 60)):
        await _advance(hass, freezer, 60)
    in_day = [
        r
        for r in simulator.requests
        if r.path == TRENDING_PATH and r.time < start + DAY
    ]
    attempts = [t for t in _attempts(simulator) if t < start + DAY]
    assert len(attempts) == 29
    assert len(in_day) == 87
    assert _gaps(attempts)[6:] == pytest.approx([3600] * 22, abs=60)


@pytest.mark.parametrize("simulator_options", [ABSENT])
async def test_absent_creates_nothing_and_probes_every_6_hours(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    setup_integration: SetupIntegration,
    simulator: Simulator,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 404 hides the feature: no entities, one info line, no errors, a probe every 6 h."""
    caplog.set_level(logging.INFO)
    entry = await setup_integration()
    await block_till_done(hass)
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.trending.present is False
    assert not [
        e
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if "trending" in e.unique_id and "service" not in e.unique_id
    ]
    for _ in range(24):
        await _advance(hass, freezer, 3600)
    attempts = _attempts(simulator)
    assert len(attempts) == 5  # at load, then every 6 hours: 1/6 request an hour
    assert _gaps(attempts) == pytest.approx(
        [TRENDING_ABSENT_INTERVAL.total_seconds()] * 4, abs=2
    )
    assert simulator.request_count(TRENDING_PATH) == 5
    infos = [r for r in caplog.records if "no trending statistics" in r.getMessage()]
    assert len(infos) == 1
    assert infos[0].levelno == logging.INFO
    assert not [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components")
    ]


async def test_feature_disappears_removes_entities(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
    entity_registry: er.EntityRegistry,
) -> None:
    """When the server starts answering 404 the trending entities go away."""
    assert hass.states.get("sensor.printernizer_trending_items_cached") is not None
    simulator.fault("status", path=TRENDING_PATH, status=404)
    await _advance(hass, freezer, TRENDING_SCAN_INTERVAL.total_seconds() + 1)
    assert hass.states.get("sensor.printernizer_trending_items_cached") is None
    assert (
        entity_registry.async_get("sensor.printernizer_trending_items_on_makerworld")
        is None
    )
    assert init_integration.runtime_data.trending.present is False


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_failure_keeps_backoff_visible(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
    simulator: Simulator,
) -> None:
    """Failing refreshes make the statistics unavailable but show the growing backoff."""
    simulator.fault("status", path=TRENDING_PATH, status=503)
    await _advance(hass, freezer, TRENDING_SCAN_INTERVAL.total_seconds() + 1)
    assert (
        hass.states.get("sensor.printernizer_trending_items_cached").state
        == STATE_UNAVAILABLE
    )
    assert hass.states.get("sensor.printernizer_trending_retry_backoff").state == "60.0"
    await _advance(hass, freezer, 61)
    assert (
        hass.states.get("sensor.printernizer_trending_retry_backoff").state == "120.0"
    )


@pytest.mark.parametrize(
    ("hits", "misses", "ratio"),
    [(3, 1, 75.0), (0, 0, None), (None, 1, None), (1, None, None)],
)
def test_cache_hit_ratio(
    hits: int | None, misses: int | None, ratio: float | None
) -> None:
    """Hits per lookup in percent; unknown without counts or lookups."""
    performance = TrendingPerformance(
        total_requests=None,
        failed_requests=None,
        successful_fetches=None,
        success_rate=None,
        last_fetch_time=None,
        last_error=None,
        cache_hits=hits,
        cache_misses=misses,
    )
    assert cache_hit_ratio(performance) == ratio
