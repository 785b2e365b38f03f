"""`scripts/develop --server URL --check`: Home Assistant must show what the server says.

The server is only read, with GET requests on its REST API: the check changes nothing on
it. What Home Assistant should show follows the integration's documented rules (README,
Entities and Known limitations):

* a value the integration does not know (a server or service status, a printer status
  such as `unknown`) shows as `unknown`;
* a Bambu Lab printer that reports `online` with bed and nozzle both at exactly 0.0 °C is
  a printer the server cannot reach, shown `offline`;
* a printer whose status the server does not give (an error answer) is unavailable.

A state can be in flight (the server changed it a moment ago and the next poll or push
brings it): every mismatch is read again, server and Home Assistant both, after the next
poll interval, and only what still differs is reported.

Entities are found through the entry's device and entity registries, never by importing
the integration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
import re
import time
from typing import Any

import aiohttp

from .check import printer_status_entity
from .hass import HomeAssistant

HEALTH_STATES = frozenset({"healthy", "degraded", "unhealthy"})
SERVICE_STATES = frozenset({"healthy", "degraded", "unhealthy", "disabled"})
PRINTER_STATES = frozenset({"online", "offline", "printing", "paused", "error"})
UNKNOWN = "unknown"
UNAVAILABLE = "unavailable"
BAMBU_LAB = "bambu_lab"
PAGE_SIZE = 100  # the largest page the server gives
# The integration polls the health report and (without pushes) each printer every 30 s;
# with pushes a printer follows the server's own poll, 30 s by default.
RECHECK_AFTER = 35.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=20)
RATE_LIMIT_RETRIES = 3
RATE_LIMIT_WAIT = 5.0  # seconds, when a 429 carries no Retry-After
ERROR_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ ERROR \([^)]*\) "
    r"\[custom_components\.printernizer(?:\.[\w.]+)?\] "
)


class ServerError(Exception):
    """The server did not answer a read the check needs."""


# --- What the server says ------------------------------------------------------------------


@dataclass(frozen=True)
class ServerPrinter:
    """One printer of the server: its list entry and its own status answer."""

    id: str
    name: str
    printer_type: str
    status: Mapping[str, Any] | None  # the body of /api/v1/printers/{id}/status
    error: str | None = None  # why there is no status body


@dataclass(frozen=True)
class ServerSnapshot:
    """The server's health report and printers, read one after the other."""

    status: str
    services: dict[str, str]
    printers: list[ServerPrinter]


class ServerReader:
    """Reads a Printernizer server's REST API. It only sends GET requests."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        verify_ssl: bool = True,
        page_size: int = PAGE_SIZE,
    ) -> None:
        """Read the server at `url` (no trailing slash), sending `headers` on each read."""
        self.session = session
        self.url = url.rstrip("/")
        self.headers = dict(headers or {})
        self.verify_ssl = verify_ssl  # False: accept a certificate that does not verify
        self.page_size = page_size

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET `path` and return its JSON body; raise ServerError on any other answer.

        A 429 is waited out (Retry-After) a few times: Home Assistant reads the same
        server from the same address, and the server limits requests per address.
        """
        for _ in range(RATE_LIMIT_RETRIES + 1):
            try:
                async with self.session.get(
                    f"{self.url}{path}",
                    params=params,
                    headers=self.headers,
                    ssl=self.verify_ssl,
                    timeout=REQUEST_TIMEOUT,
                ) as response:
                    if response.status == 429:
                        wait = _retry_after(response.headers.get("Retry-After"))
                        await asyncio.sleep(wait)
                        continue
                    if response.status != 200:
                        text = (await response.text())[:200]
                        msg = f"GET {path}: HTTP {response.status} {text}".strip()
                        raise ServerError(msg)
                    try:
                        return await response.json(content_type=None)
                    except ValueError as err:
                        msg = f"GET {path}: the answer is not JSON"
                        raise ServerError(msg) from err
            except (aiohttp.ClientError, TimeoutError) as err:
                msg = f"GET {path}: {type(err).__name__}: {err}"
                raise ServerError(msg) from err
        msg = f"GET {path}: still rate-limited after {RATE_LIMIT_RETRIES} waits"
        raise ServerError(msg)

    async def health(self) -> dict[str, Any]:
        """Return the health report."""
        body = await self.get("/api/v1/health")
        if not isinstance(body, dict) or not isinstance(body.get("status"), str):
            msg = "GET /api/v1/health: not a Printernizer health report"
            raise ServerError(msg)
        return body

    async def printers(self) -> list[dict[str, Any]]:
        """Return every printer, reading page by page."""
        printers: list[dict[str, Any]] = []
        page = 1
        while True:
            body = await self.get(
                "/api/v1/printers", {"page": str(page), "limit": str(self.page_size)}
            )
            if not isinstance(body, dict) or not isinstance(body.get("printers"), list):
                msg = "GET /api/v1/printers: not a Printernizer printer list"
                raise ServerError(msg)
            printers.extend(body["printers"])
            pages = (body.get("pagination") or {}).get("total_pages") or 0
            if page >= pages or not body["printers"]:
                return printers
            page += 1

    async def printer_status(
        self, printer_id: str
    ) -> tuple[dict[str, Any] | None, str | None]:
        """Return a printer's status body, or None and why the server gave none."""
        try:
            body = await self.get(f"/api/v1/printers/{printer_id}/status")
        except ServerError as err:
            return None, str(err)
        if not isinstance(body, dict):
            return None, "the status answer is not an object"
        return body, None

    async def snapshot(self) -> ServerSnapshot:
        """Read the health report, the printer list and each printer's status."""
        health = await self.health()
        services = {
            name: str(value.get("status"))
            for name, value in (health.get("services") or {}).items()
            if isinstance(value, dict)  # the fallback body has {"error": "..."}
        }
        printers = []
        for item in await self.printers():
            printer_id = str(item["id"])
            status, error = await self.printer_status(printer_id)
            printers.append(
                ServerPrinter(
                    id=printer_id,
                    name=str(item.get("name") or printer_id),
                    printer_type=str(item.get("printer_type") or ""),
                    status=status,
                    error=error,
                )
            )
        return ServerSnapshot(str(health["status"]), services, printers)


def _retry_after(value: str | None) -> float:
    try:
        return min(max(float(value or ""), 0.5), 60.0)
    except ValueError:
        return RATE_LIMIT_WAIT


# --- What Home Assistant should show ---------------------------------------------------------


def shown(value: object, known: frozenset[str]) -> str:
    """Return the state shown for an enum value: itself when known, else unknown."""
    return value if isinstance(value, str) and value in known else UNKNOWN


def _current(temperatures: object, heater: str) -> float | None:
    """Return a heater's current temperature from the status body's temperatures."""
    if not isinstance(temperatures, dict):
        return None
    value = temperatures.get(heater)
    if isinstance(value, dict):
        value = value.get("current")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def expected_printer_state(printer: ServerPrinter) -> str:
    """Return the status sensor's state for a printer, after the integration's rules."""
    if printer.status is None:
        return UNAVAILABLE
    state = shown(printer.status.get("status"), PRINTER_STATES)
    temperatures = printer.status.get("temperatures")
    if (
        printer.printer_type == BAMBU_LAB
        and state == "online"
        and _current(temperatures, "bed") == 0.0
        and _current(temperatures, "nozzle") == 0.0
    ):
        return "offline"
    return state


def server_says(raw: str, expected: str) -> str:
    """Return the server's value for a mismatch line, and its meaning if that differs."""
    return raw if raw == expected else f"{raw} (shown as {expected})"


def printer_says(printer: ServerPrinter) -> str:
    """Return the server's word on a printer's status, for a mismatch line."""
    expected = expected_printer_state(printer)
    if printer.status is None:
        return f"no status ({printer.error}), so {expected}"
    raw = str(printer.status.get("status"))
    if expected == "offline" and raw == "online":
        return f"online at 0.0 °C (shown as {expected})"
    return server_says(raw, expected)


# --- What Home Assistant shows ---------------------------------------------------------------


@dataclass(frozen=True)
class HaPrinter:
    """A printer device of the entry and its status sensor."""

    device_id: str
    name: str
    identifiers: tuple[str, ...]
    status_entity: str | None

    def is_printer(self, printer_id: str) -> bool:
        """Whether this device is the server's printer `printer_id`."""
        return any(
            value == printer_id or value.endswith(f"_{printer_id}")
            for value in self.identifiers
        )


@dataclass
class HaView:
    """The entry's hub sensors, printer devices and every state, read together."""

    hub_status: str | None = None
    hub_device_id: str | None = None
    services: dict[str, str] = field(default_factory=dict)  # service -> entity id
    printers: list[HaPrinter] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)

    def state(self, entity_id: str) -> str:
        """Return an entity's state; one without a state object is unavailable."""
        return self.states.get(entity_id, UNAVAILABLE)


async def read_home_assistant(ha: HomeAssistant, entry_id: str) -> HaView:
    """Find the entry's sensors through the registries and read every state."""
    devices = await ha.devices(entry_id)
    entities = await ha.entities(entry_id)
    states = await ha.states()
    view = HaView(
        states={entity_id: state["state"] for entity_id, state in states.items()}
    )
    sensors: dict[str, list[dict[str, Any]]] = {}
    for entity in entities:
        if entity["entity_id"].startswith("sensor.") and not entity.get("disabled_by"):
            sensors.setdefault(entity.get("device_id") or "", []).append(entity)
    for device_id, own in sensors.items():
        for entity in own:
            unique_id = str(entity.get("unique_id") or "")
            if unique_id.endswith("_server_status"):
                view.hub_status = entity["entity_id"]
                view.hub_device_id = device_id
            elif unique_id.endswith("_status") and "_service_" in unique_id:
                service = unique_id.split("_service_", 1)[1].removesuffix("_status")
                view.services[service] = entity["entity_id"]
    for device in devices:
        if device["id"] == view.hub_device_id:
            continue
        view.printers.append(
            HaPrinter(
                device_id=device["id"],
                name=device.get("name_by_user") or device.get("name") or "",
                identifiers=tuple(
                    str(value) for _domain, value in device.get("identifiers") or []
                ),
                status_entity=printer_status_entity(sensors.get(device["id"], [])),
            )
        )
    return view


# --- The comparison --------------------------------------------------------------------------


@dataclass(frozen=True)
class Mismatch:
    """One thing Home Assistant shows differently from the server."""

    what: str
    ha_shows: str
    server_says: str

    def line(self) -> str:
        """Return the line the check prints."""
        return (
            f"mismatch: {self.what}: Home Assistant shows {self.ha_shows}, "
            f"the server says {self.server_says}"
        )


def compare(server: ServerSnapshot, ha: HaView) -> dict[str, Mismatch]:
    """Everything Home Assistant shows differently from the server, by what it is about."""
    found: dict[str, Mismatch] = {}

    def differ(what: str, ha_shows: str, says: str) -> None:
        found[what] = Mismatch(what, ha_shows, says)

    expected = shown(server.status, HEALTH_STATES)
    if ha.hub_status is None:
        differ("server status", "no server status sensor", server.status)
    elif (actual := ha.state(ha.hub_status)) != expected:
        differ(
            f"server status ({ha.hub_status})",
            actual,
            server_says(server.status, expected),
        )

    for service, raw in server.services.items():
        expected = shown(raw, SERVICE_STATES)
        entity_id = ha.services.get(service)
        if entity_id is None:
            differ(f"service {service}", "no status sensor", raw)
        elif (actual := ha.state(entity_id)) != expected:
            differ(
                f"service {service} ({entity_id})", actual, server_says(raw, expected)
            )

    matched: set[str] = set()
    for printer in server.printers:
        devices = [d for d in ha.printers if d.is_printer(printer.id)] or [
            d for d in ha.printers if d.name == printer.name
        ]
        if len(devices) != 1:
            differ(
                f"printer {printer.name!r} ({printer.id})",
                "no device" if not devices else f"{len(devices)} devices",
                f"a printer that is {printer_says(printer)}",
            )
            continue
        device = devices[0]
        matched.add(device.device_id)
        if device.status_entity is None:
            differ(
                f"printer {printer.name!r}", "no status sensor", printer_says(printer)
            )
            continue
        actual = ha.state(device.status_entity)
        if actual != expected_printer_state(printer):
            differ(
                f"printer {printer.name!r} status ({device.status_entity})",
                actual,
                printer_says(printer),
            )
    for device in ha.printers:
        if device.device_id not in matched:
            differ(
                f"device {device.name!r}",
                "a printer device",
                "it has no such printer",
            )
    return found


def integration_errors(config_dir: Path, since: float) -> list[str]:
    """Return the integration's ERROR lines in the log since `since` (wall clock).

    Home Assistant moves the previous log to home-assistant.log.1 when it starts; that
    one counts too when it was written during this run (a restart to change the port).
    """
    lines: list[str] = []
    for name in ("home-assistant.log.1", "home-assistant.log"):
        path = config_dir / name
        try:
            if path.stat().st_mtime < since:
                continue
            text = path.read_text(errors="replace")
        except OSError:
            continue
        lines.extend(line for line in text.splitlines() if ERROR_LINE.match(line))
    return lines


# --- The check -------------------------------------------------------------------------------


class ServerChecker:
    """Compares Home Assistant's entry with the server it points at."""

    def __init__(
        self,
        ha: HomeAssistant,
        reader: ServerReader,
        entry_id: str,
        *,
        config_dir: Path,
        started: float,
        recheck_after: float = RECHECK_AFTER,
    ) -> None:
        """Check `entry_id` in `ha` against the server `reader` reads."""
        self.ha = ha
        self.reader = reader
        self.entry_id = entry_id
        self.config_dir = config_dir
        self.started = started
        self.recheck_after = recheck_after
        self.problems: list[str] = []

    async def _round(self) -> tuple[ServerSnapshot, HaView, dict[str, Mismatch]]:
        server = await self.reader.snapshot()
        view = await read_home_assistant(self.ha, self.entry_id)
        return server, view, compare(server, view)

    async def run(self) -> bool:
        """Compare, read the mismatches again after a poll interval, check the log."""
        start = time.monotonic()
        try:
            server, view, first = await self._round()
        except ServerError as err:
            self.problems.append(f"the server did not answer: {err}")
            print(f"check: FAIL {self.problems[-1]}", flush=True)
            return False
        print(
            f"check: the server is {server.status} with {len(server.services)} services "
            f"and {len(server.printers)} printers; Home Assistant has "
            f"{view.hub_status}, {len(view.services)} service sensors and "
            f"{len(view.printers)} printer devices",
            flush=True,
        )
        if server.printers:
            said = ", ".join(
                f"{printer.name} {printer_says(printer)}" for printer in server.printers
            )
            print(f"check: the server's printers: {said}", flush=True)
        mismatches = first
        if first:
            print(
                f"check: {len(first)} {'difference' if len(first) == 1 else 'differences'}"
                f"; reading both again in {self.recheck_after:.0f} s, after the next poll",
                flush=True,
            )
            for mismatch in first.values():
                print(f"check:   {mismatch.line()}", flush=True)
            await asyncio.sleep(self.recheck_after)
            try:
                _server, _view, second = await self._round()
            except ServerError as err:
                self.problems.append(f"the server did not answer: {err}")
                print(f"check: FAIL {self.problems[-1]}", flush=True)
                return False
            # Only what differed both times counts: a new difference is in flight.
            mismatches = {what: second[what] for what in first if what in second}
        self.problems.extend(m.line() for m in mismatches.values())
        errors = integration_errors(self.config_dir, self.started)
        self.problems.extend(
            f"error in Home Assistant's log: {line}" for line in errors
        )
        seconds = time.monotonic() - start
        if not mismatches:
            checked = 1 + len(server.services) + len(server.printers)
            print(
                f"check: ok   {checked} states match the server ({seconds:.1f} s)",
                flush=True,
            )
        if not errors:
            print("check: ok   no ERROR line of the integration in the log", flush=True)
        return not self.problems

    def summary(self) -> str:
        """Return the lines that say what differs; empty when nothing does."""
        return "\n".join(self.problems)
