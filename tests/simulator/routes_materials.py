"""Material inventory routes and the application settings route."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .common import json_response, not_found, validation_error
from .materials import (
    LOW_STOCK_PERCENT,
    MATERIAL_BRANDS,
    MATERIAL_COLORS,
    MATERIAL_TYPES,
    statistics,
)
from .params import Errors, bool_param, enum_param

if TYPE_CHECKING:
    from .server import Simulator

API = "/api/v1"


class MaterialRoutes:
    """Handlers for /api/v1/materials and /api/v1/settings/application."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def register(self, r: web.UrlDispatcher) -> None:
        """Add the routes to an application's router."""
        r.add_get(f"{API}/materials", self.list_materials)
        r.add_get(f"{API}/materials/stats", self.material_stats)
        r.add_get(f"{API}/settings/application", self.application_settings)

    async def list_materials(self, request: web.Request) -> web.Response:
        if not self.sim.analytics:
            return not_found()
        query = request.query
        errors: Errors = []
        material_type = enum_param(query, "material_type", MATERIAL_TYPES, errors)
        brand = enum_param(query, "brand", MATERIAL_BRANDS, errors)
        color = enum_param(query, "color", MATERIAL_COLORS, errors)
        low_stock = bool_param(query, "low_stock", errors)
        if errors:
            return validation_error(self.sim.clocks, errors)
        printer_id = query.get("printer_id")
        spools = [
            spool
            for spool in self.sim.materials
            if (material_type is None or spool.material_type == material_type)
            and (brand is None or spool.brand == brand)
            and (color is None or spool.color == color)
            and (not low_stock or spool.remaining_percentage < LOW_STOCK_PERCENT)
            and (not printer_id or spool.printer_id == printer_id)
        ]
        now = self.sim.clocks.now()
        return json_response([spool.to_json(now) for spool in spools])

    async def material_stats(self, request: web.Request) -> web.Response:
        if not self.sim.analytics:
            return not_found()
        return json_response(statistics(self.sim.materials))

    async def application_settings(self, request: web.Request) -> web.Response:
        return json_response(application_settings(self.sim))


def application_settings(sim: Simulator) -> dict[str, Any]:
    """GET /settings/application as a Docker/add-on install reports it."""
    return {
        "database_path": "/data/printernizer.db",
        "host": "0.0.0.0",
        # The configured port, not the one a test binds to.
        "port": 8000,
        "debug": False,
        "environment": sim.environment,
        "log_level": "info",
        "timezone": sim.timezone,
        "currency": sim.currency,
        "vat_rate": 19.0,
        "downloads_path": "/data/printer-files",
        "max_file_size": 100,
        "monitoring_interval": max(1, round(sim.poll_interval)),
        "connection_timeout": 30,
        "cors_origins": [],
        "job_creation_auto_create": True,
        "gcode_optimize_print_only": True,
        "gcode_optimization_max_lines": 1000,
        "gcode_render_max_lines": 10000,
        "enable_upload": True,
        "max_upload_size_mb": 500,
        "allowed_upload_extensions": ".3mf,.stl,.gcode,.obj,.ply",
        "library_enabled": True,
        "library_path": "/data/library",
        "library_auto_organize": True,
        "library_auto_extract_metadata": True,
        "library_auto_deduplicate": True,
        "library_preserve_originals": True,
        "library_checksum_algorithm": "sha256",
        "library_processing_workers": 2,
        "library_search_enabled": True,
        "library_search_min_length": 3,
        "timelapse_enabled": False,
        "timelapse_source_folder": "/data/timelapse-images",
        "timelapse_output_folder": "/data/timelapses",
        "timelapse_output_strategy": "separate",
        "timelapse_auto_process_timeout": 300,
        "timelapse_cleanup_age_days": 30,
    }
