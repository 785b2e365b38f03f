"""Errors raised by the Printernizer client.

Every error the client raises is a :class:`PrinternizerError`. Messages are
short, name the route template rather than the full URL, and never contain
credentials (URL userinfo, tokens, printer API keys or access codes).
"""

from __future__ import annotations


class PrinternizerError(Exception):
    """Base class of every error raised by this package.

    ``status`` is the HTTP status when a response was received;
    ``error_code`` (e.g. ``PRINTER_NOT_FOUND``) and ``message`` are the
    server's own code and message when the response body was its error
    envelope (the message with any credentials removed).
    """

    def __init__(
        self,
        text: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Initialise the error with a short text."""
        super().__init__(text)
        self.status = status
        self.error_code = error_code
        self.message = message


class PrinternizerConnectionError(PrinternizerError):
    """The server could not be reached or the connection broke."""


class PrinternizerTimeoutError(PrinternizerConnectionError):
    """The server did not answer in time."""


class PrinternizerUnreachableError(PrinternizerConnectionError):
    """Nothing accepted the connection: the server is down or not at that address.

    Nothing was sent, so even a write may be tried again.
    """


class PrinternizerCancelledError(PrinternizerConnectionError):
    """The request was abandoned by :meth:`PrinternizerClient.cancel_inflight`.

    Raised in the calling task only when that task itself was not cancelled;
    a task cancelled from elsewhere still sees :class:`asyncio.CancelledError`.
    """


class PrinternizerRateLimitError(PrinternizerError):
    """The server answered 429, or a local budget had no room in time.

    ``retry_after`` is the number of seconds after which a new request may
    succeed, when known. A request refused by a local budget was not sent
    (``status`` is then None).
    """

    def __init__(
        self,
        text: str,
        *,
        retry_after: float | None = None,
        status: int | None = None,
        error_code: str | None = None,
        message: str | None = None,
    ) -> None:
        """Initialise the error with the advised wait."""
        super().__init__(text, status=status, error_code=error_code, message=message)
        self.retry_after = retry_after


class PrinternizerNotFoundError(PrinternizerError):
    """The server answered 404 (unknown printer, file, snapshot or route)."""


class PrinternizerAuthenticationError(PrinternizerError):
    """A reverse proxy in front of the server refused the credentials (401/403)."""


class PrinternizerRequestError(PrinternizerError):
    """The server rejected the request (a 4xx other than 401, 403, 404, 429)."""


class PrinternizerResponseError(PrinternizerError):
    """The response was too large, did not parse or had an unexpected shape."""


class PrinternizerServerError(PrinternizerError):
    """The server answered with a 5xx status."""


class PrinternizerNoFrameError(PrinternizerServerError):
    """The camera had no picture to give (the server's 503 on a frame route).

    Not an overload: asking again at once does not help, so it is never
    retried. Show the last frame instead.
    """
