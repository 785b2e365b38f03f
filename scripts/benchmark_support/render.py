"""Render the benchmark results as Markdown (stdout and docs/benchmark.md)."""

from __future__ import annotations

from collections.abc import Callable
import json
import os
from pathlib import Path
import platform
import sys
from typing import Any

from custom_components.printernizer.const import (
    SHUTDOWN_TIMEOUT_DEFAULT,
    SHUTDOWN_TIMEOUT_PRINTERS,
)
from custom_components.printernizer.coordinator.camera import (
    CHECKS_PER_MINUTE,
    STATUS_INTERVAL as CAMERA_STATUS_INTERVAL,
)

from .parameters import (
    BASELINE_FLEETS as COMPARED_FLEETS,
    BASELINE_WARMUP,
    BASELINE_WINDOW,
    CAMERA_FLEET,
    CAMERA_PUSH_SAMPLES,
    CAMERA_PUSH_SPACING,
    CAMERA_VIEW_REFRESH,
    CAMERAS,
    DOWN_WINDOW,
    FLEETS,
    FRESHNESS_SAMPLES,
    OUTAGE,
    PUSH_BURSTS,
    PUSH_SAMPLES,
    RUNS,
    SERVER_POLL,
    SETTLE_DOWN,
    UP_WINDOW,
    WARMUP,
)

CLIENT_BUDGET = 60
CAMERA_STATUS_MINUTES = CAMERA_STATUS_INTERVAL.total_seconds() / 60
# The parts of an unload stop in parallel, each within its own bound.
UNLOAD_BOUND = max(SHUTDOWN_TIMEOUT_DEFAULT, SHUTDOWN_TIMEOUT_PRINTERS)
SERVER_LIMIT = 100
TIMES = "\u00d7"
NOTHING = "\u2013"  # an en dash: no ratio

type Results = dict[str, Any]
type Format = Callable[[float], str]


def _ms(seconds: float) -> str:
    value = seconds * 1000
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def _s(seconds: float) -> str:
    return f"{seconds:.0f} s"


def _rate(value: float) -> str:
    return f"{value:.1f}"


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _cell(value: Any, fmt: Format, missing: str = "n/a") -> str:
    return missing if value is None else fmt(value)


def _ratio(value: Any, baseline: Any) -> str:
    """Integration / baseline: x0.60, x12, x1/53,000 (two figures), or a dash."""
    if value is None or baseline is None or baseline == 0:
        return NOTHING
    ratio = value / baseline
    if ratio == 0:
        return f"{TIMES}0"
    if ratio < 0.1:
        inverse = 1 / ratio
        return f"{TIMES}1/{round(inverse, 2 - len(str(int(inverse)))):,.0f}"
    return f"{TIMES}{ratio:.2f}" if ratio < 10 else f"{TIMES}{ratio:.0f}"


def _row(label: str, cells: list[str]) -> str:
    return f"| {label} | " + " | ".join(cells) + " |"


def _header(fleets: tuple[int, ...]) -> list[str]:
    names = [f"{fleet} printer" + ("s" if fleet > 1 else "") for fleet in fleets]
    return [
        "| Measurement | " + " | ".join(names) + " |",
        "| --- |" + " ---: |" * len(fleets),
    ]


class Report:
    """Reads one measurement per implementation and fleet from the results."""

    def __init__(self, results: Results) -> None:
        """Keep the results (keys like `rpm_up.integration.50`)."""
        self.results = results

    def get(self, metric: str, impl: str, fleet: int) -> Any:
        """Return one value, or None when it was not measured or never arrived."""
        return self.results.get(f"{metric}.{impl}.{fleet}")

    def values(
        self,
        metric: str,
        impl: str,
        fmt: Format,
        fleets: tuple[int, ...] = FLEETS,
        missing: str = "n/a",
    ) -> list[str]:
        """Cells of one metric across the fleets."""
        return [_cell(self.get(metric, impl, fleet), fmt, missing) for fleet in fleets]

    def compared(
        self,
        metric: str,
        fmt: Format,
        baseline_metric: str,
        missing: str = "n/a",
    ) -> list[str]:
        """Cells of an integration metric with its ratio to the baseline's."""
        cells = []
        for fleet in COMPARED_FLEETS:
            value = self.get(metric, "integration", fleet)
            baseline = self.get(baseline_metric, "baseline", fleet)
            if value is None and baseline is None and missing == "never":
                cells.append(f"never ({NOTHING})")
                continue
            cells.append(f"{_cell(value, fmt, missing)} ({_ratio(value, baseline)})")
        return cells


def _comparison(report: Report) -> list[str]:
    base = "Polling baseline"
    up = "Integration, stream up"
    down = "Integration, stream down"

    def baseline(metric: str, fmt: Format, missing: str = "n/a") -> list[str]:
        return report.values(metric, "baseline", fmt, COMPARED_FLEETS, missing)

    def section(title: str) -> str:
        return _row(f"**{title}**", [""] * len(COMPARED_FLEETS))

    return [
        *_header(COMPARED_FLEETS),
        section("Requests a minute¹"),
        _row(base, baseline("rpm", _rate)),
        _row(up, report.compared("rpm_up", _rate, "rpm")),
        _row(down, report.compared("rpm_down", _rate, "rpm")),
        section("429 responses an hour¹"),
        _row(base, baseline("refused_per_hour", _count)),
        _row(up, report.compared("refused_per_hour_up", _count, "refused_per_hour")),
        _row(
            down,
            report.compared("refused_per_hour_down", _count, "refused_per_hour"),
        ),
        section("Freshness, median²"),
        _row(f"{base}¹", baseline("fresh_median_s", _s, "never")),
        _row(
            f"{up} (push, real time)",
            report.compared("push_median_s", _ms, "fresh_median_s"),
        ),
        _row(
            f"{down}¹",
            report.compared("fresh_down_median_s", _s, "fresh_median_s", "never"),
        ),
        section("Freshness, 95th percentile²"),
        _row(f"{base}¹", baseline("fresh_p95_s", _s, "never")),
        _row(
            f"{up} (push, real time)",
            report.compared("push_p95_s", _ms, "fresh_p95_s"),
        ),
        _row(
            f"{down}¹",
            report.compared("fresh_down_p95_s", _s, "fresh_p95_s", "never"),
        ),
        section("Unload, every route hung"),
        _row(base, baseline("unload_hung_s", _ms)),
        _row("Integration", report.compared("unload_hung_s", _ms, "unload_hung_s")),
        section("Setup to a loaded entry"),
        _row(base, baseline("setup_s", _ms)),
        _row("Integration", report.compared("setup_s", _ms, "setup_s")),
        section("Entities"),
        _row(base, baseline("entities", _count)),
        _row("Integration", report.compared("entities", _count, "entities")),
        section("Requests in a 1-hour outage¹"),
        _row(base, baseline("outage_attempts", _count)),
        _row(
            "Integration",
            report.compared("outage_attempts", _count, "outage_attempts"),
        ),
    ]


def _entities_note(report: Report) -> str:
    fleet = COMPARED_FLEETS[-1]
    entities = report.get("entities", "integration", fleet)
    per_printer = "more" if entities is None else f"about {entities / fleet:.0f}"
    return (
        "Setup and unload take longer the more entities there are: the baseline has "
        f"one per printer, the integration {per_printer} per printer."
    )


def _integration(report: Report) -> list[str]:
    def row(label: str, metric: str, fmt: Format, missing: str = "n/a") -> str:
        return _row(label, report.values(metric, "integration", fmt, FLEETS, missing))

    outage = []
    for fleet in FLEETS:
        total = report.get("outage_attempts", "integration", fleet)
        stream = report.get("outage_stream_attempts", "integration", fleet)
        outage.append(
            "n/a" if total is None or stream is None else f"{total} ({stream})"
        )
    return [
        *_header(FLEETS),
        row("Setup to a loaded entry", "setup_s", _ms),
        row("Entities", "entities", _count),
        row("Unload, healthy server", "unload_healthy_s", _ms),
        row(
            f"Unload, every route hung (bound {UNLOAD_BOUND:g} s)",
            "unload_hung_s",
            _ms,
        ),
        row("Requests/min, stream up (all)¹", "rpm_up", _rate),
        row("Requests/min, stream up (rate-limited routes)¹", "rpm_up_counted", _rate),
        row("Requests/min, stream up (camera statuses)¹", "rpm_up_camera", _rate),
        row("Requests/min, stream down (all)¹", "rpm_down", _rate),
        row(
            "Requests/min, stream down (rate-limited routes)¹",
            "rpm_down_counted",
            _rate,
        ),
        row("429 responses an hour, stream up¹", "refused_per_hour_up", _count),
        row("429 responses an hour, stream down¹", "refused_per_hour_down", _count),
        row("Each printer polled every, stream up¹", "poll_period_up_s", _s),
        row("Each printer polled every, stream down¹", "poll_period_down_s", _s),
        row("Freshness, stream down, median¹ ²", "fresh_down_median_s", _s, "never"),
        row("Freshness, stream down, p95¹ ²", "fresh_down_p95_s", _s, "never"),
        row("Push latency, median", "push_median_s", _ms),
        row("Push latency, p95", "push_p95_s", _ms),
        row("CPU time per pushed update³", "push_cpu_s", _ms),
        _row("Requests in a 1-hour outage (event stream connects)¹", outage),
    ]


def _takeaway(report: Report) -> str:
    """Return what a reader takes away: what the biggest fleet costs, how fresh."""
    fleet = FLEETS[-1]
    compared = COMPARED_FLEETS[-1]

    def integration(metric: str) -> Any:
        return report.get(metric, "integration", fleet)

    needed = (
        "rpm_up",
        "poll_period_up_s",
        "rpm_up_counted",
        "rpm_up_camera",
        "rpm_down",
        "poll_period_down_s",
        "fresh_down_median_s",
        "fresh_down_p95_s",
        "push_p95_s",
    )
    if any(integration(metric) is None for metric in needed):
        return f"Not every measurement for {fleet} printers is available."
    refused = sum(
        integration(metric) or 0
        for metric in ("refused_per_hour_up", "refused_per_hour_down")
    )
    text = (
        f"**{fleet} printers.** With the event stream up the integration makes "
        f"{integration('rpm_up'):.0f} requests a minute for a fleet of {fleet} printers "
        f"({integration('rpm_up_counted'):.0f} of them on routes the server's limit of "
        f"{SERVER_LIMIT} a minute counts: a safety refresh of each printer every "
        f"{integration('poll_period_up_s'):.0f} s, and "
        f"{integration('rpm_up_camera'):.0f} camera status reads, each printer with a "
        f"camera every {CAMERA_STATUS_MINUTES:g} minutes but never more than "
        f"{CHECKS_PER_MINUTE} a minute; the rest are health "
        "checks), "
        "and a status change reaches Home Assistant by push within "
        f"{_ms(integration('push_p95_s'))} (95th percentile). With the stream down "
        f"it makes {integration('rpm_down'):.0f} requests a minute and polls each "
        f"printer every {integration('poll_period_down_s'):.0f} s, so a status change "
        f"shows after {integration('fresh_down_median_s'):.0f} s in the median and "
        f"{integration('fresh_down_p95_s'):.0f} s at the 95th percentile. "
    )
    text += (
        "Up or down, the server refused none of its requests."
        if refused == 0
        else f"The server answered {refused:.0f} of its requests an hour with 429."
    )
    rpm = report.get("rpm", "baseline", compared)
    baseline_refused = report.get("refused_per_hour", "baseline", compared)
    if rpm is not None and baseline_refused is not None:
        text += (
            f" The polling baseline, written like Home Assistant's core printer "
            f"integrations, already needs {rpm:.0f} requests a minute for {compared} "
            f"printers; the server answers {baseline_refused:,.0f} of them an hour "
            "with 429"
        )
        if report.get("fresh_median_s", "baseline", compared) is None:
            text += (
                ", and as one refused status fails the whole update, no status "
                "change reaches Home Assistant at all."
            )
        else:
            text += "."
    return text


def _percent(value: float) -> str:
    return f"{value:.1f} %"


def _cameras(report: Report) -> list[str]:
    """Return the cameras table: one fleet without, and with cameras watched."""
    with_cameras = CAMERAS[-1]

    def row(label: str, metric: str, fmt: Format, missing: str = "n/a") -> str:
        cells = [
            _cell(report.get(metric, "cameras", count), fmt, missing)
            for count in CAMERAS
        ]
        return _row(label, cells)

    return [
        f"| Measurement | Without cameras | {with_cameras} cameras, each watched |",
        "| --- | ---: | ---: |",
        row("Requests/min, stream up (all)¹", "rpm_up", _rate),
        row("Requests/min, stream up (camera routes)¹", "rpm_up_camera", _rate),
        row("Requests/min, stream down (all)¹", "rpm_down", _rate),
        row(
            "Requests/min, stream down (rate-limited routes)¹",
            "rpm_down_counted",
            _rate,
        ),
        row("Requests/min, stream down (camera routes)¹", "rpm_down_camera", _rate),
        row("429 responses an hour, stream up¹", "refused_per_hour_up", _count),
        row("429 responses an hour, stream down¹", "refused_per_hour_down", _count),
        row("Each printer polled every, stream up¹", "poll_period_up_s", _s),
        row("Each printer polled every, stream down¹", "poll_period_down_s", _s),
        row("Freshness, stream down, median¹ ²", "fresh_down_median_s", _s, "never"),
        row("Freshness, stream down, p95¹ ²", "fresh_down_p95_s", _s, "never"),
        row("Push latency, median", "push_median_s", _ms),
        row("Push latency, p95", "push_p95_s", _ms),
        row(
            "Camera refreshes that showed a picture¹",
            "views_with_picture_pct",
            _percent,
            NOTHING,
        ),
    ]


def _cameras_text(report: Report) -> str:
    """Return what the cameras cost and whether status stayed as fresh."""
    without, with_cameras = CAMERAS

    def value(metric: str, count: int) -> Any:
        return report.get(metric, "cameras", count)

    needed = (
        "rpm_up_camera",
        "fresh_down_median_s",
        "fresh_down_p95_s",
        "push_median_s",
    )
    if any(value(metric, count) is None for metric in needed for count in CAMERAS):
        return "Not every camera measurement is available."
    refused = sum(
        value(metric, count) or 0
        for metric in ("refused_per_hour_up", "refused_per_hour_down")
        for count in CAMERAS
    )
    same = all(
        value(metric, with_cameras) <= value(metric, without) + 0.5
        for metric in ("fresh_down_median_s", "fresh_down_p95_s")
    )
    return (
        f"{CAMERA_FLEET} printers, {with_cameras} of them with a camera, each camera "
        f"watched by a view that asks for a new picture every "
        f"{CAMERA_VIEW_REFRESH:.0f} s (a camera card on an open dashboard). The "
        f"cameras add {value('rpm_up_camera', with_cameras):.1f} requests a minute "
        "with the stream up (frames, within the client's 20 a minute, and a camera "
        f"status per camera every {CAMERA_STATUS_MINUTES:g} minutes) and "
        f"{value('rpm_down_camera', with_cameras):.1f} with it down, when status "
        "polls take most of the budget and frames only get what it can spare. "
        + (
            "The server refused none of the requests. "
            if refused == 0
            else f"The server answered {refused:.0f} requests an hour with 429. "
        )
        + (
            "Status changes reach Home Assistant as fast as without cameras."
            if same
            else "Status changes reach Home Assistant later than without cameras."
        )
        + " A push reaches Home Assistant in "
        f"{_ms(value('push_median_s', with_cameras))} in the median while the views "
        f"watch ({_ms(value('push_median_s', without))} without), measured in real "
        f"time with a push every {CAMERA_PUSH_SPACING:.0f} s."
    )


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} minutes"


def _method() -> list[str]:
    return [
        "## Method",
        "",
        (
            "**Polling baseline.** `scripts/benchmark_support/baseline/custom_"
            "components/printernizer_polling` is a custom integration written the way "
            "Home Assistant's core printer integrations (OctoPrint, PrusaLink) are: one "
            "`DataUpdateCoordinator` per config entry, every 30 s, fetches "
            "`/api/v1/printers` (100 a page) and then every printer's "
            "`/api/v1/printers/{id}/status` at once (`asyncio.gather`) over Home "
            "Assistant's session, with one status sensor per printer; no event "
            "stream, no request budget, no retries. A failed request fails the whole "
            "update, as in those integrations. It is loaded through the custom "
            "integration loader into the same test Home Assistant as the integration."
        ),
        "",
        (
            "**Runs.** Both run against the same simulator configuration, one after "
            "the other: the server's rate limit is per address, and side by side "
            "they would share it. Home Assistant's test harness "
            "(pytest-homeassistant-custom-component) runs with asyncio's debug mode "
            "off, as Home Assistant runs in production. Real-time figures are medians "
            f"of {RUNS} runs (setup, unload), of {PUSH_SAMPLES} pushes (latency) and "
            f"of {PUSH_BURSTS} pushes to the whole fleet (CPU time)."
        ),
        "",
        (
            "**Simulated time (¹).** Home Assistant's frozen test clock moves from one "
            "due timer of the event loop to the next, so every poll, retry and "
            "backoff fires at its own moment; between two moves everything that "
            "needs no time (requests over loopback included) runs to completion. The "
            "integration's request budget and the server's rate limiter (100 "
            "requests a minute per address, burst 120; health checks exempt) run on "
            "the same clock, and the server polls its printers and pushes every "
            f"{SERVER_POLL:.0f} s. Integration: {_minutes(WARMUP)} to settle, "
            f"{_minutes(UP_WINDOW)} counted with the event stream up, "
            f"{_minutes(SETTLE_DOWN)} to settle and {_minutes(DOWN_WINDOW)} counted "
            "with it down (the server accepts the event stream's connection and "
            "closes it at once; the integration lists the printers again after each "
            f"reconnect). Baseline: {_minutes(BASELINE_WARMUP)} to settle (at 50 "
            "printers it asks 102 requests a minute of a server that grants 100, and "
            "its burst allowance lasts about 35 minutes), then "
            f"{_minutes(BASELINE_WINDOW)} counted. The server's rate limiter counts "
            "the 429 responses. In the outage the server refuses connections for "
            f"{_minutes(OUTAGE)}; its requests are counted where the client starts "
            "them (retries and event stream connects included)."
        ),
        "",
        (
            "**Freshness (²).** From a status change on the server (a printer starts "
            "or stops a job at a random moment) to the new state of its status "
            "sensor in Home Assistant, read from the state machine. Each printer "
            "changes once per round, at a random moment in a window at least as long "
            "as its poll interval (stratified: the moments of all changes cover the "
            "window evenly), and each round lasts long enough "
            f"for the change to arrive; at least {FRESHNESS_SAMPLES} changes per fleet "
            "size. "
            "“never”: the change had not arrived by the end of the measurement, a "
            "round after the last one (the quantile falls on such changes). With the "
            "stream up the server pushes the change at once: that row is the push "
            "latency, in real time."
        ),
        "",
        (
            "**Unload with every route hung.** The simulator holds every request "
            "(the event stream's too); the clock jumps 6 minutes so that every "
            "scheduled refresh starts and hangs; then the entry unloads (real time)."
        ),
        "",
        (
            "³ Every printer changes and the server pushes them all at once: the event "
            "loop's CPU time until every state has changed, per printer, the "
            "simulator's sending included."
        ),
        "",
        (
            f"**Cameras.** {CAMERA_FLEET} printers on simulated time as above, once "
            f"without cameras and once with {CAMERAS[-1]} of them (Bambu Lab, no live "
            "stream) having one; from the end of the warm-up each camera is watched "
            "by one view that asks Home Assistant for its picture (the camera "
            f"proxy's `async_get_image`) every {CAMERA_VIEW_REFRESH:.0f} s, the views "
            "spread across that interval. Camera routes are the camera status, "
            "preview, stream, snapshot and snapshot list. Push latency: "
            f"{CAMERA_PUSH_SAMPLES} pushes in real time, one every "
            f"{CAMERA_PUSH_SPACING:.0f} s, while the views watch in real time."
        ),
        "",
        (
            "The integration is reached only through Home Assistant: config entries "
            "without a unique id, the state machine and the entity registry (a "
            "status sensor's unique id ends in `<printer id>_status` and its state is "
            "the server's status, in both)."
        ),
    ]


def render(results: Results, seconds: float | None) -> str:
    """Return the Markdown report."""
    report = Report(results)
    memory = results.get("memory_per_printer_kib.integration")
    lines = [
        "# Benchmark",
        "",
        (
            "Produced by `scripts/benchmark` against the simulator on this machine "
            f"({os.cpu_count()} cores, Python {platform.python_version()})."
        ),
        "",
        _takeaway(report),
        "",
        "## Against a polling baseline",
        "",
        (
            "The integration (WebSocket pushes, a request budget, polling spread "
            "across a fleet-wide budget when the stream is down) next to a baseline "
            "written the way Home Assistant's core printer integrations are (see "
            "Method). In brackets: integration / baseline."
        ),
        "",
        *_comparison(report),
        "",
        _entities_note(report),
        "",
        "## The integration",
        "",
        *_integration(report),
        "",
        (
            "Python heap per printer (tracemalloc, simulator excluded): "
            f"{_cell(memory, lambda kib: f'{kib:.0f} KiB')}."
        ),
        "",
        (
            f"Budgets: the client allows {CLIENT_BUDGET} requests/min (burst 10), the "
            f"server {SERVER_LIMIT}/min per address; the health check is exempt "
            "from both."
        ),
        "",
        "## Cameras",
        "",
        _cameras_text(report),
        "",
        *_cameras(report),
        "",
        *_method(),
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
