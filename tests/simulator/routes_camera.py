"""Camera routes: status, previews (built-in and external webcam), stream, snapshots.

Every printer route here declares `printer_id` as a UUID, so an id that is not one gets
FastAPI's 422 before the printer is even looked up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from aiohttp import web

from .common import (
    error_response,
    json_response,
    resource_not_found,
    service_unavailable,
    validation_error,
    validation_failed,
)
from .params import (
    Errors,
    body_object,
    error_item,
    int_param,
    json_body,
    optional_int,
    optional_str,
    required_str,
    uuid_path,
)

if TYPE_CHECKING:
    from .cameras import Frame
    from .printers import SimPrinter
    from .server import Simulator

API = "/api/v1"
CAPTURE_TRIGGERS = ("manual", "auto", "job_start", "job_complete", "job_failed")
PREVIEW_HEADERS = {
    "Cache-Control": "public, max-age=5",
    "Content-Disposition": "inline",
}
NO_CAMERA = "Printer does not have camera support"
PRUSA_NO_CAMERA = (
    "No camera detected by PrusaLink. Please ensure a camera is connected and "
    "configured in PrusaLink settings. Access PrusaLink at http://<printer-ip> to "
    "configure the camera."
)
BAMBU_NO_CAMERA = (
    "Camera not available. Bambu Lab printers have built-in cameras that should be "
    "automatically detected."
)
FFMPEG_MISSING = "RTSP stream requires ffmpeg. Install with: apt-get install ffmpeg"


def webcam_type(url: str) -> str:
    """How the server classifies an external webcam URL."""
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("rtsp", "rtsps"):
        return "rtsp"
    lowered = url.lower()
    if any(word in lowered for word in ("mjpg", "mjpeg", "stream")):
        return "mjpeg"
    return "snapshot"


def mask_credentials(url: str) -> str:
    """The URL with any password replaced, as the server shows it."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def live_stream_url(printer: SimPrinter) -> str:
    """The printer's own RTSP URL (it carries the access code in clear text)."""
    return (
        f"rtsps://bblp:{printer.access_code}@{printer.ip_address}:322/streaming/live/1"
    )


class CameraRoutes:
    """Handlers for the printers' camera routes."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def register(self, r: web.UrlDispatcher) -> None:
        """Add the routes to an application's router."""
        base = f"{API}/printers/{{printer_id}}"
        r.add_get(f"{base}/camera/status", self.camera_status)
        r.add_get(f"{base}/camera/stream", self.camera_stream)
        r.add_get(f"{base}/camera/preview", self.camera_preview)
        r.add_get(f"{base}/camera/external-preview", self.external_preview)
        r.add_post(f"{base}/camera/snapshot", self.take_snapshot)
        r.add_get(f"{base}/snapshots", self.list_snapshots)
        r.add_get(
            f"{API}/printers/snapshots/{{snapshot_id}}/download", self.download_snapshot
        )

    # ------------------------------------------------------------- helpers
    def _printer(
        self, request: web.Request
    ) -> tuple[SimPrinter | None, str, web.Response | None]:
        errors: Errors = []
        printer_id = uuid_path(request, "printer_id", errors)
        if errors:
            return None, printer_id, validation_error(self.sim.clocks, errors)
        printer = self.sim.printers.get(printer_id)
        if printer is None:
            return None, printer_id, self._printer_not_found(printer_id)
        return printer, printer_id, None

    def _printer_not_found(self, printer_id: str) -> web.Response:
        return error_response(
            self.sim.clocks,
            404,
            f"Printer not found: {printer_id}",
            "PRINTER_NOT_FOUND",
            {"printer_id": printer_id},
        )

    def _image(self, frame: Frame) -> web.Response:
        return web.Response(
            body=frame.data,
            headers={"Content-Type": frame.content_type, **PREVIEW_HEADERS},
        )

    # -------------------------------------------------------------- routes
    async def camera_status(self, request: web.Request) -> web.Response:
        printer, _, error = self._printer(request)
        if printer is None:
            assert error is not None
            return error
        has_external = bool(printer.webcam_url)
        external_type = webcam_type(printer.webcam_url) if printer.webcam_url else None
        ffmpeg_required = external_type == "rtsp"
        ffmpeg_available = self.sim.ffmpeg_available if ffmpeg_required else True
        stream_url: str | None = None
        error_message: str | None = None
        is_available = False
        if printer.camera:
            # Pictures can be polled from the preview route even without a live stream.
            is_available = True
            stream_url = f"{API}/printers/{printer.id}/camera/preview"
            if printer.camera_error is not None:
                error_message = printer.camera_error
            elif printer.live_stream and printer.connected:
                stream_url = live_stream_url(printer)
        elif has_external:
            is_available = True
        elif printer.printer_type == "prusa_core":
            error_message = PRUSA_NO_CAMERA
        else:
            error_message = BAMBU_NO_CAMERA
        if ffmpeg_required and not ffmpeg_available:
            error_message = (
                f"{error_message}. {FFMPEG_MISSING}"
                if error_message
                else FFMPEG_MISSING
            )
        external_available = has_external and (not ffmpeg_required or ffmpeg_available)
        last_snapshot = None
        if self.sim.report_last_snapshot:
            last_snapshot = next(
                (
                    s.captured_at
                    for s in reversed(self.sim.snapshots)
                    if s.printer_id == printer.id
                ),
                None,
            )
        return json_response(
            {
                "has_camera": printer.camera,
                "has_external_webcam": has_external,
                "is_available": is_available or external_available,
                "stream_url": stream_url,
                "external_webcam_url": (
                    mask_credentials(printer.webcam_url) if printer.webcam_url else None
                ),
                "external_webcam_type": external_type,
                "ffmpeg_available": ffmpeg_available,
                "ffmpeg_required": ffmpeg_required,
                "error_message": error_message,
                "last_snapshot_at": last_snapshot,
            }
        )

    async def camera_stream(self, request: web.Request) -> web.Response:
        printer, _, error = self._printer(request)
        if printer is None:
            assert error is not None
            return error
        if not printer.camera:
            return validation_failed(self.sim.clocks, "camera", NO_CAMERA)
        if not (
            printer.live_stream and printer.connected and printer.camera_error is None
        ):
            return service_unavailable(
                self.sim.clocks, "camera_stream", "Camera stream not available"
            )
        return web.Response(status=302, headers={"Location": live_stream_url(printer)})

    async def camera_preview(self, request: web.Request) -> web.Response:
        printer, _, error = self._printer(request)
        if printer is None:
            assert error is not None
            return error
        if not printer.camera:
            return validation_failed(self.sim.clocks, "camera", NO_CAMERA)
        frame = self.sim.camera_frame(printer)
        if frame is None:
            return service_unavailable(
                self.sim.clocks,
                "camera_preview",
                "Failed to get preview: No frame available",
            )
        return self._image(frame)

    async def external_preview(self, request: web.Request) -> web.Response:
        errors: Errors = []
        printer_id = uuid_path(request, "printer_id", errors)
        if errors:
            return validation_error(self.sim.clocks, errors)
        printer = self.sim.printers.get(printer_id)
        if printer is None:
            # The route asks the camera service directly, which knows no such printer.
            return service_unavailable(
                self.sim.clocks,
                "external_camera",
                f"Failed to get external preview: Printer {printer_id} not found",
            )
        if not printer.webcam_url:
            return validation_failed(
                self.sim.clocks,
                "webcam_url",
                "No external webcam URL configured for this printer",
            )
        frame = self.sim.webcam_frame(printer)
        if frame is None:
            reason = printer.webcam_error or "ffmpeg is not installed"
            return service_unavailable(
                self.sim.clocks,
                "external_camera",
                f"Failed to get external preview: {reason}",
            )
        return self._image(frame)

    async def take_snapshot(self, request: web.Request) -> web.Response:
        errors: Errors = []
        printer_id = uuid_path(request, "printer_id", errors)
        body = (
            body_object(await json_body(request, errors), errors)
            if not errors
            else None
        )
        trigger = "manual"
        job_id: int | None = None
        notes: str | None = None
        if body is not None:
            required_str(body, "printer_id", errors)
            job_id = optional_int(body, "job_id", errors)
            notes = optional_str(body, "notes", errors)
            trigger = body.get("capture_trigger", "manual")
            if trigger not in CAPTURE_TRIGGERS:
                errors.append(
                    error_item(
                        "enum",
                        ["body", "capture_trigger"],
                        "Input should be 'manual', 'auto', 'job_start', 'job_complete' "
                        "or 'job_failed'",
                        trigger,
                    )
                )
        if errors:
            return validation_error(self.sim.clocks, errors)
        printer = self.sim.printers.get(printer_id)
        if printer is None:
            return self._printer_not_found(printer_id)
        if not printer.camera:
            return validation_failed(self.sim.clocks, "camera", NO_CAMERA)
        frame = self.sim.camera_frame(printer, force_refresh=trigger == "manual")
        if frame is None:
            return service_unavailable(
                self.sim.clocks,
                "camera_snapshot",
                "Failed to capture snapshot: No frame available",
            )
        snapshot = self.sim.store_snapshot(printer, frame, trigger, job_id, notes)
        # The route reports image/jpeg whatever it stored.
        return json_response(snapshot.to_json(response_content_type="image/jpeg"))

    async def list_snapshots(self, request: web.Request) -> web.Response:
        errors: Errors = []
        printer_id = uuid_path(request, "printer_id", errors)
        limit = int_param(
            request.query, "limit", 50, minimum=None, maximum=None, errors=errors
        )
        offset = int_param(
            request.query, "offset", 0, minimum=None, maximum=None, errors=errors
        )
        if errors:
            return validation_error(self.sim.clocks, errors)
        snapshots = sorted(
            (s for s in self.sim.snapshots if s.printer_id == printer_id),
            key=lambda s: (s.captured_at, s.id),
            reverse=True,
        )
        return json_response(
            [s.to_json() for s in snapshots[max(0, offset) : max(0, offset) + limit]]
        )

    async def download_snapshot(self, request: web.Request) -> web.Response:
        errors: Errors = []
        snapshot_id = int_param(
            request.match_info,
            "snapshot_id",
            0,
            minimum=None,
            maximum=None,
            errors=errors,
            where="path",
        )
        if errors:
            return validation_error(self.sim.clocks, errors)
        snapshot = next((s for s in self.sim.snapshots if s.id == snapshot_id), None)
        if snapshot is None:
            return resource_not_found(self.sim.clocks, "snapshot", str(snapshot_id))
        return web.Response(
            body=snapshot.data,
            headers={
                "Content-Type": snapshot.content_type,
                "Content-Disposition": f'attachment; filename="{snapshot.filename}"',
            },
        )
