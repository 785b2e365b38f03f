"""Start the simulator and Home Assistant with the integration; see `--help`."""

from __future__ import annotations

import argparse
import asyncio
import atexit
import contextlib
import importlib.util
import json
import os
from pathlib import Path
import re
import signal
import sys
import time

import aiohttp

from .check import DOMAIN, Checker
from .config import (
    HA_PORT_ENV,
    DevState,
    drop_http_yaml,
    free_port,
    port_is_free,
    prepare_config_dir,
)
from .hass import DEV_PASSWORD, DEV_USERNAME, HomeAssistant, HomeAssistantError
from .processes import Child, ProcessGroups

ROOT = Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "custom_components" / DOMAIN
HA_START_TIMEOUT = 240.0  # the first start byte-compiles Home Assistant
SIM_START_TIMEOUT = 30.0
ENTRY_LOAD_TIMEOUT = 120.0
CHECK_TIMEOUT = 600.0
RESTART_EXIT_CODE = 100  # Home Assistant's "restart me" exit code
# Added by Home Assistant's onboarding; they need packages or internet this setup lacks.
ONBOARDING_EXTRAS = ("google_translate", "met", "radio_browser")
LOG_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ (\w+) ")


def build_parser() -> argparse.ArgumentParser:
    """Command line options; each has an environment variable too."""
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description=(
            "Run Home Assistant with this integration against the Printernizer simulator "
            "(3 printers: one printing, one paused, one idle). Ctrl-C stops everything."
        ),
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="verify the entities against the simulator, inject a fault, then stop (exit 0/1)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(env("PRINTERNIZER_DEV_PORT", "8123")),
        help="Home Assistant's port on 127.0.0.1 (env PRINTERNIZER_DEV_PORT; default 8123)",
    )
    parser.add_argument(
        "--simulator-port",
        type=int,
        default=int(env("PRINTERNIZER_DEV_SIMULATOR_PORT", "0")),
        help="the simulator's port (env PRINTERNIZER_DEV_SIMULATOR_PORT; default: the "
        "previous run's if free, else any free port)",
    )
    parser.add_argument(
        "--config-dir",
        type=Path,
        default=Path(env("PRINTERNIZER_DEV_CONFIG", str(ROOT / ".dev" / "config"))),
        help="Home Assistant's configuration directory (env PRINTERNIZER_DEV_CONFIG; "
        "default .dev/config)",
    )
    parser.add_argument(
        "--poll-interval",
        type=float,
        default=5.0,
        help="seconds between the simulator's printer polls and pushes (default 5)",
    )
    parser.add_argument(
        "--ready-file",
        type=Path,
        help="write the URLs and the entry id as JSON to this file once the entry is loaded",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="echo all of Home Assistant's and the simulator's output, not only warnings",
    )
    return parser


class LogEcho:
    """Selects the console lines worth showing: warnings and errors about Printernizer.

    Home Assistant runs with --skip-pip, so the built-in platforms whose packages the
    project does not install log import errors at every start; they stay in the log file.
    """

    def __init__(self, *, verbose: bool) -> None:
        """Show everything when `verbose`."""
        self.verbose = verbose
        self._showing = False

    def __call__(self, line: str) -> bool:
        """Whether to show `line`; continuation lines follow their record."""
        if self.verbose:
            return True
        if match := LOG_START.match(line):
            self._showing = (
                match.group(1) in {"WARNING", "ERROR", "CRITICAL"}
                and "printernizer" in line.lower()
                and "has not been tested by Home Assistant" not in line
            )
        return self._showing


class Develop:
    """One run of scripts/develop."""

    def __init__(self, args: argparse.Namespace) -> None:
        """Prepare a run with the parsed options."""
        self.args = args
        self.config_dir: Path = args.config_dir.resolve()
        self.groups = ProcessGroups()
        # Wall clock, so that scripts/develop's .venv setup counts too (bash's
        # EPOCHREALTIME has the locale's decimal separator).
        started = os.environ.get("PRINTERNIZER_DEVELOP_STARTED", "").replace(",", ".")
        self.started = float(started) if started else time.time()
        self.sim_url = ""
        self.sim: Child | None = None
        self.hass: Child | None = None
        self.hass_port: int = args.port
        self.hass_exited: asyncio.Future[int] | None = None
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def ha_url(self) -> str:
        """Where Home Assistant answers."""
        return f"http://127.0.0.1:{self.hass_port}"

    def elapsed(self) -> str:
        """Seconds since the command started."""
        return f"{time.time() - self.started:.1f} s"

    def say(self, text: str) -> None:
        """Print a progress line."""
        print(f"develop: {text}", flush=True)

    async def start_simulator(self, port: int) -> None:
        """Start the simulator in real time and wait until it answers."""
        self.sim_url = f"http://127.0.0.1:{port}"
        self.sim = await self.groups.start(
            "simulator",
            [
                sys.executable, "-m", "tests.simulator",
                "--host", "127.0.0.1", "--port", str(port),
                "--printers", "3", "--trending", "seed", "--scenario", "demo",
                "--poll-interval", str(self.args.poll_interval),
            ],
            cwd=ROOT,
            log=self.config_dir / "simulator.log",
            echo=(lambda _line: True) if self.args.verbose else None,
        )  # fmt: skip
        async with aiohttp.ClientSession() as session:
            async with asyncio.timeout(SIM_START_TIMEOUT):
                while True:
                    with contextlib.suppress(aiohttp.ClientError):
                        async with session.get(
                            f"{self.sim_url}/_simulator/state"
                        ) as resp:
                            if resp.status == 200:
                                break
                    if not self.sim.running:
                        msg = f"the simulator exited; see {self.config_dir / 'simulator.log'}"
                        raise SystemExit(msg)
                    await asyncio.sleep(0.2)
        self.say(f"simulator on {self.sim_url} ({self.elapsed()})")

    async def _start_hass_process(self) -> Child:
        env = {**os.environ, HA_PORT_ENV: str(self.args.port)}
        # --skip-pip: Home Assistant never installs packages into the project's .venv.
        argv = [sys.executable, "-m", "homeassistant", "--skip-pip"]
        return await self.groups.start(
            "hass",
            [*argv, "-c", str(self.config_dir)],
            cwd=ROOT,
            log=self.config_dir / "home-assistant.console.log",
            echo=LogEcho(verbose=self.args.verbose),
            env=env,
        )

    def start_hass(self) -> None:
        """Run Home Assistant, starting it again whenever it asks for a restart."""
        self.hass_exited = asyncio.get_running_loop().create_future()
        self._supervisor = asyncio.create_task(self._supervise_hass())

    async def _supervise_hass(self) -> None:
        assert self.hass_exited is not None
        while True:
            self.hass = await self._start_hass_process()
            code = await self.hass.process.wait()
            if code != RESTART_EXIT_CODE:
                self.hass_exited.set_result(code)
                return
            self.say("Home Assistant restarts")

    def hass_alive(self) -> bool:
        """Whether Home Assistant is running or restarting."""
        return self.hass_exited is not None and not self.hass_exited.done()

    async def connect(self, session: aiohttp.ClientSession) -> HomeAssistant:
        """Wait for Home Assistant on the current port and log in (onboarding first)."""
        ha = HomeAssistant(session, self.ha_url)
        await ha.wait_until_up(HA_START_TIMEOUT, alive=self.hass_alive)
        self.say(f"Home Assistant answers on {self.ha_url} ({self.elapsed()})")
        if await ha.onboard_or_login():
            self.say(f"onboarding done, created the account {DEV_USERNAME}")
        await ha.wait_until_running(HA_START_TIMEOUT)
        return ha

    async def settle_http(
        self, session: aiohttp.ClientSession, ha: HomeAssistant, state: DevState
    ) -> HomeAssistant:
        """Keep Home Assistant's HTTP settings on 127.0.0.1 and the requested port.

        Since 2026.10 Home Assistant keeps them in .storage/http. The first start takes
        them from configuration.yaml as a trial that reverts after 5 minutes unless
        confirmed, so confirm it; on later runs change the port through the same API.
        """
        http = await ha.http_config()
        if http.get("active_config_type") == "pending" and http.get("pending"):
            await ha.promote_http_config()
            with contextlib.suppress(HomeAssistantError):
                await ha.ignore_issue("http", "deprecated_yaml")
            if drop_http_yaml(self.config_dir):
                self.say(
                    "HTTP settings confirmed; dropped http: from configuration.yaml"
                )
            http = await ha.http_config()
        stable = {
            key: value
            for key, value in http["stable"].items()
            if key not in {"created_at", "error", "error_message"}
        }
        if stable.get("server_port") != self.args.port:
            self.say(f"moving Home Assistant to port {self.args.port}")
            stable["server_port"] = self.args.port
            stable["server_host"] = ["127.0.0.1"]
            await ha.configure_http(stable)  # Home Assistant restarts on the new port
            self.hass_port = self.args.port
            await asyncio.sleep(2)
            ha = await self.connect(session)
            http = await ha.http_config()
            if http.get("active_config_type") == "pending":
                await ha.promote_http_config()
        state.ha_port = self.hass_port
        state.save(self.config_dir)
        return ha

    async def ensure_entry(self, ha: HomeAssistant, state: DevState) -> str:
        """Make sure one Printernizer entry points at this run's simulator; return its id."""
        if state.entry_id and await ha.entry(state.entry_id, DOMAIN) is not None:
            if state.simulator_port == int(self.sim_url.rsplit(":", 1)[1]):
                self.say(f"entry {state.entry_id} already points at the simulator")
                return state.entry_id
            # The URL is the server's identity, so a new port is a new server.
            self.say(f"the simulator's port changed; replacing entry {state.entry_id}")
            await ha.remove_entry(state.entry_id)
        result = await ha.add_entry(
            DOMAIN, {"url": self.sim_url, "verify_ssl": True, "proxy_auth": {}}
        )
        if result.get("type") == "create_entry":
            entry_id = str(result["result"]["entry_id"])
            self.say(
                f"created entry {result['title']!r} ({entry_id}) through the config flow"
            )
            return entry_id
        if (
            result.get("type") == "abort"
            and result.get("reason") == "already_configured"
        ):
            return await self._entry_for_url(ha)
        msg = f"the config flow did not create an entry: {result}"
        raise HomeAssistantError(msg)

    async def _entry_for_url(self, ha: HomeAssistant) -> str:
        """Find the entry added by hand for this URL (the hub device links to it)."""
        devices = await ha.ws("config/device_registry/list")
        for device in devices:
            if (device.get("configuration_url") or "").rstrip("/") == self.sim_url:
                for entry_id in device.get("config_entries", []):
                    if await ha.entry(entry_id, DOMAIN) is not None:
                        self.say(f"entry {entry_id} already points at the simulator")
                        return str(entry_id)
        msg = f"an entry for {self.sim_url} exists but its device was not found"
        raise HomeAssistantError(msg)

    async def tidy_onboarding_entries(self, ha: HomeAssistant) -> None:
        """Remove the entries onboarding adds that cannot load here (no packages, no network)."""
        for domain in ONBOARDING_EXTRAS:
            for entry in await ha.entries(domain):
                if entry["state"] in {"setup_error", "setup_retry", "not_loaded"}:
                    await ha.remove_entry(entry["entry_id"])
                    self.say(f"removed the {entry['title']!r} entry onboarding added")

    def banner(self, entry_title: str) -> None:
        """Tell the developer where everything is and how to break it."""
        sim = self.sim_url
        log = self.config_dir / "home-assistant.log"
        print(
            f"""
  Home Assistant   {self.ha_url}   (log in as {DEV_USERNAME} / {DEV_PASSWORD})
  Entry            {entry_title}, loaded {self.elapsed()} after the command started
  Simulator        {sim}   (state: curl {sim}/_simulator/state)
  Logs             {log} (integration at debug level)
                   {self.config_dir / "simulator.log"}

  Inject faults (the health sensors follow within 30 s; the example automation in
  automations.yaml posts a notification when the server is not healthy):
    curl -X POST {sim}/_simulator/services/database -d '{{"status": "unhealthy"}}'
    curl -X POST {sim}/_simulator/services/database -d '{{"status": "healthy"}}'
    curl -X POST {sim}/_simulator/faults -d '{{"kind": "hang", "path": "/api/v1/health"}}'
    curl -X DELETE {sim}/_simulator/faults
  Printers (ids in the state):  curl -X POST {sim}/_simulator/printers/<id>/pause
    (actions: start_job pause resume stop finish fail clear_error offline online)

  Ctrl-C stops Home Assistant and the simulator.
""",
            flush=True,
        )

    async def run(self) -> int:
        """Start everything, set it up, then check or wait for Ctrl-C."""
        args = self.args
        if missing := missing_modules():
            self.say(
                f"the .venv lacks {', '.join(missing)}, which Home Assistant's frontend "
                "needs; run scripts/setup --develop"
            )
            return 2
        prepare_config_dir(self.config_dir, INTEGRATION)
        state = DevState.load(self.config_dir)
        # Home Assistant starts on the port its stored settings have, then moves.
        self.hass_port = state.ha_port or args.port
        for port in {self.hass_port, args.port}:
            if not port_is_free(port):
                self.say(f"port {port} is in use; pick another with --port")
                return 2
        sim_port = args.simulator_port or (
            state.simulator_port
            if state.simulator_port and port_is_free(state.simulator_port)
            else free_port()
        )
        await self.start_simulator(sim_port)
        self.say(f"starting Home Assistant with {self.config_dir}")
        self.start_hass()
        async with aiohttp.ClientSession() as session:
            ha = await self.connect(session)
            ha = await self.settle_http(session, ha, state)
            entry_id = await self.ensure_entry(ha, state)
            state.simulator_port, state.entry_id = sim_port, entry_id
            state.save(self.config_dir)
            entry = await ha.wait_for_entry_state(entry_id, DOMAIN, ENTRY_LOAD_TIMEOUT)
            self.say(f"entry loaded {self.elapsed()} after the command started")
            await self.tidy_onboarding_entries(ha)
            self.banner(entry["title"])
            if args.ready_file:
                args.ready_file.write_text(
                    json.dumps(
                        {
                            "url": self.ha_url,
                            "simulator_url": self.sim_url,
                            "entry_id": entry_id,
                            "username": DEV_USERNAME,
                            "password": DEV_PASSWORD,
                            "config_dir": str(self.config_dir),
                        }
                    )
                )
            if args.check:
                checker = Checker(ha, session, self.sim_url, entry_id)
                async with asyncio.timeout(CHECK_TIMEOUT):
                    ok = await checker.run()
                print(checker.summary(), flush=True)
                self.say(f"check {'passed' if ok else 'FAILED'} after {self.elapsed()}")
                return 0 if ok else 1
        return await self.wait_for_children()

    async def wait_for_children(self) -> int:
        """Run until Ctrl-C, or until the simulator or Home Assistant ends."""
        assert self.sim is not None
        assert self.hass_exited is not None
        sim_exit = asyncio.ensure_future(self.sim.process.wait())
        done, _ = await asyncio.wait(
            [sim_exit, self.hass_exited], return_when=asyncio.FIRST_COMPLETED
        )
        if sim_exit in done:
            self.say(f"the simulator exited ({sim_exit.result()}); stopping")
        else:
            sim_exit.cancel()
            self.say(f"Home Assistant exited ({self.hass_exited.result()}); stopping")
        return 1

    async def stop(self) -> None:
        """Stop the supervisor first (no restarts while stopping), then every child."""
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        await self.groups.stop_all()

    def tail_logs(self) -> None:
        """After a failure: the last warnings and errors of Home Assistant."""
        log = self.config_dir / "home-assistant.log"
        with contextlib.suppress(OSError):
            lines = log.read_text(errors="replace").splitlines()
            interesting = [
                ln for ln in lines if "printernizer" in ln or " ERROR " in ln
            ]
            if interesting:
                print(f"develop: last lines of interest in {log}:")
                print("\n".join(interesting[-30:]))


# What the develop dependency group adds for Home Assistant itself: its frontend, and the
# packages of the built-in platforms that it always loads. The frontend asks for every
# service description, which imports all of them: one missing module and it never loads.
FRONTEND_MODULES = (
    "hass_frontend",
    "gazetteer_matcher",
    "haffmpeg",
    "hassil",
    "home_assistant_intents",
    "infrared_protocols",
    "mutagen",
    "pymicro_vad",
    "pyspeex_noise",
    "rf_protocols",
    "turbojpeg",
)


def missing_modules() -> list[str]:
    """Return the modules of FRONTEND_MODULES that this Python cannot import."""
    return [name for name in FRONTEND_MODULES if importlib.util.find_spec(name) is None]


async def amain(args: argparse.Namespace) -> int:
    """Run, and stop every child on the way out, whatever happens."""
    develop = Develop(args)
    main_task = asyncio.current_task()
    assert main_task is not None
    loop = asyncio.get_running_loop()
    signals_seen = 0

    def on_signal(sig: signal.Signals) -> None:
        nonlocal signals_seen
        signals_seen += 1
        if signals_seen == 1:
            print(f"\ndevelop: {sig.name}, stopping", flush=True)
            main_task.cancel()
        else:
            develop.groups.kill_all()

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, on_signal, sig)
    atexit.register(develop.groups.kill_all)
    code = 1
    try:
        code = await develop.run()
    except asyncio.CancelledError:
        main_task.uncancel()
        code = 130
    except (HomeAssistantError, TimeoutError, aiohttp.ClientError) as err:
        develop.say(f"failed after {develop.elapsed()}: {err or type(err).__name__}")
        develop.tail_logs()
        code = 1
    finally:
        # A second Ctrl-C during the stop kills at once.
        with contextlib.suppress(asyncio.CancelledError):
            await develop.stop()
        develop.say("stopped")
    return code


def main(argv: list[str] | None = None) -> int:
    """Entry point of scripts/develop."""
    args = build_parser().parse_args(argv)
    return asyncio.run(amain(args))


if __name__ == "__main__":
    sys.exit(main())
