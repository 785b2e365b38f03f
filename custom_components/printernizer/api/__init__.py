"""Client library for the Printernizer 3D-printer fleet server.

Knows HTTP, JSON and the WebSocket of the server and nothing of Home
Assistant; it depends only on the standard library, aiohttp and yarl.

    client = PrinternizerClient(session, "http://printernizer.local:8000")
    health = await client.health()
    info = await client.system_info()  # learns the server's time zone
    statuses = [await client.printer_status(p.id) for p in await client.printers()]

    stream = client.event_stream(on_event=handle_push)
    stream.set_printers(status.id for status in statuses)
    stream.start()
    ...
    await stream.close()
    client.cancel_inflight()

Every call goes through one request path: a shared request budget (60/min,
burst 10; health is exempt), per-attempt timeouts (connect 10 s, read 20 s,
total 30 s), retries with full-jitter backoff inside a 60 s deadline, and
request metrics. Every error is a :class:`PrinternizerError`.
"""

from .client import ATTEMPT_TIMEOUT, PrinternizerClient
from .events import CLOSE_BOUND, EventStream, EventStreamStats
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
from .metrics import EndpointMetrics, RequestMetrics
from .models import (
    DatabaseHealth,
    Filament,
    HealthStatus,
    Printer,
    PrinterJob,
    PrinterState,
    PrinterStatus,
    PrinterStatusEvent,
    PrinterTemperatures,
    PrinterType,
    ServerHealth,
    ServiceHealth,
    ServiceStatus,
    SystemInfo,
    Temperature,
    TrendingPerformance,
    TrendingStatistics,
    UpdateCheck,
    is_printernizer_health,
    parse_timestamp,
    parse_version,
)
from .policy import RequestBudget, RetryPolicy

__all__ = [
    "ATTEMPT_TIMEOUT",
    "CLOSE_BOUND",
    "DatabaseHealth",
    "EndpointMetrics",
    "EventStream",
    "EventStreamStats",
    "Filament",
    "HealthStatus",
    "Printer",
    "PrinterJob",
    "PrinterState",
    "PrinterStatus",
    "PrinterStatusEvent",
    "PrinterTemperatures",
    "PrinterType",
    "PrinternizerAuthenticationError",
    "PrinternizerCancelledError",
    "PrinternizerClient",
    "PrinternizerConnectionError",
    "PrinternizerError",
    "PrinternizerNotFoundError",
    "PrinternizerRateLimitError",
    "PrinternizerRequestError",
    "PrinternizerResponseError",
    "PrinternizerServerError",
    "PrinternizerTimeoutError",
    "PrinternizerUnreachableError",
    "RequestBudget",
    "RequestMetrics",
    "RetryPolicy",
    "ServerHealth",
    "ServiceHealth",
    "ServiceStatus",
    "SystemInfo",
    "Temperature",
    "TrendingPerformance",
    "TrendingStatistics",
    "UpdateCheck",
    "is_printernizer_health",
    "parse_timestamp",
    "parse_version",
]
