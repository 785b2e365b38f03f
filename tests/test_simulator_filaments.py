"""Filament slots of the simulated printers (the Bambu Lab AMS) and their controls."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.simulator import SimPrinter, Simulator
from tests.simulator.testing import running_simulator

API = "/api/v1"


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    async with running_simulator(printers=2) as simulator:
        yield simulator


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def filaments_of(
    session: aiohttp.ClientSession, sim: Simulator, printer_id: str
) -> Any:
    async with session.get(f"{sim.url}{API}/printers/{printer_id}") as response:
        assert response.status == 200
        return (await response.json())["filaments"]


def active_slots(filaments: list[dict[str, Any]]) -> list[int]:
    return [slot["slot"] for slot in filaments if slot["is_active"]]


def test_active_slot_follows_the_print() -> None:
    sim = Simulator()
    bambu = sim.printer(0)
    assert active_slots(bambu.filaments or []) == [0]
    bambu.start_job("multicolour.3mf", duration_minutes=30)
    by_minute = {}
    for minute in range(30):
        by_minute[minute] = active_slots(bambu.filaments or [])
        sim.advance(60)
    # Three loaded slots (the fourth is empty): a third of the print each.
    assert [by_minute[m] for m in (0, 5, 9)] == [[0]] * 3
    assert [by_minute[m] for m in (11, 15, 19)] == [[1]] * 3
    assert [by_minute[m] for m in (21, 25, 29)] == [[2]] * 3
    # The last slot used stays active after the print.
    assert bambu.status == "online"
    assert active_slots(bambu.filaments or []) == [2]
    # Empty a slot: the next print uses the two loaded ones.
    bambu.set_slot(1, color=None, material=None)
    bambu.start_job("two.gcode", duration_minutes=10)
    assert active_slots(bambu.filaments or []) == [0]
    sim.advance(6 * 60)
    assert active_slots(bambu.filaments or []) == [2]
    # A recoloured slot keeps its place in the rotation.
    bambu.set_slot(2, color="#00FF00", material="PETG")
    entry = (bambu.filaments or [])[2]
    assert (entry["color"], entry["type"], entry["is_active"]) == (
        "#00FF00",
        "PETG",
        True,
    )
    with pytest.raises(KeyError):
        bambu.set_slot(7, color="#000000")
    # The Prusa has no AMS.
    assert sim.printer(1).filaments is None


async def test_slots_over_rest_and_control_api(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    bambu = sim.printer(0)
    control = f"{sim.url}/_simulator/printers/{bambu.id}/filaments"
    bambu.start_job("benchy.gcode", duration_minutes=30)
    sim.advance(15 * 60)
    assert active_slots(await filaments_of(session, sim, bambu.id)) == [1]
    async with session.post(
        control, json={"slot": 1, "color": "#123456", "type": "PLA-CF"}
    ) as response:
        assert response.status == 200
    listed = await filaments_of(session, sim, bambu.id)
    assert listed[1] == {
        "slot": 1,
        "color": "#123456",
        "type": "PLA-CF",
        "is_active": True,
    }
    async with session.post(control, json={"slot": 3, "type": None}) as response:
        assert response.status == 200
    async with session.post(control, json={"slot": 9, "color": "#000000"}) as response:
        assert response.status == 404
    # Any list, malformed entries included, is reported as set.
    odd: list[Any] = [
        {"slot": 0, "color": "#FF0000", "type": "PLA", "is_active": True},
        {"slot": "A", "colour": "#00FF00"},
        {"color": None, "type": "ABS", "is_active": False, "nozzle": 2},
        "PLA",
        None,
    ]
    async with session.post(control, json={"filaments": odd}) as response:
        assert response.status == 200
    assert await filaments_of(session, sim, bambu.id) == odd
    sim.advance(14 * 60)  # a set list does not follow the print
    assert await filaments_of(session, sim, bambu.id) == odd
    async with session.post(control, json={"filaments": None}) as response:
        assert response.status == 200
    assert await filaments_of(session, sim, bambu.id) is None
    async with session.post(control, json={"filaments": []}) as response:
        assert response.status == 200
    assert await filaments_of(session, sim, bambu.id) == []
    for bad in ({}, {"filaments": "PLA"}):
        async with session.post(control, json=bad) as response:
            assert response.status == 400
    async with session.post(
        f"{sim.url}/_simulator/printers/nope/filaments", json={"filaments": []}
    ) as response:
        assert response.status == 404


async def test_set_filaments_can_follow_the_print(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    prusa = sim.printer(1)
    mmu = [
        {"slot": index, "color": color, "type": "PLA", "is_active": index == 0}
        for index, color in enumerate(("#FF0000", "#00FF00"))
    ]
    prusa.set_filaments(mmu, follow_print=True)
    mmu[0]["color"] = "#000000"  # the printer keeps its own copy
    prusa.start_job("two.gcode", duration_minutes=10)
    sim.advance(6 * 60)
    listed = await filaments_of(session, sim, prusa.id)
    assert listed[0]["color"] == "#FF0000"
    assert active_slots(listed) == [1]
    # Unreachable or offline printers report no filaments.
    prusa.go_unreachable()
    assert await filaments_of(session, sim, prusa.id) is None


def test_filaments_given_to_a_printer_stay_as_given() -> None:
    own = [{"slot": 0, "color": "#FFFFFF", "type": "PLA", "is_active": False}]
    printer = SimPrinter("Bambu A1", "bambu_lab", filaments=own)
    sim = Simulator(printers=[printer])
    printer.start_job("benchy.gcode", duration_minutes=10)
    sim.advance(300)
    assert printer.filaments == own
