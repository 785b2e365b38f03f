"""The integration in a real browser: Home Assistant's own pages, driven by Chromium.

Runs against `scripts/develop` (see conftest.py): log in as the development account, find
the Printernizer devices under Settings → Devices & services, check a printer's entities
against the simulator, and add a second server through the UI config flow.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import TYPE_CHECKING, Any

import pytest

from scripts.develop_support.check import printer_status_entity
from scripts.develop_support.config import free_port
from tests.e2e.helpers import api, log_in, save_screenshot, see, simulator_state

if TYPE_CHECKING:
    from playwright.sync_api import FloatRect, Page

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = "printernizer"
HUB_NAME = "Printernizer"
TRANSLATIONS = json.loads(
    (ROOT / "custom_components" / DOMAIN / "translations" / "en.json").read_text()
)


def open_integration(page: Page) -> None:
    """Settings → Devices & services → Printernizer, by clicking as a person would."""
    page.locator("ha-sidebar").get_by_text("Settings", exact=True).click()
    page.wait_for_url("**/config/dashboard")
    page.get_by_text("Devices & services", exact=True).first.click()
    page.wait_for_url("**/config/integrations/dashboard")
    # The card, not the sidebar's Printernizer dashboard.
    page.locator("ha-integration-card").get_by_text(
        "Printernizer", exact=True
    ).first.click()
    page.wait_for_url(f"**/config/integrations/integration/{DOMAIN}")


def displayed_state(page: Page, entity_id: str) -> str:
    """The state as the frontend words it (translated, with units)."""
    text: str = page.evaluate(
        """(entityId) => {
            const hass = document.querySelector("home-assistant").hass;
            return hass.formatEntityState(hass.states[entityId]);
        }""",
        entity_id,
    )
    return text


def test_devices_and_entities_show_the_simulator(
    page: Page, dev_setup: dict[str, Any]
) -> None:
    """The hub and one device per printer, and a printer's entities with its values."""
    sim = simulator_state(dev_setup["simulator_url"])
    entry_id = dev_setup["entry_id"]
    devices = api(dev_setup, lambda ha: ha.devices(entry_id))
    entities = api(dev_setup, lambda ha: ha.entities(entry_id))
    names = {device["name"] for device in devices}
    printers = [printer["name"] for printer in sim["printers"]]
    assert names == {HUB_NAME, *printers}, f"devices {names}, simulator {printers}"

    log_in(page, dev_setup)
    open_integration(page)
    for name in [HUB_NAME, *printers]:
        see(page, name)

    # The printing printer: its device page lists its entities with their values.
    printer = next(p for p in sim["printers"] if p["status"] == "printing")
    device = next(d for d in devices if d["name"] == printer["name"])
    page.get_by_text(printer["name"], exact=True).filter(visible=True).first.click()
    page.wait_for_url(f"**/config/devices/device/{device['id']}")
    own = [
        e
        for e in entities
        if e["device_id"] == device["id"] and not e.get("disabled_by")
    ]
    assert own, f"no entities on {printer['name']}"
    # A printer's first push can still be on its way: give its values a moment to
    # arrive (bounded; what stays unknown is shown as such and still checked). Buttons
    # and events are unknown until pressed or fired, so they are not waited for.
    # (Filament slots come with the printer list: there at once, an empty one unknown.)
    measured = [
        e["entity_id"]
        for e in own
        if e["entity_id"].split(".")[0] in {"sensor", "binary_sensor"}
        and "_filament_slot_" not in e["entity_id"]
    ]
    states = api(dev_setup, lambda ha: ha.states())
    for _ in range(20):
        if all(states[entity_id]["state"] != "unknown" for entity_id in measured):
            break
        page.wait_for_timeout(1000)
        states = api(dev_setup, lambda ha: ha.states())
    status = printer_status_entity(
        [e for e in own if e["entity_id"].startswith("sensor.")]
    )
    assert status is not None, f"no status sensor on {printer['name']}"
    assert states[status]["state"] == printer["status"]
    see(page, printer["current_job"]["name"])
    # Every sensor shows its state as the frontend words it (timestamps show relative
    # times, so they are left out; buttons and images show controls, not states).
    shown = [
        e["entity_id"]
        for e in own
        if e["entity_id"].split(".")[0] in {"sensor", "binary_sensor"}
        and states[e["entity_id"]].get("attributes", {}).get("device_class")
        != "timestamp"
    ]
    assert status in shown
    for entity_id in shown:
        text = displayed_state(page, entity_id)
        see(page, text)
    # Take a snapshot on the device page: the Last snapshot image shows it.
    last_snapshot = next(
        e["entity_id"] for e in own if e["entity_id"].endswith("_last_snapshot")
    )
    assert states[last_snapshot]["state"] == "unknown"
    page.locator("hui-button-entity-row").filter(has_text="Take snapshot").get_by_role(
        "button", name="Press"
    ).click()
    for _ in range(40):
        states = api(dev_setup, lambda ha: ha.states())
        if states[last_snapshot]["state"] != "unknown":
            break
        page.wait_for_timeout(250)
    assert states[last_snapshot]["state"] != "unknown", "no snapshot shown"
    assert simulator_state(dev_setup["simulator_url"])["snapshots"] == 1

    page.set_viewport_size({"width": 1200, "height": 1180})  # the whole device page
    # The camera: its dialog shows the printer's picture over the device page.
    page.get_by_text("Camera", exact=True).filter(visible=True).first.click()
    picture = page.locator('ha-more-info-dialog img[src*="/api/camera_proxy"]').first
    picture.wait_for()
    for _ in range(40):
        if picture.evaluate("(img) => img.complete && img.naturalWidth > 0"):
            break
        page.wait_for_timeout(250)
    else:
        pytest.fail("the camera dialog shows no picture")
    page.wait_for_timeout(1000)  # let the cards settle before the picture
    save_screenshot(page.screenshot(), "device-page.png")


def test_add_a_second_server_through_the_config_flow(
    page: Page, dev_setup: dict[str, Any], second_simulator: str
) -> None:
    """The UI flow: a wrong URL shows cannot_connect, the right one adds the entry."""
    before = api(dev_setup, lambda ha: ha.entries(DOMAIN))
    log_in(page, dev_setup)
    open_integration(page)
    page.get_by_role("button", name=re.compile(r"^Add (hub|entry|service)")).click()
    url = page.get_by_role("textbox", name="URL")

    url.fill(f"http://127.0.0.1:{free_port()}")  # nothing listens there
    page.get_by_role("button", name="Submit").click()
    page.get_by_text(TRANSLATIONS["config"]["error"]["cannot_connect"]).wait_for()
    box = page.locator("dialog-data-entry-flow").locator("dialog").first.bounding_box()
    assert box is not None
    margin = 16
    clip: FloatRect = {
        "x": max(box["x"] - margin, 0),
        "y": max(box["y"] - margin, 0),
        "width": box["width"] + 2 * margin,
        "height": box["height"] + 2 * margin,
    }
    save_screenshot(page.screenshot(clip=clip), "config-flow-cannot-connect.png")

    url.fill(second_simulator)
    page.get_by_role("button", name="Submit").click()
    # The entry is created; the last step offers to name the new device.
    page.get_by_role("button", name=re.compile(r"^(Skip and finish|Finish)$")).click()

    def _loaded(entries: list[dict[str, Any]]) -> bool:
        return len(entries) == len(before) + 1 and all(
            e["state"] == "loaded" for e in entries
        )

    entries = api(dev_setup, lambda ha: ha.entries(DOMAIN))
    for _ in range(60):
        if _loaded(entries):
            break
        page.wait_for_timeout(500)
        entries = api(dev_setup, lambda ha: ha.entries(DOMAIN))
    assert _loaded(entries), entries
