"""Client library for the Printernizer 3D-printer fleet server.

Knows HTTP, JSON and the WebSocket of the server and nothing of Home
Assistant; it depends only on the standard library, aiohttp and yarl.
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
