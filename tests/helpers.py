"""Small helpers shared by the integration's tests."""

from __future__ import annotations

from homeassistant.core import HomeAssistant


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state, failing the test when the entity does not exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state
