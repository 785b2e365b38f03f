"""The fault matrix: every HTTP fault the simulator injects, against every coordinator.

For each cell a user-level account: which entities go unavailable and which stay,
that the outage is logged once and its end once (no traceback, nothing per poll),
how the request counters grew, and that every entity, device and state is back
unchanged after the server recovers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import logging
from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
import pytest

from tests.faults.conftest import ATTEMPT_TIMEOUT, OWN_LOGGER, Harness, comparable

POLLS = 3
#: Attempts per call (the client's retry policy).
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Target:
    """A coordinator, the route it polls and the entities that show it."""

    coordinator: str
    route: str
    #: Entities that go unavailable while it fails.
    lost: tuple[str, ...]
    #: Entities that stay available (with their state) while it fails.
    kept: tuple[str, ...]
    #: Entities that stay available but show the failure, with that state.
    shown: dict[str, str] = field(default_factory=dict)


SERVER_ENTITIES = ("sensor.printernizer_server_status", "update.printernizer_server")
PRINTER_0 = ("sensor.bambu_x1c_status", "sensor.bambu_x1c_nozzle_temperature")
PRINTER_1 = ("sensor.prusa_mk4_status", "binary_sensor.prusa_mk4_online")
TRENDING = ("sensor.printernizer_trending_items_cached",)

TARGETS = {
    # A server that fails its health check shows no printer status: it may be gone.
    "health": Target(
        "health",
        "/api/v1/health",
        lost=(
            "sensor.printernizer_server_status",
            "binary_sensor.printernizer_database_problem",
            *PRINTER_0,
            *PRINTER_1,
        ),
        kept=(*TRENDING, "update.printernizer_server"),
        shown={"binary_sensor.printernizer_server_connection": STATE_OFF},
    ),
    "fleet": Target(
        "printers",
        "/api/v1/printers",
        lost=(),
        kept=(*SERVER_ENTITIES, *PRINTER_0, *PRINTER_1, *TRENDING),
    ),
    # Not knowing the printer's status, not even whether it is online.
    "printer": Target(
        "printer {id}",
        "/api/v1/printers/{id}/status",
        lost=(*PRINTER_0, "binary_sensor.bambu_x1c_online"),
        kept=(*SERVER_ENTITIES, *PRINTER_1, *TRENDING),
    ),
    "trending": Target(
        "trending",
        "/api/v1/trending/statistics",
        lost=TRENDING,
        kept=(*SERVER_ENTITIES, *PRINTER_0, *PRINTER_1),
    ),
    "update": Target(
        "update",
        "/api/v1/update-check",
        lost=("update.printernizer_server",),
        kept=(
            "sensor.printernizer_server_status",
            *PRINTER_0,
            *PRINTER_1,
            *TRENDING,
        ),
    ),
}


@dataclass(frozen=True)
class Case:
    """One fault and what it costs per poll."""

    kind: str
    options: dict[str, Any]
    #: Attempts per poll, failed attempts per poll, 429s per poll.
    attempts: int
    failed: int
    rate_limited: int = 0
    #: Attempts held (hang, slow) or followed by a Retry-After wait, and the tick
    #: that releases each.
    holds: int = 0
    step: float = 0
    #: The fault hits only the first attempt of each poll.
    once: bool = False

    @property
    def fails(self) -> bool:
        """Whether the poll fails (every attempt failed)."""
        return self.failed == self.attempts


CASES = {
    # Never answers: each attempt ends at the read timeout, all three fail.
    "hang": Case(
        "hang",
        {},
        attempts=3,
        failed=3,
        holds=3,
        step=ATTEMPT_TIMEOUT + 0.5,
    ),
    # Answers just before the timeout: nothing to see. (Firing time-changed runs
    # timers up to 0.5 s ahead, so "just under" ends 1 s before the timeout.)
    "slow_under": Case(
        "slow",
        {"delay": ATTEMPT_TIMEOUT - 2},
        attempts=1,
        failed=0,
        holds=1,
        step=ATTEMPT_TIMEOUT - 1.5,
    ),
    # Answers just after the timeout, once: the retry succeeds, nothing to see.
    "slow_over_once": Case(
        "slow",
        {"delay": ATTEMPT_TIMEOUT + 1},
        attempts=2,
        failed=1,
        holds=1,
        step=ATTEMPT_TIMEOUT + 0.5,
        once=True,
    ),
    # Always just after the timeout: as good as hung.
    "slow_over": Case(
        "slow",
        {"delay": ATTEMPT_TIMEOUT + 1},
        attempts=3,
        failed=3,
        holds=3,
        step=ATTEMPT_TIMEOUT + 0.5,
    ),
    # A server bug: retrying will not help, one attempt.
    "500": Case("status", {"status": 500}, attempts=1, failed=1),
    "502": Case("status", {"status": 502}, attempts=3, failed=3),
    "503": Case("status", {"status": 503}, attempts=3, failed=3),
    # Each retry waits out Retry-After (the tick releases it), all three limited.
    "429": Case(
        "rate_limit",
        {"retry_after": 2},
        attempts=3,
        failed=3,
        rate_limited=3,
        holds=2,
        step=2.5,
    ),
    # One 429 per poll: the retry after Retry-After succeeds.
    "429_once": Case(
        "rate_limit",
        {"retry_after": 2},
        attempts=2,
        failed=1,
        rate_limited=1,
        holds=1,
        step=2.5,
        once=True,
    ),
    # A response that fails to parse is never retried.
    "malformed": Case("malformed", {}, attempts=1, failed=1),
    "wrong_shape": Case("wrong_shape", {}, attempts=1, failed=1),
    # Connection closed without an answer (aiohttp retries the GET once itself).
    "reset": Case("reset", {}, attempts=3, failed=3),
}


def _route(target: Target, printer_id: str) -> tuple[str, str, str]:
    """Return the coordinator name, the simulator path and the metrics route."""
    return (
        target.coordinator.format(id=printer_id),
        target.route.format(id=printer_id),
        target.route,
    )


def _other_requests(harness: Harness, path: str, route: str) -> int:
    """Count requests on `route` to other paths than the faulted one."""
    pattern = route.replace("{id}", "*")
    return harness.sim.request_count(pattern) - harness.sim.request_count(path)


@pytest.mark.parametrize("case_id", list(CASES))
@pytest.mark.parametrize("target_id", list(TARGETS))
async def test_fault(harness: Harness, target_id: str, case_id: str) -> None:
    """Three polls under the fault, then one after it cleared."""
    target, case = TARGETS[target_id], CASES[case_id]
    printer_id = harness.sim.printer(0).id
    name, path, route = _route(target, printer_id)
    await harness.settle()
    before_states = harness.states()
    before_registries = harness.registries()
    before = harness.metrics
    harness.mark()

    others = _other_requests(harness, path, route)
    fault = (
        None if case.once else harness.sim.fault(case.kind, path=path, **case.options)
    )
    for _ in range(POLLS):
        if case.once:
            fault = harness.sim.fault(case.kind, path=path, count=1, **case.options)
        await harness.poll(
            name,
            fault=fault,
            holds=case.holds,
            step=case.step,
            answered=case.kind == "rate_limit",
        )

    # What the user sees during the fault.
    if case.fails:
        for entity_id in target.lost:
            assert harness.state(entity_id) == STATE_UNAVAILABLE, entity_id
        for entity_id, shown in target.shown.items():
            assert harness.state(entity_id) == shown, entity_id
    for entity_id in (*target.kept, *(() if case.fails else target.lost)):
        assert harness.state(entity_id) == before_states[entity_id].state, entity_id
    if not case.fails:
        assert harness.state("binary_sensor.printernizer_server_connection") == (
            STATE_ON
        )

    # The request counters, and the sensors that show them.
    after = harness.metrics
    endpoint = after.endpoints[route].requests - (
        before.endpoints[route].requests if route in before.endpoints else 0
    )
    # Less the other printers' requests on the same route template.
    endpoint -= _other_requests(harness, path, route) - others
    assert endpoint == case.attempts * POLLS
    assert after.failed_requests - before.failed_requests == case.failed * POLLS
    assert after.retries - before.retries == (case.attempts - 1) * POLLS
    assert after.rate_limited - before.rate_limited == case.rate_limited * POLLS

    # Logged once for the whole outage, never per poll, never with a traceback.
    problems = harness.records(logging.WARNING)
    harness.assert_no_traceback()
    assert [r.name for r in problems] == ([OWN_LOGGER] if case.fails else []), [
        r.getMessage() for r in problems
    ]

    # Recovery: logged once; every entity, device and state as before.
    harness.sim.clear_faults()
    harness.mark()
    await harness.poll(name)
    await harness.poll(name)
    await harness.poll("health")
    recovered = [r for r in harness.records() if "recovered" in r.getMessage()]
    assert len(recovered) == (1 if case.fails else 0)
    assert not harness.records(logging.WARNING)
    assert comparable(harness.states()) == comparable(before_states)
    assert harness.registries() == before_registries

    # The counter sensors show the client's counters (at the latest after the next
    # health poll, which announces every refresh).
    metrics = harness.metrics
    assert harness.state("sensor.printernizer_request_retries") == str(metrics.retries)
    assert harness.state("sensor.printernizer_failed_requests") == str(
        metrics.failed_requests
    )
    assert harness.state("sensor.printernizer_rate_limited_requests") == str(
        metrics.rate_limited
    )
