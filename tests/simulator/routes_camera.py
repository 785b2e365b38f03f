"""Camera routes: status, previews, stream, snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .common import error_response, json_response

if TYPE_CHECKING:
    from .server import Simulator

API = "/api/v1"


class CameraRoutes:
    """Handlers for the printers' camera routes."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def register(self, r: web.UrlDispatcher) -> None:
        """Add the routes to an application's router."""
        r.add_get(f"{API}/printers/{{printer_id}}/camera/status", self.camera_status)

    def _printer_not_found(self, printer_id: str) -> web.Response:
        return error_response(
            self.sim.clocks,
            404,
            f"Printer not found: {printer_id}",
            "PRINTER_NOT_FOUND",
            {"printer_id": printer_id},
        )

    async def camera_status(self, request: web.Request) -> web.Response:
        printer_id = request.match_info["printer_id"]
        printer = self.sim.printers.get(printer_id)
        if printer is None:
            return self._printer_not_found(printer_id)
        bambu = printer.printer_type == "bambu_lab"
        return json_response(
            {
                "has_camera": bambu,
                "has_external_webcam": printer.webcam_url is not None,
                "is_available": bambu and printer.connected,
                "stream_url": (
                    f"{API}/printers/{printer.id}/camera/preview" if bambu else None
                ),
                "external_webcam_url": printer.webcam_url,
                "external_webcam_type": None,
                "ffmpeg_available": True,
                "ffmpeg_required": False,
                "error_message": (
                    None
                    if bambu
                    else "No camera detected by PrusaLink. Please ensure a camera is "
                    "connected and configured in PrusaLink settings. Access PrusaLink "
                    "at http://<printer-ip> to configure the camera."
                ),
                "last_snapshot_at": None,
            }
        )
