"""`scripts/develop --check`: what Home Assistant shows must match the simulator.

Entities are found through the device and entity registries of the entry, so the check
follows the integration as it grows instead of listing entity ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import time
from typing import Any

import aiohttp

from .hass import HomeAssistant

DOMAIN = "printernizer"
HUB_NAME = "Printernizer"
FAULT_SERVICE = "database"
STEP_TIMEOUT = 60.0  # seconds any one step may wait for Home Assistant to follow
NUDGE_EVERY = 5.0  # seconds between update_entity calls while waiting


@dataclass
class Fleet:
    """The entry's devices and entities, as the registries list them."""

    hub_status: str | None = None
    services: dict[str, str] = field(default_factory=dict)  # service -> entity id
    printers: dict[str, str | None] = field(default_factory=dict)  # name -> entity id


@dataclass
class Step:
    """One verified expectation and how long it took to hold."""

    name: str
    ok: bool
    seconds: float
    detail: str


class Checker:
    """Runs the checks against one Home Assistant, entry and simulator."""

    def __init__(
        self,
        ha: HomeAssistant,
        session: aiohttp.ClientSession,
        sim_url: str,
        entry_id: str,
    ) -> None:
        """Check `entry_id` in `ha` against the simulator at `sim_url`."""
        self.ha = ha
        self.session = session
        self.sim_url = sim_url
        self.entry_id = entry_id
        self.steps: list[Step] = []

    async def sim(self, method: str, path: str, body: Any = None) -> Any:
        """Call the simulator's control API."""
        async with self.session.request(
            method,
            f"{self.sim_url}/_simulator{path}",
            json=body,
            timeout=aiohttp.ClientTimeout(total=10),
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def fleet(self) -> Fleet:
        """Find the hub's and the printers' sensors through the registries."""
        devices = await self.ha.devices(self.entry_id)
        entities = await self.ha.entities(self.entry_id)
        by_device: dict[str, list[dict[str, Any]]] = {}
        for entity in entities:
            if entity["entity_id"].startswith("sensor.") and not entity.get(
                "disabled_by"
            ):
                by_device.setdefault(entity.get("device_id") or "", []).append(entity)
        fleet = Fleet()
        for device in devices:
            name = device.get("name_by_user") or device.get("name") or ""
            sensors = by_device.get(device["id"], [])
            if device.get("name") == HUB_NAME:
                for entity in sensors:
                    unique_id = str(entity.get("unique_id", ""))
                    if unique_id.endswith("_server_status"):
                        fleet.hub_status = entity["entity_id"]
                    elif unique_id.endswith("_status") and "_service_" in unique_id:
                        service = unique_id.split("_service_", 1)[1].removesuffix(
                            "_status"
                        )
                        fleet.services[service] = entity["entity_id"]
            else:
                fleet.printers[name] = printer_status_entity(sensors)
        return fleet

    async def eventually(
        self,
        name: str,
        probe: Callable[[], Awaitable[tuple[bool, str]]],
        nudge: Callable[[], Awaitable[None]] | None = None,
        patience: float = STEP_TIMEOUT,
    ) -> bool:
        """Retry `probe` until it holds or `patience` runs out; record the step."""
        start = time.monotonic()
        last_nudge = start - NUDGE_EVERY  # the first failure nudges at once
        ok, detail = False, "not checked"
        while True:
            try:
                ok, detail = await probe()
            except (aiohttp.ClientError, TimeoutError, KeyError, ValueError) as err:
                ok, detail = False, f"{type(err).__name__}: {err}"
            elapsed = time.monotonic() - start
            if ok or elapsed >= patience:
                break
            if nudge is not None and time.monotonic() - last_nudge >= NUDGE_EVERY:
                last_nudge = time.monotonic()
                try:
                    await nudge()
                except (aiohttp.ClientError, TimeoutError) as err:
                    detail = f"{detail}; update_entity failed: {err}"
            await asyncio.sleep(1)
        self.steps.append(Step(name, ok, time.monotonic() - start, detail))
        mark = "ok  " if ok else "FAIL"
        print(
            f"check: {mark} {name} ({time.monotonic() - start:.1f} s): {detail}",
            flush=True,
        )
        return ok

    async def _compare(self, *, health: bool, printers: bool) -> tuple[bool, str]:
        """Compare Home Assistant's states with the simulator's state right now."""
        state = await self.sim("GET", "/state")
        fleet = await self.fleet()
        states = await self.ha.states()
        problems: list[str] = []
        seen: list[str] = []

        def compare(label: str, entity_id: str | None, expected: str) -> None:
            if entity_id is None:
                problems.append(f"{label}: no status sensor")
                return
            actual = states.get(entity_id, {}).get("state")
            seen.append(f"{entity_id}={actual}")
            if actual != expected:
                problems.append(f"{entity_id} is {actual}, simulator says {expected}")

        if health:
            compare("hub", fleet.hub_status, state["overall_status"])
            for service, info in state["services"].items():
                if service in fleet.services:
                    compare(service, fleet.services[service], info["status"])
                else:
                    problems.append(f"service {service}: no sensor")
        if printers:
            for printer in state["printers"]:
                if printer["name"] not in fleet.printers:
                    problems.append(f"printer {printer['name']!r}: no device")
                    continue
                compare(
                    printer["name"], fleet.printers[printer["name"]], printer["status"]
                )
            expected = {printer["name"] for printer in state["printers"]}
            if extra := set(fleet.printers) - expected:
                problems.append(f"devices the simulator does not have: {sorted(extra)}")
        if problems:
            return False, "; ".join(problems)
        return True, ", ".join(seen)

    async def _health_matches(self) -> tuple[bool, str]:
        return await self._compare(health=True, printers=False)

    async def _printers_match(self) -> tuple[bool, str]:
        return await self._compare(health=False, printers=True)

    async def _nudge_health(self) -> None:
        fleet = await self.fleet()
        if fleet.hub_status:
            await self.ha.update_entities([fleet.hub_status])

    async def run(self) -> bool:
        """Run every check; return whether all passed."""
        ok = await self.eventually(
            "the hub's status and service sensors match the simulator",
            self._health_matches,
            nudge=self._nudge_health,
        )
        ok &= await self.eventually(
            "one device per printer, with the simulator's status",
            self._printers_match,
        )
        fleet = await self.fleet()
        print(
            f"check: found {fleet.hub_status}, {len(fleet.services)} service sensors, "
            f"{len(fleet.printers)} printer devices "
            f"({', '.join(f'{k}: {v}' for k, v in fleet.printers.items())})",
            flush=True,
        )

        # A fault: one service goes unhealthy; the health sensors must follow.
        reply = await self.sim(
            "POST", f"/services/{FAULT_SERVICE}", {"status": "unhealthy"}
        )
        print(
            f"check: simulator: {FAULT_SERVICE} unhealthy, server {reply['overall_status']}"
        )
        ok &= await self.eventually(
            f"health sensors follow {FAULT_SERVICE} unhealthy",
            self._health_matches,
            nudge=self._nudge_health,
        )
        await self.sim("POST", f"/services/{FAULT_SERVICE}", {"status": "healthy"})
        ok &= await self.eventually(
            f"health sensors follow {FAULT_SERVICE} healthy again",
            self._health_matches,
            nudge=self._nudge_health,
        )
        return ok

    def summary(self) -> str:
        """Return a few lines that say what was checked."""
        lines = ["", "check summary:"]
        lines.extend(
            f"  {'PASS' if s.ok else 'FAIL'}  {s.name}  ({s.seconds:.1f} s)"
            for s in self.steps
        )
        return "\n".join(lines)


def printer_status_entity(sensors: list[dict[str, Any]]) -> str | None:
    """Pick a printer device's status sensor among its sensors."""
    for entity in sensors:
        if entity.get("translation_key") == "status":
            return str(entity["entity_id"])
    for entity in sensors:
        if str(entity.get("unique_id", "")).endswith("_status") and "job" not in str(
            entity.get("unique_id")
        ):
            return str(entity["entity_id"])
    return None
