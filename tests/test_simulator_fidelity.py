"""The simulator against the captured responses of the real server.

Every captured response (both indexes, `_index.tsv` and `_index_<date>.tsv`) is either
reproduced here (same status, content type, headers that matter, keys at every level,
JSON types and enum values) or listed in NOT_SERVED with the reason. A capture the
simulator cannot reproduce fails; it is never skipped.

Where a capture only shows an empty list or map (a fresh server), the items the
simulator sends are checked against the server's own schema in `openapi.json`, or
against the structure its source code builds (noted where used).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
import fnmatch
import json
from typing import Any

import aiohttp
import pytest

from tests.simulator import SimPrinter, Simulator
from tests.simulator.testing import (
    CAPTURES_DIR,
    ManualClock,
    load_captures,
    load_jsonl,
)

CAPTURES = load_captures()
PRUSA_ID = "825f54eb-66d1-4902-97f2-eb8be782dc2b"
BAMBU_ID = "d274c935-84d0-4cf4-a7e6-ad7c866648cf"

# Enum sets from the contract.
PRINTER_STATUSES = {"online", "offline", "printing", "paused", "error", "unknown"}
READ_PRINTER_TYPES = {"bambu_lab", "prusa_core"}
HEALTH_STATUSES = {"healthy", "degraded", "unhealthy"}
SERVICE_STATUSES = {"healthy", "degraded", "unhealthy", "disabled"}
ERROR_CODES = {
    "PRINTER_NOT_FOUND",
    "JOB_NOT_FOUND",
    "FILE_NOT_FOUND",
    "NOT_FOUND",
    "PRINTER_CONNECTION",
    "SERVICE_UNAVAILABLE",
    "VALIDATION",
    "VALIDATION_ERROR",
    "INTERNAL_SERVER_ERROR",
    "RATE_LIMIT_EXCEEDED",
    "LIBRARY_ITEM_NOT_FOUND",
    # FastAPI HTTPExceptions raised by routers (e.g. the library print route).
    "HTTP_400",
    "HTTP_404",
    "HTTP_502",
}
ENVELOPE_ENUMS = {"$.status": {"error"}, "$.error_code": ERROR_CODES}
JOB_STATUSES = {
    "pending",
    "running",
    "printing",
    "paused",
    "completed",
    "failed",
    "cancelled",
    "unknown",
}

# Fields the contract marks optional (`?` or `null | ...`), by response kind. Only these
# may be null in one response and a value in the other.
PRINTER_NULLABLE = {
    "ip_address",
    "connection_config.ip_address",
    "connection_config.api_key",
    "connection_config.access_code",
    "connection_config.serial_number",
    "connection_config.webcam_url",
    "location",
    "description",
    "last_seen",
    "current_job",
    "current_job.progress",
    "current_job.started_at",
    "temperatures",
    "filaments",
    "filaments[].color",
    "filaments[].type",
    "total_jobs",
}
TS = "2026-01-01T00:00:00.000001"
# Reference values from the contract for fields the captures only show as null.
PRINTER_EXAMPLES: dict[str, Any] = {
    "connection_config.api_key": "key",
    "connection_config.access_code": "code",
    "connection_config.serial_number": "serial",
    "connection_config.webcam_url": "http://cam",
    "last_seen": TS,
    "current_job": {
        "name": "benchy.gcode",
        "status": "printing",
        "progress": 1,
        "started_at": TS,
        "estimated_remaining": None,
        "layer_current": None,
        "layer_total": None,
    },
    "temperatures": {"bed": 1.0, "nozzle": 1.0},
    "filaments": [{"slot": 0, "color": "#000000", "type": "PLA", "is_active": True}],
    "total_jobs": 0,
}
PRINTER_ENUMS = {
    "$.status": PRINTER_STATUSES,
    "$.printer_type": READ_PRINTER_TYPES,
    "$.current_job.status": {"printing", "idle"},
}


def _prefixed(prefix: str, mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {f"{prefix}{key}": value for key, value in mapping.items()}


@dataclass(frozen=True)
class Kind:
    """What a response is: which fields may be null and which values are enums.

    `maps` names objects whose keys are data (e.g. material types); each of their
    values is compared with the reference value given.
    """

    nullable: frozenset[str] = frozenset()
    examples: Mapping[str, Any] = field(default_factory=dict)
    enums: Mapping[str, set[Any]] = field(default_factory=dict)
    maps: Mapping[str, Any] = field(default_factory=dict)


OPENAPI = json.loads((CAPTURES_DIR / "openapi.json").read_text())
_OPENAPI_EXAMPLES = {"integer": 0, "number": 0.0, "string": "", "boolean": False}


def _schema_example(schema: Mapping[str, Any]) -> Any:
    if "$ref" in schema:
        target = OPENAPI["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        return "" if "enum" in target else schema_reference(target, "$")[0]
    kind = schema.get("type")
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return _OPENAPI_EXAMPLES[kind]


def schema_reference(
    schema: Mapping[str, Any] | str, where: str
) -> tuple[dict[str, Any], set[str], dict[str, Any]]:
    """A reference object from the server's OpenAPI schema.

    Returns (object with an example value of the right type per property, the paths
    under `where` the schema makes nullable, example values for those paths).
    """
    if isinstance(schema, str):
        schema = OPENAPI["components"]["schemas"][schema]
    reference: dict[str, Any] = {}
    nullable: set[str] = set()
    examples: dict[str, Any] = {}
    for key, prop in schema["properties"].items():
        options = prop.get("anyOf", [prop])
        concrete = [option for option in options if option.get("type") != "null"]
        value = _schema_example(concrete[0])
        reference[key] = value
        if len(concrete) < len(options):
            nullable.add(f"{where}.{key}")
            examples[f"{where}.{key}"] = value
    return reference, nullable, examples


def schema_list_kind(schema: str, where: str, **extra: Any) -> Kind:
    """A Kind for a list of `schema` objects at `where` (e.g. `$.jobs`)."""
    item, nullable, examples = schema_reference(schema, f"{where}[]")
    return Kind(
        nullable=frozenset(nullable),
        examples={f"{where}[]": item, **examples},
        **extra,
    )


def schema_kind(schema: str, **extra: Any) -> Kind:
    """A Kind for one `schema` object."""
    _, nullable, examples = schema_reference(schema, "$")
    return Kind(nullable=frozenset(nullable), examples=examples, **extra)


KINDS = {
    "health": Kind(
        enums={"$.status": HEALTH_STATUSES, "$.services.*.status": SERVICE_STATUSES}
    ),
    "plain": Kind(),
    "update_check": Kind(
        nullable=frozenset({"$.latest_version", "$.release_url", "$.error_message"}),
        examples={
            "$.latest_version": "2.42.0",
            "$.release_url": "https://x",
            "$.error_message": "x",
        },
    ),
    "printer_list": Kind(
        nullable=frozenset(f"$.printers[].{key}" for key in PRINTER_NULLABLE),
        examples=_prefixed("$.printers[].", PRINTER_EXAMPLES),
        enums=_prefixed("$.printers[]", {k[1:]: v for k, v in PRINTER_ENUMS.items()}),
    ),
    "printer": Kind(
        nullable=frozenset(f"$.{key}" for key in PRINTER_NULLABLE),
        examples=_prefixed("$.", PRINTER_EXAMPLES),
        enums=PRINTER_ENUMS,
    ),
    "printer_status": Kind(
        nullable=frozenset(
            {
                "$.current_job",
                "$.current_job.progress",
                "$.current_job.remaining_time",
                "$.temperatures",
                "$.temperatures.bed.current",
                "$.temperatures.nozzle.current",
            }
        ),
        examples={
            "$.current_job": {
                "name": "benchy.gcode",
                "progress": 1,
                "remaining_time": 1,
            },
            "$.temperatures": {
                "bed": {"current": 1.0, "target": None},
                "nozzle": {"current": 1.0, "target": None},
            },
        },
        enums={"$.status": PRINTER_STATUSES},
    ),
    "error": Kind(enums=ENVELOPE_ENUMS),
    "camera_status": schema_kind("CameraStatus"),
    "snapshot_list": schema_list_kind(
        "SnapshotResponse",
        "$",
        enums={
            "$[].capture_trigger": {
                "manual",
                "auto",
                "job_start",
                "job_complete",
                "job_failed",
            }
        },
    ),
    "job_list": schema_list_kind(
        "JobResponse",
        "$.jobs",
        enums={"$.jobs[].status": JOB_STATUSES},
    ),
    "job": schema_kind("JobResponse", enums={"$.status": JOB_STATUSES}),
    "library_list": schema_list_kind("LibraryFileResponse", "$.files"),
    "material_list": schema_list_kind("MaterialResponse", "$"),
    # The by_* maps are built in MaterialService.get_statistics (server source).
    "material_stats": Kind(
        examples={"$.low_stock[]": ""},
        maps={
            "$.by_type": {
                "count": 0,
                "total_weight": 0.0,
                "remaining_weight": 0.0,
                "value": "",
            },
            "$.by_brand": {"count": 0, "total_weight": 0.0, "remaining_weight": 0.0},
            "$.by_color": 0,
        },
    ),
    "ws_status": Kind(
        nullable=frozenset(
            f"$.data.{key}"
            for key in (
                "message",
                "temperature_bed",
                "temperature_nozzle",
                "progress",
                "current_job",
                "current_job_file_id",
                "current_job_has_thumbnail",
                "current_job_thumbnail_url",
            )
        ),
        examples={
            "$.data.current_job": "benchy.gcode",
            "$.data.current_job_file_id": "file",
            "$.data.current_job_has_thumbnail": True,
            "$.data.current_job_thumbnail_url": "/api/v1/printers/x/thumbnail",
        },
        enums={"$.type": {"printer_status"}, "$.data.status": PRINTER_STATUSES},
    ),
}


# ------------------------------------------------------------------ comparison
def json_type(value: Any) -> str:
    """Return the JSON type of a parsed value, telling int, float and bool apart."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return "object"


def assert_same_shape(actual: Any, expected: Any, kind: Kind, where: str = "$") -> None:
    """Assert the same keys at every level and the same JSON types."""
    if expected is None or actual is None:
        if expected is None and actual is None:
            return
        assert where in kind.nullable, (
            f"{where}: {actual!r} here but {expected!r} in the capture, and the contract "
            "does not make it optional"
        )
        if actual is None:
            return
        assert where in kind.examples, f"{where}: no reference type for {actual!r}"
        expected = kind.examples[where]
    assert json_type(actual) == json_type(expected), (
        f"{where}: {json_type(actual)} {actual!r} here, {json_type(expected)} "
        f"{expected!r} in the capture"
    )
    if where in kind.maps:
        assert isinstance(actual, dict), f"{where}: {actual!r} is not an object"
        for value in actual.values():
            assert_same_shape(value, kind.maps[where], kind, f"{where}.*")
        return
    if isinstance(expected, dict):
        assert set(actual) == set(expected), (
            f"{where}: keys differ; missing {sorted(set(expected) - set(actual))}, "
            f"extra {sorted(set(actual) - set(expected))}"
        )
        for key, value in expected.items():
            assert_same_shape(actual[key], value, kind, f"{where}.{key}")
    elif isinstance(expected, list):
        reference = expected[0] if expected else kind.examples.get(f"{where}[]")
        for item in actual:
            if reference is None:
                pytest.fail(f"{where}[]: no reference item for {item!r}")
            assert_same_shape(item, reference, kind, f"{where}[]")


def iter_values(value: Any, where: str = "$") -> list[tuple[str, Any]]:
    """Return (normalised path, value) for every node."""
    found = [(where, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(iter_values(child, f"{where}.{key}"))
    elif isinstance(value, list):
        for child in value:
            found.extend(iter_values(child, f"{where}[]"))
    return found


def assert_enums(actual: Any, kind: Kind) -> None:
    """Assert enum fields hold values from the contract's sets."""
    for where, value in iter_values(actual):
        for pattern, allowed in kind.enums.items():
            if fnmatch.fnmatchcase(where, pattern) and value is not None:
                assert value in allowed, f"{where}: {value!r} not in {sorted(allowed)}"


VOLATILE = {
    "timestamp",
    "created_at",
    "updated_at",
    "last_seen",
    "started_at",
    "uptime_seconds",
}


def without_volatile(value: Any, extra: tuple[str, ...] = ()) -> Any:
    """Replace values that change with every request (times, uptime)."""
    if isinstance(value, dict):
        return {
            key: "<volatile>"
            if key in VOLATILE.union(extra) and child is not None
            else without_volatile(child, extra)
            for key, child in value.items()
        }
    if isinstance(value, list):
        return [without_volatile(child, extra) for child in value]
    return value


HEADERS_THAT_MATTER = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "retry-after",
    "x-timezone",
    "x-process-time",
    "x-frame-options",
    "content-security-policy",
)


def assert_headers(
    response: aiohttp.ClientResponse, captured: Mapping[str, str]
) -> None:
    """Assert the content type and the presence of the headers a client may use."""
    assert response.headers.get("Content-Type") == captured["content-type"]
    for name in HEADERS_THAT_MATTER:
        assert (name in response.headers) == (name in captured), (
            f"{name}: {response.headers.get(name)!r} here, {captured.get(name)!r} in the capture"
        )
    for name in ("x-ratelimit-limit", "x-timezone", "retry-after"):
        if name in captured:
            assert response.headers[name] == captured[name], name
    if "x-ratelimit-reset" in captured:
        assert int(response.headers["x-ratelimit-reset"]) > 0


# ------------------------------------------------------------------------ fleets
def captured_fleet() -> list[SimPrinter]:
    """The capture's printers: an unreachable Prusa (offline) and Bambu (false online)."""
    prusa = SimPrinter(
        "Test Prusa MK4",
        "prusa_core",
        id=PRUSA_ID,
        status="offline",
        ip_address="127.0.0.1",
        api_key="testapikey123",
    )
    bambu = SimPrinter(
        "Test Bambu A1",
        "bambu_lab",
        id=BAMBU_ID,
        ip_address="127.0.0.2",
        access_code="12345678",
        serial_number="01P00A000000001",
    ).go_unreachable()
    return [prusa, bambu]


def living_fleet() -> list[SimPrinter]:
    """The same printers reachable and printing, so optional fields carry values."""
    prusa, bambu = captured_fleet()
    prusa.come_online()
    bambu.come_online()
    prusa.start_job("cube.gcode", duration_minutes=20)
    bambu.start_job("benchy.gcode", duration_minutes=45)
    bambu.webcam_url = "http://192.168.1.50/stream"
    return [prusa, bambu]


FLEETS = {"captured": captured_fleet, "living": living_fleet, "empty": list}


def finish_the_shorter_job(sim: Simulator) -> None:
    """Living fleet: the Prusa's 20-minute job completes, the Bambu one still runs."""
    sim.advance(20 * 60)


def take_snapshot(sim: Simulator) -> None:
    """A stored snapshot of the Bambu printer's camera."""
    bambu = sim.printers[BAMBU_ID]
    frame = sim.camera_frame(bambu)
    assert frame is not None
    sim.store_snapshot(bambu, frame)


def start_a_job_on_the_prusa(sim: Simulator) -> None:
    """One job that has not ended (the capture had one pending job)."""
    sim.printers[PRUSA_ID].start_job("benchy.gcode", duration_minutes=60)


@dataclass(frozen=True)
class Case:
    """A captured response and how to reproduce it.

    `path` replaces the captured path; `{bambu_id}`, `{prusa_id}` and `{job_id}` (the
    newest job) are filled in. `setup` runs on the simulator before the request.
    """

    file: str
    kind: str
    fleet: str = "captured"
    exact: bool = False
    restart: bool = False
    volatile: tuple[str, ...] = ()
    body: Any = None
    fresh: bool = False
    path: str | None = None
    setup: Callable[[Simulator], None] | None = None
    name: str = ""

    @property
    def id(self) -> str:
        """The test id: file, fleet and what is compared."""
        parts = [self.file, self.fleet, "fresh" if self.fresh else "", self.name]
        parts.append("exact" if self.exact else self.kind)
        return "-".join(part for part in parts if part)


CASES = [
    Case("health_no_printers.json", "health", fleet="empty", exact=True),
    Case("health.json", "health", exact=True),
    Case("health_after_restart.json", "health", exact=True, restart=True),
    Case("health_trailing_slash_404.json", "plain", exact=True),
    Case("readiness.json", "plain", exact=True),
    Case("liveness.json", "plain", exact=True),
    Case("system_info.json", "plain", exact=True),
    Case(
        "system_info_after_restart.json",
        "plain",
        exact=True,
        restart=True,
        volatile=("database_size_mb",),  # the database grew meanwhile
    ),
    Case("update_check.json", "update_check"),
    Case("metrics.txt", "plain", exact=True),
    Case("version_404.json", "plain", exact=True),
    Case("trending_statistics.json", "plain", exact=True),
    Case("ws_plain_http_get.json", "plain", exact=True),
    Case("printers_trailing_slash_404.json", "plain", exact=True),
    Case("printers_empty.json", "plain", fleet="empty", exact=True),
    Case("printers.json", "printer_list", exact=True),
    Case("printers.json", "printer_list", fleet="living"),
    Case("printers_after_restart.json", "printer_list", exact=True, restart=True),
    Case("printers_filter_offline.json", "printer_list", exact=True),
    Case("printers_bad_status_filter.json", "error", exact=True),
    Case("printer_detail_prusa.json", "printer", exact=True),
    Case("printer_detail_prusa.json", "printer", fleet="living"),
    Case("printer_detail_bambu.json", "printer", exact=True),
    Case("printer_detail_bambu.json", "printer", fleet="living"),
    Case("printer_status_prusa.json", "printer_status", exact=True),
    Case("printer_status_prusa.json", "printer_status", fleet="living"),
    Case("printer_status_bambu.json", "printer_status", exact=True),
    Case("printer_status_bambu.json", "printer_status", fleet="living"),
    Case(
        "printer_status_bambu_after_restart.json",
        "printer_status",
        exact=True,
        restart=True,
    ),
    Case("printer_not_found.json", "error", exact=True),
    Case("printer_status_not_found.json", "error", exact=True),
    Case("printer_details_prusa.json", "error", exact=True),
    Case("printer_details_bambu.json", "error", exact=True),
    Case("printer_pause_prusa.json", "error", exact=True),
    Case("printer_connect_prusa.json", "error", exact=True),
    Case("printer_thumbnail_prusa.json", "error", exact=True),
    Case("camera_status_prusa.json", "plain", exact=True),
    Case("camera_status_bambu.json", "plain", exact=True),
    Case("discover_disabled.json", "error", exact=True),
    Case("discover_startup.json", "plain", exact=True),
    Case("ideas_trending.json", "error", exact=True),
    Case("ideas_trending_stats.json", "error", exact=True),
    Case("trending_items_all.json", "plain", exact=True),
    Case(
        "printer_create_prusa.json",
        "printer",
        fleet="empty",
        exact=True,
        volatile=("id",),
        body={
            "name": "Test Prusa MK4",
            "printer_type": "prusa_core",
            "connection_config": {
                "ip_address": "127.0.0.1",
                "api_key": "testapikey123",
            },
            "location": "Lab",
            "description": "unreachable test printer",
        },
    ),
    Case(
        "printer_create_bambu.json",
        "printer",
        fleet="empty",
        exact=True,
        volatile=("id",),
        body={
            "name": "Test Bambu A1",
            "printer_type": "bambu_lab",
            "connection_config": {
                "ip_address": "127.0.0.2",
                "access_code": "12345678",
                "serial_number": "01P00A000000001",
            },
        },
    ),
    Case(
        "printer_create_invalid_type.json",
        "error",
        fleet="empty",
        exact=True,
        body={
            "name": "x",
            "printer_type": "klipper",
            "connection_config": {"ip_address": "127.0.0.3"},
        },
    ),
    Case(
        "printer_create_missing_key.json",
        "error",
        fleet="empty",
        exact=True,
        body={
            "name": "x",
            "printer_type": "prusa_core",
            "connection_config": {"ip_address": "127.0.0.3"},
        },
    ),
    Case("rate_limited_429.json", "error"),
    # Cameras and snapshots.
    Case("camera_status_bambu.json", "camera_status", fleet="living"),
    Case(
        "camera_status_bambu.json",
        "camera_status",
        fleet="living",
        path=f"/api/v1/printers/{PRUSA_ID}/camera/status",
        name="prusa",
    ),
    Case("camera_preview_no_frame_503.json", "error", exact=True),
    Case("camera_stream_unavailable_503.json", "error", exact=True),
    Case("camera_preview_no_camera_400.json", "error", exact=True),
    Case(
        "camera_snapshot_no_frame.json",
        "error",
        exact=True,
        body={"printer_id": BAMBU_ID, "capture_trigger": "manual"},
    ),
    Case("snapshots_empty.json", "plain", exact=True),
    Case("snapshots_empty.json", "snapshot_list", fleet="living", setup=take_snapshot),
    # Jobs and statistics.
    Case("jobs_empty.json", "plain", fleet="empty", exact=True),
    Case("jobs_for_printer_empty.json", "plain", exact=True),
    Case("jobs_validation_error.json", "error", exact=True),
    Case("jobs.json", "job_list", fleet="living", setup=finish_the_shorter_job),
    Case("jobs_after_running.json", "job_list", fleet="living"),
    Case(
        "job_detail.json",
        "job",
        fleet="living",
        path="/api/v1/jobs/{job_id}",
        setup=finish_the_shorter_job,
    ),
    Case("job_not_found.json", "error", exact=True),
    Case("analytics_summary.json", "plain", exact=True),
    Case(
        "analytics_summary.json", "plain", fleet="living", setup=finish_the_shorter_job
    ),
    Case("analytics_overview.json", "plain", fleet="empty", exact=True),
    Case(
        "analytics_overview.json", "plain", fleet="living", setup=finish_the_shorter_job
    ),
    Case(
        "analytics_overview_after.json",
        "plain",
        exact=True,
        setup=start_a_job_on_the_prusa,
    ),
    Case("files_statistics.json", "plain", exact=True),
    # Library, materials, settings.
    Case("library_files_empty.json", "plain", exact=True, fresh=True),
    Case("library_files_empty.json", "library_list"),
    Case("library_statistics.json", "plain", exact=True, fresh=True),
    Case("library_statistics.json", "plain"),
    Case(
        "library_print_unknown_file_404.json",
        "error",
        exact=True,
        body={"printer_id": BAMBU_ID},
    ),
    Case("materials_empty.json", "plain", exact=True, fresh=True),
    Case("materials_empty.json", "material_list"),
    Case("materials_stats.json", "plain", exact=True, fresh=True),
    Case("materials_stats.json", "material_stats"),
    Case("settings_application.json", "plain", exact=True),
]

NOT_SERVED = {
    "openapi.json": "the server's own schema document; the simulator serves no OpenAPI",
    "metrics_when_frontend_dir_absent.txt": "a probe without the web UI; real images answer 404 (metrics.txt)",
    "debug_system_info.json": "a debug route the integration must not depend on",
    "job_create.json": "jobs are not created by hand (POST /api/v1/jobs); they come from the printers",
    "job_status_running.json": "PUT /api/v1/jobs/{id}/status is not simulated; printers move their jobs",
    "usage_stats_status.json": "the telemetry opt-in status is not simulated",
    "printer_update_bad_ip.json": "PUT /api/v1/printers/{id} is not simulated",
}


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def start(fleet: str, *, fresh: bool = False) -> Simulator:
    sim = Simulator(printers=FLEETS[fleet](), clock=ManualClock(), fresh=fresh)
    sim.database_size_mb = 0.77
    sim.set_update_check(
        check_failed=True,
        error_message=(
            "Cannot connect to host api.github.com:443 ssl:default "
            "[Temporary failure in name resolution]"
        ),
    )
    await sim.start()
    return sim


def test_every_capture_is_accounted_for() -> None:
    assert len({case.id for case in CASES}) == len(CASES)
    covered = {case.file for case in CASES} | {"rate_limited_429.json"}
    assert set(CAPTURES) == covered | set(NOT_SERVED), (
        f"neither reproduced nor listed: {sorted(set(CAPTURES) - covered - set(NOT_SERVED))}; "
        f"unknown: {sorted((covered | set(NOT_SERVED)) - set(CAPTURES))}"
    )
    assert not covered & set(NOT_SERVED)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.file != "rate_limited_429.json"],
    ids=lambda c: c.id,
)
async def test_matches_capture(case: Case, session: aiohttp.ClientSession) -> None:
    capture = CAPTURES[case.file]
    sim = await start(case.fleet, fresh=case.fresh)
    try:
        if case.setup is not None:
            case.setup(sim)
        if case.restart:
            await sim.restart()
        jobs = sim.jobs.query()
        path = (
            (case.path or capture.path)
            .replace("{bambu_id}", BAMBU_ID)
            .replace("{prusa_id}", PRUSA_ID)
            .replace("{job_id}", jobs[0].id if jobs else "none")
        )
        async with session.request(
            capture.method, sim.url + path, json=case.body
        ) as response:
            assert response.status == capture.status, await response.text()
            assert_headers(response, capture.headers)
            body = await response.json(content_type=None)
    finally:
        await sim.stop()
    expected = capture.json()
    kind = KINDS[case.kind]
    assert_same_shape(body, expected, kind)
    assert_enums(body, kind)
    if case.exact:
        assert without_volatile(body, case.volatile) == without_volatile(
            expected, case.volatile
        )


async def test_snapshot_taken_matches_schema(session: aiohttp.ClientSession) -> None:
    """POST .../camera/snapshot succeeds only with a camera; no capture shows that."""
    sim = await start("living")
    try:
        async with session.post(
            f"{sim.url}/api/v1/printers/{BAMBU_ID}/camera/snapshot",
            json={"printer_id": BAMBU_ID, "capture_trigger": "manual"},
        ) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/json"
            assert response.headers["X-RateLimit-Limit"] == "10"
            body = await response.json()
    finally:
        await sim.stop()
    reference, _, _ = schema_reference("SnapshotResponse", "$")
    assert_same_shape(body, reference, schema_kind("SnapshotResponse"))


async def test_rate_limited_capture(session: aiohttp.ClientSession) -> None:
    capture = CAPTURES["rate_limited_429.json"]
    sim = await start("captured")
    try:
        url = f"{sim.url}/api/v1/readiness"
        for _ in range(120):
            async with session.get(url) as response:
                assert response.status == 200
        async with session.get(url) as response:
            assert response.status == capture.status
            assert_headers(response, capture.headers)
            assert response.headers["X-RateLimit-Remaining"] == "0"
            body = await response.json()
    finally:
        await sim.stop()
    expected = capture.json()
    assert_same_shape(body, expected, KINDS["error"])
    assert_enums(body, KINDS["error"])
    assert {**body, "details": {}} == {**expected, "details": {}}
    assert body["details"]["rate_limit_per_minute"] == 100


@pytest.mark.parametrize("fleet", ["captured", "living"])
async def test_websocket_matches_transcript(
    fleet: str, session: aiohttp.ClientSession
) -> None:
    transcript = load_jsonl("websocket_transcript.jsonl")
    messages = load_jsonl("websocket_messages.jsonl")
    replies = [m for m in messages if m["type"] != "printer_status"]
    (push,) = [m for m in messages if m["type"] == "printer_status"]
    sent = [entry["text"] for entry in transcript if entry["direction"] == "sent"]
    received = [
        json.loads(entry["text"])
        for entry in transcript
        if entry["direction"] == "received"
    ]
    assert received == messages

    sim = await start(fleet)
    try:
        async with session.ws_connect(sim.ws_url) as ws:
            for text in sent:
                await ws.send_str(text)
            got = [json.loads((await ws.receive(timeout=2)).data) for _ in replies]
            assert got == replies
            sent_count = await sim.poll()
            pushes = [
                json.loads((await ws.receive(timeout=2)).data)
                for _ in range(sent_count)
            ]
    finally:
        await sim.stop()
    kind = KINDS["ws_status"]
    if fleet == "captured":
        # Only the (falsely online) Bambu printer pushes; the offline Prusa emits nothing.
        assert [p["printer_id"] for p in pushes] == [BAMBU_ID]
        assert without_volatile(pushes[0]) == without_volatile(push)
    else:
        assert sorted(p["printer_id"] for p in pushes) == sorted([PRUSA_ID, BAMBU_ID])
    for message in pushes:
        assert_same_shape(message, push, kind)
        assert_enums(message, kind)


def test_comparison_catches_differences() -> None:
    """The checks above would notice a drift of type, key or optionality."""
    kind = KINDS["printer_status"]
    captured = CAPTURES["printer_status_bambu.json"].json()
    assert_same_shape(captured, captured, kind)
    drifted = [
        {**captured, "status": 1},
        {**captured, "extra": None},
        {k: v for k, v in captured.items() if k != "timestamp"},
        {**captured, "name": None},
        {
            **captured,
            "temperatures": {
                "bed": {"current": 1, "target": None},
                "nozzle": {"current": 0.0, "target": None},
            },
        },
        {
            **captured,
            "current_job": {"name": "x", "progress": 1.5, "remaining_time": 3},
        },
    ]
    for body in drifted:
        with pytest.raises(AssertionError):
            assert_same_shape(body, captured, kind)
    with pytest.raises(AssertionError):
        assert_enums({**captured, "status": "idle"}, kind)
    assert json_type(True) == "bool"
    assert json_type(1) == "int"
    assert json_type(1.0) == "float"


def test_schema_and_map_checks_catch_differences() -> None:
    """Items checked against the OpenAPI schema or the source's maps can drift too."""
    library = KINDS["library_list"]
    captured = CAPTURES["library_files_empty.json"].json()
    item, _, _ = schema_reference("LibraryFileResponse", "$.files[]")
    good = {**captured, "files": [{**item, "display_name": "Benchy"}]}
    assert_same_shape(good, captured, library)
    for drifted_item in (
        {**item, "unexpected": 1},
        {key: value for key, value in item.items() if key != "checksum"},
        {**item, "file_size": "12"},
        {**item, "checksum": None},
    ):
        with pytest.raises(AssertionError):
            assert_same_shape({**captured, "files": [drifted_item]}, captured, library)
    stats = KINDS["material_stats"]
    expected = CAPTURES["materials_stats.json"].json()
    entry = {"count": 1, "total_weight": 1.0, "remaining_weight": 0.5, "value": "12.5"}
    assert_same_shape({**expected, "by_type": {"PLA": entry}}, expected, stats)
    for drifted_entry in ({**entry, "value": 12.5}, {**entry, "extra": 0}):
        with pytest.raises(AssertionError):
            assert_same_shape(
                {**expected, "by_type": {"PLA": drifted_entry}}, expected, stats
            )
    with pytest.raises(AssertionError):
        assert_same_shape({**expected, "by_color": {"RED": "1"}}, expected, stats)
    with pytest.raises(AssertionError):
        assert_same_shape({**expected, "low_stock": [1]}, expected, stats)
