"""Helpers for the browser tests: Chromium, screenshots, Home Assistant and the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO
import json
import os
from pathlib import Path
import re
import shutil
from typing import TYPE_CHECKING, Any
import urllib.request

import aiohttp
from PIL import Image

from scripts.develop_support.hass import HomeAssistant

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
# Screenshots go to .cache/e2e/screenshots; PRINTERNIZER_E2E_SCREENSHOTS=docs/images
# refreshes the ones README shows.
SCREENSHOTS = ROOT / os.environ.get(
    "PRINTERNIZER_E2E_SCREENSHOTS", ".cache/e2e/screenshots"
)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Chromium from PRINTERNIZER_CHROMIUM, /usr/bin/chromium or PATH."""
    for candidate in (
        os.environ.get("PRINTERNIZER_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def save_screenshot(png: bytes, name: str) -> Path:
    """Store a screenshot with a small palette, to keep it small."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    image = Image.open(BytesIO(png)).convert("RGB")
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(
        path, optimize=True
    )
    return path


def get_json(url: str, timeout: float = 10) -> Any:
    """GET a JSON document from a local http:// URL."""
    if not url.startswith("http://127.0.0.1:"):
        msg = f"only the local simulator is asked: {url}"
        raise ValueError(msg)
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
        return json.load(response)


def send_json(method: str, url: str, body: Any = None, timeout: float = 10) -> Any:
    """Send a JSON body to a local http:// URL (the simulator's control API)."""
    if not url.startswith("http://127.0.0.1:"):
        msg = f"only the local simulator is asked: {url}"
        raise ValueError(msg)
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - a local http:// URL, checked above
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.load(response)


def api[T](info: dict[str, Any], call: Callable[[HomeAssistant], Awaitable[T]]) -> T:
    """Run one call against Home Assistant's REST/websocket API as the dev account."""

    async def _run() -> T:
        async with aiohttp.ClientSession() as session:
            ha = HomeAssistant(session, info["url"])
            await ha.login(info["username"], info["password"])
            return await call(ha)

    # Playwright's sync API keeps an event loop running in this thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _run()).result(timeout=120)


def simulator_state(url: str) -> dict[str, Any]:
    """The simulator's own view of its fleet."""
    state: dict[str, Any] = get_json(f"{url}/_simulator/state")
    return state


def log_in(page: Page, info: dict[str, Any]) -> None:
    """Log in on Home Assistant's login page and wait for the app to load."""
    page.goto(info["url"])
    page.locator("input[name=username]").fill(info["username"])
    page.locator("input[name=password]").fill(info["password"])
    page.get_by_role("button", name="Log in").click()
    page.locator("ha-sidebar").wait_for(timeout=90_000)


def see(page: Page, text: str) -> None:
    """Wait until `text` is shown on the page (hidden copies in the DOM do not count).

    An entity row's text also holds its name (in its shadow root), so the value is
    matched as a whole word sequence rather than as the element's exact text.
    """
    words = re.compile(rf"(^|\s){re.escape(text)}(\s|$)")
    page.get_by_text(words).filter(visible=True).first.wait_for()
