"""The config flow: the server's URL."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_URL, CONF_VERIFY_SSL
import probatio

from .coordinator import DOMAIN

SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_URL): str,
        probatio.Optional(CONF_VERIFY_SSL, default=True): bool,
    }
)


class PollingConfigFlow(ConfigFlow, domain=DOMAIN):
    """Ask for the server's URL."""

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Create the entry from the URL."""
        if user_input is None:
            return self.async_show_form(step_id="user", data_schema=SCHEMA)
        return self.async_create_entry(title="Printernizer", data=user_input)
