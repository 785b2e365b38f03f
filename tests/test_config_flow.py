"""Tests for the Printernizer config flow, against the simulator."""

from __future__ import annotations

from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_HASSIO, SOURCE_USER
from homeassistant.const import (
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.printernizer.api import RetryPolicy
from custom_components.printernizer.config_flow import CONF_PROXY_AUTH
from custom_components.printernizer.const import DOMAIN
from tests.simulator import Simulator

pytestmark = pytest.mark.usefixtures("mock_setup_entry", "no_addon")


@pytest.fixture
def mock_setup_entry():
    """Keep the flow tests to the flow: don't set the created entry up."""
    with patch(
        "custom_components.printernizer.async_setup_entry", return_value=True
    ) as mock:
        yield mock


@pytest.fixture
def no_addon(socket_enabled: None):
    """Nothing listens where the add-on would (unless a test says otherwise)."""
    with patch(
        "custom_components.printernizer.config_flow.ADDON_URL", "http://127.0.0.1:9"
    ):
        yield


def _user_input(url: str, **proxy: str) -> dict[str, object]:
    return {CONF_URL: url, CONF_VERIFY_SSL: True, CONF_PROXY_AUTH: proxy}


async def _start_user_flow(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result["flow_id"]


async def test_user_flow_creates_entry(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """The first server is plain "Printernizer"; the server has no id to use."""
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _user_input(f"{simulator.url}/")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Printernizer"
    assert result["data"] == {CONF_URL: simulator.url, CONF_VERIFY_SSL: True}
    assert result["result"].unique_id is None
    assert simulator.request_count("/api/v1/health") == 1


@pytest.mark.parametrize(
    ("other_url", "title"),
    [
        ("http://192.0.2.7:8000", "Printernizer (127.0.0.1)"),
        # Another server on the same host: the port tells them apart.
        ("http://127.0.0.1:8000", "Printernizer (127.0.0.1:{port})"),
    ],
)
async def test_further_servers_are_named_by_host(
    hass: HomeAssistant, simulator: Simulator, other_url: str, title: str
) -> None:
    """A second server's title (and so hub device and entity ids) names its host."""
    MockConfigEntry(
        domain=DOMAIN,
        title="Printernizer",
        data={CONF_URL: other_url, CONF_VERIFY_SSL: True},
    ).add_to_hass(hass)
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _user_input(simulator.url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title.format(port=simulator.port)


async def test_user_flow_adds_scheme_and_keeps_proxy_credentials(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """A URL without scheme gets http://; filled-in proxy credentials are stored."""
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        _user_input(
            f"127.0.0.1:{simulator.port}",
            **{CONF_USERNAME: "ha", CONF_PASSWORD: "pw", CONF_TOKEN: ""},
        ),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        CONF_URL: simulator.url,
        CONF_VERIFY_SSL: True,
        CONF_USERNAME: "ha",
        CONF_PASSWORD: "pw",
    }
    # The credentials travel as HTTP basic auth, for a reverse proxy.
    assert simulator.requests[-1].authorization == "Basic aGE6cHc="


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"kind": "wrong_shape"}, "not_printernizer"),
        ({"kind": "malformed"}, "not_printernizer"),
        ({"kind": "status", "status": 500}, "cannot_connect"),
        ({"kind": "status", "status": 502}, "cannot_connect"),
        ({"kind": "status", "status": 401}, "invalid_auth"),
        ({"kind": "reset"}, "cannot_connect"),
    ],
)
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant, simulator: Simulator, fault: dict[str, object], error: str
) -> None:
    """Each failure shows its error in the form; the user can retry and succeed."""
    flow_id = await _start_user_flow(hass)
    simulator.fault(path="/api/v1/health", **fault)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _user_input(simulator.url)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}

    simulator.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        flow_id, _user_input(simulator.url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_server_down(hass: HomeAssistant, simulator: Simulator) -> None:
    """A server that refuses connections gives cannot_connect."""
    await simulator.go_down()
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _user_input(simulator.url)
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_flow_timeout(hass: HomeAssistant, simulator: Simulator) -> None:
    """A server that accepts but never answers gives timeout, within the flow's deadline."""
    simulator.fault(path="/api/v1/health", kind="hang")
    flow_id = await _start_user_flow(hass)
    with patch(
        "custom_components.printernizer.config_flow.FLOW_RETRY",
        RetryPolicy(max_attempts=1, deadline=0.3),
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, _user_input(simulator.url)
        )
    assert result["errors"] == {"base": "timeout"}
    simulator.clear_faults()


async def test_user_flow_not_a_printernizer_server(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Something that answers 404 at the health path is not Printernizer."""
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _user_input(f"{simulator.url}/some/other/app")
    )
    assert result["errors"] == {"base": "not_printernizer"}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://printernizer.local",
        "http://",
        "http://u:p@host:8000",
        "http://[::1",
        "printernizer.local:99999",
    ],
)
async def test_user_flow_invalid_url(hass: HomeAssistant, url: str) -> None:
    """A URL that cannot address a server is rejected before any request."""
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, _user_input(url))
    assert result["errors"] == {CONF_URL: "invalid_url"}


async def test_user_flow_unexpected_error(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """An unexpected error is reported as unknown and logged."""
    flow_id = await _start_user_flow(hass)
    with patch(
        "custom_components.printernizer.api.PrinternizerClient.health",
        side_effect=RuntimeError("boom"),
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, _user_input(simulator.url)
        )
    assert result["errors"] == {"base": "unknown"}


async def test_user_flow_duplicate_aborts(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry
) -> None:
    """The same server (after normalisation) cannot be added twice."""
    config_entry.add_to_hass(hass)
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _user_input(f"HTTP://127.0.0.1:{simulator.port}/")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reconfigure_moves_to_another_address(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """The server moved: any URL that answers as Printernizer is accepted."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Printernizer (192.0.2.7)",
        minor_version=2,
        data={CONF_URL: "http://192.0.2.7:8000", CONF_VERIFY_SSL: True},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(f"{simulator.url}/", **{CONF_TOKEN: "t0k"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {
        CONF_URL: simulator.url,
        CONF_VERIFY_SSL: True,
        CONF_TOKEN: "t0k",
    }
    # A title that named the old host names the new one.
    assert entry.title == "Printernizer (127.0.0.1)"


async def test_reconfigure_keeps_a_title_the_user_chose(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Only a title the integration made follows the move."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Workshop",
        minor_version=2,
        data={CONF_URL: "http://192.0.2.7:8000", CONF_VERIFY_SSL: True},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator.url)
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.title == "Workshop"


@pytest.mark.parametrize(
    ("stored", "form", "kept"),
    [
        # An empty password for the same user keeps the stored one.
        (
            {CONF_USERNAME: "ha", CONF_PASSWORD: "s3cret"},
            {CONF_USERNAME: "ha"},
            {CONF_USERNAME: "ha", CONF_PASSWORD: "s3cret"},
        ),
        # Another user brings their own password (none, here).
        (
            {CONF_USERNAME: "ha", CONF_PASSWORD: "s3cret"},
            {CONF_USERNAME: "other"},
            {CONF_USERNAME: "other"},
        ),
        # An empty token keeps the stored one.
        ({CONF_TOKEN: "t0k"}, {}, {CONF_TOKEN: "t0k"}),
        # A new password replaces the stored one.
        (
            {CONF_USERNAME: "ha", CONF_PASSWORD: "s3cret"},
            {CONF_USERNAME: "ha", CONF_PASSWORD: "new"},
            {CONF_USERNAME: "ha", CONF_PASSWORD: "new"},
        ),
    ],
)
async def test_reconfigure_never_shows_and_keeps_secrets(
    hass: HomeAssistant,
    simulator: Simulator,
    stored: dict[str, str],
    form: dict[str, str],
    kept: dict[str, str],
) -> None:
    """Secrets are not put into the form; leaving them empty keeps them."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Printernizer",
        minor_version=2,
        data={CONF_URL: simulator.url, CONF_VERIFY_SSL: True, **stored},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    for key in result["data_schema"].schema[CONF_PROXY_AUTH].schema.schema:
        suggested = (key.description or {}).get("suggested_value")
        assert suggested in (None, "", stored.get(CONF_USERNAME)), key
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator.url, **form)
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == {CONF_URL: simulator.url, CONF_VERIFY_SSL: True, **kept}


async def test_reconfigure_refuses_another_entrys_url(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry
) -> None:
    """Two entries cannot point at the same server."""
    config_entry.add_to_hass(hass)
    other = MockConfigEntry(
        domain=DOMAIN,
        title="Printernizer (192.0.2.7)",
        minor_version=2,
        data={CONF_URL: "http://192.0.2.7:8000", CONF_VERIFY_SSL: True},
    )
    other.add_to_hass(hass)
    result = await other.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator.url)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert other.data[CONF_URL] == "http://192.0.2.7:8000"


async def test_reconfigure_shows_errors(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry
) -> None:
    """Reconfigure validates like the user step."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input("not a url://")
    )
    assert result["errors"] == {CONF_URL: "invalid_url"}
    simulator.fault(path="/api/v1/health", kind="wrong_shape")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(simulator.url)
    )
    assert result["errors"] == {"base": "not_printernizer"}


async def test_reauth_flow(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry
) -> None:
    """Reauth asks for new proxy credentials and keeps the rest of the entry."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    simulator.fault(path="/api/v1/health", kind="status", status=403, count=1)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "ha", CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "ha", CONF_PASSWORD: "right"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert config_entry.data == {
        CONF_URL: simulator.url,
        CONF_VERIFY_SSL: True,
        CONF_USERNAME: "ha",
        CONF_PASSWORD: "right",
    }


def _discovery(config: dict[str, object]) -> HassioServiceInfo:
    return HassioServiceInfo(
        config=config, name="Printernizer", slug="printernizer", uuid="1234"
    )


async def test_hassio_discovery(hass: HomeAssistant, simulator: Simulator) -> None:
    """The add-on's announcement leads to a confirm step and an entry of the add-on."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_HASSIO},
        data=_discovery({"host": "127.0.0.1", "port": simulator.port}),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "hassio_confirm"
    assert result["description_placeholders"] == {"addon": "Printernizer"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Printernizer"
    assert result["data"] == {CONF_URL: simulator.url, CONF_VERIFY_SSL: True}
    assert result["result"].unique_id == "printernizer"


async def test_hassio_discovery_server_not_ready(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """A confirm while the add-on still starts shows cannot_connect."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_HASSIO},
        data=_discovery({CONF_URL: simulator.url}),
    )
    await simulator.go_down()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}


async def test_hassio_discovery_of_a_configured_url_aborts(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry
) -> None:
    """A server already added by hand is not offered again."""
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_HASSIO},
        data=_discovery({CONF_URL: simulator.url}),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_hassio_discovery_updates_its_entry(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """The add-on announced under a new address: its entry follows, no new one."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Printernizer",
        unique_id="printernizer",
        minor_version=2,
        data={CONF_URL: "http://192.0.2.7:8000", CONF_VERIFY_SSL: True},
    )
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_HASSIO},
        data=_discovery({"host": "127.0.0.1", "port": simulator.port}),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_URL] == simulator.url
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_hassio_discovery_without_address(hass: HomeAssistant) -> None:
    """An announcement without host and port cannot be used."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery({"addon": "x"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"


async def test_form_suggests_the_addon_when_it_answers(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Where the add-on listens and Printernizer answers, the URL is filled in."""
    with patch("custom_components.printernizer.config_flow.ADDON_URL", simulator.url):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
    assert _suggested_url(result) == simulator.url
    assert simulator.request_count("/api/v1/health") == 1


async def test_form_suggests_nothing_without_the_addon(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """Nothing answering, or something that is not Printernizer: no suggestion."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert _suggested_url(result) is None
    simulator.fault(path="/api/v1/health", kind="wrong_shape")
    with patch("custom_components.printernizer.config_flow.ADDON_URL", simulator.url):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
    assert _suggested_url(result) is None


async def test_form_does_not_wait_for_a_hung_addon(
    hass: HomeAssistant, simulator: Simulator
) -> None:
    """A hung address delays the form by the probe's bound at most."""
    hang = simulator.fault(path="/api/v1/health", kind="hang")
    with (
        patch("custom_components.printernizer.config_flow.ADDON_URL", simulator.url),
        patch("custom_components.printernizer.config_flow.ADDON_PROBE_TIMEOUT", 0.2),
    ):
        started = hass.loop.time()
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
    assert hass.loop.time() - started < 2
    assert result["type"] is FlowResultType.FORM
    assert _suggested_url(result) is None
    hang.clear()


async def test_form_skips_the_addon_already_configured(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry
) -> None:
    """The add-on's address is not suggested (or even tried) once it is an entry."""
    config_entry.add_to_hass(hass)
    with patch("custom_components.printernizer.config_flow.ADDON_URL", simulator.url):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
    assert _suggested_url(result) is None
    assert simulator.request_count("/api/v1/health") == 0


def _suggested_url(result: Any) -> str | None:
    for key in result["data_schema"].schema:
        if key == CONF_URL:
            return (key.description or {}).get("suggested_value")
    raise AssertionError("no URL field")
