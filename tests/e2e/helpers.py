"""Helpers for the browser tests: where Chromium is, how screenshots are stored."""

from __future__ import annotations

from io import BytesIO
import json
import os
from pathlib import Path
import shutil
from typing import Any
import urllib.request

from PIL import Image

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
