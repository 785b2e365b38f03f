"""Small helpers shared by the simulator modules: JSON bodies, timestamps, envelopes."""

from __future__ import annotations

from datetime import datetime
import json
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

JSON_CONTENT_TYPE = "application/json"

PRINTER_STATUSES = ("online", "offline", "printing", "paused", "error", "unknown")
PRINTER_TYPES = ("bambu_lab", "prusa_core", "octoprint", "unknown")
SERVICE_STATUSES = ("healthy", "degraded", "unhealthy", "disabled")

# Headers the server's middlewares add to every response that reaches them.
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' "
    "https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net "
    "https://fonts.googleapis.com; img-src 'self' data: blob: http://*:* "
    "https://cdn.jsdelivr.net https://fastapi.tiangolo.com; connect-src 'self' ws: wss:; "
    "font-src 'self' https://fonts.gstatic.com"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "X-XSS-Protection": "1; mode=block",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": CSP,
    "Permissions-Policy": (
        "geolocation=(), microphone=(), camera=(), payment=(), usb=(), "
        "magnetometer=(), gyroscope=()"
    ),
    "X-GDPR-Compliant": "true",
    "X-Data-Location": "Germany",
    "X-Privacy-Policy": "/privacy",
    # A constant in the server, whatever its configured time zone.
    "X-Timezone": "Europe/Berlin",
}

# Marks responses that bypass the server's inner middlewares (no security headers).
BARE_RESPONSE_KEY = "printernizer_sim_bare"


def dumps_http(data: Any) -> bytes:
    """Serialise like FastAPI's JSONResponse (compact, UTF-8)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def dumps_ws(data: Any) -> str:
    """Serialise like Starlette's WebSocket.send_json (json.dumps defaults)."""
    return json.dumps(data)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Build a JSON response with the server's exact content type (no charset)."""
    all_headers = {"Content-Type": JSON_CONTENT_TYPE}
    if headers:
        all_headers.update(headers)
    return web.Response(body=dumps_http(data), status=status, headers=all_headers)


def not_found() -> web.Response:
    """Starlette's plain 404 for unknown routes."""
    return json_response({"detail": "Not Found"}, status=404)


def method_not_allowed() -> web.Response:
    """Starlette's plain 405."""
    return json_response({"detail": "Method Not Allowed"}, status=405)


class Clocks:
    """Naive server-local timestamps in the configured time zone."""

    def __init__(self, timezone: str) -> None:
        self.timezone = timezone
        try:
            self._zone: ZoneInfo | None = ZoneInfo(timezone)
        except ZoneInfoNotFoundError, ValueError:
            self._zone = None

    def now(self) -> datetime:
        """Server-local wall-clock time without an offset."""
        if self._zone is None:
            return datetime.now().astimezone().replace(tzinfo=None)
        return datetime.now(self._zone).replace(tzinfo=None)

    def ts(self) -> str:
        """Return an ISO-8601 timestamp without offset, as the server sends."""
        return self.now().isoformat()


def error_envelope(
    clocks: Clocks,
    message: str,
    error_code: str,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Envelope 1/2/3 of the contract: status, message, error_code, details, timestamp."""
    return {
        "status": "error",
        "message": message,
        "error_code": error_code,
        "details": details if details is not None else {},
        "timestamp": clocks.ts(),
    }


def error_response(
    clocks: Clocks,
    status: int,
    message: str,
    error_code: str,
    details: dict[str, Any] | None = None,
) -> web.Response:
    """Build an error envelope as an HTTP response."""
    return json_response(
        error_envelope(clocks, message, error_code, details), status=status
    )


def internal_error(clocks: Clocks) -> web.Response:
    """Build the server's 500 body; it bypasses the header middlewares."""
    response = error_response(
        clocks,
        500,
        "An unexpected error occurred. Please try again later.",
        "INTERNAL_SERVER_ERROR",
    )
    response[BARE_RESPONSE_KEY] = True
    return response


def validation_error(clocks: Clocks, errors: list[dict[str, Any]]) -> web.Response:
    """FastAPI request validation failure in the server's 422 envelope."""
    return error_response(
        clocks,
        422,
        "Request validation failed",
        "VALIDATION_ERROR",
        {"validation_errors": errors},
    )


def enum_message(values: tuple[str, ...]) -> str:
    """Pydantic's message for an enum mismatch."""
    quoted = [f"'{value}'" for value in values]
    return f"Input should be {', '.join(quoted[:-1])} or {quoted[-1]}"
