"""Small helpers shared by the simulator modules: JSON bodies, timestamps, envelopes."""

from __future__ import annotations

from datetime import datetime
import json
import math
import time
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


def service_unavailable(clocks: Clocks, service: str, reason: str) -> web.Response:
    """The server's ServiceUnavailableError: 503 SERVICE_UNAVAILABLE."""
    return error_response(
        clocks,
        503,
        f"{service} is unavailable: {reason}",
        "SERVICE_UNAVAILABLE",
        {"service": service, "reason": reason},
    )


def validation_failed(clocks: Clocks, field: str, error: str) -> web.Response:
    """The server's own ValidationError: 400 VALIDATION with the field and reason."""
    return error_response(
        clocks,
        400,
        f"Validation failed for '{field}': {error}",
        "VALIDATION",
        {"field": field, "error": error},
    )


def http_exception(clocks: Clocks, status: int, detail: str) -> web.Response:
    """A FastAPI HTTPException in the server's envelope (error_code HTTP_<status>)."""
    return error_response(clocks, status, detail, f"HTTP_{status}")


def resource_not_found(
    clocks: Clocks, resource_type: str, resource_id: str
) -> web.Response:
    """The server's NotFoundError: 404 NOT_FOUND naming the resource."""
    return error_response(
        clocks,
        404,
        f"{resource_type.capitalize()} not found: {resource_id}",
        "NOT_FOUND",
        {"resource_type": resource_type, "resource_id": resource_id},
    )


def success(status: str) -> web.Response:
    """The printer controls' success body."""
    return json_response({"status": "success", "data": {"status": status}})


def drop(request: web.Request) -> web.Response:
    """Cut the connection without answering."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    response = web.Response(status=500)
    response[BARE_RESPONSE_KEY] = True
    return response


_GATEWAY_TEXT = {502: "Bad Gateway", 504: "Gateway Timeout"}


def rate_limited(
    retry_after: float, limit: int, header_seconds: str | None
) -> web.Response:
    """The limiter's 429: no timestamp, Retry-After and X-RateLimit-* headers."""
    headers = {
        "Retry-After": header_seconds or str(math.ceil(retry_after)),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(time.time() + retry_after) + 1),
    }
    response = json_response(
        {
            "status": "error",
            "message": "Too many requests. Please try again later.",
            "error_code": "RATE_LIMIT_EXCEEDED",
            "details": {
                "retry_after_seconds": float(retry_after),
                "rate_limit_per_minute": limit,
            },
        },
        status=429,
        headers=headers,
    )
    response[BARE_RESPONSE_KEY] = True
    return response


def status_response(clocks: Clocks, status: int) -> web.Response:
    """A response with `status` as the server (or a proxy in front of it) sends it."""
    if status in _GATEWAY_TEXT:
        response = web.Response(
            text=f"{status} {_GATEWAY_TEXT[status]}",
            status=status,
            content_type="text/plain",
        )
        response[BARE_RESPONSE_KEY] = True
        return response
    if status == 500:
        return internal_error(clocks)
    if status == 503:
        return error_response(
            clocks,
            503,
            "Service unavailable: the server is not ready",
            "SERVICE_UNAVAILABLE",
            {"service": "printernizer", "reason": "the server is not ready"},
        )
    if status == 404:
        return not_found()
    if status == 429:
        return rate_limited(1, 100, header_seconds=None)
    reason = web.Response(status=status).reason
    return error_response(clocks, status, reason, f"HTTP_{status}")
