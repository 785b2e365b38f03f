"""A small client for Home Assistant's REST and websocket APIs, used as the frontend uses them."""

from __future__ import annotations

import asyncio
from http import HTTPStatus
import itertools
from typing import Any

import aiohttp

# The development account that the first run creates (README states it).
DEV_NAME = "Developer"
DEV_USERNAME = "dev"
DEV_PASSWORD = "dev-password"  # noqa: S105 - a local development account, on 127.0.0.1 only
# Onboarding asks for a country (Home Assistant raises a repair without one); any will do.
DEV_COUNTRY = "DE"

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=30)


class HomeAssistantError(Exception):
    """Home Assistant answered something this client did not expect."""


class HomeAssistant:
    """One Home Assistant instance, reached on `base_url` with a user's access token."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        """Talk to the instance at `base_url` (no trailing slash)."""
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.client_id = f"{self.base_url}/"
        self.token: str | None = None
        self._ids = itertools.count(1)

    # --- plumbing -------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Any = None,
        auth: bool = True,
        ok: tuple[int, ...] = (HTTPStatus.OK, HTTPStatus.CREATED),
    ) -> Any:
        """Send one request; return the decoded JSON body (or text), raise on other statuses."""
        async with self.session.request(
            method,
            f"{self.base_url}{path}",
            json=json,
            data=data,
            headers=self._headers() if auth else {},
            timeout=REQUEST_TIMEOUT,
        ) as response:
            if response.status not in ok:
                body = await response.text()
                msg = f"{method} {path}: HTTP {response.status}: {body[:300]}"
                raise HomeAssistantError(msg)
            if response.content_type == "application/json":
                return await response.json()
            return await response.text()

    async def ws(self, command: str, **payload: Any) -> Any:
        """Run one websocket command on a fresh connection and return its result."""
        url = f"{self.base_url.replace('http', 'ws', 1)}/api/websocket"
        async with self.session.ws_connect(
            url, timeout=aiohttp.ClientWSTimeout(ws_close=REQUEST_TIMEOUT.total)
        ) as socket:
            async with asyncio.timeout(REQUEST_TIMEOUT.total):
                await socket.receive_json()  # auth_required
                await socket.send_json({"type": "auth", "access_token": self.token})
                reply = await socket.receive_json()
                if reply.get("type") != "auth_ok":
                    msg = f"websocket authentication failed: {reply}"
                    raise HomeAssistantError(msg)
                msg_id = next(self._ids)
                await socket.send_json({"id": msg_id, "type": command, **payload})
                while True:
                    reply = await socket.receive_json()
                    if reply.get("id") == msg_id and reply.get("type") == "result":
                        break
        if not reply.get("success"):
            msg = f"websocket {command}: {reply.get('error')}"
            raise HomeAssistantError(msg)
        return reply.get("result")

    # --- start-up, onboarding and login ---------------------------------------------------

    async def wait_until_up(self, patience: float, alive: Any = None) -> None:
        """Wait until the HTTP server answers (it starts once the integrations are set up).

        `alive`, when given, is called between attempts and returns False once the process
        that should answer has died, which ends the wait early.
        """
        async with asyncio.timeout(patience):
            while True:
                try:
                    # 200 once a user exists, 400 before onboarding: either way it is up.
                    await self.request(
                        "GET",
                        "/auth/providers",
                        auth=False,
                        ok=(HTTPStatus.OK, HTTPStatus.BAD_REQUEST),
                    )
                except aiohttp.ClientError, HomeAssistantError, TimeoutError:
                    pass
                else:
                    return
                if alive is not None and not alive():
                    msg = "Home Assistant exited during start-up"
                    raise HomeAssistantError(msg)
                await asyncio.sleep(0.5)

    async def wait_until_running(self, patience: float) -> None:
        """Wait until Home Assistant has finished starting (needs a token)."""
        async with asyncio.timeout(patience):
            while True:
                config = await self.request("GET", "/api/config")
                if config.get("state") == "RUNNING":
                    return
                await asyncio.sleep(0.5)

    async def onboarding_steps(self) -> dict[str, bool]:
        """Return each onboarding step and whether it is done (empty once onboarded)."""
        steps = await self.request(
            "GET",
            "/api/onboarding",
            auth=False,
            ok=(HTTPStatus.OK, HTTPStatus.NOT_FOUND),  # the views go once onboarded
        )
        if not isinstance(steps, list):
            return {}
        return {step["step"]: step["done"] for step in steps}

    async def onboard_or_login(
        self, username: str = DEV_USERNAME, password: str = DEV_PASSWORD
    ) -> bool:
        """Log in; on a new instance first create the account and finish onboarding.

        Returns True when this call created the account.
        """
        steps = await self.onboarding_steps()
        created = not steps.get("user", True)
        if created:
            reply = await self.request(
                "POST",
                "/api/onboarding/users",
                auth=False,
                json={
                    "client_id": self.client_id,
                    "name": DEV_NAME,
                    "username": username,
                    "password": password,
                    "language": "en",
                },
            )
            await self._exchange_code(reply["auth_code"])
            await self.ws("config/core/update", country=DEV_COUNTRY)
        else:
            await self.login(username, password)
        # The remaining steps, in the order the frontend sends them.
        if not steps.get("core_config", True):
            await self.request("POST", "/api/onboarding/core_config", json={})
        if not steps.get("analytics", True):
            await self.request("POST", "/api/onboarding/analytics", json={})
        if not steps.get("integration", True):
            await self.request(
                "POST",
                "/api/onboarding/integration",
                json={
                    "client_id": self.client_id,
                    "redirect_uri": f"{self.base_url}/?auth_callback=1",
                },
            )
        return created

    async def login(self, username: str, password: str) -> None:
        """Log in through the login flow the frontend uses, and keep the access token."""
        flow = await self.request(
            "POST",
            "/auth/login_flow",
            auth=False,
            json={
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.base_url}/?auth_callback=1",
            },
        )
        result = await self.request(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            auth=False,
            json={
                "client_id": self.client_id,
                "username": username,
                "password": password,
            },
        )
        if result.get("type") != "create_entry":
            msg = f"login as {username!r} failed: {result.get('errors') or result}"
            raise HomeAssistantError(msg)
        await self._exchange_code(result["result"])

    async def _exchange_code(self, code: str) -> None:
        tokens = await self.request(
            "POST",
            "/auth/token",
            auth=False,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        )
        self.token = tokens["access_token"]

    # --- config entries -------------------------------------------------------------------

    async def entries(self, domain: str) -> list[dict[str, Any]]:
        """Return the config entries of `domain`."""
        result: list[dict[str, Any]] = await self.request(
            "GET", f"/api/config/config_entries/entry?domain={domain}"
        )
        return result

    async def entry(self, entry_id: str, domain: str) -> dict[str, Any] | None:
        """Return one config entry of `domain`, or None when it does not exist."""
        for entry in await self.entries(domain):
            if entry["entry_id"] == entry_id:
                return entry
        return None

    async def add_entry(
        self, domain: str, user_input: dict[str, Any]
    ) -> dict[str, Any]:
        """Run the user step of `domain`'s config flow with `user_input`; return the result."""
        flow = await self.request(
            "POST",
            "/api/config/config_entries/flow",
            json={"handler": domain, "show_advanced_options": False},
        )
        if flow.get("type") != "form":
            return dict(flow)
        result: dict[str, Any] = await self.request(
            "POST",
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            json=user_input,
        )
        if result.get("type") == "form":
            # Do not leave a flow in progress behind.
            await self.request(
                "DELETE",
                f"/api/config/config_entries/flow/{flow['flow_id']}",
                ok=(HTTPStatus.OK, HTTPStatus.NOT_FOUND),
            )
        return result

    async def remove_entry(self, entry_id: str) -> None:
        """Delete a config entry (its devices and entities go with it)."""
        await self.request("DELETE", f"/api/config/config_entries/entry/{entry_id}")

    async def wait_for_entry_state(
        self, entry_id: str, domain: str, patience: float, wanted: str = "loaded"
    ) -> dict[str, Any]:
        """Wait until the entry reaches `wanted`; raise TimeoutError with its last state."""
        entry: dict[str, Any] | None = None
        try:
            async with asyncio.timeout(patience):
                while True:
                    entry = await self.entry(entry_id, domain)
                    if entry is not None and entry["state"] == wanted:
                        return entry
                    await asyncio.sleep(0.5)
        except TimeoutError:
            last = (
                "missing"
                if entry is None
                else f"{entry['state']} ({entry.get('reason')})"
            )
            msg = f"entry {entry_id} not {wanted} after {patience:.0f} s: {last}"
            raise TimeoutError(msg) from None

    # --- registries, states and services --------------------------------------------------

    async def devices(self, entry_id: str) -> list[dict[str, Any]]:
        """Return the devices that belong to a config entry."""
        devices = await self.ws("config/device_registry/list")
        return [d for d in devices if entry_id in d.get("config_entries", [])]

    async def entities(self, entry_id: str) -> list[dict[str, Any]]:
        """Return the entity registry entries of a config entry."""
        entities = await self.ws("config/entity_registry/list")
        return [e for e in entities if e.get("config_entry_id") == entry_id]

    async def states(self) -> dict[str, dict[str, Any]]:
        """Return every entity's state object, by entity id."""
        states = await self.request("GET", "/api/states")
        return {state["entity_id"]: state for state in states}

    async def update_entities(self, entity_ids: list[str]) -> None:
        """Ask Home Assistant to refresh these entities now (their coordinators poll)."""
        await self.request(
            "POST",
            "/api/services/homeassistant/update_entity",
            json={"entity_id": entity_ids},
        )

    # --- HTTP settings (kept in .storage/http since Home Assistant 2026.10) ---------------

    async def http_config(self) -> dict[str, Any]:
        """Return the stable and pending HTTP settings and which one is running."""
        result: dict[str, Any] = await self.ws("http/config")
        return result

    async def promote_http_config(self) -> None:
        """Confirm the pending HTTP settings (otherwise they revert after 5 minutes)."""
        await self.ws("http/config/promote")

    async def configure_http(self, config: dict[str, Any]) -> bool:
        """Store new HTTP settings; returns whether Home Assistant restarts to apply them."""
        result = await self.ws("http/config/configure", config=config)
        return bool(result.get("restart"))

    async def ignore_issue(self, domain: str, issue_id: str) -> None:
        """Dismiss a repair issue."""
        await self.ws(
            "repairs/ignore_issue", domain=domain, issue_id=issue_id, ignore=True
        )
