"""The dashboard of docs/dashboard.yaml in a real browser, as `scripts/develop` installs it.

Open it as the development account, check that every card renders without an error, pause
and resume the printing printer with its dashboard buttons, see both in its print job
history, and take the screenshot README shows (docs/images/dashboard.png).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from scripts.develop_support.dashboard import (
    DASHBOARD_URL_PATH,
    entity_ids,
    load_dashboard,
)
from tests.e2e.helpers import api, log_in, save_screenshot, see, simulator_state

if TYPE_CHECKING:
    from playwright.sync_api import FloatRect, Locator, Page

pytestmark = pytest.mark.browser

# What Home Assistant's cards say when their configuration or entity is wrong.
CARD_ERRORS = (
    "Entity not available",
    "Entity not found",
    "Custom element doesn't exist",
    "Configuration error",
    "Invalid configuration",
    "Unknown type encountered",
    "Unavailable",
)
STATE_TIMEOUT = 30.0  # seconds for a pressed button's effect to reach the simulator
# Entities of what only some printers have: a camera, filament slots.
OPTIONAL = ("_camera", "_take_snapshot", "_active_filament")

# Every error card and warning, and the rendered text of the view, shadow roots included.
RENDERED = """() => {
    const errors = [];
    const texts = [];
    const walk = (node) => {
        if (node.nodeType === Node.TEXT_NODE) {
            const text = node.textContent.trim();
            if (text) texts.push(text);
            return;
        }
        if (node.nodeType === Node.ELEMENT_NODE) {
            const tag = node.tagName.toLowerCase();
            if (tag === "hui-error-card" || tag.startsWith("hui-warning")) {
                errors.push(tag);
            }
            if (node.shadowRoot) walk(node.shadowRoot);
        }
        for (const child of node.childNodes) walk(child);
    };
    walk(document.body);
    return {errors, text: texts.join("\\n")};
}"""


def card_problems(page: Page) -> list[str]:
    """Error cards, warnings and error texts the dashboard shows right now."""
    rendered: dict[str, Any] = page.evaluate(RENDERED)
    lines = set(rendered["text"].splitlines())
    return [*rendered["errors"], *(text for text in CARD_ERRORS if text in lines)]


def press(section: Locator, action: str) -> None:
    """Press a tile's button feature (Pause, Resume, Stop) in a printer's section."""
    section.locator("hui-card-features").get_by_role("button", name=action).click()


def wait_for_status(url: str, printer_id: str, status: str) -> None:
    """Wait until the simulator reports `status` for a printer."""
    deadline = time.monotonic() + STATE_TIMEOUT
    while True:
        state = simulator_state(url)
        printer = next(p for p in state["printers"] if p["id"] == printer_id)
        if printer["status"] == status:
            return
        assert time.monotonic() < deadline, f"{printer['name']} is {printer['status']}"
        time.sleep(0.25)


def test_dashboard_shows_the_fleet_and_its_buttons_work(
    page: Page, dev_setup: dict[str, Any]
) -> None:
    """Every card renders; Pause and Resume act on the printer and enter its history."""
    config = load_dashboard()
    stored = api(
        dev_setup, lambda ha: ha.ws("lovelace/config", url_path=DASHBOARD_URL_PATH)
    )
    # Against the simulator's fleet the file is installed as it is.
    assert stored == config
    sim_url = dev_setup["simulator_url"]
    sim = simulator_state(sim_url)
    states = api(dev_setup, lambda ha: ha.states())
    # Only what a printer lacks is missing (the Prusa has no camera and no slots):
    # those cards hide themselves.
    missing = entity_ids(config) - set(states)
    assert all(
        entity_id.endswith(OPTIONAL) and ".prusa_mk4_" in entity_id
        for entity_id in missing
    ), missing
    page.set_viewport_size({"width": 1200, "height": 1900})  # the whole view at once
    log_in(page, dev_setup)
    page.goto(f"{dev_setup['url']}{dev_setup['dashboard']}")
    page.locator("hui-sections-view").wait_for()
    for printer in sim["printers"]:
        see(page, printer["name"])
    see(page, "Healthy")
    assert card_problems(page) == []

    printer = next(p for p in sim["printers"] if p["status"] == "printing")
    section = page.locator("hui-grid-section").filter(
        has=page.get_by_text(printer["name"], exact=True)
    )
    press(section, "Pause")
    wait_for_status(sim_url, printer["id"], "paused")
    # The Pause tile goes and the Resume tile comes once Home Assistant knows.
    press(section, "Resume")
    wait_for_status(sim_url, printer["id"], "printing")
    for event in ("Paused", "Resumed"):
        section.get_by_text(event, exact=True).wait_for()
    # The printer's camera card shows its picture, through the camera proxy.
    picture = section.locator(
        'hui-picture-entity-card img[src*="/api/camera_proxy/camera."]'
    ).first
    picture.wait_for()
    deadline = time.monotonic() + STATE_TIMEOUT
    while not picture.evaluate("(img) => img.complete && img.naturalWidth > 0"):
        assert time.monotonic() < deadline, "the camera card shows no picture"
        page.wait_for_timeout(250)
    pause = section.locator("hui-card-features").get_by_role("button", name="Pause")
    pause.wait_for()
    deadline = time.monotonic() + STATE_TIMEOUT
    while not pause.is_enabled():  # the pressed state of the button fades out
        assert time.monotonic() < deadline, "the Pause button stays disabled"
        page.wait_for_timeout(250)
    assert card_problems(page) == []

    page.wait_for_timeout(1500)  # let the cards settle before the picture
    bottom = max(
        box["y"] + box["height"]
        for box in (s.bounding_box() for s in page.locator("hui-grid-section").all())
        if box is not None
    )
    clip: FloatRect = {"x": 0, "y": 0, "width": 1200, "height": min(bottom + 24, 1900)}
    save_screenshot(page.screenshot(clip=clip), "dashboard.png")
