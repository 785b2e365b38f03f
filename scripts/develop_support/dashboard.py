"""The dashboard of docs/dashboard.yaml, installed into the development Home Assistant.

The file is written for the simulator's fleet. Against another fleet (`--server`), its
printer sections are repeated per printer, with the printer's entity id prefix and name, so
that the development dashboard shows whatever printers the server has.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
import re
from typing import Any

import yaml

from .hass import HomeAssistant

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD_FILE = ROOT / "docs" / "dashboard.yaml"
DASHBOARD_URL_PATH = "dashboard-printernizer"  # Home Assistant wants a hyphen in it
DASHBOARD_TITLE = "Printernizer"
DASHBOARD_ICON = "mdi:printer-3d"
ENTITY_ID = re.compile(r"^(?P<domain>[a-z_]+)\.(?P<object_id>[a-z0-9_]+)$")
# Only printer sections have a print job event; its object id gives the section's prefix.
PRINT_JOB_EVENT = re.compile(r"^event\.(?P<prefix>[a-z0-9_]+)_print_job$")
SERVER_STATUS = re.compile(r"^sensor\.(?P<prefix>[a-z0-9_]+)_server_status$")


@dataclass(frozen=True)
class FleetPrinter:
    """One printer of the development fleet: its name and its entity id prefix."""

    name: str
    prefix: str


def load_dashboard(path: Path = DASHBOARD_FILE) -> dict[str, Any]:
    """Read the dashboard file (a whole dashboard configuration with one view)."""
    config = yaml.safe_load(path.read_text())
    if not isinstance(config, dict) or len(config.get("views") or []) != 1:
        msg = f"{path} must hold a dashboard configuration with exactly one view"
        raise ValueError(msg)
    return config


def strings(node: Any) -> list[str]:
    """Return every string anywhere in a card or section configuration."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in strings(value)]
    return []


def entity_ids(node: Any) -> set[str]:
    """Return the entity ids a configuration refers to."""
    return {text for text in strings(node) if ENTITY_ID.match(text)}


def section_prefix(section: dict[str, Any]) -> str | None:
    """Return the printer prefix of a printer section (None for other sections)."""
    for text in strings(section):
        if match := PRINT_JOB_EVENT.match(text):
            return match.group("prefix")
    return None


def hub_prefix(node: Any) -> str | None:
    """Return the hub's entity id prefix, from its server status sensor."""
    for text in strings(node):
        if match := SERVER_STATUS.match(text):
            return match.group("prefix")
    return None


def renamed(node: Any, old: str, new: str, name: str | None = None) -> Any:
    """Return a copy of `node` with entity ids of prefix `old` moved to `new`.

    With `name`, heading cards get it as their text (a printer section's heading is the
    printer's name). Other strings stay as they are.
    """
    if isinstance(node, str):
        match = ENTITY_ID.match(node)
        if match and match.group("object_id").startswith(f"{old}_"):
            object_id = new + match.group("object_id")[len(old) :]
            return f"{match.group('domain')}.{object_id}"
        return node
    if isinstance(node, list):
        return [renamed(value, old, new, name) for value in node]
    if isinstance(node, dict):
        copied = {key: renamed(value, old, new, name) for key, value in node.items()}
        if name is not None and copied.get("type") == "heading":
            copied["heading"] = name
        return copied
    return copy.deepcopy(node)


def adapt(
    config: dict[str, Any], printers: list[FleetPrinter], hub: str | None
) -> dict[str, Any]:
    """Fit the dashboard to a fleet: one printer section per printer, in fleet order.

    A printer the file has keeps its own section; any other printer gets a copy of the
    file's first printer section. Sections that are not about a printer stay in place (the
    printer sections go where the first one was). Unchanged when the fleet is the file's.
    """
    view = config["views"][0]
    sections: list[dict[str, Any]] = view.get("sections") or []
    by_prefix = {
        prefix: section
        for section in sections
        if (prefix := section_prefix(section)) is not None
    }
    template_hub = hub_prefix(config)
    same_hub = hub is None or template_hub is None or hub == template_hub
    if same_hub and list(by_prefix) == [printer.prefix for printer in printers]:
        return config
    if not by_prefix:
        return config
    template_prefix, template = next(iter(by_prefix.items()))
    printer_sections = [
        by_prefix[printer.prefix]
        if printer.prefix in by_prefix
        else renamed(template, template_prefix, printer.prefix, printer.name)
        for printer in printers
    ]
    adapted: list[dict[str, Any]] = []
    for section in sections:
        if section_prefix(section) is not None:
            if printer_sections:
                adapted.extend(printer_sections)
                printer_sections = []
        elif same_hub or template_hub is None or hub is None:
            adapted.append(section)
        else:
            adapted.append(renamed(section, template_hub, hub))
    new_config = copy.deepcopy(config)
    new_config["views"][0] = {**view, "sections": adapted}
    return new_config


async def install_dashboard(ha: HomeAssistant, config: dict[str, Any]) -> str:
    """Create the dashboard when it is missing and store `config` in it; return its path.

    Run on every start, so the dashboard always shows the file as it is now.
    """
    dashboards = await ha.ws("lovelace/dashboards/list")
    if not any(d.get("url_path") == DASHBOARD_URL_PATH for d in dashboards):
        await ha.ws(
            "lovelace/dashboards/create",
            url_path=DASHBOARD_URL_PATH,
            title=DASHBOARD_TITLE,
            icon=DASHBOARD_ICON,
            show_in_sidebar=True,
            require_admin=False,
            mode="storage",
        )
    await ha.ws("lovelace/config/save", url_path=DASHBOARD_URL_PATH, config=config)
    view_path = config["views"][0].get("path") or "0"
    return f"/{DASHBOARD_URL_PATH}/{view_path}"
