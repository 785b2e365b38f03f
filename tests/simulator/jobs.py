"""The server's job table: records of the prints the simulated printers ran.

A record appears when a printer starts a job (status `running`, as the server's
monitoring creates it on discovering a print) and is closed when the job completes,
fails or is stopped (`completed`, `failed`, `cancelled`), with its end time, duration,
material and costs. The server wipes the table on every restart (`forget`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
import random
from typing import TYPE_CHECKING, Any
import uuid

from .printers import JOB_CANCELLED, JOB_COMPLETED, JOB_FAILED, JOB_STARTED

if TYPE_CHECKING:
    from .common import Clocks
    from .printers import SimPrinter

# Filament a print uses per minute of printing (a 30-minute benchy: 12 g).
GRAMS_PER_PRINT_MINUTE = 0.4
MATERIAL_COST_PER_GRAM = 0.025  # EUR, i.e. 25 EUR/kg
POWER_COST_PER_MINUTE = 0.002  # EUR, ~200 W at 0.30 EUR/kWh
_END_STATUS = {
    JOB_COMPLETED: "completed",
    JOB_FAILED: "failed",
    JOB_CANCELLED: "cancelled",
}
# GET /analytics/overview?period=... looks back this many days (30 otherwise).
PERIOD_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}


def job_name_for(filename: str) -> str:
    """The server's job name for a file: no `cache/` prefix, no print extension."""
    clean = filename.strip()
    clean = clean.removeprefix("cache/").strip()
    for extension in (".gcode", ".bgcode", ".3mf", ".stl"):
        if clean.lower().endswith(extension):
            return clean[: -len(extension)]
    return clean


@dataclass
class JobRecord:
    """One row of the job table."""

    id: str
    printer_id: str
    printer_type: str
    job_name: str
    filename: str | None
    status: str
    start: datetime | None
    created_at: str
    updated_at: str
    estimated_duration: int | None = None
    end: datetime | None = None
    actual_duration: int | None = None
    progress: float = 0.0
    material_used: float | None = None
    material_cost: float | None = None
    power_cost: float | None = None
    is_business: bool = False
    customer_name: str | None = None
    order_id: str | None = None

    @property
    def start_time(self) -> str | None:
        """Start as the server stores it (naive local ISO timestamp)."""
        return self.start.isoformat() if self.start else None

    @property
    def end_time(self) -> str | None:
        """End as the server stores it."""
        return self.end.isoformat() if self.end else None

    def to_json(self) -> dict[str, Any]:
        """The JobResponse the jobs routes return."""
        material_cost = self.material_cost or 0
        power_cost = self.power_cost or 0
        return {
            "id": self.id,
            "printer_id": self.printer_id,
            "printer_type": self.printer_type,
            "job_name": self.job_name,
            "filename": self.filename,
            "status": self.status,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "estimated_duration": self.estimated_duration,
            "actual_duration": self.actual_duration,
            "progress": float(self.progress),
            "material_used": self.material_used,
            "material_cost": self.material_cost,
            "power_cost": self.power_cost,
            "is_business": self.is_business,
            "customer_name": self.customer_name,
            "order_id": self.order_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "progress_percent": float(self.progress),
            "cost_eur": float(material_cost + power_cost),
            "started_at": self.start_time,
            "completed_at": self.end_time,
        }


class JobHistory:
    """The job records of one simulated server."""

    def __init__(self, clocks: Clocks, seed: int = 0) -> None:
        self._clocks = clocks
        # Its own generator, so job ids never shift the fleet's seeded values.
        self._rng = random.Random(f"jobs-{seed}")
        self.records: list[JobRecord] = []
        self._open: dict[str, JobRecord] = {}

    def _new_id(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def on_printer_event(self, event: str, printer: SimPrinter) -> None:
        """Listener for SimPrinter job events."""
        if event == JOB_STARTED:
            self.started(printer)
        elif event in _END_STATUS:
            self.ended(printer, _END_STATUS[event])

    def started(self, printer: SimPrinter) -> JobRecord:
        """Open a `running` record for the printer's current job."""
        now = self._clocks.now()
        start = now - timedelta(seconds=printer.job_wall_s)
        stamp = start.isoformat()
        filename = printer.job_name or ""
        record = JobRecord(
            id=self._new_id(),
            printer_id=printer.id,
            printer_type=printer.printer_type,
            job_name=job_name_for(filename),
            filename=filename,
            status="running",
            start=start,
            created_at=stamp,
            updated_at=stamp,
            estimated_duration=int(printer.job_duration_s) or None,
            progress=round(printer.progress, 1),
        )
        self.records.append(record)
        self._open[printer.id] = record
        return record

    def ended(self, printer: SimPrinter, status: str) -> JobRecord | None:
        """Close the printer's open record with its outcome, duration and costs."""
        record = self._open.pop(printer.id, None)
        if record is None:
            return None
        printed_minutes = printer.job_elapsed_s / 60
        record.status = status
        record.end = (record.start or self._clocks.now()) + timedelta(
            seconds=printer.job_wall_s
        )
        record.actual_duration = int(printer.job_wall_s)
        record.progress = round(printer.progress, 1)
        grams = round(printed_minutes * GRAMS_PER_PRINT_MINUTE, 2)
        record.material_used = grams
        record.material_cost = round(grams * MATERIAL_COST_PER_GRAM, 2)
        record.power_cost = round(printer.job_wall_s / 60 * POWER_COST_PER_MINUTE, 2)
        record.updated_at = self._clocks.now().isoformat()
        return record

    def forget(self, printers: list[SimPrinter]) -> None:
        """Wipe every record; prints still running are discovered again as new jobs."""
        self.records.clear()
        self._open.clear()
        for printer in printers:
            if printer.job_name:
                self.started(printer)

    def drop_printer(self, printer_id: str) -> None:
        """Delete a printer's records (the job table cascades printer deletions)."""
        self.records = [r for r in self.records if r.printer_id != printer_id]
        self._open.pop(printer_id, None)

    def get(self, job_id: str) -> JobRecord | None:
        """A record by id."""
        return next((r for r in self.records if r.id == job_id), None)

    def query(
        self,
        printer_id: str | None = None,
        status: str | None = None,
        is_business: bool | None = None,
    ) -> list[JobRecord]:
        """Filtered records, newest first (ORDER BY created_at DESC)."""
        selected = [
            record
            for record in reversed(self.records)
            if (not printer_id or record.printer_id == printer_id)
            and (not status or record.status == status)
            and (is_business is None or record.is_business == is_business)
        ]
        return sorted(selected, key=lambda r: r.created_at, reverse=True)

    def in_range(self, start: str, end: str) -> list[JobRecord]:
        """Records whose created_at or start_time lies between the two strings.

        The server compares the stored text with the bounds' ISO text (SQL BETWEEN
        on strings), so a date-only end bound excludes that day's jobs.
        """
        return [
            record
            for record in self.query()
            if start <= record.created_at <= end
            or (record.start_time is not None and start <= record.start_time <= end)
        ]

    def summary(
        self, start_date: date | None = None, end_date: date | None = None
    ) -> dict[str, Any]:
        """GET /analytics/summary, computed as the server's AnalyticsService does.

        The service sums `elapsed_time_minutes`, `material_used_grams` and `cost_eur`,
        which are not columns of the job table, so those totals stay 0 whatever the
        jobs hold; only the counts and the success rate follow the history.
        """
        end: date | datetime = end_date if end_date is not None else self._clocks.now()
        start: date | datetime = (
            start_date if start_date is not None else end - timedelta(days=30)
        )
        jobs = self.in_range(start.isoformat(), end.isoformat())
        total = len(jobs)
        completed = sum(1 for job in jobs if job.status == "completed")
        failed = sum(1 for job in jobs if job.status == "failed")
        hours = 0.0  # sum of a missing column
        return {
            "total_jobs": total,
            "completed_jobs": completed,
            "failed_jobs": failed,
            "total_print_time_hours": round(hours, 2),
            "total_material_used_kg": 0.0,
            "total_cost_eur": 0.0,
            "average_job_duration_hours": round(hours / total, 2) if total else 0.0,
            "success_rate_percent": round(completed / total * 100, 1) if total else 0.0,
        }

    def overview_jobs(self, period: str) -> dict[str, Any]:
        """The `jobs` part of GET /analytics/overview for a period."""
        end = self._clocks.now()
        start = end - timedelta(days=PERIOD_DAYS.get(period, 30))
        jobs = self.in_range(start.isoformat(), end.isoformat())
        total = len(jobs)
        completed = sum(1 for job in jobs if job.status == "completed")
        failed = sum(1 for job in jobs if job.status in ("failed", "cancelled"))
        return {
            "total_jobs": total,
            "completed_jobs": completed,
            "failed_jobs": failed,
            "success_rate": round(completed / total * 100, 1) if total else 0.0,
        }
