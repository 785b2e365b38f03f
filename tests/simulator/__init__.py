"""A fake Printernizer server for tests and the development command.

It follows the server's contract (../shared/printernizer-api/CONTRACT.md), runs over
real sockets with aiohttp and the standard library only, and misbehaves on demand (see
`FaultKind`). See README.md in this folder for an overview.
"""

from .faults import Fault, FaultKind
from .printers import PrinterActionError, SimPrinter
from .server import RecordedRequest, Simulator, default_fleet

__all__ = [
    "Fault",
    "FaultKind",
    "PrinterActionError",
    "RecordedRequest",
    "SimPrinter",
    "Simulator",
    "default_fleet",
]
