"""Small helpers shared by the integration's tests."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.core import HomeAssistant


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return an entity's state, failing the test when the entity does not exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def image_proxy(client: Any, entity_id: str) -> tuple[str, bytes]:
    """Return an image entity's content type and bytes, as a browser gets them."""
    response = await client.get(f"/api/image_proxy/{entity_id}")
    assert response.status == 200
    return response.content_type, bytes(await response.read())


# The event stream runs for as long as the entry is loaded: never wait for it.
LONG_LIVED_TASKS = frozenset({"printernizer event stream"})


def _pending_work() -> list[asyncio.Task[object]]:
    """Return the integration's background work in progress.

    That is every task whose name starts with the domain (the entry's own tasks and
    its coordinators' scheduled refreshes) or that ends a debouncer's cooldown.
    """
    current = asyncio.current_task()
    return [
        task
        for task in asyncio.all_tasks()
        if task is not current
        and not task.done()
        and task.get_name() not in LONG_LIVED_TASKS
        and task.get_name().startswith(("printernizer", "debouncer"))
    ]


async def block_till_done(hass: HomeAssistant) -> None:
    """Wait until Home Assistant and the integration's background work are done.

    Home Assistant's `wait_background_tasks=True` would wait for the event stream,
    which never ends while the entry is loaded.
    """
    while True:
        await hass.async_block_till_done()
        if not (pending := _pending_work()):
            return
        await asyncio.wait(pending)
