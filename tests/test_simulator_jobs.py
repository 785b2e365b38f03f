"""The simulator's job history, analytics, spools and settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
import re
from typing import Any

import aiohttp
import pytest

from tests.simulator import MaterialSpool, SimPrinter, Simulator
from tests.simulator.jobs import job_name_for
from tests.simulator.testing import fresh_session, running_simulator

API = "/api/v1"
NAIVE_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$")


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    async with running_simulator(printers=2) as simulator:
        yield simulator


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def get_json(session: aiohttp.ClientSession, url: str, expect: int = 200) -> Any:
    async with session.get(url) as response:
        assert response.status == expect, await response.text()
        return await response.json()


def run_three_jobs(sim: Simulator) -> None:
    """Bambu: a 30-minute job completes, then one fails; Prusa: one is stopped."""
    bambu, prusa = sim.printer(0), sim.printer(1)
    bambu.start_job("benchy.gcode", duration_minutes=30)
    prusa.start_job("cube.3mf", duration_minutes=60)
    sim.advance(30 * 60)
    bambu.start_job("cache/vase.gcode", duration_minutes=50)
    sim.advance(10 * 60)
    bambu.fail("Nozzle clog")
    prusa.pause()
    sim.advance(5 * 60)
    prusa.stop()


# ------------------------------------------------------------------------- history


async def test_printer_jobs_become_job_records(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    bambu, prusa = sim.printer(0), sim.printer(1)
    assert await get_json(session, f"{sim.url}{API}/jobs") == {
        "jobs": [],
        "total_count": 0,
        "pagination": {"page": 1, "limit": 50, "total_items": 0, "total_pages": 1},
    }
    bambu.start_job("benchy.gcode", duration_minutes=30)
    (running,) = (await get_json(session, f"{sim.url}{API}/jobs"))["jobs"]
    assert (running["status"], running["job_name"], running["filename"]) == (
        "running",
        "benchy",
        "benchy.gcode",
    )
    assert (running["end_time"], running["completed_at"]) == (None, None)
    assert running["started_at"] == running["start_time"] == running["created_at"]
    assert NAIVE_TS.match(running["start_time"])
    assert (running["estimated_duration"], running["cost_eur"]) == (1800, 0.0)

    run_three_jobs(sim)
    body = await get_json(session, f"{sim.url}{API}/jobs")
    jobs = {job["filename"]: job for job in body["jobs"]}
    assert body["total_count"] == 4  # the running one above was replaced: cancelled
    completed = next(job for job in body["jobs"] if job["status"] == "completed")
    assert (completed["printer_id"], completed["printer_type"]) == (
        bambu.id,
        "bambu_lab",
    )
    assert (completed["actual_duration"], completed["progress"]) == (1800, 100.0)
    assert completed["material_used"] == 12.0  # 0.4 g per printed minute
    assert (completed["material_cost"], completed["power_cost"]) == (0.3, 0.06)
    assert completed["cost_eur"] == pytest.approx(0.36)
    start = datetime.fromisoformat(completed["start_time"])
    assert datetime.fromisoformat(completed["end_time"]) - start == timedelta(
        minutes=30
    )
    assert completed["completed_at"] == completed["end_time"]
    failed = jobs["cache/vase.gcode"]
    assert (failed["status"], failed["job_name"], failed["progress"]) == (
        "failed",
        "vase",
        20.0,
    )
    assert failed["material_used"] == 4.0
    cancelled = jobs["cube.3mf"]
    assert (cancelled["status"], cancelled["printer_id"]) == ("cancelled", prusa.id)
    # 45 minutes on the printer, 5 of them paused: 40 minutes of filament.
    assert (cancelled["actual_duration"], cancelled["material_used"]) == (2700, 16.0)
    assert cancelled["progress"] == 66.7
    # Newest first.
    created = [job["created_at"] for job in body["jobs"]]
    assert created == sorted(created, reverse=True)
    assert bambu.total_jobs == 2


async def test_job_list_filters_pagination_and_detail(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    run_three_jobs(sim)
    bambu, prusa = sim.printer(0), sim.printer(1)
    base = f"{sim.url}{API}/jobs"
    body = await get_json(session, f"{base}?printer_id={prusa.id}&limit=1")
    assert [job["filename"] for job in body["jobs"]] == ["cube.3mf"]
    assert body["pagination"] == {
        "page": 1,
        "limit": 1,
        "total_items": 1,
        "total_pages": 1,
    }
    body = await get_json(session, f"{base}?printer_id={bambu.id}&limit=1&page=2")
    assert body["total_count"] == 2
    assert body["pagination"]["total_pages"] == 2
    assert [job["status"] for job in body["jobs"]] == ["completed"]
    body = await get_json(session, f"{base}?job_status=failed")
    assert [job["filename"] for job in body["jobs"]] == ["cache/vase.gcode"]
    assert (await get_json(session, f"{base}?is_business=true"))["total_count"] == 0
    for query, loc in (
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("page=0", "page"),
        ("is_business=maybe", "is_business"),
    ):
        body = await get_json(session, f"{base}?{query}", expect=422)
        assert body["details"]["validation_errors"][0]["loc"] == ["query", loc]
    job = body_job = (await get_json(session, base))["jobs"][0]
    assert await get_json(session, f"{base}/{job['id']}") == body_job
    missing = await get_json(session, f"{base}/nope", expect=404)
    assert (missing["error_code"], missing["details"]) == (
        "JOB_NOT_FOUND",
        {"job_id": "nope"},
    )


def test_job_names_follow_the_server() -> None:
    assert job_name_for("benchy.gcode") == "benchy"
    assert job_name_for(" cache/Part.3MF ") == "Part"
    assert job_name_for("x.bgcode") == "x"
    assert job_name_for("notes.txt") == "notes.txt"


# ------------------------------------------------------------------------ analytics


async def test_analytics_follow_the_history(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    summary_url = f"{sim.url}{API}/analytics/summary"
    assert await get_json(session, summary_url) == {
        "total_jobs": 0,
        "completed_jobs": 0,
        "failed_jobs": 0,
        "total_print_time_hours": 0.0,
        "total_material_used_kg": 0.0,
        "total_cost_eur": 0.0,
        "average_job_duration_hours": 0.0,
        "success_rate_percent": 0.0,
    }
    run_three_jobs(sim)
    sim.printer(1).start_job("plate.gcode", duration_minutes=20)
    summary = await get_json(session, summary_url)
    # Completed, failed, cancelled and one running.
    assert (
        summary["total_jobs"],
        summary["completed_jobs"],
        summary["failed_jobs"],
    ) == (
        4,
        1,
        1,
    )
    assert summary["success_rate_percent"] == 25.0
    # The server sums columns the job table does not have: these stay 0.
    assert (
        summary["total_print_time_hours"],
        summary["total_material_used_kg"],
        summary["total_cost_eur"],
        summary["average_job_duration_hours"],
    ) == (0.0, 0.0, 0.0, 0.0)
    today = sim.clocks.now().date()
    tomorrow = today + timedelta(days=1)
    ranged = await get_json(
        session, f"{summary_url}?start_date={today}&end_date={tomorrow}"
    )
    assert ranged["total_jobs"] == 4
    # A date-only end bound excludes that day's jobs (text comparison on the server).
    ranged = await get_json(session, f"{summary_url}?end_date={today}")
    assert ranged["total_jobs"] == 0
    body = await get_json(session, f"{summary_url}?start_date=soon", expect=422)
    assert body["details"]["validation_errors"][0]["loc"] == ["query", "start_date"]

    overview = await get_json(session, f"{sim.url}{API}/analytics/overview")
    assert overview == {
        # Failed counts cancelled jobs too here.
        "jobs": {
            "total_jobs": 4,
            "completed_jobs": 1,
            "failed_jobs": 2,
            "success_rate": 25.0,
        },
        "files": {"total_files": 0, "downloaded_files": 0, "local_files": 0},
        # The printing Prusa does not count as online; the failed Bambu is "error".
        "printers": {"total_printers": 2, "online_printers": 0},
    }
    sim.printer(0).clear_error()
    overview = await get_json(session, f"{sim.url}{API}/analytics/overview?period=week")
    assert overview["printers"]["online_printers"] == 1


async def test_restart_forgets_jobs(sim: Simulator) -> None:
    run_three_jobs(sim)
    prusa = sim.printer(1)
    prusa.start_job("plate.gcode", duration_minutes=20)
    async with fresh_session() as session:
        summary_url = f"{sim.url}{API}/analytics/summary"
        assert (await get_json(session, summary_url))["total_jobs"] == 4
        await sim.restart()
        assert (await get_json(session, summary_url))["total_jobs"] == 4
        await sim.restart(forget_jobs=True)
        # The print still running is discovered again as a new job.
        summary = await get_json(session, summary_url)
        assert (summary["total_jobs"], summary["completed_jobs"]) == (1, 0)
        (job,) = (await get_json(session, f"{sim.url}{API}/jobs"))["jobs"]
        assert (job["filename"], job["status"]) == ("plate.gcode", "running")
        sim.advance(20 * 60)
        assert (await get_json(session, summary_url))["completed_jobs"] == 1
        async with session.post(
            f"{sim.url}/_simulator/restart", json={"forget_jobs": True}
        ) as response:
            assert response.status == 202
            assert (await response.json())["forget_jobs"] is True
        # The restart runs in the background: wait until it is back, jobs forgotten.
        while sim.jobs.records or not sim.is_up:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        async with session.get(f"{sim.url}/_simulator/jobs") as response:
            assert await response.json() == []


async def test_deleting_a_printer_deletes_its_jobs(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    run_three_jobs(sim)
    prusa = sim.printer(1)
    async with session.delete(f"{sim.url}{API}/printers/{prusa.id}") as response:
        assert response.status == 204
    body = await get_json(session, f"{sim.url}{API}/jobs")
    assert {job["printer_id"] for job in body["jobs"]} == {sim.printer(0).id}
    assert body["total_count"] == 2


async def test_job_control_routes(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    run_three_jobs(sim)
    async with session.get(f"{sim.url}/_simulator/jobs") as response:
        assert len(await response.json()) == 3
    async with session.delete(f"{sim.url}/_simulator/jobs") as response:
        assert await response.json() == {"forgotten": 3}
    assert (await get_json(session, f"{sim.url}{API}/jobs"))["total_count"] == 0


async def test_analytics_and_materials_can_be_absent(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async with running_simulator(analytics=False) as sim:
        for path in (
            "/analytics/summary",
            "/analytics/overview",
            "/materials",
            "/materials/stats",
        ):
            assert await get_json(session, f"{sim.url}{API}{path}", expect=404) == {
                "detail": "Not Found"
            }
        # Jobs and settings are older than analytics.
        await get_json(session, f"{sim.url}{API}/jobs")
        await get_json(session, f"{sim.url}{API}/settings/application")
        async with session.post(
            f"{sim.url}/_simulator/config", json={"analytics": True}
        ) as response:
            assert (await response.json())["analytics"] is True
        await get_json(session, f"{sim.url}{API}/materials/stats")


# ------------------------------------------------------------------------ materials


async def test_default_spools(sim: Simulator, session: aiohttp.ClientSession) -> None:
    spools = await get_json(session, f"{sim.url}{API}/materials")
    assert len(spools) == 5
    white = spools[0]
    assert (white["material_type"], white["brand"], white["color"]) == (
        "PLA",
        "BAMBU",
        "WHITE",
    )
    # Money as strings, weights as numbers.
    assert (white["cost_per_kg"], white["remaining_value"]) == ("24.99", "20.4918")
    assert (white["weight"], white["remaining_weight"]) == (1.0, 0.82)
    assert white["remaining_percentage"] == pytest.approx(82.0)
    assert NAIVE_TS.match(white["created_at"])
    low = await get_json(session, f"{sim.url}{API}/materials?low_stock=true")
    assert {spool["color"] for spool in low} == {"BLACK", "RED"}
    petg = await get_json(session, f"{sim.url}{API}/materials?material_type=PETG")
    assert [spool["brand"] for spool in petg] == ["PRUSAMENT"]
    body = await get_json(session, f"{sim.url}{API}/materials?brand=ACME", expect=422)
    assert body["details"]["validation_errors"][0]["type"] == "enum"

    stats = await get_json(session, f"{sim.url}{API}/materials/stats")
    assert stats["total_spools"] == 5
    assert (stats["total_weight"], stats["total_remaining"]) == (4.25, 1.95)
    assert stats["total_value"] == "121.8450"
    assert stats["remaining_value"] == "55.9351"
    assert stats["by_type"]["PLA"] == {
        "count": 2,
        "total_weight": 2.0,
        "remaining_weight": 0.94,
        "value": "23.4906",
    }
    assert stats["by_brand"]["BAMBU"]["count"] == 2
    assert stats["by_color"] == {
        "WHITE": 1,
        "BLACK": 1,
        "ORANGE": 1,
        "RED": 1,
        "TRANSPARENT": 1,
    }
    assert sorted(stats["low_stock"]) == sorted(spool["id"] for spool in low)


async def test_spools_can_be_replaced(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sim.set_materials(
        [
            {
                "material_type": "ASA",
                "brand": "ESUN",
                "color": "GREY",
                "remaining_weight": 0.1,
            },
            MaterialSpool(id="spool-1", cost_per_kg=Decimal(20)),
        ]
    )
    spools = await get_json(session, f"{sim.url}{API}/materials")
    assert [spool["material_type"] for spool in spools] == ["ASA", "PLA"]
    assert spools[1]["id"] == "spool-1"
    control = f"{sim.url}/_simulator/materials"
    async with session.put(control, json={"spools": []}) as response:
        assert await response.json() == {"spools": 0}
    assert await get_json(session, f"{sim.url}{API}/materials") == []
    stats = await get_json(session, f"{sim.url}{API}/materials/stats")
    assert (stats["total_value"], stats["by_type"], stats["low_stock"]) == ("0", {}, [])
    async with session.put(
        control, json={"spools": [{"color": "BLUE", "cost_per_kg": "18.50"}]}
    ) as response:
        assert response.status == 200
    async with session.get(control) as response:
        (spool,) = await response.json()
    assert (spool["color"], spool["cost_per_kg"]) == ("BLUE", "18.50")
    for bad in ({"spools": [{"colour": "RED"}]}, {"spools": [{"color": "MAUVE"}]}, {}):
        async with session.put(control, json=bad) as response:
            assert response.status == 400, bad


# ------------------------------------------------------------- settings, fresh server


async def test_application_settings(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async with running_simulator(currency="USD", timezone="America/New_York") as sim:
        settings = await get_json(session, f"{sim.url}{API}/settings/application")
        assert (settings["currency"], settings["timezone"]) == (
            "USD",
            "America/New_York",
        )
        assert settings["monitoring_interval"] == 30
        async with session.post(
            f"{sim.url}/_simulator/config", json={"currency": "GBP"}
        ) as response:
            assert response.status == 200
        settings = await get_json(session, f"{sim.url}{API}/settings/application")
        assert settings["currency"] == "GBP"
        async with session.post(
            f"{sim.url}/_simulator/config", json={"colour": "red"}
        ) as response:
            assert response.status == 400


async def test_fresh_server(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    async with running_simulator(fresh=True) as sim:
        assert await get_json(session, f"{sim.url}{API}/materials") == []
        assert (await get_json(session, f"{sim.url}{API}/library/files"))["files"] == []
        assert (await get_json(session, f"{sim.url}{API}/jobs"))["total_count"] == 0
    async with running_simulator() as sim:
        sim.printer(0).start_job("benchy.gcode")
        assert len(await get_json(session, f"{sim.url}{API}/materials")) == 5
        async with session.post(f"{sim.url}/_simulator/fresh") as response:
            assert response.status == 200
        assert await get_json(session, f"{sim.url}{API}/materials") == []
        stats = await get_json(session, f"{sim.url}{API}/library/statistics")
        assert stats["total_files"] == 0
        assert (await get_json(session, f"{sim.url}{API}/jobs"))["total_count"] == 0


def test_catalogue_does_not_shift_seeded_values() -> None:
    """Spools and job ids draw from their own generators, not the fleet's."""
    sim = Simulator(seed=3)
    plain = Simulator(seed=3, fresh=True)
    assert list(sim.printers) == list(plain.printers)
    assert sim.secrets == plain.secrets
    assert sim._trending_base == plain._trending_base
    again = Simulator(seed=3)
    assert [s.id for s in sim.materials] == [s.id for s in again.materials]
    printer = SimPrinter("X1C", "bambu_lab")
    sim.add_printer(printer)
    printer.start_job("a.gcode")
    again_printer = SimPrinter("X1C", "bambu_lab")
    again.add_printer(again_printer)
    again_printer.start_job("a.gcode")
    assert sim.jobs.records[0].id == again.jobs.records[0].id
