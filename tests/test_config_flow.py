"""Tests for the Printernizer config flow, against the simulator."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.config_entries import SOURCE_HASSIO, SOURCE_USER
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.printernizer.api import RetryPolicy
from custom_components.printernizer.config_flow import CONF_PROXY_AUTH
from custom_components.printernizer.const import CONF_TOKEN, DOMAIN
from tests.simulator import Simulator

pytestmark = pytest.mark.usefixtures("mock_setup_entry")


@pytest.fixture
def mock_setup_entry():
    """Keep the flow tests to the flow: don't set the created entry up."""
    with patch(
        "custom_components.printernizer.async_setup_entry", return_value=True
    ) as mock:
        yield mock


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
    """A reachable Printernizer server becomes an entry titled after its host."""
    flow_id = await _start_user_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _user_input(f"{simulator.url}/")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Printernizer (127.0.0.1)"
    assert result["data"] == {CONF_URL: simulator.url, CONF_VERIFY_SSL: True}
    assert result["result"].unique_id == f"http://127.0.0.1:{simulator.port}"
    assert simulator.request_count("/api/v1/health") == 1


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


async def test_reconfigure_updates_url(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry
) -> None:
    """Reconfigure accepts a new form of the same server's URL and credentials."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input(f"{simulator.url}/", **{CONF_TOKEN: "t0k"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert config_entry.data == {
        CONF_URL: simulator.url,
        CONF_VERIFY_SSL: True,
        CONF_TOKEN: "t0k",
    }


async def test_reconfigure_rejects_another_server(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry
) -> None:
    """Reconfigure cannot move an entry to a different server."""
    config_entry.add_to_hass(hass)
    result = await config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _user_input("http://192.0.2.1:8000")
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "another_server"
    assert config_entry.data[CONF_URL] == simulator.url


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
    """The add-on's announcement leads to a confirm step and an entry."""
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
    assert result["data"] == {CONF_URL: simulator.url, CONF_VERIFY_SSL: True}


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


async def test_hassio_discovery_updates_existing_entry(
    hass: HomeAssistant, simulator: Simulator, config_entry: MockConfigEntry
) -> None:
    """A known server announced again aborts, without a second entry."""
    config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_HASSIO},
        data=_discovery({CONF_URL: simulator.url}),
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_hassio_discovery_without_address(hass: HomeAssistant) -> None:
    """An announcement without host and port cannot be used."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_HASSIO}, data=_discovery({"addon": "x"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "invalid_discovery_info"
