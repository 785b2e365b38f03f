"""Config flow for the Printernizer integration.

The server has no id of its own, so entries have no unique id: the same URL cannot
be added twice, reconfigure accepts any URL that answers as Printernizer (the
server moved), and an entry found through the Home Assistant add-on is recognised
by the add-on's slug, whose discovery updates the entry's URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, override

from homeassistant.config_entries import ConfigEntry, ConfigFlow, ConfigFlowResult
from homeassistant.const import (
    CONF_PASSWORD,
    CONF_TOKEN,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
)
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
)
from .const import DOMAIN, LOGGER
from .helpers import create_client

CONF_PROXY_AUTH = "proxy_auth"
CREDENTIAL_KEYS = (CONF_USERNAME, CONF_PASSWORD, CONF_TOKEN)
EXAMPLE_URL = "http://printernizer.local:8000"
# Where the Printernizer add-on listens: it runs on the host network, port 8000.
ADDON_URL = "http://127.0.0.1:8000"
# How long the form waits for the add-on's address to answer before it shows up.
ADDON_PROBE_TIMEOUT = 2.0
TITLE = "Printernizer"
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


def entry_title(url: URL, others: list[ConfigEntry]) -> str:
    """Return the title of a new entry: it names the hub device and its entity ids.

    A single server is plain "Printernizer"; further ones are told apart by host,
    and by port where another entry has the same host.
    """
    if not others:
        return TITLE
    if any(URL(other.data[CONF_URL]).host == url.host for other in others):
        return f"{TITLE} ({url.host}:{url.port})"
    return f"{TITLE} ({url.host})"


def merge_credentials(
    form: Mapping[str, Any], stored: Mapping[str, Any]
) -> dict[str, str]:
    """Return the proxy credentials a form asks for; an empty secret keeps the stored.

    Secrets are never shown in a form, so leaving the password (for the same user)
    or the token empty means "keep it".
    """
    username = form.get(CONF_USERNAME) or None
    if username is not None:
        password = form.get(CONF_PASSWORD) or None
        if password is None and username == stored.get(CONF_USERNAME):
            password = stored.get(CONF_PASSWORD)
        return {
            key: value
            for key, value in ((CONF_USERNAME, username), (CONF_PASSWORD, password))
            if value
        }
    token = form.get(CONF_TOKEN) or stored.get(CONF_TOKEN)
    return {CONF_TOKEN: token} if token else {}


class PrinternizerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle a config flow for Printernizer."""

    VERSION = 1
    MINOR_VERSION = 2

    _discovery: HassioServiceInfo | None = None
    _discovered_url: URL | None = None

    async def _async_validate(
        self, url: URL, verify_ssl: bool, creds: Mapping[str, Any]
    ) -> dict[str, str]:
        """Ask the server for its health report; return the form errors, if any."""
        client = create_client(
            self.hass,
            {CONF_URL: str(url), CONF_VERIFY_SSL: verify_ssl, **creds},
            retry=FLOW_RETRY,
        )
        try:
            await client.health()
        except PrinternizerAuthenticationError:
            return {"base": "invalid_auth"}
        except PrinternizerTimeoutError:
            return {"base": "timeout"}
        except PrinternizerNotFoundError, PrinternizerResponseError:
            # Something answers at that address, but not as Printernizer does.
            return {"base": "not_printernizer"}
        except PrinternizerError:
            return {"base": "cannot_connect"}
        except Exception:  # noqa: BLE001
            LOGGER.exception(
                "Unexpected error while contacting the Printernizer server"
            )
            return {"base": "unknown"}
        return {}

    async def _async_check_form(
        self, user_input: Mapping[str, Any], stored: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Check the URL form; return the entry data, or the errors to show.

        A URL another entry already uses aborts the flow.
        """
        creds = merge_credentials(user_input.get(CONF_PROXY_AUTH, {}), stored)
        try:
            url = normalize_url(user_input[CONF_URL])
        except InvalidUrlError:
            return {}, {CONF_URL: "invalid_url"}
        self._async_abort_entries_match({CONF_URL: str(url)})
        verify_ssl = user_input[CONF_VERIFY_SSL]
        errors = await self._async_validate(url, verify_ssl, creds)
        return {CONF_URL: str(url), CONF_VERIFY_SSL: verify_ssl, **creds}, errors

    async def _async_addon_url(self) -> str | None:
        """Return the add-on's usual address when Printernizer answers there.

        The add-on announces nothing to Home Assistant, so the form looks for it
        where it listens, briefly: the form must not wait on it.
        """
        if any(
            entry.data[CONF_URL] == ADDON_URL
            for entry in self.hass.config_entries.async_entries(DOMAIN)
        ):
            return None
        client = create_client(
            self.hass, {CONF_URL: ADDON_URL, CONF_VERIFY_SSL: True}, retry=FLOW_RETRY
        )
        try:
            async with asyncio.timeout(ADDON_PROBE_TIMEOUT):
                await client.health()
        except Exception as err:  # noqa: BLE001 - a probe: no answer is no suggestion
            LOGGER.debug("No Printernizer add-on at %s: %s", ADDON_URL, err)
            return None
        return ADDON_URL

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server's URL, suggesting the add-on's when it answers."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = await self._async_check_form(user_input, {})
            if not errors:
                return self.async_create_entry(
                    title=entry_title(
                        URL(data[CONF_URL]),
                        self.hass.config_entries.async_entries(DOMAIN),
                    ),
                    data=data,
                )
            suggested: Mapping[str, Any] = user_input
        else:
            addon_url = await self._async_addon_url()
            suggested = {CONF_URL: addon_url} if addon_url else {}
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, suggested),
            errors=errors,
            description_placeholders={"example_url": EXAMPLE_URL},
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Let the user change the URL (the server moved) or the credentials."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data, errors = await self._async_check_form(user_input, entry.data)
            if not errors:
                return self.async_update_reload_and_abort(
                    entry,
                    data=data,
                    title=_moved_title(entry, URL(data[CONF_URL])),
                )
        suggested = {
            CONF_URL: (user_input or entry.data)[CONF_URL],
            CONF_VERIFY_SSL: (user_input or entry.data)[CONF_VERIFY_SSL],
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
            creds = merge_credentials(user_input, entry.data)
            errors = await self._async_validate(
                URL(entry.data[CONF_URL]), entry.data[CONF_VERIFY_SSL], creds
            )
            if not errors:
                data = {
                    key: value
                    for key, value in entry.data.items()
                    if key not in CREDENTIAL_KEYS
                }
                return self.async_update_reload_and_abort(entry, data={**data, **creds})
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                PROXY_AUTH_SCHEMA,
                {CONF_USERNAME: (user_input or entry.data).get(CONF_USERNAME, "")},
            ),
            errors=errors,
            description_placeholders={"url": entry.data[CONF_URL]},
        )

    @override
    async def async_step_hassio(
        self, discovery_info: HassioServiceInfo
    ) -> ConfigFlowResult:
        """Offer the server that a Home Assistant add-on announced.

        An entry of the same add-on follows the announced address.
        """
        config = discovery_info.config
        try:
            if raw := config.get(CONF_URL):
                url = normalize_url(str(raw))
            else:
                url = normalize_url(f"{config['host']}:{config['port']}")
        except InvalidUrlError, KeyError:
            return self.async_abort(reason="invalid_discovery_info")
        await self.async_set_unique_id(discovery_info.slug)
        self._abort_if_unique_id_configured(updates={CONF_URL: str(url)})
        self._async_abort_entries_match({CONF_URL: str(url)})
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
            errors = await self._async_validate(url, True, {})
            if not errors:
                return self.async_create_entry(
                    title=entry_title(
                        url, self.hass.config_entries.async_entries(DOMAIN)
                    ),
                    data={CONF_URL: str(url), CONF_VERIFY_SSL: True},
                )
        self._set_confirm_only()
        return self.async_show_form(
            step_id="hassio_confirm",
            errors=errors,
            description_placeholders={"addon": self._discovery.name},
        )


def _moved_title(entry: ConfigEntry, url: URL) -> str:
    """Return the entry's title after a move: a title naming the old host follows."""
    old = URL(entry.data[CONF_URL])
    if entry.title == f"{TITLE} ({old.host})":
        return f"{TITLE} ({url.host})"
    if entry.title == f"{TITLE} ({old.host}:{old.port})":
        return f"{TITLE} ({url.host}:{url.port})"
    return entry.title
