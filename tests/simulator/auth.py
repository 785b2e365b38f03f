"""Authentication by a reverse proxy in front of the server.

Printernizer itself has no authentication; people who expose it put a proxy (nginx,
Traefik, ...) in front that asks for HTTP Basic credentials or a bearer token. Such a
proxy answers 401 itself, as a short HTML page, before the server sees the request.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
import hmac

from aiohttp import web

from .common import BARE_RESPONSE_KEY

REALM = "Printernizer"
_REASONS = {401: "401 Authorization Required", 403: "403 Forbidden"}


@dataclass(frozen=True)
class ProxyAuth:
    """What the proxy accepts: Basic credentials or a bearer token (exactly one).

    `failure_status` is the answer to a request whose credentials are present but wrong:
    401 (nginx's `auth_basic`) or 403 (proxies that forbid instead). A request without
    credentials always gets 401 with a challenge.
    """

    username: str | None = None
    password: str | None = None
    token: str | None = None
    failure_status: int = 401

    def __post_init__(self) -> None:
        basic = self.username is not None or self.password is not None
        if basic == (self.token is not None):
            raise ValueError("give either a username and password or a token")
        if basic and (self.username is None or self.password is None):
            raise ValueError("basic authentication needs a username and a password")
        if self.failure_status not in _REASONS:
            raise ValueError("failure_status must be 401 or 403")

    @classmethod
    def from_option(
        cls, auth: tuple[str, str] | str, failure_status: int = 401
    ) -> ProxyAuth:
        """Build from a (username, password) pair or a bearer token string."""
        if isinstance(auth, str):
            return cls(token=auth, failure_status=failure_status)
        username, password = auth
        return cls(username=username, password=password, failure_status=failure_status)

    @property
    def scheme(self) -> str:
        """`Basic` or `Bearer`."""
        return "Bearer" if self.token is not None else "Basic"

    def header_value(self) -> str:
        """The Authorization header a client must send."""
        if self.token is not None:
            return f"Bearer {self.token}"
        pair = f"{self.username}:{self.password}".encode()
        return f"Basic {base64.b64encode(pair).decode()}"

    def rejection_status(self, authorization: str | None) -> int | None:
        """None when the header is accepted; otherwise the status the proxy answers."""
        if not authorization or not authorization.strip():
            return 401
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != self.scheme.lower():
            return self.failure_status
        value = value.strip()
        if self.token is not None:
            accepted = hmac.compare_digest(value.encode(), self.token.encode())
        else:
            try:
                decoded = base64.b64decode(value, validate=True)
            except binascii.Error, ValueError:
                return self.failure_status
            expected = f"{self.username}:{self.password}".encode()
            accepted = hmac.compare_digest(decoded, expected)
        return None if accepted else self.failure_status

    def rejection(self, status: int, *, credentials_sent: bool) -> web.Response:
        """The proxy's own answer: an HTML page, a challenge for 401, no envelope."""
        reason = _REASONS[status]
        page = (
            f"<html>\r\n<head><title>{reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        response = web.Response(
            body=page.encode(), status=status, headers={"Content-Type": "text/html"}
        )
        if status == 401:
            challenge = f'{self.scheme} realm="{REALM}"'
            if self.token is not None and credentials_sent:
                challenge += ', error="invalid_token"'
            response.headers["WWW-Authenticate"] = challenge
        response.headers["Server"] = "nginx"
        response[BARE_RESPONSE_KEY] = True
        return response

    def describe(self) -> dict[str, object]:
        """A view for the control API's state (secrets left out)."""
        return {
            "scheme": self.scheme.lower(),
            "username": self.username,
            "failure_status": self.failure_status,
        }
