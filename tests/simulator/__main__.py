"""Run the Printernizer simulator on its own, in real time.

    python -m tests.simulator --port 8000 --printers 3 --trending seed --scenario demo

Control it over HTTP under /_simulator/ (faults, services, printers, cameras, jobs,
spools, authentication, restart); see `tests/simulator/control.py`. Stops cleanly on
SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from .scenarios import SCENARIOS, apply_scenario
from .server import Simulator


def build_parser() -> argparse.ArgumentParser:
    """Build the command line parser."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.simulator",
        description=(
            "A fake Printernizer server (REST /api/v1 and WebSocket /ws) with living "
            "printers, for development without a printer farm. Printers move in real "
            "time and the server polls and pushes every --poll-interval seconds. "
            "Faults, services and printers are controlled under /_simulator/ "
            '(e.g. POST /_simulator/faults {"kind": "hang", "path": '
            '"/api/v1/health"}; GET /_simulator/state).'
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8000,
        help="TCP port (default: 8000; 0 = any free port)",
    )
    parser.add_argument(
        "--printers",
        type=int,
        default=2,
        help="number of printers, alternating Bambu Lab and Prusa (default: 2)",
    )
    parser.add_argument(
        "--trending",
        choices=("absent", "seed"),
        default="absent",
        help="absent: /api/v1/trending/statistics is 404 as on the current server; seed: it serves statistics",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=30.0,
        help="seconds between simulated printer polls and pushes (default: 30)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed for printer ids and secrets (default: 0)",
    )
    parser.add_argument(
        "--scenario",
        choices=sorted(SCENARIOS),
        default=None,
        help="initial fleet state; demo: one printer printing, one paused, the others idle",
    )
    parser.add_argument(
        "--auto-jobs",
        action="store_true",
        help="idle printers start new jobs now and then (on by default with --scenario demo)",
    )
    parser.add_argument(
        "--no-rate-limit",
        action="store_true",
        help="disable the server's per-IP rate limit",
    )
    parser.add_argument(
        "--version-string",
        default="2.42.0",
        help="server version to report (default: 2.42.0)",
    )
    auth = parser.add_mutually_exclusive_group()
    auth.add_argument(
        "--auth",
        metavar="USER:PASSWORD",
        help="put a reverse proxy with HTTP Basic authentication in front "
        "(every route and /ws answer 401 without these credentials)",
    )
    auth.add_argument(
        "--auth-token",
        metavar="TOKEN",
        help="put a reverse proxy in front that wants this bearer token",
    )
    parser.add_argument(
        "--auth-failure-status",
        type=int,
        choices=(401, 403),
        default=401,
        help="the proxy's answer to wrong credentials (default: 401)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="a freshly installed server: empty library, no jobs, no spools",
    )
    parser.add_argument(
        "--cameras",
        choices=("default", "all", "none"),
        default="default",
        help="default: Bambu Lab printers have cameras, Prusa printers none; "
        "all: every printer has one; none: no printer has one",
    )
    parser.add_argument(
        "--webcam-url",
        help="give every printer an external webcam at this URL",
    )
    parser.add_argument(
        "--no-analytics",
        action="store_true",
        help="analytics and materials routes answer 404, as on an older server",
    )
    parser.add_argument(
        "--currency", default="EUR", help="currency in the settings (default: EUR)"
    )
    parser.add_argument(
        "--upload-delay",
        type=float,
        default=None,
        help="seconds a library print uploads before the printer starts (default: 3)",
    )
    return parser


def _auth_option(args: argparse.Namespace) -> tuple[str, str] | str | None:
    if args.auth_token:
        return str(args.auth_token)
    if args.auth:
        username, separator, password = str(args.auth).partition(":")
        if not separator:
            raise SystemExit("error: --auth needs USER:PASSWORD")
        return username, password
    return None


async def run(args: argparse.Namespace) -> None:
    """Start the simulator and serve until SIGINT/SIGTERM."""
    sim = Simulator(
        printers=args.printers,
        trending=args.trending,
        seed=args.seed,
        realtime=True,
        version=args.version_string,
        rate_limit=not args.no_rate_limit,
        poll_interval=args.poll_interval,
        auto_jobs=args.auto_jobs or args.scenario == "demo",
        auth=_auth_option(args),
        auth_failure_status=args.auth_failure_status,
        currency=args.currency,
        analytics=not args.no_analytics,
        fresh=args.fresh,
        upload_delay=args.upload_delay,
    )
    for printer in sim.printers.values():
        if args.cameras != "default":
            printer.camera = args.cameras == "all"
        if args.webcam_url:
            printer.webcam_url = args.webcam_url
    if args.scenario:
        apply_scenario(sim, args.scenario)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await sim.start(host=args.host, port=args.port)
    print(f"Printernizer simulator listening on {sim.url}", flush=True)
    for printer in sim.printers.values():
        print(
            f"  {printer.id}  {printer.name:<16} {printer.printer_type:<10} {printer.status}",
            flush=True,
        )
    if sim.auth is not None:
        print(
            f"  behind a proxy that wants {sim.auth.scheme} authentication", flush=True
        )
    print(f"Control API: {sim.url}/_simulator/state  (Ctrl+C to stop)", flush=True)
    try:
        await stop.wait()
    finally:
        await sim.stop()
        print("Printernizer simulator stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    try:
        asyncio.run(run(args))
    except OSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
