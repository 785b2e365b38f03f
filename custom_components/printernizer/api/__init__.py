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
total 30 s), a cap on response sizes, retries with full-jitter backoff
inside a 60 s deadline, and request metrics. Writes (POST) are sent at most
once: only a failure to connect is retried, within 15 s. Camera frames are
never retried and have a budget of their own; camera status and snapshot reads
can take only what the shared budget has to spare. Every error is a
:class:`PrinternizerError`.
"""

from .client import (
    ATTEMPT_TIMEOUT,
    CAMERA_FRAME_BURST,
    CAMERA_FRAMES_PER_MINUTE,
    FRAME_DEADLINE,
    FRAME_RESERVE,
    MAX_IMAGE_BYTES,
    MAX_JSON_BYTES,
    PRINT_FILE_DEADLINE,
    WRITE_DEADLINE,
    PrinternizerClient,
)
from .events import CLOSE_BOUND, EventStream, EventStreamStats
from .exceptions import (
    PrinternizerAuthenticationError,
    PrinternizerCancelledError,
    PrinternizerConnectionError,
    PrinternizerError,
    PrinternizerNoFrameError,
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
    PRINTABLE_FILE_TYPES,
    AnalyticsSummary,
    ApplicationSettings,
    CameraStatus,
    DatabaseHealth,
    Filament,
    HealthStatus,
    Image,
    LibraryFile,
    LowStockSpool,
    MaterialGroup,
    MaterialStats,
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
    Snapshot,
    SnapshotTrigger,
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
    "CAMERA_FRAMES_PER_MINUTE",
    "CAMERA_FRAME_BURST",
    "CLOSE_BOUND",
    "FRAME_DEADLINE",
    "FRAME_RESERVE",
    "MAX_IMAGE_BYTES",
    "MAX_JSON_BYTES",
    "PRINTABLE_FILE_TYPES",
    "PRINT_FILE_DEADLINE",
    "WRITE_DEADLINE",
    "AnalyticsSummary",
    "ApplicationSettings",
    "CameraStatus",
    "DatabaseHealth",
    "EndpointMetrics",
    "EventStream",
    "EventStreamStats",
    "Filament",
    "HealthStatus",
    "Image",
    "LibraryFile",
    "LowStockSpool",
    "MaterialGroup",
    "MaterialStats",
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
    "PrinternizerNoFrameError",
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
    "Snapshot",
    "SnapshotTrigger",
    "SystemInfo",
    "Temperature",
    "TrendingPerformance",
    "TrendingStatistics",
    "UpdateCheck",
    "is_printernizer_health",
    "parse_timestamp",
    "parse_version",
]
