"""Printer routes: list, create, delete, detail, status, controls, thumbnail, discovery."""

from __future__ import annotations

import copy
import json
import math
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .common import (
    PRINTER_STATUSES,
    PRINTER_TYPES,
    enum_message,
    error_response,
    internal_error,
    json_response,
    success,
    validation_error,
)
from .jpeg import encode_jpeg
from .params import bool_param, enum_param, int_param
from .png import thumbnail_png
from .printers import PrinterActionError, SimPrinter

if TYPE_CHECKING:
    from .server import Simulator

API = "/api/v1"
# The colour of a JPEG thumbnail (Printernizer orange).
THUMBNAIL_RGB = bytes((255, 106, 19))


class PrinterRoutes:
    """Handlers for /api/v1/printers and the printer controls."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def register(self, r: web.UrlDispatcher) -> None:
        """Add the routes to an application's router (order matters for `{id}`)."""
        r.add_get(f"{API}/printers", self.list_printers)
        r.add_post(f"{API}/printers", self.create_printer)
        r.add_delete(f"{API}/printers/{{printer_id}}", self.delete_printer)
        r.add_get(f"{API}/printers/discover", self.discover)
        r.add_get(f"{API}/printers/discover/startup", self.discover_startup)
        r.add_get(f"{API}/printers/{{printer_id}}", self.get_printer)
        r.add_get(f"{API}/printers/{{printer_id}}/status", self.printer_status)
        r.add_get(f"{API}/printers/{{printer_id}}/thumbnail", self.thumbnail)
        r.add_get(f"{API}/printers/{{printer_id}}/details", self.printer_details)
        r.add_post(
            f"{API}/printers/{{printer_id}}/{{action:pause|resume|stop|connect|disconnect}}",
            self.printer_control,
        )

    def printer_json(self, printer: SimPrinter, *, list_view: bool) -> dict[str, Any]:
        """A Printer object as the list (list_view) or detail routes return it."""
        now = self.sim.clocks.ts()
        temperatures = None
        if printer.reports_temperatures:
            bed, nozzle = printer.temperatures()
            temperatures = {"bed": bed, "nozzle": nozzle}
        current_job = None
        if printer.reports_job:
            current_job = {
                "name": printer.job_name,
                "status": "printing" if printer.phase == "printing" else "idle",
                "progress": int(printer.progress),
                "started_at": printer.job_started_at,
                "estimated_remaining": None,
                "layer_current": None,
                "layer_total": None,
            }
        return {
            "id": printer.id,
            "name": printer.name,
            "printer_type": printer.printer_type,
            "status": printer.status,
            "ip_address": printer.ip_address,
            "connection_config": {
                "ip_address": printer.ip_address,
                "api_key": printer.api_key,
                "access_code": printer.access_code,
                "serial_number": printer.serial_number,
                "webcam_url": printer.webcam_url,
            },
            "location": None,
            "description": None,
            "is_enabled": True,
            "last_seen": printer.last_seen,
            "current_job": current_job,
            "temperatures": temperatures,
            "filaments": (
                copy.deepcopy(printer.filaments)
                if printer.filaments is not None
                and printer.connected
                and not printer.unreachable
                else None
            ),
            "total_jobs": printer.total_jobs if list_view else None,
            "created_at": now,
            "updated_at": now,
        }

    def printer_not_found(self, printer_id: str) -> web.Response:
        """404 PRINTER_NOT_FOUND."""
        return error_response(
            self.sim.clocks,
            404,
            f"Printer not found: {printer_id}",
            "PRINTER_NOT_FOUND",
            {"printer_id": printer_id},
        )

    async def list_printers(self, request: web.Request) -> web.Response:
        query = request.query
        errors: list[dict[str, Any]] = []
        page = int_param(query, "page", 1, minimum=1, maximum=None, errors=errors)
        limit = int_param(query, "limit", 50, minimum=1, maximum=100, errors=errors)
        printer_type = enum_param(query, "printer_type", PRINTER_TYPES, errors)
        status = enum_param(query, "status", PRINTER_STATUSES, errors)
        is_active = bool_param(query, "is_active", errors)
        if errors:
            return validation_error(self.sim.clocks, errors)
        selected = [
            printer
            for printer in self.sim.printers.values()
            if (printer_type is None or printer.printer_type == printer_type)
            and (status is None or printer.status == status)
            and (is_active is None or is_active)
        ]
        total = len(selected)
        start = (page - 1) * limit
        return json_response(
            {
                "printers": [
                    self.printer_json(printer, list_view=True)
                    for printer in selected[start : start + limit]
                ],
                "total_count": total,
                "pagination": {
                    "page": page,
                    "limit": limit,
                    "total_items": total,
                    "total_pages": math.ceil(total / limit),
                },
            }
        )

    async def create_printer(self, request: web.Request) -> web.Response:
        raw = await request.text()
        try:
            body = json.loads(raw)
        except ValueError:
            return validation_error(
                self.sim.clocks,
                [
                    {
                        "type": "json_invalid",
                        "loc": ["body", 0],
                        "msg": "JSON decode error",
                        "input": {},
                    }
                ],
            )
        errors = create_errors(body)
        if errors:
            return validation_error(self.sim.clocks, errors)
        printer_type = body["printer_type"]
        config = body["connection_config"]
        secret_key = "access_code" if printer_type == "bambu_lab" else "api_key"
        if printer_type == "unknown" or not (
            config.get("ip_address") and config.get(secret_key)
        ):
            error = "Failed to add printer configuration"
            return error_response(
                self.sim.clocks,
                400,
                f"Validation failed for 'printer_config': {error}",
                "VALIDATION",
                {"field": "printer_config", "error": error},
            )
        printer = SimPrinter(
            str(body["name"]),
            "bambu_lab" if printer_type == "bambu_lab" else "prusa_core",
            ip_address=str(config["ip_address"]),
            api_key=config.get("api_key"),
            access_code=config.get("access_code"),
            serial_number=config.get("serial_number"),
            webcam_url=config.get("webcam_url"),
        )
        self.sim.add_printer(printer)
        created = self.printer_json(printer, list_view=False)
        # Right after creation the server has not polled the printer yet.
        created.update(
            status="unknown",
            location=body.get("location"),
            description=body.get("description"),
            last_seen=None,
            current_job=None,
            temperatures=None,
            filaments=None,
        )
        return json_response(created, status=201)

    async def delete_printer(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        errors: list[dict[str, Any]] = []
        force = bool_param(request.query, "force", errors)
        if errors:
            return validation_error(self.sim.clocks, errors)
        printer = self.sim.printers.get(printer_id)
        if printer is None:
            return self.printer_not_found(printer_id)
        if printer.job_name and not force:
            return error_response(
                self.sim.clocks,
                409,
                "Cannot delete printer with active jobs. Use force=true to delete anyway.",
                "HTTP_409",
            )
        self.sim.remove_printer(printer_id)
        return web.Response(status=204)

    async def get_printer(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        printer = self.sim.printers.get(printer_id)
        if printer is None:
            return self.printer_not_found(printer_id)
        return json_response(self.printer_json(printer, list_view=False))

    async def printer_details(self, request: web.Request) -> web.Response:
        # Always 500 in this server version (an AttributeError in the route).
        return internal_error(self.sim.clocks)

    async def printer_status(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        printer = self.sim.printers.get(printer_id)
        if printer is None:
            return self.printer_not_found(printer_id)
        current_job = None
        if printer.reports_job:
            current_job = {
                "name": printer.job_name,
                "progress": int(printer.progress),
                "remaining_time": printer.remaining_minutes,
            }
        temperatures = None
        if printer.reports_temperatures:
            bed, nozzle = printer.temperatures()
            temperatures = {
                "bed": {"current": bed, "target": None},
                "nozzle": {"current": nozzle, "target": None},
            }
        return json_response(
            {
                "id": printer.id,
                "name": printer.name,
                "status": printer.status,
                "current_job": current_job,
                "temperatures": temperatures,
                "timestamp": self.sim.clocks.ts(),
            }
        )

    def connection_failure(self, printer: SimPrinter, reason: str) -> web.Response:
        return error_response(
            self.sim.clocks,
            503,
            f"Failed to connect to printer: {reason}",
            "PRINTER_CONNECTION",
            {"printer_id": printer.id, "reason": reason},
        )

    def unreachable_reason(self, printer: SimPrinter) -> str:
        if printer.printer_type == "prusa_core":
            host = printer.ip_address
            return (
                "Failed to connect to printer: Cannot connect to Prusa printer: "
                f"Cannot connect to host {host}:80 ssl:default "
                f"[Connect call failed ('{host}', 80)]"
            )
        return "Failed to connect to printer: Bambu Lab printer is not connected"

    async def printer_control(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        action = request.match_info["action"]
        printer = self.sim.printers.get(printer_id)
        if printer is None:
            return self.printer_not_found(printer_id)
        if action == "disconnect":
            printer.connected = False
            return success("disconnected")
        if not printer.connected or printer.unreachable:
            return self.connection_failure(printer, self.unreachable_reason(printer))
        if action == "connect":
            return success("connected")
        operation = {
            "pause": printer.pause,
            "resume": printer.resume,
            "stop": printer.stop,
        }
        try:
            operation[action]()
        except PrinterActionError as err:
            return self.connection_failure(printer, f"Failed to {action} print: {err}")
        return success(
            {"pause": "paused", "resume": "resumed", "stop": "stopped"}[action]
        )

    async def thumbnail(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        printer = self.sim.printers.get(printer_id)
        if printer is None:
            return self.printer_not_found(printer_id)
        if printer.reports_job and printer.job_name:
            if printer.thumbnail_type == "image/jpeg":
                body = encode_jpeg(32, 32, THUMBNAIL_RGB * 32 * 32, printer.job_name)
            else:
                body = thumbnail_png(printer.job_name)
            return web.Response(body=body, content_type=printer.thumbnail_type)
        reason = (
            "No status available for printer"
            if not printer.connected
            else "No current print job"
        )
        return error_response(
            self.sim.clocks,
            404,
            "File not found: current_job_thumbnail",
            "FILE_NOT_FOUND",
            {
                "file_id": "current_job_thumbnail",
                "printer_id": printer.id,
                "reason": reason,
            },
        )

    async def discover(self, request: web.Request) -> web.Response:
        reason = "discovery is disabled in configuration"
        return error_response(
            self.sim.clocks,
            503,
            f"Printer Discovery is unavailable: {reason}",
            "SERVICE_UNAVAILABLE",
            {"service": "Printer Discovery", "reason": reason},
        )

    async def discover_startup(self, request: web.Request) -> web.Response:
        return json_response({"discovered": [], "count": 0, "new_count": 0})


def create_errors(body: Any) -> list[dict[str, Any]]:
    """Pydantic's errors for a PrinterCreateRequest body."""
    if not isinstance(body, dict):
        return [
            {
                "type": "model_attributes_type",
                "loc": ["body"],
                "msg": "Input should be a valid dictionary or object to extract fields from",
                "input": body,
            }
        ]
    errors: list[dict[str, Any]] = [
        {
            "type": "missing",
            "loc": ["body", name],
            "msg": "Field required",
            "input": body,
        }
        for name in ("name", "printer_type", "connection_config")
        if name not in body
    ]
    if "name" in body and not isinstance(body["name"], str):
        errors.append(
            {
                "type": "string_type",
                "loc": ["body", "name"],
                "msg": "Input should be a valid string",
                "input": body["name"],
            }
        )
    if "printer_type" in body and body["printer_type"] not in PRINTER_TYPES:
        errors.append(
            {
                "type": "enum",
                "loc": ["body", "printer_type"],
                "msg": enum_message(PRINTER_TYPES),
                "input": body["printer_type"],
            }
        )
    if "connection_config" in body and not isinstance(body["connection_config"], dict):
        errors.append(
            {
                "type": "dict_type",
                "loc": ["body", "connection_config"],
                "msg": "Input should be a valid dictionary",
                "input": body["connection_config"],
            }
        )
    return errors
