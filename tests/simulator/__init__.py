"""A fake Printernizer server for tests and the development command.

It follows the server's contract (../shared/printernizer-api/CONTRACT.md), runs over
real sockets with aiohttp and the standard library only, and misbehaves on demand (see
`FaultKind`). See README.md in this folder for an overview.
"""

from .auth import ProxyAuth
from .cameras import Snapshot
from .faults import Fault, FaultKind
from .jobs import JobRecord
from .library import LibraryFile
from .materials import MaterialSpool
from .printers import PrinterActionError, SimPrinter
from .prints import PrintRequest
from .server import RecordedRequest, Simulator, default_fleet

__all__ = [
    "Fault",
    "FaultKind",
    "JobRecord",
    "LibraryFile",
    "MaterialSpool",
    "PrintRequest",
    "PrinterActionError",
    "ProxyAuth",
    "RecordedRequest",
    "SimPrinter",
    "Simulator",
    "Snapshot",
    "default_fleet",
]
