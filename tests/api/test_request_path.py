"""Retries, deadline, rate limits, request budget, metrics and cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
import json
import logging
import time
from typing import Any

import aiohttp
import pytest

from custom_components.printernizer.api import (
    PrinternizerCancelledError,
    PrinternizerClient,
    PrinternizerConnectionError,
    PrinternizerError,
    PrinternizerNotFoundError,
    PrinternizerRateLimitError,
    PrinternizerRequestError,
    PrinternizerResponseError,
    PrinternizerServerError,
    PrinternizerTimeoutError,
    RequestBudget,
    RequestMetrics,
    RetryPolicy,
    client as client_module,
)

from .conftest import (
    BAMBU_ID,
    ClientFactory,
    FakeClock,
    FakeServer,
    Reply,
    TokenBucket,
    capture,
    eventually,
)

UPDATE = "/api/v1/update-check"
STATUS = f"/api/v1/printers/{BAMBU_ID}/status"
WALL = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)


def _unavailable(status: int = 503) -> Reply:
    return Reply(
        status=status,
        body={
            "status": "error",
            "message": "Service unavailable",
            "error_code": "SERVICE_UNAVAILABLE",
            "details": {},
        },
    )


def _random_sequence(*values: float) -> Any:
    numbers: Iterator[float] = iter(values)
    return lambda: next(numbers)


class RecordingSession:
    """Passes requests through, remembering the timeout of each attempt."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.timeouts: list[aiohttp.ClientTimeout] = []

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:
        self.timeouts.append(kwargs["timeout"])
        return self.session.request(method, url, **kwargs)


# --------------------------------------------------------------------------
# Retries


async def test_retries_502_and_503_then_succeeds(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    server.set(
        "GET",
        UPDATE,
        _unavailable(503),
        _unavailable(502),
        capture("update_check.json"),
    )

    check = await client.update_check()

    assert check.current_version == "2.42.0"
    assert len(server.hits(UPDATE)) == 3
    # Full jitter at its maximum: min(1 * 2**n, 30) for n = 0, 1.
    assert clock.sleeps == [1.0, 2.0]
    metrics = client.metrics
    assert metrics.total_requests == 3
    assert metrics.failed_requests == 2
    assert metrics.successful_fetches == 1
    assert metrics.retries == 2
    assert metrics.consecutive_failures == 0
    assert metrics.success_rate == 33.33
    assert metrics.endpoints[UPDATE].requests == 3
    assert metrics.endpoints[UPDATE].failures == 2


async def test_backoff_is_jittered_below_the_cap(
    make_client: ClientFactory, server: FakeServer, clock: FakeClock
) -> None:
    client = make_client(
        random=_random_sequence(0.5, 0.25, 0.9, 0.1),
        retry=RetryPolicy(max_attempts=5, base_delay=2.0, max_delay=5.0),
    )
    server.set("GET", UPDATE, _unavailable(504))

    with pytest.raises(PrinternizerServerError):
        await client.update_check()

    # Caps 2, 4, 5 (max_delay), 5, each scaled by the random draw.
    assert clock.sleeps == pytest.approx([1.0, 1.0, 4.5, 0.5])
    assert len(server.hits(UPDATE)) == 5


async def test_gives_up_after_max_attempts(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    server.set("GET", UPDATE, _unavailable(504))

    with pytest.raises(PrinternizerServerError) as err:
        await client.update_check()

    assert err.value.status == 504
    assert len(server.hits(UPDATE)) == 3
    metrics = client.metrics
    assert metrics.consecutive_failures == 3
    assert metrics.failed_requests == 3
    assert metrics.retries == 2
    assert metrics.success_rate == 0.0
    assert metrics.last_error == (
        "PrinternizerServerError: GET /api/v1/update-check: "
        "HTTP 504 SERVICE_UNAVAILABLE: Service unavailable"
    )


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (
            Reply(status=400, body={"error_code": "VALIDATION"}),
            PrinternizerRequestError,
        ),
        (Reply(status=404, body={"detail": "Not Found"}), PrinternizerNotFoundError),
        (Reply(status=409, body={"error_code": "HTTP_409"}), PrinternizerRequestError),
        (capture("printer_details_prusa.json"), PrinternizerServerError),
        (Reply(status=501), PrinternizerServerError),
        (Reply(body="not json"), PrinternizerResponseError),
        (Reply(body={"update_available": "yes"}), PrinternizerResponseError),
    ],
)
async def test_not_retried(
    client: PrinternizerClient,
    server: FakeServer,
    clock: FakeClock,
    reply: Reply,
    error: type[PrinternizerError],
) -> None:
    server.set("GET", UPDATE, reply)

    with pytest.raises(error):
        await client.update_check()

    assert len(server.hits(UPDATE)) == 1
    assert clock.sleeps == []
    assert client.metrics.retries == 0


async def test_timeout_is_retried(
    make_client: ClientFactory,
    server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        client_module, "ATTEMPT_TIMEOUT", aiohttp.ClientTimeout(total=0.2, connect=0.2)
    )
    client = make_client()
    server.set("GET", UPDATE, Reply(hang=True), capture("update_check.json"))

    check = await client.update_check()

    assert check.check_failed is True
    assert len(server.hits(UPDATE)) == 2
    assert client.metrics.last_error == (
        "PrinternizerTimeoutError: GET /api/v1/update-check: timed out"
    )


async def test_socket_read_timeout(
    make_client: ClientFactory,
    server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        client_module,
        "ATTEMPT_TIMEOUT",
        aiohttp.ClientTimeout(total=30, connect=10, sock_read=0.1),
    )
    client = make_client(retry=RetryPolicy(max_attempts=1))
    server.set("GET", UPDATE, Reply(hang=True))

    with pytest.raises(PrinternizerTimeoutError):
        await client.update_check()


async def test_attempt_timeouts() -> None:
    timeout = client_module.ATTEMPT_TIMEOUT

    assert (timeout.total, timeout.connect, timeout.sock_read) == (30.0, 10.0, 20.0)


# --------------------------------------------------------------------------
# The deadline


async def test_worst_case_of_the_default_policy_is_the_60_s_deadline(
    server: FakeServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Each attempt uses its whole timeout: the call still ends at 60 s.

    Attempt 1 may take 30 s, then up to 1 s of backoff; attempt 2 gets the
    29 s left; attempt 3 cannot fit and is not made.
    """
    recording = RecordingSession(session)
    client = PrinternizerClient(
        recording,  # type: ignore[arg-type]
        server.url,
        sleep=clock.sleep,
        clock=clock,
        random=lambda: 1.0,
    )
    server.set("GET", UPDATE, Reply(status=504))
    server.hook = lambda _: clock.advance(recording.timeouts[-1].total or 0)

    with pytest.raises(PrinternizerServerError):
        await client.update_check()

    assert [t.total for t in recording.timeouts] == [30.0, 29.0]
    assert clock.sleeps == [1.0]
    assert clock.elapsed == pytest.approx(60.0)
    assert len(server.hits(UPDATE)) == 2


async def test_without_the_deadline_three_full_attempts_take_93_s(
    server: FakeServer, session: aiohttp.ClientSession, clock: FakeClock
) -> None:
    recording = RecordingSession(session)
    client = PrinternizerClient(
        recording,  # type: ignore[arg-type]
        server.url,
        retry=RetryPolicy(deadline=1000.0),
        sleep=clock.sleep,
        clock=clock,
        random=lambda: 1.0,
    )
    server.set("GET", UPDATE, Reply(status=504))
    server.hook = lambda _: clock.advance(recording.timeouts[-1].total or 0)

    with pytest.raises(PrinternizerServerError):
        await client.update_check()

    assert clock.elapsed == pytest.approx(30 + 1 + 30 + 2 + 30)


async def test_a_retry_that_cannot_fit_is_not_made(
    make_client: ClientFactory, server: FakeServer, clock: FakeClock
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=5, deadline=10.0))
    server.set("GET", UPDATE, Reply(status=503, advance=4.0))

    with pytest.raises(PrinternizerServerError):
        await client.update_check()

    # 4 s, wait 1 s, 4 s (t=9): a further 2 s wait would pass the deadline.
    assert len(server.hits(UPDATE)) == 2
    assert clock.sleeps == [1.0]
    assert clock.elapsed <= 10.0


async def test_deadline_bounds_a_hung_server_in_real_time(
    server: FakeServer, session: aiohttp.ClientSession
) -> None:
    client = PrinternizerClient(session, server.url, retry=RetryPolicy(deadline=0.5))
    server.set("GET", UPDATE, Reply(hang=True))

    started = time.monotonic()
    with pytest.raises(PrinternizerTimeoutError):
        await client.update_check()
    elapsed = time.monotonic() - started

    assert 0.4 < elapsed < 1.5
    assert len(server.hits(UPDATE)) == 1


# --------------------------------------------------------------------------
# 429


async def test_429_waits_for_retry_after(
    make_client: ClientFactory, server: FakeServer, clock: FakeClock
) -> None:
    client = make_client(random=lambda: 0.25)
    server.set(
        "GET",
        STATUS,
        capture("rate_limited_429.json"),
        capture("printer_status_bambu.json"),
    )

    status = await client.printer_status(BAMBU_ID)

    assert status.id == BAMBU_ID
    # Retry-After: 1 beats the 0.25 s backoff (the body's 0.0 is ignored).
    assert clock.sleeps == [1.0]
    metrics = client.metrics
    assert metrics.rate_limited == 1
    assert metrics.retries == 1
    assert metrics.successful_fetches == 1


async def test_429_error_carries_retry_after(
    make_client: ClientFactory, server: FakeServer
) -> None:
    client = make_client(retry=RetryPolicy(max_attempts=1))
    server.set("GET", STATUS, capture("rate_limited_429.json"))

    with pytest.raises(PrinternizerRateLimitError) as err:
        await client.printer_status(BAMBU_ID)

    assert err.value.retry_after == 1.0
    assert err.value.status == 429
    assert err.value.error_code == "RATE_LIMIT_EXCEEDED"
    assert str(err.value) == (
        "GET /api/v1/printers/{id}/status: HTTP 429 RATE_LIMIT_EXCEEDED: "
        "Too many requests. Please try again later."
    )


async def test_429_body_retry_after_without_header(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    server.set(
        "GET",
        STATUS,
        Reply(
            status=429,
            body={
                "error_code": "RATE_LIMIT_EXCEEDED",
                "details": {"retry_after_seconds": 5},
            },
        ),
        capture("printer_status_bambu.json"),
    )

    await client.printer_status(BAMBU_ID)

    assert clock.sleeps == [5.0]


async def test_429_retry_after_as_http_date(
    make_client: ClientFactory, server: FakeServer, clock: FakeClock
) -> None:
    client = make_client(wall_clock=lambda: WALL)
    when = format_datetime(WALL + timedelta(seconds=7), usegmt=True)
    server.set(
        "GET",
        STATUS,
        Reply(status=429, headers={"Retry-After": when}),
        capture("printer_status_bambu.json"),
    )

    await client.printer_status(BAMBU_ID)

    assert clock.sleeps == [7.0]


@pytest.mark.parametrize("header", ["soon", "Thu, 99 Foo 2026 25:61:61 GMT"])
async def test_429_unusable_retry_after_falls_back_to_backoff(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock, header: str
) -> None:
    server.set(
        "GET",
        STATUS,
        Reply(status=429, headers={"Retry-After": header}, body=[]),
        capture("printer_status_bambu.json"),
    )

    await client.printer_status(BAMBU_ID)

    assert clock.sleeps == [1.0]


async def test_429_retry_after_beyond_the_deadline_is_raised_at_once(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    server.set("GET", STATUS, Reply(status=429, headers={"Retry-After": "120"}))

    with pytest.raises(PrinternizerRateLimitError) as err:
        await client.printer_status(BAMBU_ID)

    assert err.value.retry_after == 120.0
    assert clock.sleeps == []
    assert len(server.hits(STATUS)) == 1


# --------------------------------------------------------------------------
# The request budget


async def test_a_burst_of_200_calls_never_meets_the_server_limit(
    client: PrinternizerClient, server: FakeServer, clock: FakeClock
) -> None:
    server.limiter = TokenBucket(clock, per_minute=100, capacity=100)

    for _ in range(200):
        await client.printer_status(BAMBU_ID)

    metrics = client.metrics
    assert metrics.rate_limited == 0
    assert metrics.total_requests == 200
    assert metrics.successful_fetches == 200
    assert metrics.failed_requests == 0
    assert len(server.hits(STATUS)) == 200
    # 10 at once, then one per second (60/min).
    assert clock.elapsed == pytest.approx(190.0)
    assert max(clock.sleeps) == pytest.approx(1.0)
    arrivals = [seen.at for seen in server.requests]
    for index, at in enumerate(arrivals):
        in_last_minute = [t for t in arrivals[: index + 1] if t > at - 60.0]
        assert len(in_last_minute) <= 10 + 60


async def test_the_same_burst_without_a_budget_meets_the_server_limit(
    make_client: ClientFactory, server: FakeServer, clock: FakeClock
) -> None:
    client = make_client(budget=RequestBudget(per_minute=100_000, burst=1_000))
    server.limiter = TokenBucket(clock, per_minute=100, capacity=100)

    for _ in range(200):
        await client.printer_status(BAMBU_ID)

    assert client.metrics.rate_limited > 0
    assert client.metrics.successful_fetches == 200


async def test_concurrent_calls_share_the_budget(
    make_client: ClientFactory, server: FakeServer
) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    client = make_client(sleep=record)

    await asyncio.gather(*(client.printer_status(BAMBU_ID) for _ in range(30)))

    # Ten tokens at once, then each caller reserved the next second.
    assert sorted(waits) == [float(n) for n in range(1, 21)]
    assert len(server.hits(STATUS)) == 30


async def test_health_is_exempt_from_the_budget(
    make_client: ClientFactory, server: FakeServer, clock: FakeClock
) -> None:
    client = make_client(budget=RequestBudget(per_minute=1, burst=1))

    for _ in range(20):
        await client.health()

    assert clock.sleeps == []
    assert len(server.hits("/api/v1/health")) == 20


async def test_budget_wait_beyond_the_deadline_sends_nothing(
    make_client: ClientFactory, server: FakeServer, clock: FakeClock
) -> None:
    client = make_client(budget=RequestBudget(per_minute=1, burst=1))
    await client.printer_status(BAMBU_ID)

    with pytest.raises(PrinternizerRateLimitError) as err:
        await client.printer_status(BAMBU_ID)

    assert err.value.retry_after == pytest.approx(60.0)
    assert err.value.status is None
    assert len(server.hits(STATUS)) == 1
    assert clock.sleeps == []
    metrics = client.metrics
    assert metrics.total_requests == 1
    assert metrics.last_error == (
        "PrinternizerRateLimitError: request budget exhausted"
    )


async def test_budget_wait_counts_against_the_deadline(
    make_client: ClientFactory, server: FakeServer, clock: FakeClock
) -> None:
    client = make_client(budget=RequestBudget(per_minute=2, burst=1))
    await client.printer_status(BAMBU_ID)

    await client.printer_status(BAMBU_ID)

    assert clock.sleeps == [30.0]
    assert len(server.hits(STATUS)) == 2


def test_budget_serves_concurrent_callers_in_order() -> None:
    budget = RequestBudget(per_minute=60, burst=10)

    waits = [budget.reserve(0.0, deadline=100.0) for _ in range(15)]

    assert waits == [0.0] * 10 + [1.0, 2.0, 3.0, 4.0, 5.0]
    with pytest.raises(PrinternizerRateLimitError) as err:
        budget.reserve(0.0, deadline=5.5)
    assert err.value.retry_after == 6.0
    # Nothing was taken by the refused call.
    assert budget.reserve(0.0, deadline=100.0) == 6.0
    # Ten seconds later ten tokens have come back: six were owed.
    assert budget.reserve(10.0, deadline=100.0) == 0.0


def test_budget_refills_up_to_the_burst() -> None:
    budget = RequestBudget(per_minute=60, burst=2)
    budget.reserve(0.0, deadline=10.0)
    budget.reserve(0.0, deadline=10.0)

    assert budget.reserve(0.5, deadline=10.0) == pytest.approx(0.5)
    # A long pause refills at most ``burst`` tokens.
    assert budget.reserve(100.0, deadline=200.0) == 0.0
    assert budget.reserve(100.0, deadline=200.0) == 0.0
    assert budget.reserve(100.0, deadline=200.0) == pytest.approx(1.0)
    # A clock that goes backwards does not add tokens.
    assert budget.reserve(50.0, deadline=200.0) == pytest.approx(2.0)


async def test_a_cancelled_budget_wait_gives_its_token_back() -> None:
    budget = RequestBudget(per_minute=60, burst=1)
    now = 0.0
    budget.reserve(now, deadline=10.0)

    async def sleep_forever(_: float) -> None:
        await asyncio.Event().wait()

    waiter = asyncio.create_task(budget.acquire(lambda: now, sleep_forever, 10.0))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter

    assert budget.reserve(now, deadline=10.0) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"max_attempts": 0}, "max_attempts"),
        ({"base_delay": -1.0}, "delays"),
        ({"max_delay": -1.0}, "delays"),
        ({"deadline": 0.0}, "deadline"),
        ({"deadline": float("inf")}, "deadline"),
        ({"deadline": float("nan")}, "deadline"),
    ],
)
def test_retry_policy_rejects_bad_values(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RetryPolicy(**kwargs)


def test_retry_policy_backoff_caps() -> None:
    policy = RetryPolicy()

    assert [policy.backoff_cap(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert policy.backoff_cap(10_000) == 30.0
    assert RetryPolicy() == RetryPolicy(3, 1.0, 30.0, 60.0)


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"per_minute": 0}, "per_minute"), ({"burst": 0}, "burst")]
)
def test_request_budget_rejects_bad_values(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RequestBudget(**kwargs)


def test_request_budget_repr() -> None:
    assert repr(RequestBudget()) == "RequestBudget(per_minute=60, burst=10)"


# --------------------------------------------------------------------------
# Metrics


def test_metrics_before_the_first_request() -> None:
    metrics = RequestMetrics()

    assert metrics.success_rate is None
    assert metrics.as_dict() == {
        "total_requests": 0,
        "failed_requests": 0,
        "successful_fetches": 0,
        "retries": 0,
        "rate_limited": 0,
        "consecutive_failures": 0,
        "success_rate": None,
        "last_fetch_time": None,
        "last_error": None,
        "endpoints": {},
    }


async def test_metrics_snapshot_is_json_safe_and_immutable(
    make_client: ClientFactory, server: FakeServer
) -> None:
    client = make_client(wall_clock=lambda: WALL)
    server.set(
        "GET",
        STATUS,
        capture("rate_limited_429.json"),
        capture("printer_status_bambu.json"),
    )
    before = client.metrics

    await client.printer_status(BAMBU_ID)
    await client.health()
    with pytest.raises(PrinternizerNotFoundError):
        await client.printer_status("does-not-exist")
    snapshot = client.metrics

    assert before.total_requests == 0
    data = json.loads(json.dumps(snapshot.as_dict()))
    # The 404 is the server's answer ("no such printer"), not a failure.
    assert data == {
        "total_requests": 4,
        "failed_requests": 1,
        "successful_fetches": 3,
        "retries": 1,
        "rate_limited": 1,
        "consecutive_failures": 0,
        "success_rate": 75.0,
        "last_fetch_time": "2026-11-28T21:00:00+00:00",
        "last_error": (
            "PrinternizerRateLimitError: GET /api/v1/printers/{id}/status: "
            "HTTP 429 RATE_LIMIT_EXCEEDED: Too many requests. Please try again later."
        ),
        "endpoints": {
            "/api/v1/health": {"requests": 1, "failures": 0},
            "/api/v1/printers/{id}/status": {"requests": 3, "failures": 1},
        },
    }
    with pytest.raises(AttributeError):
        snapshot.total_requests = 0  # type: ignore[misc]


# --------------------------------------------------------------------------
# Logging


async def test_retries_are_logged_at_debug_only(
    client: PrinternizerClient,
    server: FakeServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.set("GET", UPDATE, _unavailable(503))

    with caplog.at_level(logging.DEBUG, logger="custom_components.printernizer.api"):
        with pytest.raises(PrinternizerServerError):
            await client.update_check()
        with pytest.raises(PrinternizerNotFoundError):
            await client.trending_statistics()

    ours = [
        r
        for r in caplog.records
        if r.name.startswith("custom_components.printernizer.api")
    ]
    messages = [r.getMessage() for r in ours]
    error = (
        "GET /api/v1/update-check: HTTP 503 SERVICE_UNAVAILABLE: Service unavailable"
    )
    assert messages == [
        f"GET /api/v1/update-check: attempt 1 failed ({error}), retrying in 1.00 s",
        f"GET /api/v1/update-check: attempt 2 failed ({error}), retrying in 2.00 s",
    ]
    assert all(r.levelno == logging.DEBUG for r in ours)


# --------------------------------------------------------------------------
# Cancellation


async def test_cancel_inflight_abandons_a_hung_request(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set("GET", STATUS, Reply(hang=True))
    call = asyncio.create_task(client.printer_status(BAMBU_ID))
    await eventually(lambda: server.hits(STATUS))

    assert client.cancel_inflight() == 1
    # Asking again before the call has noticed cancels nothing more.
    assert client.cancel_inflight() == 0
    with pytest.raises(PrinternizerCancelledError) as err:
        await call

    assert isinstance(err.value, PrinternizerConnectionError)
    assert str(err.value) == "GET /api/v1/printers/{id}/status: cancelled"
    assert not call.cancelled()
    assert client.cancel_inflight() == 0
    assert client.metrics.last_error == (
        "PrinternizerCancelledError: GET /api/v1/printers/{id}/status: cancelled"
    )


async def test_async_cancel_inflight_returns_once_every_call_ended(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set("GET", STATUS, Reply(hang=True))
    calls = [asyncio.create_task(client.printer_status(BAMBU_ID)) for _ in range(2)]
    await eventually(lambda: len(server.hits(STATUS)) == 2)

    await client.async_cancel_inflight()

    assert all(call.done() for call in calls)
    for call in calls:
        with pytest.raises(PrinternizerCancelledError):
            await call
    # Nothing in flight: it returns at once.
    await asyncio.wait_for(client.async_cancel_inflight(), 1)


async def test_cancel_inflight_during_backoff(
    make_client: ClientFactory, server: FakeServer
) -> None:
    slept = asyncio.Event()

    async def sleep_forever(_: float) -> None:
        slept.set()
        await asyncio.Event().wait()

    client = make_client(sleep=sleep_forever)
    server.set("GET", UPDATE, _unavailable(503))
    calls = [asyncio.create_task(client.update_check()) for _ in range(2)]
    await asyncio.wait_for(slept.wait(), 5)
    await eventually(lambda: len(server.hits(UPDATE)) == 2)

    assert client.cancel_inflight() == 2
    for call in calls:
        with pytest.raises(PrinternizerCancelledError):
            await call


async def test_a_caller_cancelled_from_elsewhere_sees_cancelled_error(
    client: PrinternizerClient, server: FakeServer
) -> None:
    server.set("GET", STATUS, Reply(hang=True))
    both = asyncio.create_task(client.printer_status(BAMBU_ID))
    external = asyncio.create_task(client.printer_status(BAMBU_ID))
    await eventually(lambda: len(server.hits(STATUS)) == 2)

    external.cancel()
    with pytest.raises(asyncio.CancelledError):
        await external
    both.cancel()
    assert client.cancel_inflight() == 1
    with pytest.raises(asyncio.CancelledError):
        await both

    assert external.cancelled()
    assert both.cancelled()


def test_try_take_never_waits() -> None:
    budget = RequestBudget(per_minute=60, burst=3)

    assert [budget.try_take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    # Empty: nothing is taken, and the answer is when a token will be there.
    assert budget.try_take(0.0) == pytest.approx(1.0)
    assert budget.try_take(0.25) == pytest.approx(0.75)
    assert budget.try_take(1.0) == 0.0


def test_try_take_leaves_the_reserve() -> None:
    budget = RequestBudget(per_minute=60, burst=10)

    taken = 0
    while budget.try_take(0.0, reserve=2) == 0.0:
        taken += 1

    assert taken == 8
    # The reserve is still there for callers that wait.
    assert budget.reserve(0.0, deadline=10.0) == 0.0
    assert budget.reserve(0.0, deadline=10.0) == 0.0
    assert budget.try_take(0.0, reserve=2) == pytest.approx(3.0)


def test_try_take_caps_a_reserve_the_bucket_cannot_hold() -> None:
    budget = RequestBudget(per_minute=60, burst=2)

    assert budget.try_take(0.0, reserve=5) == 0.0
    # Reserve 1 (burst - 1): the second token must wait for one more.
    assert budget.try_take(0.0, reserve=5) == pytest.approx(1.0)
    assert budget.try_take(1.0, reserve=5) == 0.0


def test_try_take_does_not_overtake_waiting_callers() -> None:
    budget = RequestBudget(per_minute=60, burst=1)
    budget.reserve(0.0, deadline=10.0)
    assert budget.reserve(0.0, deadline=10.0) == pytest.approx(1.0)

    # One token is owed to the waiting caller: the next free one is in 2 s.
    assert budget.try_take(0.0) == pytest.approx(2.0)
    assert budget.try_take(1.0) == pytest.approx(1.0)
    assert budget.try_take(2.0) == 0.0


# --------------------------------------------------------------------------
# Response size


def _large_json(size: int) -> bytes:
    return b'{"padding": "' + b"x" * size + b'"}'


async def test_a_declared_length_over_the_cap_is_refused(
    client: PrinternizerClient,
    server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client_module, "MAX_JSON_BYTES", 1024)
    server.set("GET", UPDATE, Reply(body=_large_json(1024)))

    with pytest.raises(PrinternizerResponseError) as err:
        await client.update_check()

    assert str(err.value) == "GET /api/v1/update-check: response larger than 1024 bytes"
    assert err.value.status == 200
    # Not retried: the same answer would come again.
    assert len(server.hits(UPDATE)) == 1


async def test_a_body_at_the_cap_is_read(
    client: PrinternizerClient,
    server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = json.loads(capture("update_check.json").payload())
    body["padding"] = ""
    size = len(json.dumps(body).encode())
    monkeypatch.setattr(client_module, "MAX_JSON_BYTES", size)
    server.set("GET", UPDATE, Reply(body=body))

    check = await client.update_check()

    assert check.current_version == "2.42.0"


async def test_an_endless_body_is_cut_off_at_the_cap(
    client: PrinternizerClient, server: FakeServer
) -> None:
    total = 256 * 1024 * 1024
    server.set("GET", UPDATE, Reply(stream=total))

    with pytest.raises(PrinternizerResponseError) as err:
        await client.update_check()
    await asyncio.sleep(0.1)

    assert str(err.value) == "GET /api/v1/update-check: response larger than 4 MiB"
    # The server stopped soon after the cap: the rest was never read.
    assert 4 * 1024 * 1024 < server.streamed < 64 * 1024 * 1024


async def test_error_bodies_are_capped_too(
    client: PrinternizerClient,
    server: FakeServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client_module, "MAX_JSON_BYTES", 1024)
    server.set("GET", UPDATE, Reply(status=500, body=_large_json(4096)))

    with pytest.raises(PrinternizerResponseError) as err:
        await client.update_check()

    assert err.value.status == 500
    assert "response larger than 1024 bytes" in str(err.value)


async def test_images_have_a_larger_cap_than_json(
    client: PrinternizerClient, server: FakeServer
) -> None:
    path = f"/api/v1/printers/{BAMBU_ID}/thumbnail"
    five_mib = b"\x89PNG" + b"\0" * (5 * 1024 * 1024)
    server.set(
        "GET",
        path,
        Reply(body=five_mib, content_type="image/png"),
        Reply(body=b"\xff\xd8" + b"\0" * (8 * 1024 * 1024), content_type="image/jpeg"),
    )

    image = await client.thumbnail(BAMBU_ID)
    with pytest.raises(PrinternizerResponseError) as err:
        await client.thumbnail(BAMBU_ID)

    assert image is not None
    assert len(image.content) == len(five_mib)
    assert str(err.value) == (
        "GET /api/v1/printers/{id}/thumbnail: response larger than 8 MiB"
    )
