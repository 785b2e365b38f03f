"""`scripts/develop --server URL --check` against a Printernizer simulator on its own port.

Both tests run the command as a developer would, on one configuration directory (the first
run onboards Home Assistant, the second reuses it). The simulator pushes every 2 seconds
and starts jobs now and then, so states move while the check reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import os
from pathlib import Path
import re
import signal
import subprocess
import time
from typing import Any

import pytest

from scripts.develop_support.config import free_port
from tests.e2e.conftest import simulator_process
from tests.e2e.helpers import get_json, send_json

pytestmark = [pytest.mark.develop, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 400.0  # a first run byte-compiles Home Assistant
# The check reads a difference again after this long; the simulator pushes every 2 s.
RECHECK_AFTER = "4"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A simulator with one printer printing, one paused and one idle."""
    with simulator_process(
        "--printers", "3", "--scenario", "demo", "--poll-interval", "2"
    ) as url:
        yield url


@pytest.fixture(scope="module")
def config_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One development configuration for both runs."""
    return tmp_path_factory.mktemp("develop-server") / "config"


@pytest.fixture(scope="module")
def port() -> int:
    """One port for Home Assistant in both runs (a new one would restart it once)."""
    return free_port()


def develop_check(server: str, config_dir: Path, port: int) -> tuple[int, str, float]:
    """Run `scripts/develop --server URL --check`; return its exit code, output, seconds."""
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 - our own script
        [
            str(ROOT / "scripts" / "develop"),
            "--server", server,
            "--check",
            "--recheck-after", RECHECK_AFTER,
            "--config-dir", str(config_dir),
            "--port", str(port),
        ],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"scripts/develop --server did not finish:\n{output[-4000:]}")
    return process.returncode, output, time.monotonic() - started


def printers(server: str) -> list[dict[str, Any]]:
    """The simulator's printers, in the order the server lists them."""
    state: dict[str, Any] = get_json(f"{server}/_simulator/state")
    return list(state["printers"])


def test_check_passes_against_the_server(
    server: str, config_dir: Path, port: int
) -> None:
    """Exit 0: every state matches, the Bambu rule applied; only GETs reach the server."""
    bambu = printers(server)[2]
    assert bambu["printer_type"] == "bambu_lab"
    # Online at 0.0 °C: the integration shows it offline, and the check must expect so.
    send_json("POST", f"{server}/_simulator/printers/{bambu['id']}/unreachable")
    send_json("DELETE", f"{server}/_simulator/requests")

    code, output, seconds = develop_check(server, config_dir, port)

    assert code == 0, output[-4000:]
    assert "develop: check passed" in output
    assert f"{bambu['name']} online at 0.0 °C (shown as offline)" in output
    assert not [line for line in output.splitlines() if line.startswith("mismatch:")]
    counts: dict[str, int] = get_json(f"{server}/_simulator/requests")["counts"]
    assert counts.get("GET /api/v1/health"), counts
    assert counts.get(f"GET /api/v1/printers/{bambu['id']}/status"), counts
    changes = {request for request in counts if not request.startswith("GET ")}
    assert not changes, f"requests that change the server: {changes}"
    print(f"scripts/develop --server --check passed in {seconds:.1f} s")


def test_check_reports_a_printer_that_differs(
    server: str, config_dir: Path, port: int
) -> None:
    """Exit 1 with one mismatch line when the server's status answer says another state.

    The last printer's status route answers `error`, while the printer list and the
    pushes (every 2 s) keep its real state. Home Assistant takes its printers from the
    list and the pushes; it polls that route first 30 s after the entry loads (the
    last of three printers' spread polls), after the check has read it twice, and a
    push would bring the real state back within 2 s anyway.
    """
    printer = printers(server)[-1]
    status = get_json(f"{server}/api/v1/printers/{printer['id']}/status")
    assert status["status"] != "error"
    send_json(
        "POST",
        f"{server}/_simulator/faults",
        {
            "kind": "wrong_shape",
            "method": "GET",
            "path": f"/api/v1/printers/{printer['id']}/status",
            "body": {**status, "status": "error"},
        },
    )
    try:
        code, output, seconds = develop_check(server, config_dir, port)
    finally:
        send_json("DELETE", f"{server}/_simulator/faults")

    assert code == 1, output[-4000:]
    assert "develop: check FAILED" in output
    mismatches = [line for line in output.splitlines() if line.startswith("mismatch:")]
    expected = re.compile(
        rf"^mismatch: printer '{re.escape(printer['name'])}' status "
        r"\(sensor\.\w+_status\): Home Assistant shows (online|offline|printing|paused), "
        r"the server says error$"
    )
    assert len(mismatches) == 1, output[-4000:]
    assert expected.match(mismatches[0]), mismatches
    print(f"scripts/develop --server --check failed as expected in {seconds:.1f} s")
