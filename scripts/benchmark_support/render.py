"""Render the benchmark results as a Markdown table (stdout and docs/benchmark.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path
import platform
import sys
from typing import Any

FLEETS = (1, 10, 50)
CLIENT_BUDGET = 60
SERVER_LIMIT = 100


def _fmt(value: Any, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:.{digits}f}{unit}"


def _row(results: dict[str, Any], label: str, key: str, unit: str, digits: int) -> str:
    cells = [_fmt(results.get(f"{key}.{fleet}"), unit, digits) for fleet in FLEETS]
    return f"| {label} | " + " | ".join(cells) + " |"


def render(results: dict[str, Any], seconds: float | None) -> str:
    """Return the Markdown report."""
    ms = {
        key: value * 1000
        for key, value in results.items()
        if key.startswith(("setup_s.", "unload_"))
    }
    merged = {**results, **{k.replace("_s.", "_ms."): v for k, v in ms.items()}}
    lines = [
        "# Benchmark",
        "",
        (
            "Produced by `scripts/benchmark` against the simulator on this machine "
            f"({os.cpu_count()} cores, Python {platform.python_version()}). "
            "Each figure is the median of several runs."
        ),
        "",
        "| Measurement | 1 printer | 10 printers | 50 printers |",
        "| --- | ---: | ---: | ---: |",
        _row(merged, "Setup to a loaded entry", "setup_ms", " ms", 0),
        _row(merged, "Unload, healthy server", "unload_healthy_ms", " ms", 0),
        _row(
            merged, "Unload, every route hung (bound 20 s)", "unload_hung_ms", " ms", 0
        ),
        _row(results, "Requests/min, stream up (all)¹", "rpm_stream_up", "", 1),
        _row(
            results,
            "Requests/min, stream up (rate-limited routes)¹",
            "rpm_stream_up_counted",
            "",
            1,
        ),
        _row(results, "Requests/min, stream down (all)¹", "rpm_stream_down", "", 1),
        _row(
            results,
            "Requests/min, stream down (rate-limited routes)¹",
            "rpm_stream_down_counted",
            "",
            1,
        ),
        _row(results, "429 responses during the steady state¹", "rate_limited", "", 0),
        _row(
            results, "Requests in a 1-hour outage¹", "outage_requests_per_hour", "", 0
        ),
        _row(results, "Push latency, median", "push_median_ms", " ms", 1),
        _row(results, "Push latency, p95", "push_p95_ms", " ms", 1),
        _row(
            results,
            "Event-loop time per printer update, median",
            "update_loop_ms",
            " ms",
            2,
        ),
        "",
        (
            "Python heap per printer (tracemalloc, simulator excluded): "
            f"{_fmt(results.get('memory_per_printer_kib'), ' KiB', 0)}."
        ),
        "",
        (
            f"Budgets: the client allows {CLIENT_BUDGET} requests/min (burst 10), the "
            f"server {SERVER_LIMIT}/min per address; the health check is exempt "
            "from both."
        ),
        "",
        (
            "¹ Simulated clock (Home Assistant's frozen test clock, moved in 10 s "
            "steps; the server polls and pushes every 30 s; the client's request "
            "budget and the server's rate limiter run on the same clock): 20 minutes "
            "with the event stream up, 10 minutes with it down, one hour with the "
            "server refusing connections (attempts counted by the client, retries "
            "included). Everything else is real time over loopback."
        ),
    ]
    if seconds is not None:
        lines += ["", f"The benchmark took {seconds:.0f} s."]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Render `results.json` (first argument) into docs/benchmark.md and stdout."""
    results = json.loads(Path(sys.argv[1]).read_text())
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else None
    text = render(results, seconds)
    Path("docs").mkdir(exist_ok=True)
    Path("docs/benchmark.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
