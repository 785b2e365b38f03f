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
from typing import Any

import aiohttp
from yarl import URL

from .check import DOMAIN, Checker
from .config import (
    HA_PORT_ENV,
    DevState,
    drop_http_yaml,
    free_port,
    port_is_free,
    prepare_config_dir,
)
from .dashboard import (
    DASHBOARD_FILE,
    FleetPrinter,
    adapt,
    hub_prefix,
    install_dashboard,
    load_dashboard,
)
from .hass import DEV_PASSWORD, DEV_USERNAME, HomeAssistant, HomeAssistantError
from .processes import Child, ProcessGroups
from .server_check import (
    RECHECK_AFTER,
    ServerChecker,
    ServerError,
    ServerReader,
    read_home_assistant,
)

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
# Credentials for a reverse proxy in front of --server: environment only, so that they
# show neither in the process list nor in the shell's history.
SERVER_USERNAME_ENV = "PRINTERNIZER_DEV_SERVER_USERNAME"
SERVER_PASSWORD_ENV = "PRINTERNIZER_DEV_SERVER_PASSWORD"  # noqa: S105 - a variable's name
SERVER_TOKEN_ENV = "PRINTERNIZER_DEV_SERVER_TOKEN"  # noqa: S105 - a variable's name


def build_parser() -> argparse.ArgumentParser:
    """Command line options; each has an environment variable too."""
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description=(
            "Run Home Assistant with this integration against the Printernizer simulator "
            "(3 printers: one printing, one paused, one idle), or against your own "
            "Printernizer with --server. Ctrl-C stops everything."
        ),
        epilog=(
            f"A server behind a reverse proxy with authentication: set {SERVER_USERNAME_ENV} "
            f"and {SERVER_PASSWORD_ENV} (basic auth) or {SERVER_TOKEN_ENV} (bearer token)."
        ),
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="verify the entities against the simulator, inject a fault, then stop "
        "(exit 0/1); with --server: compare them with the server, changing nothing on it",
    )
    parser.add_argument(
        "--server",
        metavar="URL",
        default=env("PRINTERNIZER_DEV_SERVER") or None,
        help="use the Printernizer server at URL (e.g. http://printernizer.local:8000) "
        "instead of the simulator (env PRINTERNIZER_DEV_SERVER)",
    )
    parser.add_argument(
        "--no-verify-ssl",
        dest="verify_ssl",
        action="store_false",
        help="with an https:// --server: accept a certificate that does not verify",
    )
    parser.add_argument(
        "--recheck-after",
        type=float,
        default=RECHECK_AFTER,
        metavar="SECONDS",
        help="with --server --check: how long to wait before reading a difference again, "
        f"since a state may be on its way (default {RECHECK_AFTER:.0f}: the next poll)",
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
        # The URL the entry points at: the simulator's once it runs, or --server.
        self.server_url: str = args.server or ""
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

    def server_credentials(self) -> dict[str, str]:
        """Return the reverse proxy credentials for --server, from the environment."""
        username = os.environ.get(SERVER_USERNAME_ENV, "")
        password = os.environ.get(SERVER_PASSWORD_ENV, "")
        token = os.environ.get(SERVER_TOKEN_ENV, "")
        if username:
            return {"username": username, "password": password}
        return {"token": token} if token else {}

    def server_reader(self, session: aiohttp.ClientSession) -> ServerReader:
        """Return a reader of --server's REST API, authenticated as Home Assistant is."""
        credentials = self.server_credentials()
        headers: dict[str, str] = {}
        if "username" in credentials:
            headers["Authorization"] = aiohttp.encode_basic_auth(
                credentials["username"], credentials["password"]
            )
        elif "token" in credentials:
            headers["Authorization"] = f"Bearer {credentials['token']}"
        return ServerReader(
            session, self.server_url, headers=headers, verify_ssl=self.args.verify_ssl
        )

    async def check_server_answers(self) -> bool:
        """Tell, before Home Assistant starts, whether --server answers its health check."""
        async with aiohttp.ClientSession() as session:
            try:
                health = await self.server_reader(session).health()
            except ServerError as err:
                self.say(f"the server {self.server_url} does not answer: {err}")
                return False
        self.say(
            f"server {self.server_url} answers: {health['status']}, "
            f"version {health.get('version')} ({self.elapsed()})"
        )
        return True

    async def start_simulator(self, port: int) -> None:
        """Start the simulator in real time and wait until it answers."""
        self.sim_url = f"http://127.0.0.1:{port}"
        self.server_url = self.sim_url
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

    @property
    def target(self) -> str:
        """What the entry points at, in words."""
        return f"the server {self.server_url}" if self.args.server else "the simulator"

    async def ensure_entry(self, ha: HomeAssistant, state: DevState) -> str:
        """Make sure one Printernizer entry points at this run's server; return its id."""
        previous = state.server_url or (
            f"http://127.0.0.1:{state.simulator_port}" if state.simulator_port else None
        )
        if state.entry_id and await ha.entry(state.entry_id, DOMAIN) is not None:
            if previous == self.server_url:
                self.say(f"entry {state.entry_id} already points at {self.target}")
                return state.entry_id
            # The URL is the server's identity, so a new port is a new server.
            self.say(f"now using {self.target}; replacing entry {state.entry_id}")
            await ha.remove_entry(state.entry_id)
        result = await ha.add_entry(
            DOMAIN,
            {
                "url": self.server_url,
                "verify_ssl": self.args.verify_ssl,
                "proxy_auth": self.server_credentials(),
            },
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
            if (device.get("configuration_url") or "").rstrip("/") == self.server_url:
                for entry_id in device.get("config_entries", []):
                    if await ha.entry(entry_id, DOMAIN) is not None:
                        self.say(f"entry {entry_id} already points at {self.target}")
                        return str(entry_id)
        msg = f"an entry for {self.server_url} exists but its device was not found"
        raise HomeAssistantError(msg)

    async def tidy_onboarding_entries(self, ha: HomeAssistant) -> None:
        """Remove the entries onboarding adds that cannot load here (no packages, no network)."""
        for domain in ONBOARDING_EXTRAS:
            for entry in await ha.entries(domain):
                if entry["state"] in {"setup_error", "setup_retry", "not_loaded"}:
                    await ha.remove_entry(entry["entry_id"])
                    self.say(f"removed the {entry['title']!r} entry onboarding added")

    def banner(self, entry_title: str, dashboard: str | None) -> None:
        """Tell the developer where everything is and how to break it."""
        log = self.config_dir / "home-assistant.log"
        board = (
            f"  Dashboard        {self.ha_url}{dashboard}   (docs/dashboard.yaml, "
            "stored again at every start)\n"
            if dashboard
            else ""
        )
        head = f"""
  Home Assistant   {self.ha_url}   (log in as {DEV_USERNAME} / {DEV_PASSWORD})
  Entry            {entry_title}, loaded {self.elapsed()} after the command started
{board}"""
        if self.args.server:
            print(
                f"""{head}  Server           {self.server_url}
  Logs             {log} (integration at debug level)

  The printers' pause, resume and stop buttons act on the server's real printers.
  Ctrl-C stops Home Assistant.
""",
                flush=True,
            )
            return
        sim = self.sim_url
        print(
            f"""{head}  Simulator        {sim}   (state: curl {sim}/_simulator/state)
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

    async def dashboard(self, ha: HomeAssistant, entry_id: str) -> str | None:
        """Install docs/dashboard.yaml, fitted to the entry's printers; return its path.

        A dashboard that cannot be installed is reported, not fatal: Home Assistant and
        the entry work without it.
        """
        try:
            config = load_dashboard()
            view = await read_fleet(ha, entry_id)
            path = await install_dashboard(ha, adapt(config, view[0], view[1]))
        except (OSError, ValueError, HomeAssistantError) as err:
            self.say(
                f"the dashboard from {DASHBOARD_FILE.name} was not installed: {err}"
            )
            return None
        self.say(
            f"dashboard {self.ha_url}{path} installed from docs/{DASHBOARD_FILE.name}"
        )
        return path

    async def run(self) -> int:
        """Start everything, set it up, then check or wait for Ctrl-C."""
        args = self.args
        if missing := missing_modules():
            self.say(
                f"the .venv lacks {', '.join(missing)}, which Home Assistant's frontend "
                "needs; run scripts/setup --develop"
            )
            return 2
        if args.server:
            try:
                self.server_url = normalize_server_url(args.server)
            except ValueError as err:
                self.say(str(err))
                return 2
        prepare_config_dir(self.config_dir, INTEGRATION)
        state = DevState.load(self.config_dir)
        # Home Assistant starts on the port its stored settings have, then moves.
        self.hass_port = state.ha_port or args.port
        for port in {self.hass_port, args.port}:
            if not port_is_free(port):
                self.say(f"port {port} is in use; pick another with --port")
                return 2
        if args.server:
            if not await self.check_server_answers():
                return 1
        else:
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
            state.entry_id, state.server_url = entry_id, self.server_url
            if self.sim is not None:
                state.simulator_port = int(self.sim_url.rsplit(":", 1)[1])
            state.save(self.config_dir)
            entry = await ha.wait_for_entry_state(entry_id, DOMAIN, ENTRY_LOAD_TIMEOUT)
            self.say(f"entry loaded {self.elapsed()} after the command started")
            await self.tidy_onboarding_entries(ha)
            dashboard = await self.dashboard(ha, entry_id)
            self.banner(entry["title"], dashboard)
            if args.ready_file:
                ready = {
                    "url": self.ha_url,
                    "server_url": self.server_url,
                    "entry_id": entry_id,
                    "username": DEV_USERNAME,
                    "password": DEV_PASSWORD,
                    "config_dir": str(self.config_dir),
                    "dashboard": dashboard,
                }
                if not args.server:
                    ready["simulator_url"] = self.sim_url
                args.ready_file.write_text(json.dumps(ready))
            if args.check:
                return await self.check(ha, session, entry_id)
        return await self.wait_for_children()

    async def check(
        self, ha: HomeAssistant, session: aiohttp.ClientSession, entry_id: str
    ) -> int:
        """Run the check that fits the target; print what failed; return the exit code."""
        checker: Checker | ServerChecker
        if self.args.server:
            checker = ServerChecker(
                ha,
                self.server_reader(session),
                entry_id,
                config_dir=self.config_dir,
                started=self.started,
                recheck_after=self.args.recheck_after,
            )
        else:
            checker = Checker(ha, session, self.sim_url, entry_id)
        async with asyncio.timeout(CHECK_TIMEOUT):
            ok = await checker.run()
        if summary := checker.summary():
            print(summary, flush=True)
        self.say(f"check {'passed' if ok else 'FAILED'} after {self.elapsed()}")
        return 0 if ok else 1

    async def wait_for_children(self) -> int:
        """Run until Ctrl-C, or until the simulator or Home Assistant ends."""
        assert self.hass_exited is not None
        waits: list[asyncio.Future[Any]] = [self.hass_exited]
        sim_exit = None
        if self.sim is not None:
            sim_exit = asyncio.ensure_future(self.sim.process.wait())
            waits.append(sim_exit)
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if sim_exit is not None and sim_exit in done:
            self.say(f"the simulator exited ({sim_exit.result()}); stopping")
        else:
            if sim_exit is not None:
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


def normalize_server_url(raw: str) -> str:
    """Return the --server URL as the integration stores it (scheme, host, no slash).

    Credentials in the URL are refused: they would end up in the process list and in
    the entry; the environment variables of --help carry them instead.
    """
    text = raw.strip()
    if "://" not in text:
        text = f"http://{text}"
    url = URL(text)
    if url.scheme not in {"http", "https"} or not url.host:
        msg = f"--server wants an http:// or https:// URL with a host, not {raw!r}"
        raise ValueError(msg)
    if url.user or url.password:
        msg = (
            f"--server takes no credentials in the URL; set {SERVER_USERNAME_ENV} and "
            f"{SERVER_PASSWORD_ENV}, or {SERVER_TOKEN_ENV}"
        )
        raise ValueError(msg)
    built = URL.build(
        scheme=url.scheme, host=url.host.lower(), port=url.port, path=url.path
    )
    return str(built).rstrip("/")


async def read_fleet(
    ha: HomeAssistant, entry_id: str
) -> tuple[list[FleetPrinter], str | None]:
    """Return the entry's printers (name, entity id prefix) and the hub's prefix."""
    view = await read_home_assistant(ha, entry_id)
    printers = [
        FleetPrinter(
            printer.name,
            printer.status_entity.removeprefix("sensor.").removesuffix("_status"),
        )
        for printer in view.printers
        if printer.status_entity is not None
    ]
    return printers, hub_prefix([view.hub_status] if view.hub_status else [])


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
