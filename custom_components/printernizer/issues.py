"""Repair issues for problems the user can fix.

- The server runs a version older than `MIN_SERVER_VERSION` (from the health report).
- The server keeps answering 429: `RATE_LIMIT_ISSUE_THRESHOLD` responses within
  `RATE_LIMIT_WINDOW` seconds. The limit is per client address, so another client
  behind the same address (or a proxy) uses it up. The issue goes away after a
  whole window without a 429.

Every issue is removed when its cause goes away, and when the entry unloads (it is
checked again on the next load).
"""

from __future__ import annotations

from collections import deque
from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .api import parse_version
from .const import DOMAIN, MIN_SERVER_VERSION
from .coordinator import PrinternizerConfigEntry, async_track_refreshes

RATE_LIMIT_WINDOW: Final = 600.0
RATE_LIMIT_ISSUE_THRESHOLD: Final = 5

ISSUE_SERVER_VERSION: Final = "server_version_unsupported"
ISSUE_RATE_LIMITED: Final = "rate_limited"


def issue_id(kind: str, entry: PrinternizerConfigEntry) -> str:
    """Return the id of an entry's issue."""
    return f"{kind}_{entry.entry_id}"


def _version_text(version: tuple[int, int, int]) -> str:
    return ".".join(str(part) for part in version)


@callback
def async_setup_issues(hass: HomeAssistant, entry: PrinternizerConfigEntry) -> None:
    """Watch the entry for problems the user can fix."""
    health = entry.runtime_data.health
    client = entry.runtime_data.client
    active: set[str] = set()

    @callback
    def _set(kind: str, present: bool, placeholders: dict[str, str]) -> None:
        if present:
            active.add(kind)
            ir.async_create_issue(
                hass,
                DOMAIN,
                issue_id(kind, entry),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=kind,
                translation_placeholders={"title": entry.title, **placeholders},
            )
        elif kind in active:
            active.discard(kind)
            ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry))

    @callback
    def _check_version() -> None:
        if not health.last_update_success or health.data is None:
            return
        version = parse_version(health.data.version)
        _set(
            ISSUE_SERVER_VERSION,
            version is not None and version < MIN_SERVER_VERSION,
            {
                "version": health.data.version or "",
                "min_version": _version_text(MIN_SERVER_VERSION),
            },
        )

    # (loop time, new 429 responses) for every refresh that saw some.
    samples: deque[tuple[float, int]] = deque()
    seen = client.metrics.rate_limited

    @callback
    def _check_rate_limit() -> None:
        nonlocal seen
        now = hass.loop.time()
        count = client.metrics.rate_limited
        if count > seen:
            samples.append((now, count - seen))
        seen = count
        while samples and samples[0][0] <= now - RATE_LIMIT_WINDOW:
            samples.popleft()
        recent = sum(new for _, new in samples)
        if recent >= RATE_LIMIT_ISSUE_THRESHOLD:
            _set(
                ISSUE_RATE_LIMITED,
                True,
                {"count": str(recent), "minutes": str(int(RATE_LIMIT_WINDOW // 60))},
            )
        elif not samples:
            _set(ISSUE_RATE_LIMITED, False, {})

    @callback
    def _delete_all() -> None:
        for kind in list(active):
            _set(kind, False, {})

    _check_version()
    entry.async_on_unload(health.async_add_listener(_check_version))
    entry.async_on_unload(async_track_refreshes(hass, entry, _check_rate_limit))
    entry.async_on_unload(_delete_all)
