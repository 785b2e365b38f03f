"""Library routes: list, statistics and printing a library file on a printer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .common import (
    drop,
    error_response,
    http_exception,
    json_response,
    validation_error,
)
from .library import pagination, statistics
from .params import (
    Errors,
    body_object,
    int_param,
    json_body,
    required_str,
    str_param,
)
from .prints import PrintRequest

if TYPE_CHECKING:
    from .server import Simulator

API = "/api/v1"
SORT_KEYS = ("created_at", "filename", "file_size", "last_modified")


class LibraryRoutes:
    """Handlers for /api/v1/library."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def register(self, r: web.UrlDispatcher) -> None:
        """Add the routes to an application's router."""
        r.add_get(f"{API}/library/files", self.list_files)
        r.add_get(f"{API}/library/statistics", self.library_statistics)
        r.add_post(f"{API}/library/files/{{checksum}}/print", self.print_file)

    async def list_files(self, request: web.Request) -> web.Response:
        query = request.query
        errors: Errors = []
        page = int_param(query, "page", 1, minimum=1, maximum=None, errors=errors)
        limit = int_param(query, "limit", 50, minimum=1, maximum=200, errors=errors)
        search = str_param(query, "search", errors, min_length=2)
        if errors:
            return validation_error(self.sim.clocks, errors)
        files = list(self.sim.library)
        if file_type := query.get("file_type"):
            files = [f for f in files if f.file_type == file_type.lower()]
        if status := query.get("status"):
            files = [f for f in files if f.status == status]
        if search:
            needle = search.lower()
            files = [f for f in files if needle in f.filename.lower()]
        sort_by = query.get("sort_by") or "created_at"
        descending = (query.get("sort_order") or "desc").lower() != "asc"
        if sort_by == "filename":
            files.sort(key=lambda f: f.filename.lower(), reverse=descending)
        elif sort_by == "file_size":
            files.sort(key=lambda f: f.file_size, reverse=descending)
        else:
            files.sort(
                key=lambda f: f.added.isoformat() if f.added else "",
                reverse=descending,
            )
        total = len(files)
        start = (page - 1) * limit
        now = self.sim.clocks.now()
        return json_response(
            {
                "files": [f.to_json(now) for f in files[start : start + limit]],
                "pagination": pagination(page, limit, total),
            }
        )

    async def library_statistics(self, request: web.Request) -> web.Response:
        return json_response(statistics(self.sim.library))

    async def print_file(self, request: web.Request) -> web.Response:
        checksum = request.match_info["checksum"]
        errors: Errors = []
        body = body_object(await json_body(request, errors), errors)
        printer_id = (
            required_str(body, "printer_id", errors) if body is not None else None
        )
        if errors or printer_id is None:
            return validation_error(self.sim.clocks, errors)
        record = PrintRequest(checksum, printer_id, self.sim.now())
        self.sim.print_requests.append(record)
        self.sim.print_request_received.set()
        status, outcome = await self.sim.run_library_print(record)
        record.status = status
        record.outcome = outcome
        record.done = True
        if outcome == "interrupted":
            return drop(request)
        if outcome == "not_found":
            return error_response(
                self.sim.clocks,
                404,
                f"Library item not found: {checksum}",
                "LIBRARY_ITEM_NOT_FOUND",
                {"item_id": checksum},
            )
        messages = {
            "not_printable": "File is not a printable print file",
            "printer_not_found": "Printer not found",
            "upload_failed": "Failed to upload file to printer",
            "start_failed": "Uploaded but failed to start print",
        }
        if outcome in messages:
            return http_exception(self.sim.clocks, status, messages[outcome])
        return json_response({"status": "started", "filename": record.filename})
