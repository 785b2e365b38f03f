"""Job and statistics routes: jobs, analytics summary and overview, file statistics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .common import error_response, json_response, not_found, validation_error
from .params import Errors, bool_param, date_param, int_param

if TYPE_CHECKING:
    from .server import Simulator

API = "/api/v1"
# A constant in the server's files router.
FILES_STATISTICS_TIMESTAMP = "2025-09-26T18:55:00Z"


class JobRoutes:
    """Handlers for /api/v1/jobs, /api/v1/analytics/* and /api/v1/files/statistics."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def register(self, r: web.UrlDispatcher) -> None:
        """Add the routes to an application's router."""
        r.add_get(f"{API}/jobs", self.list_jobs)
        r.add_get(f"{API}/jobs/{{job_id}}", self.get_job)
        r.add_get(f"{API}/analytics/summary", self.analytics_summary)
        r.add_get(f"{API}/analytics/overview", self.analytics_overview)
        r.add_get(f"{API}/files/statistics", self.files_statistics)

    async def list_jobs(self, request: web.Request) -> web.Response:
        query = request.query
        errors: Errors = []
        is_business = bool_param(query, "is_business", errors)
        limit = int_param(query, "limit", 50, minimum=1, maximum=1000, errors=errors)
        page = int_param(query, "page", 1, minimum=1, maximum=None, errors=errors)
        if errors:
            return validation_error(self.sim.clocks, errors)
        jobs = self.sim.jobs.query(
            printer_id=query.get("printer_id"),
            status=query.get("job_status"),
            is_business=is_business,
        )
        total = len(jobs)
        start = (page - 1) * limit
        return json_response(
            {
                "jobs": [job.to_json() for job in jobs[start : start + limit]],
                "total_count": total,
                "pagination": {
                    "page": page,
                    "limit": limit,
                    "total_items": total,
                    # At least 1, unlike the printer list.
                    "total_pages": max(1, (total + limit - 1) // limit),
                },
            }
        )

    async def get_job(self, request: web.Request) -> web.Response:
        job_id = request.match_info["job_id"]
        job = self.sim.jobs.get(job_id)
        if job is None:
            return error_response(
                self.sim.clocks,
                404,
                f"Job not found: {job_id}",
                "JOB_NOT_FOUND",
                {"job_id": job_id},
            )
        return json_response(job.to_json())

    async def analytics_summary(self, request: web.Request) -> web.Response:
        if not self.sim.analytics:
            return not_found()
        errors: Errors = []
        start = date_param(request.query, "start_date", errors)
        end = date_param(request.query, "end_date", errors)
        if errors:
            return validation_error(self.sim.clocks, errors)
        return json_response(self.sim.jobs.summary(start, end))

    async def analytics_overview(self, request: web.Request) -> web.Response:
        if not self.sim.analytics:
            return not_found()
        period = request.query.get("period", "day")
        printers = list(self.sim.printers.values())
        return json_response(
            {
                "jobs": self.sim.jobs.overview_jobs(period),
                # Printer files (downloads from printers); the simulator keeps none.
                "files": {"total_files": 0, "downloaded_files": 0, "local_files": 0},
                "printers": {
                    "total_printers": len(printers),
                    # Only "online" counts: a printing printer does not.
                    "online_printers": sum(1 for p in printers if p.status == "online"),
                },
            }
        )

    async def files_statistics(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "status": "success",
                "data": {
                    "statistics": {
                        "total_files": 0,
                        "local_files": 0,
                        "printer_files": 0,
                        "available_count": 0,
                        "downloaded_count": 0,
                        "failed_count": 0,
                        "local_count": 0,
                        "total_size": 0,
                        "download_success_rate": 1.0,
                    },
                    "timestamp": FILES_STATISTICS_TIMESTAMP,
                },
            }
        )
