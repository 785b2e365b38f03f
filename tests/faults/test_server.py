"""Faults of the whole server and of its event stream, and unloading during faults."""

from __future__ import annotations

from collections import Counter
import logging
import time

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
import pytest

from custom_components.printernizer.coordinator.printers import (
    PRINTER_SCAN_INTERVAL,
    PUSH_SAFETY_INTERVAL,
    PrinterFleet,
)
from tests.faults.conftest import ATTEMPT_TIMEOUT, OWN_LOGGER, Harness, comparable

PRINTER_STATES = ("sensor.bambu_x1c_status", "sensor.prusa_mk4_status")


def _fleet(harness: Harness) -> PrinterFleet:
    fleet = harness.entry.runtime_data.printers
    assert fleet is not None
    return fleet


async def _run_for(harness: Harness, seconds: float, step: float = 10) -> None:
    """Let `seconds` pass in steps, every poll and reconnect due running."""
    for _ in range(int(seconds / step)):
        await harness.tick(step)
        await harness.settle()


def _outage_lines(harness: Harness) -> Counter[str]:
    """Count the integration's problem lines by message."""
    return Counter(
        record.getMessage()
        for record in harness.records(logging.WARNING)
        if record.name.startswith(OWN_LOGGER)
    )


async def _assert_push_works(harness: Harness) -> None:
    """A status change on the server reaches Home Assistant without a poll."""
    before = harness.state("sensor.bambu_x1c_status")
    harness.sim.printer(0).start_job("benchy.gcode", duration_minutes=30)
    assert await harness.sim.poll()
    await harness.until(lambda: harness.state("sensor.bambu_x1c_status") != before)


async def test_server_stopped(harness: Harness) -> None:
    """Refused connections: hub and printers unavailable, connection off, one line each."""
    await harness.settle()
    before_states = harness.states()
    before_registries = harness.registries()
    harness.mark()

    await harness.sim.go_down()
    # Long enough for every coordinator but the 12-hourly update check to poll.
    await _run_for(harness, 15 * 60, step=30)
    assert harness.state("binary_sensor.printernizer_server_connection") == STATE_OFF
    assert harness.state("sensor.printernizer_server_status") == STATE_UNAVAILABLE
    for entity_id in PRINTER_STATES:
        assert harness.state(entity_id) == STATE_UNAVAILABLE
    assert not _fleet(harness).stream_connected
    harness.assert_no_traceback()
    lines = _outage_lines(harness)
    # One line for each coordinator that polled before the health check found the
    # server gone: health, the 2 printers, trending. The printer list waits for it.
    assert len(lines) == 4, lines
    assert max(lines.values()) == 1, lines
    # Half an hour more down: not one more line.
    await _run_for(harness, 30 * 60, step=30)
    assert _outage_lines(harness) == lines

    harness.mark()
    await harness.sim.come_up()
    await _run_for(harness, 120)
    assert _fleet(harness).stream_connected
    assert harness.state("sensor.printernizer_server_status") == "healthy"
    # Trending backs off up to an hour after a long outage, by design.
    await _run_for(harness, 3600, step=60)
    recovered = Counter(
        r.getMessage() for r in harness.records() if "recovered" in r.getMessage()
    )
    assert recovered
    assert max(recovered.values()) == 1, recovered
    assert not harness.records(logging.WARNING)
    assert comparable(harness.states()) == comparable(before_states)
    assert harness.registries() == before_registries
    await _assert_push_works(harness)


async def test_server_restart(harness: Harness) -> None:
    """Refused for 20 s, then back: at most one line per part, everything back."""
    await harness.settle()
    before_states = harness.states()
    before_registries = harness.registries()
    harness.mark()

    await harness.sim.go_down()
    await _run_for(harness, 20)
    await harness.sim.come_up()
    await _run_for(harness, 120)

    harness.assert_no_traceback()
    assert max(_outage_lines(harness).values(), default=0) <= 1
    assert harness.state("binary_sensor.printernizer_server_connection") == STATE_ON
    assert _fleet(harness).stream_connected
    assert harness.sim.ws_clients == 1
    assert comparable(harness.states()) == comparable(before_states)
    assert harness.registries() == before_registries
    await _assert_push_works(harness)


@pytest.mark.parametrize("kind", ["ws_drop", "ws_silent"])
async def test_event_stream_fault(harness: Harness, kind: str) -> None:
    """Without pushes the printers are polled again; nothing goes unavailable."""
    await harness.settle()
    fleet = _fleet(harness)
    assert fleet.stream_connected
    # Polling slows down once the stream delivers a push.
    await harness.until(
        lambda: harness.sim.subscribed_printer_ids == set(fleet.printers)
    )
    assert await harness.sim.poll()
    await harness.until(lambda: fleet.pushing)
    assert fleet.poll_interval == PUSH_SAFETY_INTERVAL
    before_states = harness.states()
    harness.mark()

    fault = harness.sim.fault(kind, path="/ws")
    # A silent stream is noticed after one ping interval and the pong timeout.
    await _run_for(harness, 50)
    assert fleet.stream.stats.disconnects >= 1
    status_before = harness.sim.request_count("/api/v1/printers/*/status")
    await _run_for(harness, 600)
    polls = harness.sim.request_count("/api/v1/printers/*/status") - status_before
    # Two printers polled about every 30 s instead of every 5 minutes.
    assert polls >= 2 * 600 / PRINTER_SCAN_INTERVAL.total_seconds() / 2
    # Reconnects back off: nowhere near one a second.
    assert harness.sim.request_count("/ws") < 60
    for entity_id in (*PRINTER_STATES, "sensor.printernizer_server_status"):
        assert harness.state(entity_id) == before_states[entity_id].state
    assert not harness.records(logging.WARNING)

    fault.clear()
    await _run_for(harness, 120)
    assert fleet.stream_connected
    if kind == "ws_drop":
        assert await harness.sim.poll()
        await harness.until(lambda: fleet.pushing)
        assert fleet.poll_interval == PUSH_SAFETY_INTERVAL
    else:
        # No subscription survived the silence, so no push comes: polling goes on.
        assert fleet.poll_interval == PRINTER_SCAN_INTERVAL
    assert comparable(harness.states()) == comparable(before_states)
    assert not harness.records(logging.WARNING)
    if kind == "ws_drop":
        await _assert_push_works(harness)
        return
    # The silent server dropped the subscriptions of a connection made while it was
    # silent, and the connection answers pings again: the change arrives with the
    # safety poll at the latest.
    harness.sim.printer(0).start_job("benchy.gcode", duration_minutes=30)
    await harness.sim.poll()
    await _run_for(harness, PUSH_SAFETY_INTERVAL.total_seconds(), step=30)
    assert harness.state("sensor.bambu_x1c_status") == "printing"


UNLOAD_TARGETS = {
    "health": ("health", "/api/v1/health"),
    "fleet": ("printers", "/api/v1/printers"),
    "printer": ("printer {id}", "/api/v1/printers/{id}/status"),
    "trending": ("trending", "/api/v1/trending/statistics"),
    "update": ("update", "/api/v1/update-check"),
}


@pytest.mark.parametrize("kind", ["hang", "slow", "rate_limit"])
@pytest.mark.parametrize("target", list(UNLOAD_TARGETS))
async def test_unload_during_fault(harness: Harness, target: str, kind: str) -> None:
    """Unloading with a request held (or waiting out Retry-After) returns at once.

    The clock stays frozen, so no timeout can end anything: only cancelling the
    request does. The harness fails the test if a task or timer is left behind.
    """
    await harness.settle()
    printer_id = harness.sim.printer(0).id
    name, path = (part.format(id=printer_id) for part in UNLOAD_TARGETS[target])
    fault = harness.sim.fault(
        kind, path=path, delay=ATTEMPT_TIMEOUT + 1, retry_after=30
    )
    await harness.tick(harness.interval(name).total_seconds())
    await fault.hit.wait()
    harness.mark()

    started = time.perf_counter()
    assert await harness.hass.config_entries.async_unload(harness.entry.entry_id)
    await harness.hass.async_block_till_done()
    assert time.perf_counter() - started < 1
    assert harness.entry.state is ConfigEntryState.NOT_LOADED
    assert not harness.records(logging.WARNING)


async def test_unload_while_server_down(harness: Harness) -> None:
    """Unloading during an outage, the stream waiting to reconnect, is clean."""
    await harness.settle()
    await harness.sim.go_down()
    await _run_for(harness, 60)
    harness.mark()
    started = time.perf_counter()
    assert await harness.hass.config_entries.async_unload(harness.entry.entry_id)
    await harness.hass.async_block_till_done()
    assert time.perf_counter() - started < 1
    assert harness.entry.state is ConfigEntryState.NOT_LOADED
    assert not harness.records(logging.WARNING)
