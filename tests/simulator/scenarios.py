"""Named starting states for the fleet."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .server import Simulator


def _demo(sim: Simulator) -> None:
    """One printer printing, one paused, the others idle."""
    printers = list(sim.printers.values())
    if printers:
        printers[0].start_job("benchy.gcode", duration_minutes=45)
        printers[0].advance(9 * 60)
    if len(printers) > 1:
        printers[1].start_job("calibration_cube.gcode", duration_minutes=20)
        printers[1].advance(12 * 60)
        printers[1].pause()


def _idle(sim: Simulator) -> None:
    """Every printer online and idle (the default)."""


SCENARIOS: dict[str, Callable[[Simulator], None]] = {"demo": _demo, "idle": _idle}


def apply_scenario(sim: Simulator, name: str) -> None:
    """Put the fleet in the named starting state."""
    try:
        scenario = SCENARIOS[name]
    except KeyError:
        raise ValueError(
            f"unknown scenario {name!r}; one of {sorted(SCENARIOS)}"
        ) from None
    scenario(sim)
