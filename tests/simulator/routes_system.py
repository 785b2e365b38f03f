"""System routes: health, readiness, liveness, system info, update check, trending, discovery."""

from __future__ import annotations

from datetime import timedelta
import json
from typing import TYPE_CHECKING

from aiohttp import web

from .common import error_response, json_response

if TYPE_CHECKING:
    from .server import Simulator

API = "/api/v1"


class SystemRoutes:
    """Handlers for the server's system-level routes."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def register(self, r: web.UrlDispatcher) -> None:
        """Add the routes to an application's router."""
        r.add_get(f"{API}/health", self.health)
        r.add_get(f"{API}/readiness", self.readiness)
        r.add_get(f"{API}/liveness", self.liveness)
        r.add_get(f"{API}/system/info", self.system_info)
        r.add_get(f"{API}/update-check", self.update_check)
        r.add_get(f"{API}/ideas/trending/{{platform}}", self.trending_ideas)
        r.add_get(f"{API}/ideas/{{idea_id}}", self.idea)
        if self.sim.trending == "seed":
            r.add_get(f"{API}/trending/statistics", self.trending_statistics)

    async def health(self, request: web.Request) -> web.Response:
        if self.sim.health_error is not None:
            return json_response(
                {
                    "status": "unhealthy",
                    "timestamp": self.sim.clocks.ts(),
                    "version": self.sim.version,
                    "environment": self.sim.environment,
                    "database": {"type": "sqlite", "healthy": False},
                    "services": {"error": self.sim.health_error},
                    "uptime_seconds": None,
                }
            )
        database = self.sim.services.get("database")
        db_healthy = database is None or database["status"] == "healthy"
        return json_response(
            {
                "status": self.sim.overall_status,
                "timestamp": self.sim.clocks.ts(),
                "version": self.sim.version,
                "environment": self.sim.environment,
                "database": {
                    "type": "sqlite",
                    "healthy": db_healthy,
                    "connection_count": 1 if db_healthy else 0,
                },
                "services": json.loads(json.dumps(self.sim.services)),
                "uptime_seconds": None,
            }
        )

    async def readiness(self, request: web.Request) -> web.Response:
        return json_response({"status": "ready"})

    async def liveness(self, request: web.Request) -> web.Response:
        return json_response({"status": "alive"})

    async def system_info(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "version": self.sim.system_info_version,
                "environment": self.sim.environment,
                "timezone": self.sim.timezone,
                "database_size_mb": float(self.sim.database_size_mb),
                "uptime_seconds": int(max(0.0, self.sim.now() - self.sim._started_at)),
            }
        )

    async def update_check(self, request: web.Request) -> web.Response:
        return json_response(dict(self.sim.update_check))

    async def trending_statistics(self, request: web.Request) -> web.Response:
        self.sim._trending_reads += 1
        base = self.sim._trending_base
        t = self.sim.sim_time
        total_requests = base["requests"] + int(t // 120)
        failed = 3 + int(t // 1800)
        successful = total_requests - failed
        cached = base["cached"] + int(t // 600) % 12
        valid = cached - 30 + int(t // 900) % 5
        makerworld = valid // 2
        now = self.sim.clocks.now()
        refreshed = (now - timedelta(seconds=t % 3600)).isoformat()
        return json_response(
            {
                "total_cached": cached,
                "valid_items": valid,
                "by_platform": {
                    "makerworld": makerworld,
                    "printables": valid - makerworld,
                },
                "last_refresh": {"makerworld": refreshed, "printables": refreshed},
                "performance_metrics": {
                    "total_requests": total_requests,
                    "failed_requests": failed,
                    "successful_fetches": successful,
                    "success_rate": f"{100 * successful / total_requests:.2f}%",
                    "last_fetch_time": refreshed,
                    "last_error": None,
                    "cache_hits": base["hits"]
                    + self.sim._trending_reads
                    + int(t // 10),
                    "cache_misses": total_requests,
                },
            }
        )

    async def trending_ideas(self, request: web.Request) -> web.Response:
        platform = request.match_info["platform"]
        platforms = ("makerworld", "printables")
        if platform not in (*platforms, "all"):
            error = "Invalid platform. Must be 'makerworld', 'printables', or 'all'"
            return error_response(
                self.sim.clocks,
                400,
                f"Validation failed for 'platform': {error}",
                "VALIDATION",
                {"field": "platform", "error": error},
            )
        if self.sim.trending != "seed":
            # The cache that feeds this route is never filled any more.
            return json_response([])
        now = self.sim.clocks.now()
        cached_at = now.isoformat()
        expires_at = (now + timedelta(hours=6)).isoformat()
        items = []
        for index in range(6):
            source = platforms[index % 2]
            if platform not in ("all", source):
                continue
            items.append(
                {
                    "id": f"{source}-{index}",
                    "platform": source,
                    "model_id": str(100000 + index),
                    "title": f"Trending model {index + 1}",
                    "url": f"https://{source}.example/models/{100000 + index}",
                    "thumbnail_url": None,
                    "thumbnail_local_path": None,
                    "downloads": 1000 - 90 * index,
                    "likes": 300 - 25 * index,
                    "creator": f"maker{index}",
                    "category": "functional" if index % 3 else "art",
                    "cached_at": cached_at,
                    "expires_at": expires_at,
                }
            )
        return json_response(items)

    async def idea(self, request: web.Request) -> web.Response:
        idea_id = request.match_info["idea_id"]
        return error_response(
            self.sim.clocks,
            404,
            f"Idea not found: {idea_id}",
            "NOT_FOUND",
            {"resource_type": "idea", "resource_id": idea_id},
        )
