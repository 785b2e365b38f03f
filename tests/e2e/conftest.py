"""Fixtures for the end-to-end tests: the development setup, a second simulator, Chromium.

The browser tests (marker `browser`) and the tests of `scripts/develop --server` (marker
`develop`, no browser) run only when PRINTERNIZER_E2E=1 (`.ci/run` sets it), and need
Home Assistant's pytest plugin switched off, since it blocks sockets:

    PRINTERNIZER_E2E=1 .venv/bin/pytest -p no:homeassistant -m browser tests/e2e
    PRINTERNIZER_E2E=1 .venv/bin/pytest -p no:homeassistant -m develop tests/e2e

Everywhere else (`scripts/test`) they are skipped.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
import contextlib
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any
import urllib.error

import pytest

from scripts.develop_support.config import free_port
from tests.e2e.helpers import CHROMIUM_FLAGS, chromium_path, get_json

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
DEVELOP_READY_TIMEOUT = 300.0  # a first run byte-compiles Home Assistant
STOP_TIMEOUT = 30.0


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker of the end-to-end tests that need no browser."""
    config.addinivalue_line(
        "markers",
        "develop: end-to-end test of scripts/develop against a Printernizer server "
        "(runs Home Assistant, no browser)",
    )


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip the end-to-end tests unless asked for, and browser tests without Chromium."""
    for item in items:
        marker = next((m for m in ("browser", "develop") if m in item.keywords), None)
        if marker is None:
            continue
        if os.environ.get("PRINTERNIZER_E2E") != "1":
            reason = (
                f"{marker} test: runs with PRINTERNIZER_E2E=1 (PRINTERNIZER_E2E=1 "
                f".venv/bin/pytest -p no:homeassistant -m {marker} tests/e2e)"
            )
        elif marker == "browser" and chromium_path() is None:
            reason = (
                "browser test: Chromium not found (apt-get install chromium, "
                "or set PRINTERNIZER_CHROMIUM to its path)"
            )
        else:
            continue
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override tests/conftest.py: these tests drive a real Home Assistant, not `hass`."""


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL it if it does not end in time."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)


@pytest.fixture(scope="session")
def dev_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run `scripts/develop` on a fresh config directory and a free port, like a newcomer."""
    work = tmp_path_factory.mktemp("develop")
    ready = work / "ready.json"
    log = work / "develop.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own script
            [
                str(ROOT / "scripts" / "develop"),
                "--config-dir", str(work / "config"),
                "--port", str(free_port()),
                "--ready-file", str(ready),
            ],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + DEVELOP_READY_TIMEOUT
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"scripts/develop did not get ready:\n{log.read_text()[-4000:]}"
                )
            time.sleep(0.5)
        info: dict[str, Any] = json.loads(ready.read_text())
        info["log"] = log
        yield info
    finally:
        _stop(process)


@contextlib.contextmanager
def simulator_process(*options: str) -> Iterator[str]:
    """Run `python -m tests.simulator` on a free port with `options`; yield its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(  # noqa: S603 - our own simulator
        [sys.executable, "-m", "tests.simulator", "--port", str(port), *options],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get_json(f"{url}/_simulator/state", timeout=2)
                break
            except urllib.error.URLError, OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the simulator {' '.join(options)} did not start")
                time.sleep(0.2)
        yield url
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def second_simulator() -> Iterator[str]:
    """Another Printernizer simulator, to add as a second server through the UI."""
    with simulator_process("--printers", "2") as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium from the system, driven by Playwright (no browser download)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing from .venv: run scripts/setup --develop")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM_FLAGS, timeout=60_000
        )
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report on the item, for the page fixture's teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page (its own cookies and storage) with generous but bounded waits.

    When the test fails, the page's last picture goes to .cache/e2e/<test>.png.
    """
    context = browser.new_context(viewport={"width": 1200, "height": 760})
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        shot = ROOT / ".cache" / "e2e" / f"{request.node.name}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=shot)
            print(f"screenshot of the failed page: {shot}")
    context.close()
