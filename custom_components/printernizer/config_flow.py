"""Config flow for the Printernizer integration."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, override

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.hassio import HassioServiceInfo
import probatio
from yarl import URL

from .api import (
    PrinternizerAuthenticationError,
    PrinternizerError,
    PrinternizerNotFoundError,
    PrinternizerResponseError,
    PrinternizerTimeoutError,
    RetryPolicy,
    ServerHealth,
)
from .const import CONF_TOKEN, DOMAIN, LOGGER
from .helpers import create_client

CONF_PROXY_AUTH = "proxy_auth"
EXAMPLE_URL = "http://printernizer.local:8000"
# A flow answers the user quickly: one attempt, bounded well below the form's patience.
FLOW_RETRY = RetryPolicy(max_attempts=1, deadline=15.0)

PROXY_AUTH_SCHEMA = probatio.Schema(
    {
        probatio.Optional(CONF_USERNAME): TextSelector(
            TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
        ),
        probatio.Optional(CONF_PASSWORD): TextSelector(
            TextSelectorConfig(
                type=TextSelectorType.PASSWORD, autocomplete="current-password"
            )
        ),
        probatio.Optional(CONF_TOKEN): TextSelector(
            TextSelectorConfig(type=TextSelectorType.PASSWORD)
        ),
    }
)
USER_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_URL): TextSelector(
            TextSelectorConfig(type=TextSelectorType.URL, autocomplete="url")
        ),
        probatio.Required(CONF_VERIFY_SSL, default=True): bool,
        probatio.Required(CONF_PROXY_AUTH): section(
            PROXY_AUTH_SCHEMA, {"collapsed": True}
        ),
    }
)


class InvalidUrlError(ValueError):
    """The URL the user typed is not an http(s) URL with a host."""


def normalize_url(raw: str) -> URL:
    """Return the server URL with scheme, lower-case host and no trailing slash."""
    text = raw.strip()
    if "://" not in text:
        text = f"http://{text}"
    try:
        url = URL(text)
    except ValueError as err:
        raise InvalidUrlError from err
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidUrlError
    if url.user or url.password:
        raise InvalidUrlError
    path = url.path.rstrip("/")
    return URL.build(scheme=url.scheme, host=url.host.lower(), port=url.port, path=path)


def server_unique_id(url: URL) -> str:
    """Identify a server by scheme, host and port (it has no serial of its own)."""
    return f"{url.scheme}://{url.host}:{url.port}"


def credentials(data: Mapping[str, Any]) -> dict[str, str]:
    """Keep only the proxy credentials that were filled in."""
    return {
        key: value
        for key in (CONF_USERNAME, CONF_PASSWORD, CONF_TOKEN)
        if (value := data.get(key))
    }


class PrinternizerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle a config flow for Printernizer."""

    VERSION = 1

    _discovery: HassioServiceInfo | None = None
    _discovered_url: URL | None = None

    async def _async_validate(
        self, url: URL, verify_ssl: bool, creds: Mapping[str, Any]
    ) -> tuple[ServerHealth | None, dict[str, str]]:
        """Ask the server for its health report; return it or the form errors."""
        client = create_client(
            self.hass,
            {CONF_URL: str(url), CONF_VERIFY_SSL: verify_ssl, **creds},
            retry=FLOW_RETRY,
        )
        try:
            health = await client.health()
        except PrinternizerAuthenticationError:
            return None, {"base": "invalid_auth"}
        except PrinternizerTimeoutError:
            return None, {"base": "timeout"}
        except PrinternizerNotFoundError, PrinternizerResponseError:
            # Something answers at that address, but not as Printernizer does.
            return None, {"base": "not_printernizer"}
        except PrinternizerError:
            return None, {"base": "cannot_connect"}
        except Exception:  # noqa: BLE001
            LOGGER.exception(
                "Unexpected error while contacting the Printernizer server"
            )
            return None, {"base": "unknown"}
        return health, {}

    async def _async_check_form(
        self, user_input: Mapping[str, Any], check_unique_id: Callable[[], None]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Check the URL form; return the entry data, or the errors to show.

        `check_unique_id` applies the step's rule once the server's identity is
        known: a new server for the user step, the same one for reconfigure.
        """
        creds = credentials(user_input.get(CONF_PROXY_AUTH, {}))
        try:
            url = normalize_url(user_input[CONF_URL])
        except InvalidUrlError:
            return {}, {CONF_URL: "invalid_url"}
        await self.async_set_unique_id(server_unique_id(url))
        check_unique_id()
        verify_ssl = user_input[CONF_VERIFY_SSL]
        _, errors = await self._async_validate(url, verify_ssl, creds)
        return {CONF_URL: str(url), CONF_VERIFY_SSL: verify_ssl, **creds}, errors

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server's URL."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = await self._async_check_form(
                user_input, self._abort_if_unique_id_configured
            )
            if not errors:
                return self.async_create_entry(
                    title=f"Printernizer ({URL(data[CONF_URL]).host})", data=data
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
            description_placeholders={"example_url": EXAMPLE_URL},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user change the URL or credentials of the same server."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = await self._async_check_form(
                user_input,
                lambda: self._abort_if_unique_id_mismatch(reason="another_server"),
            )
            if not errors:
                return self.async_update_reload_and_abort(entry, data=data)
        suggested = user_input or {
            CONF_URL: entry.data[CONF_URL],
            CONF_VERIFY_SSL: entry.data[CONF_VERIFY_SSL],
            CONF_PROXY_AUTH: {CONF_USERNAME: entry.data.get(CONF_USERNAME, "")},
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, suggested),
            errors=errors,
            description_placeholders={"example_url": EXAMPLE_URL},
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start re-authentication when the proxy in front of the server refuses us."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for new proxy credentials."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            creds = credentials(user_input)
            _, errors = await self._async_validate(
                URL(entry.data[CONF_URL]), entry.data[CONF_VERIFY_SSL], creds
            )
            if not errors:
                data = {
                    key: value
                    for key, value in entry.data.items()
                    if key not in (CONF_USERNAME, CONF_PASSWORD, CONF_TOKEN)
                }
                return self.async_update_reload_and_abort(entry, data={**data, **creds})
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                PROXY_AUTH_SCHEMA,
                user_input or {CONF_USERNAME: entry.data.get(CONF_USERNAME, "")},
            ),
            errors=errors,
            description_placeholders={"url": entry.data[CONF_URL]},
        )

    @override
    async def async_step_hassio(
        self, discovery_info: HassioServiceInfo
    ) -> ConfigFlowResult:
        """Offer the server that a Home Assistant add-on announced."""
        config = discovery_info.config
        try:
            if raw := config.get(CONF_URL):
                url = normalize_url(str(raw))
            else:
                url = normalize_url(f"{config['host']}:{config['port']}")
        except InvalidUrlError, KeyError:
            return self.async_abort(reason="invalid_discovery_info")
        await self.async_set_unique_id(server_unique_id(url))
        self._abort_if_unique_id_configured(updates={CONF_URL: str(url)})
        self._discovery = discovery_info
        self._discovered_url = url
        return await self.async_step_hassio_confirm()

    async def async_step_hassio_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm the add-on's server."""
        assert self._discovery is not None
        assert self._discovered_url is not None
        url = self._discovered_url
        errors: dict[str, str] = {}
        if user_input is not None:
            _, errors = await self._async_validate(url, True, {})
            if not errors:
                return self.async_create_entry(
                    title=f"Printernizer ({self._discovery.name})",
                    data={CONF_URL: str(url), CONF_VERIFY_SSL: True},
                )
        self._set_confirm_only()
        return self.async_show_form(
            step_id="hassio_confirm",
            errors=errors,
            description_placeholders={"addon": self._discovery.name},
        )
