"""Helpers for tests that use the simulator (importable by any test module)."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
import csv
from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any

import aiohttp

from .server import Simulator

# The captured real responses live beside the repository: <repo>/../shared/printernizer-api
CAPTURES_DIR = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "printernizer-api"
)


class ManualClock:
    """A clock that only moves when told to (inject as `Simulator(clock=...)`)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.value += seconds


@contextlib.asynccontextmanager
async def running_simulator(**options: Any) -> AsyncIterator[Simulator]:
    """Start a simulator on 127.0.0.1 (free port) and stop it afterwards."""
    sim = Simulator(**options)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def fresh_session() -> aiohttp.ClientSession:
    """Return a client session that opens a new connection for every request.

    Handy around restarts, where a kept-alive connection would be closed under the
    client. Note that aiohttp's client still retries an idempotent request once when
    the server drops the connection, so a RESET fault needs `count >= 2` (or None)
    to make a GET fail.
    """
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))


@dataclass(frozen=True)
class Capture:
    """One captured real response (a row of `_index.tsv`)."""

    method: str
    path: str
    status: int
    content_type: str
    file: str

    @property
    def text(self) -> str:
        """Return the captured body."""
        return (CAPTURES_DIR / self.file).read_text()

    def json(self) -> Any:
        """Return the captured body, parsed."""
        return json.loads(self.text)

    @property
    def headers(self) -> dict[str, str]:
        """Return the captured response headers (lower-case names)."""
        lines = (CAPTURES_DIR / "_headers" / f"{self.file}.headers").read_text()
        headers: dict[str, str] = {}
        for line in lines.splitlines()[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        return headers


def load_captures() -> dict[str, Capture]:
    """Return every captured response by file name.

    Reads `_index.tsv` and the dated indexes beside it (`_index_<date>.tsv`), which
    list captures added later.
    """
    rows: list[dict[str, str]] = []
    for path in sorted(CAPTURES_DIR.glob("_index*.tsv")):
        with path.open(newline="") as index:
            rows.extend(csv.DictReader(index, delimiter="\t"))
    return {
        row["file"]: Capture(
            method=row["method"],
            path=row["path"],
            status=int(row["http_status"]),
            content_type=row["content_type"],
            file=row["file"],
        )
        for row in rows
    }


def load_jsonl(name: str) -> list[Any]:
    """Return the JSON lines of a captured .jsonl file."""
    text = (CAPTURES_DIR / name).read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]
