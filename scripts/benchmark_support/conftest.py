"""Fixtures for the benchmark: Home Assistant's test harness with a real clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
import os
from pathlib import Path
import sys
from typing import Any

import pytest

RESULTS = Path(
    os.environ.get("PRINTERNIZER_BENCHMARK_RESULTS", ".cache/benchmark/results.json")
)
# The polling baseline lives in a custom_components folder of its own, which joins the
# repository's (a namespace package) so that Home Assistant's loader finds both. Import
# it now: the test harness later puts a custom_components package of its own first.
BASELINE_ROOT = Path(__file__).resolve().parent / "baseline"
if str(BASELINE_ROOT) not in sys.path:
    sys.path.append(str(BASELINE_ROOT))
import custom_components  # noqa: E402

assert str(BASELINE_ROOT / "custom_components") in list(custom_components.__path__)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load the integration and the baseline as custom integrations."""


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Run the event loop as Home Assistant runs it, without asyncio's debug mode.

    The test harness turns debug mode on, which records a traceback for every
    future: it would triple the cost of every request.
    """
    asyncio.get_running_loop().set_debug(False)


@pytest.fixture
def record() -> Callable[[str, Any], None]:
    """Return a function that stores one measurement in the results file."""

    def _record(key: str, value: Any) -> None:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results[key] = value
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True))

    return _record
