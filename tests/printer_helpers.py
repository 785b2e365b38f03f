"""Helpers for the printer tests: a small mixed fleet, ticking and waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.printernizer.coordinator.printers import PrinterFleet
from tests.helpers import block_till_done
from tests.simulator import SimPrinter, Simulator

BAMBU_ID = "0b1e5d2a-bambu-x1c"
PRUSA_ID = "7c4f9e31-prusa-mk4"
STATUS_PATHS = "/api/v1/printers/*/status"


def mixed_fleet() -> list[SimPrinter]:
    """A Bambu printer halfway through a job and an idle Prusa."""
    return [
        SimPrinter(
            "Bambu X1C",
            "bambu_lab",
            id=BAMBU_ID,
            status="printing",
            job_name="benchy.gcode",
            job_duration_minutes=60,
            progress=50,
            bed_temp=55,
            nozzle_temp=220,
        ),
        SimPrinter("Prusa MK4", "prusa_core", id=PRUSA_ID),
    ]


async def settle(spins: int = 50) -> None:
    """Let socket traffic through without moving the (frozen) clock."""
    for _ in range(spins):
        await asyncio.sleep(0)


async def until(predicate: Callable[[], bool], spins: int = 3000) -> None:
    """Spin the loop until `predicate` holds."""
    for _ in range(spins):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not met")


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Move the frozen clock, run what became due, and let the sockets settle."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await block_till_done(hass)
    await settle()
    await block_till_done(hass)


def fleet_of(entry: MockConfigEntry) -> PrinterFleet:
    """Return the entry's printer fleet."""
    fleet = entry.runtime_data.printers
    assert fleet is not None
    return fleet


async def stream_up(sim: Simulator, entry: MockConfigEntry) -> None:
    """Wait until the event stream is connected and subscribed to every printer."""
    fleet = fleet_of(entry)
    await until(
        lambda: (
            fleet.stream_connected and sim.subscribed_printer_ids == set(fleet.printers)
        )
    )
