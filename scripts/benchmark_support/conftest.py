"""Fixtures for the benchmark: Home Assistant's test harness with a real clock."""

from __future__ import annotations

from collections.abc import Callable
import json
import os
from pathlib import Path
from typing import Any

import pytest

RESULTS = Path(
    os.environ.get("PRINTERNIZER_BENCHMARK_RESULTS", ".cache/benchmark/results.json")
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load the integration from custom_components/."""


@pytest.fixture
def record() -> Callable[[str, Any], None]:
    """Return a function that stores one measurement in the results file."""

    def _record(key: str, value: Any) -> None:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results[key] = value
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True))

    return _record
