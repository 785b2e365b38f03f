"""Constants for the Printernizer integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "printernizer"
LOGGER = logging.getLogger(__package__)

MANUFACTURER: Final = "Printernizer"


HEALTH_SCAN_INTERVAL: Final = timedelta(seconds=30)
# The oldest server release the integration supports; older ones get a repair issue.
MIN_SERVER_VERSION: Final = (2, 0, 0)
# The health check that gates setup gives up after this long; Home Assistant retries.
HEALTH_SETUP_TIMEOUT: Final = 15.0

# Unload budget: after the platforms, every component stops in parallel with its own bound.
SHUTDOWN_TIMEOUT_PRINTERS: Final = 15.0
SHUTDOWN_TIMEOUT_DEFAULT: Final = 5.0
