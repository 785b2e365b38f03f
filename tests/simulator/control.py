"""The simulator's own HTTP control API under /_simulator/ (never faulted or limited)."""

from __future__ import annotations

from collections import Counter
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .common import json_response
from .faults import FaultKind
from .materials import MaterialSpool
from .printers import PRINT_REFUSAL_STAGES, PrinterActionError, SimPrinter

if TYPE_CHECKING:
    from .server import Simulator

PREFIX = "/_simulator"
PRINTER_ACTIONS = (
    "start_job",
    "pause",
    "resume",
    "stop",
    "finish",
    "fail",
    "clear_error",
    "offline",
    "online",
    "unreachable",
)


class _BadRequestError(Exception):
    pass


class _NotFoundError(Exception):
    pass


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    text = await request.text()
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as err:
        raise _BadRequestError(f"invalid JSON: {err}") from err
    if not isinstance(data, dict):
        raise _BadRequestError("the body must be a JSON object")
    return data


def _error(status: int, message: str) -> web.Response:
    return json_response({"error": message}, status=status)


def add_control_routes(sim: Simulator, router: web.UrlDispatcher) -> None:
    """Register the control routes on an application's router."""

    async def get_state(request: web.Request) -> web.Response:
        return json_response(sim.state())

    async def list_faults(request: web.Request) -> web.Response:
        return json_response([fault.to_dict() for fault in sim.faults])

    async def add_fault(request: web.Request) -> web.Response:
        data = await _body(request)
        try:
            kind = FaultKind(str(data.get("kind", "")).lower())
        except ValueError:
            kinds = ", ".join(k.value for k in FaultKind)
            return _error(400, f"kind must be one of: {kinds}")
        fault = sim.fault(
            kind,
            path=data.get("path"),
            method=data.get("method"),
            count=data.get("count"),
            status=int(data.get("status", 503)),
            delay=float(data.get("delay", 0)),
            retry_after=float(data.get("retry_after", 1)),
            body=data.get("body"),
        )
        return json_response(fault.to_dict(), status=201)

    async def clear_faults(request: web.Request) -> web.Response:
        count = len(sim.faults)
        sim.clear_faults()
        return json_response({"cleared": count})

    async def set_service(request: web.Request) -> web.Response:
        data = await _body(request)
        name = request.match_info["name"]
        status = str(data.get("status", "healthy"))
        try:
            sim.add_service(name, status, data.get("details"))
        except ValueError as err:
            return _error(400, str(err))
        return json_response(
            {"overall_status": sim.overall_status, name: sim.services[name]}
        )

    async def delete_service(request: web.Request) -> web.Response:
        sim.remove_service(request.match_info["name"])
        return json_response({"overall_status": sim.overall_status})

    async def add_printer(request: web.Request) -> web.Response:
        data = await _body(request)
        allowed = {
            "name",
            "printer_type",
            "id",
            "status",
            "ip_address",
            "api_key",
            "access_code",
            "serial_number",
            "webcam_url",
            "job_name",
            "job_duration_minutes",
            "progress",
            "camera",
            "live_stream",
            "filaments",
        }
        unknown = set(data) - allowed
        if unknown:
            return _error(400, f"unknown fields: {sorted(unknown)}")
        try:
            printer = sim.add_printer(SimPrinter(**data))
        except (TypeError, ValueError) as err:
            return _error(400, str(err))
        return json_response(sim._printer_json(printer, list_view=True), status=201)

    async def delete_printer(request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        if printer_id not in sim.printers:
            return _error(404, f"no printer {printer_id}")
        sim.remove_printer(printer_id)
        return json_response({"removed": printer_id})

    async def printer_action(request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        action = request.match_info["action"]
        printer = sim.printers.get(printer_id)
        if printer is None:
            return _error(404, f"no printer {printer_id}")
        if action not in PRINTER_ACTIONS:
            return _error(400, f"action must be one of: {', '.join(PRINTER_ACTIONS)}")
        data = await _body(request)
        try:
            if action == "start_job":
                printer.start_job(
                    str(data.get("name", "benchy.gcode")),
                    float(data.get("duration_minutes", 30)),
                )
            elif action == "fail":
                printer.fail(str(data.get("reason", "Print failed")))
            elif action == "offline":
                printer.go_offline()
            elif action == "online":
                printer.come_online()
            elif action == "unreachable":
                printer.go_unreachable()
            else:
                getattr(printer, action)()
        except (PrinterActionError, ValueError) as err:
            return _error(409, str(err))
        if data.get("poll", True) and printer.connected:
            await sim.poll(printer_id)
        return json_response(sim._printer_json(printer, list_view=True))

    async def poll(request: web.Request) -> web.Response:
        data = await _body(request)
        printer_id = data.get("printer_id")
        if printer_id is not None and printer_id not in sim.printers:
            return _error(404, f"no printer {printer_id}")
        return json_response({"sent": await sim.poll(printer_id)})

    async def advance(request: web.Request) -> web.Response:
        data = await _body(request)
        sim.advance(float(data.get("seconds", 0)))
        return json_response({"sim_time": sim.sim_time})

    async def restart(request: web.Request) -> web.Response:
        data = await _body(request)
        down_for = float(data.get("down_for", 0))
        forget_jobs = bool(data.get("forget_jobs", False))
        sim._spawn(sim.restart(down_for, forget_jobs=forget_jobs))
        return json_response(
            {"restarting": True, "down_for": down_for, "forget_jobs": forget_jobs},
            status=202,
        )

    async def set_auth(request: web.Request) -> web.Response:
        data = await _body(request)
        failure_status = int(data.get("failure_status", 401))
        auth: tuple[str, str] | str | None = None
        if "token" in data:
            auth = str(data["token"])
        elif "username" in data or "password" in data:
            auth = (str(data.get("username", "")), str(data.get("password", "")))
        try:
            sim.set_auth(auth, failure_status=failure_status)
        except ValueError as err:
            return _error(400, str(err))
        return json_response({"auth": sim.auth.describe() if sim.auth else None})

    def _printer_or_404(request: web.Request) -> SimPrinter:
        printer_id = request.match_info["printer_id"]
        printer = sim.printers.get(printer_id)
        if printer is None:
            raise _NotFoundError(f"no printer {printer_id}")
        return printer

    async def printer_filaments(request: web.Request) -> web.Response:
        printer = _printer_or_404(request)
        data = await _body(request)
        if "slot" in data:
            changes = {}
            if "color" in data:
                changes["color"] = data["color"]
            if "type" in data:
                changes["material"] = data["type"]
            try:
                printer.set_slot(data["slot"], **changes)
            except KeyError as err:
                return _error(404, str(err.args[0]))
        elif "filaments" in data:
            filaments = data["filaments"]
            if filaments is not None and not isinstance(filaments, list):
                return _error(400, "filaments must be a list or null")
            printer.set_filaments(
                filaments, follow_print=bool(data.get("follow_print", False))
            )
        else:
            return _error(400, 'give "filaments" (a list or null) or a "slot"')
        return json_response({"filaments": printer.filaments})

    async def printer_camera(request: web.Request) -> web.Response:
        printer = _printer_or_404(request)
        data = await _body(request)
        if "camera" in data:
            printer.camera = bool(data["camera"])
        if "live_stream" in data:
            printer.live_stream = bool(data["live_stream"])
        if "error" in data:
            printer.camera_error = None if data["error"] is None else str(data["error"])
        if "webcam_url" in data:
            printer.webcam_url = data["webcam_url"]
        if "webcam_error" in data:
            error = data["webcam_error"]
            printer.webcam_error = None if error is None else str(error)
        return json_response(
            {
                "camera": printer.camera,
                "live_stream": printer.live_stream,
                "error": printer.camera_error,
                "webcam_url": printer.webcam_url,
                "webcam_error": printer.webcam_error,
            }
        )

    async def printer_prints(request: web.Request) -> web.Response:
        printer = _printer_or_404(request)
        data = await _body(request)
        stage = data.get("refuse")
        if stage is not None and stage not in PRINT_REFUSAL_STAGES:
            return _error(400, f"refuse must be one of {PRINT_REFUSAL_STAGES} or null")
        printer.refuse_prints(stage)
        return json_response({"refuse": printer.print_refusal})

    async def get_jobs(request: web.Request) -> web.Response:
        return json_response([job.to_json() for job in sim.jobs.query()])

    async def forget_jobs(request: web.Request) -> web.Response:
        count = len(sim.jobs.records)
        sim.forget_jobs()
        return json_response({"forgotten": count})

    async def get_materials(request: web.Request) -> web.Response:
        now = sim.clocks.now()
        return json_response([spool.to_json(now) for spool in sim.materials])

    async def put_materials(request: web.Request) -> web.Response:
        data = await _body(request)
        spools = data.get("spools")
        if not isinstance(spools, list) or not all(isinstance(s, dict) for s in spools):
            return _error(400, '"spools" must be a list of objects')
        fields = set(MaterialSpool.__dataclass_fields__) - {"created_at", "updated_at"}
        for spool in spools:
            if unknown := set(spool) - fields:
                return _error(400, f"unknown spool fields: {sorted(unknown)}")
        try:
            sim.set_materials(spools)
        except (TypeError, ValueError) as err:
            return _error(400, str(err))
        return json_response({"spools": len(sim.materials)})

    async def fresh(request: web.Request) -> web.Response:
        sim.make_fresh()
        return json_response({"library": 0, "jobs": 0, "materials": 0})

    async def config(request: web.Request) -> web.Response:
        data = await _body(request)
        known = {
            "analytics",
            "currency",
            "upload_delay",
            "ffmpeg_available",
            "camera_frame_seconds",
            "report_last_snapshot",
        }
        if unknown := set(data) - known:
            return _error(400, f"unknown settings: {sorted(unknown)}")
        for name in ("analytics", "ffmpeg_available", "report_last_snapshot"):
            if name in data:
                setattr(sim, name, bool(data[name]))
        if "currency" in data:
            sim.currency = str(data["currency"])
        for name in ("upload_delay", "camera_frame_seconds"):
            if name in data:
                value = float(data[name])
                if value < 0:
                    return _error(400, f"{name} must not be negative")
                setattr(sim, name, value)
        return json_response({name: getattr(sim, name) for name in sorted(known)})

    async def finish_uploads(request: web.Request) -> web.Response:
        return json_response({"finished": sim.finish_uploads()})

    async def print_requests(request: web.Request) -> web.Response:
        return json_response(simulator_state(sim)["print_requests"])

    async def drop_websockets(request: web.Request) -> web.Response:
        return json_response({"dropped": await sim.drop_websockets()})

    async def get_requests(request: web.Request) -> web.Response:
        counts = Counter(f"{r.method} {r.path}" for r in sim.requests)
        recent = [
            {"method": r.method, "path": r.path, "query": r.query, "time": r.time}
            for r in sim.requests[-100:]
        ]
        return json_response(
            {"total": len(sim.requests), "counts": dict(counts), "recent": recent}
        )

    async def clear_requests(request: web.Request) -> web.Response:
        count = len(sim.requests)
        sim.clear_requests()
        return json_response({"cleared": count})

    async def update_check(request: web.Request) -> web.Response:
        data = await _body(request)
        sim.set_update_check(
            latest_version=data.get("latest_version"),
            check_failed=bool(data.get("check_failed", False)),
            error_message=data.get("error_message"),
            release_url=data.get("release_url"),
        )
        return json_response(sim.update_check)

    routes = [
        ("GET", "/state", get_state),
        ("GET", "/faults", list_faults),
        ("POST", "/faults", add_fault),
        ("DELETE", "/faults", clear_faults),
        ("POST", "/services/{name}", set_service),
        ("DELETE", "/services/{name}", delete_service),
        ("POST", "/printers", add_printer),
        ("DELETE", "/printers/{printer_id}", delete_printer),
        # Before the catch-all printer action route.
        ("POST", "/printers/{printer_id}/filaments", printer_filaments),
        ("POST", "/printers/{printer_id}/camera", printer_camera),
        ("POST", "/printers/{printer_id}/prints", printer_prints),
        ("POST", "/printers/{printer_id}/{action}", printer_action),
        ("POST", "/poll", poll),
        ("POST", "/advance", advance),
        ("POST", "/restart", restart),
        ("POST", "/websockets/drop", drop_websockets),
        ("GET", "/requests", get_requests),
        ("DELETE", "/requests", clear_requests),
        ("POST", "/update-check", update_check),
        ("POST", "/auth", set_auth),
        ("GET", "/jobs", get_jobs),
        ("DELETE", "/jobs", forget_jobs),
        ("GET", "/materials", get_materials),
        ("PUT", "/materials", put_materials),
        ("POST", "/fresh", fresh),
        ("POST", "/config", config),
        ("POST", "/uploads/finish", finish_uploads),
        ("GET", "/print-requests", print_requests),
    ]
    for method, path, handler in routes:
        router.add_route(method, PREFIX + path, _guard(handler))


def _guard(handler: Any) -> Any:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            response: web.StreamResponse = await handler(request)
        except _BadRequestError as err:
            return _error(400, str(err))
        except _NotFoundError as err:
            return _error(404, str(err))
        return response

    return wrapped


def simulator_state(sim: Simulator) -> dict[str, Any]:
    """A JSON view of the whole simulator (GET /_simulator/state)."""
    return {
        "url": sim.url,
        "up": sim.is_up,
        "version": sim.version,
        "trending": sim.trending,
        "realtime": sim.realtime,
        "poll_interval": sim.poll_interval,
        "sim_time": sim.sim_time,
        "overall_status": sim.overall_status,
        "services": sim.services,
        "printers": [
            {
                **sim._printer_json(printer, list_view=True),
                "progress": printer.progress,
                "remaining_minutes": printer.remaining_minutes,
            }
            for printer in sim.printers.values()
        ],
        "faults": [fault.to_dict() for fault in sim.faults],
        "ws_clients": sim.ws_clients,
        "ws_subscriptions": {
            str(cid): sorted(subs) for cid, subs in sim.ws_subscriptions.items()
        },
        "requests": len(sim.requests),
        "update_check": sim.update_check,
        "auth": sim.auth.describe() if sim.auth else None,
        "analytics": sim.analytics,
        "currency": sim.currency,
        "upload_delay": sim.upload_delay,
        "pending_uploads": sim.pending_uploads,
        "jobs": [job.to_json() for job in sim.jobs.query()],
        "library": [
            {
                "filename": f.filename,
                "checksum": f.checksum,
                "printable": f.printable,
            }
            for f in sim.library
        ],
        "materials": len(sim.materials),
        "snapshots": len(sim.snapshots),
        "print_requests": [
            {
                "checksum": r.checksum,
                "printer_id": r.printer_id,
                "filename": r.filename,
                "outcome": r.outcome,
                "status": r.status,
            }
            for r in sim.print_requests
        ],
    }
