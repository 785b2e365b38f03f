"""Actions: print a library file on a printer, and list the library's files.

`print_library_file` checks what it can before anything is sent (the printer is known,
its state is current, it is neither printing nor offline, the file resolves to one
printable library file) and then sends the print request once: the client never
repeats a write that may have reached the server, and gives the server
`PRINT_FILE_DEADLINE` seconds to upload the file before it answers. Every refusal,
from the checks or from the server, is a translated error.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final, cast

from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
import probatio

from .api import (
    PRINT_FILE_DEADLINE,
    LibraryFile,
    PrinternizerCancelledError,
    PrinternizerError,
    PrinternizerNotFoundError,
    PrinternizerRateLimitError,
    PrinternizerRequestError,
    PrinternizerServerError,
    PrinternizerTimeoutError,
    PrinterState,
)
from .const import DOMAIN, LOGGER
from .coordinator import (
    PrinterCoordinator,
    PrinternizerConfigEntry,
    error_translation_key,
)
from .helpers import printer_identifier

SERVICE_PRINT_LIBRARY_FILE: Final = "print_library_file"
SERVICE_GET_LIBRARY_FILES: Final = "get_library_files"

ATTR_FILE: Final = "file"
ATTR_LIMIT: Final = "limit"
ATTR_SEARCH: Final = "search"

#: Files `get_library_files` returns unless told otherwise, and at most.
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 200
#: The server searches file names of at least this many characters.
MIN_SEARCH_LENGTH: Final = 2
#: Files a name is looked for among (one page of the server's listing).
RESOLVE_LIMIT: Final = 200
#: Files an error message names at most.
MAX_NAMED: Final = 10

# A SHA-256 checksum; the server marks duplicates with a suffix after it.
_CHECKSUM_RE = re.compile(r"[0-9a-fA-F]{64}(?:[_-][0-9A-Za-z]+)?")
BUSY_STATES = frozenset({PrinterState.PRINTING, PrinterState.PAUSED})
# The server's messages for a print the printer refused (HTTP 502).
PRINTER_REFUSALS: Final = {
    "Failed to upload file to printer": "print_upload_failed",
    "Uploaded but failed to start print": "print_start_failed",
}

PRINT_LIBRARY_FILE_SCHEMA: Final = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): cv.string,
        probatio.Required(ATTR_FILE): probatio.All(
            cv.string, probatio.Strip, probatio.Length(min=1)
        ),
    }
)
GET_LIBRARY_FILES_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Optional(ATTR_SEARCH): probatio.All(cv.string, probatio.Strip),
        probatio.Optional(ATTR_LIMIT, default=DEFAULT_LIMIT): probatio.All(
            probatio.Coerce(int), probatio.Range(min=1, max=MAX_LIMIT)
        ),
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_PRINT_LIBRARY_FILE,
        _async_print_library_file,
        schema=PRINT_LIBRARY_FILE_SCHEMA,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_LIBRARY_FILES,
        _async_get_library_files,
        schema=GET_LIBRARY_FILES_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )


# ----------------------------------------------------------------------------
# get_library_files


async def _async_get_library_files(call: ServiceCall) -> ServiceResponse:
    """Return the library's files, newest first, optionally matching a search."""
    entry = cast(
        PrinternizerConfigEntry,
        service.async_get_config_entry(
            call.hass, DOMAIN, call.data.get(ATTR_CONFIG_ENTRY_ID)
        ),
    )
    search: str | None = call.data.get(ATTR_SEARCH) or None
    if search is not None and len(search) < MIN_SEARCH_LENGTH:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="library_search_too_short",
            translation_placeholders={"characters": str(MIN_SEARCH_LENGTH)},
        )
    try:
        files = await entry.runtime_data.client.library_files(
            search=search, limit=call.data[ATTR_LIMIT]
        )
    except PrinternizerError as err:
        raise _read_error(err) from err
    return {"files": [_file_response(item) for item in files]}


def _file_response(item: LibraryFile) -> dict[str, Any]:
    return {
        "name": item.name,
        "filename": item.filename,
        "checksum": item.checksum,
        "size": item.size,
        "printable": item.printable,
        "has_thumbnail": item.has_thumbnail,
    }


# ----------------------------------------------------------------------------
# print_library_file


async def _async_print_library_file(call: ServiceCall) -> None:
    """Send a library file to a printer and start it."""
    hass = call.hass
    device, config_entry = service.async_get_device_and_config_entry(
        hass, DOMAIN, call.data[ATTR_DEVICE_ID]
    )
    entry = cast(PrinternizerConfigEntry, config_entry)
    device_name = device.name_by_user or device.name or device.id
    coordinator = _printer_of(entry, device.identifiers, device_name)
    runtime = entry.runtime_data
    printer = coordinator.printer.name
    _check_ready(coordinator)
    if coordinator.printer_id in runtime.prints_in_flight:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="print_in_progress",
            translation_placeholders={"printer": printer},
        )
    runtime.prints_in_flight.add(coordinator.printer_id)
    try:
        wanted: str = call.data[ATTR_FILE]
        checksum = await _async_resolve(entry, wanted)
        # The file lookup took a request: check the printer again before sending.
        _check_ready(coordinator)
        LOGGER.debug("Printing library file %s on %s", wanted, printer)
        try:
            await runtime.client.print_library_file(checksum, coordinator.printer_id)
        except PrinternizerError as err:
            raise _print_error(err, printer, wanted) from err
    finally:
        runtime.prints_in_flight.discard(coordinator.printer_id)
    # Show the new job without waiting for the next push or poll.
    entry.async_create_background_task(
        hass,
        coordinator.async_refresh(),
        f"{DOMAIN} {printer} status after a print",
    )


def _printer_of(
    entry: PrinternizerConfigEntry,
    identifiers: set[tuple[str, str]],
    device_name: str,
) -> PrinterCoordinator:
    """Return the coordinator of the printer a device stands for."""
    for coordinator in entry.runtime_data.printers.printers.values():
        if (DOMAIN, printer_identifier(entry, coordinator.printer_id)) in identifiers:
            return coordinator
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="print_not_a_printer",
        translation_placeholders={"device": device_name},
    )


def _check_ready(coordinator: PrinterCoordinator) -> None:
    """Refuse, before anything is sent, a printer that cannot take a print now."""
    printer = coordinator.printer.name
    if not (coordinator.last_update_success and coordinator.fleet.server_available):
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="print_printer_unavailable",
            translation_placeholders={"printer": printer},
        )
    status = coordinator.status
    if status.state in BUSY_STATES:
        if status.job_name is None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="print_printer_busy",
                translation_placeholders={"printer": printer},
            )
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="print_printer_busy_with",
            translation_placeholders={"printer": printer, "job": status.job_name},
        )
    if status.state is PrinterState.OFFLINE:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="print_printer_offline",
            translation_placeholders={"printer": printer},
        )


async def _async_resolve(entry: PrinternizerConfigEntry, wanted: str) -> str:
    """Return the checksum of the library file `wanted` names.

    A checksum is taken as it is (the server tells an unknown one); a file name is
    looked up with the library's search and must name exactly one printable file.
    """
    if _CHECKSUM_RE.fullmatch(wanted):
        # Hex digits in either case; a duplicate's suffix stays as it is.
        return wanted[:64].lower() + wanted[64:]
    if len(wanted) < MIN_SEARCH_LENGTH:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="library_search_too_short",
            translation_placeholders={"characters": str(MIN_SEARCH_LENGTH)},
        )
    try:
        found = await entry.runtime_data.client.library_files(
            search=wanted, limit=RESOLVE_LIMIT
        )
    except PrinternizerError as err:
        raise _read_error(err) from err
    matches = [item for item in found if item.filename == wanted]
    if not matches:
        if not found:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="library_file_not_found",
                translation_placeholders={"file": wanted},
            )
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="library_file_not_exact",
            translation_placeholders={
                "file": wanted,
                "found": _names(item.filename for item in found),
            },
        )
    if len(matches) > 1:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="library_file_ambiguous",
            translation_placeholders={
                "file": wanted,
                "count": str(len(matches)),
                "found": _names(
                    f"{item.filename} ({item.checksum})" for item in matches
                ),
            },
        )
    match = matches[0]
    if not match.printable:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="library_file_not_printable",
            translation_placeholders={"file": wanted},
        )
    return match.checksum


def _names(names: Any) -> str:
    """Join names for an error message, at most `MAX_NAMED` of them."""
    listed = list(names)
    text = ", ".join(listed[:MAX_NAMED])
    if len(listed) > MAX_NAMED:
        text += f", … ({len(listed) - MAX_NAMED} more)"
    return text


# ----------------------------------------------------------------------------
# Errors


def _read_error(err: PrinternizerError) -> HomeAssistantError:
    """Translate the error of a library read."""
    if isinstance(err, PrinternizerNotFoundError):
        return HomeAssistantError(
            translation_domain=DOMAIN, translation_key="library_unavailable"
        )
    return _client_error(err)


def _client_error(err: PrinternizerError) -> HomeAssistantError:
    """Translate a client error the way the coordinators do."""
    key = error_translation_key(err)
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=(
            None if key == "authentication_failed" else {"error": str(err)}
        ),
    )


def _print_error(
    err: PrinternizerError, printer: str, wanted: str
) -> HomeAssistantError:
    """Translate the server's refusal of a print, or the failure to send it."""
    if isinstance(err, PrinternizerNotFoundError):
        if err.error_code == "LIBRARY_ITEM_NOT_FOUND":
            return ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="library_file_not_found",
                translation_placeholders={"file": wanted},
            )
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="print_printer_not_found",
            translation_placeholders={"printer": printer},
        )
    if isinstance(err, PrinternizerRequestError) and err.status == 400:
        return ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="library_file_not_printable",
            translation_placeholders={"file": wanted},
        )
    if isinstance(err, PrinternizerRateLimitError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="action_rate_limited",
            translation_placeholders={
                "seconds": str(max(1, math.ceil(err.retry_after or 1)))
            },
        )
    if isinstance(err, PrinternizerTimeoutError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="print_timeout",
            translation_placeholders={
                "printer": printer,
                "seconds": f"{PRINT_FILE_DEADLINE:.0f}",
            },
        )
    if isinstance(err, PrinternizerCancelledError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="print_cancelled",
            translation_placeholders={"printer": printer},
        )
    if isinstance(err, PrinternizerServerError | PrinternizerRequestError):
        if (key := PRINTER_REFUSALS.get(err.message or "")) is not None:
            return HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=key,
                translation_placeholders={"printer": printer},
            )
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="print_refused",
            translation_placeholders={
                "printer": printer,
                "reason": err.message or str(err),
            },
        )
    return _client_error(err)
