"""Printing a library file on a printer: upload, then start, as the server does it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .printers import SimPrinter
    from .server import Simulator


@dataclass
class PrintRequest:
    """A POST /library/files/{checksum}/print the server received, and its outcome.

    `outcome` is None while the upload runs, then one of: started, not_found,
    not_printable, printer_not_found, upload_failed, start_failed, interrupted.
    """

    checksum: str
    printer_id: str
    time: float
    filename: str | None = None
    outcome: str | None = None
    status: int | None = None
    done: bool = False


class LibraryPrints:
    """Runs print requests; the upload to the printer takes `sim.upload_delay`.

    In deterministic mode the delay is simulated time: `Simulator.advance()` (or
    `finish_uploads()`) completes an upload. In real-time mode it is real seconds.
    A server that goes down cuts off the uploads it was running.
    """

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._uploads: list[tuple[float, asyncio.Future[str]]] = []

    @property
    def pending(self) -> int:
        """Uploads that have not finished."""
        return sum(1 for _, waiter in self._uploads if not waiter.done())

    def finish_uploads(self) -> int:
        """Complete every running upload now; returns how many there were."""
        pending = [waiter for _, waiter in self._uploads if not waiter.done()]
        for waiter in pending:
            _resolve(waiter, "uploaded")
        return len(pending)

    def advance_to(self, sim_time: float) -> None:
        """Complete the uploads due by this simulated time."""
        for due, waiter in list(self._uploads):
            if due <= sim_time:
                _resolve(waiter, "uploaded")

    async def run(self, record: PrintRequest) -> tuple[int, str]:
        """Carry out a print request the way the server's print route does.

        Returns (HTTP status, outcome). After the upload the printer starts the job
        named after the file.
        """
        sim = self._sim
        entry = sim.library_file(record.checksum)
        if entry is None:
            return 404, "not_found"
        record.filename = entry.filename
        if not entry.printable:
            return 400, "not_printable"
        printer = sim.printers.get(record.printer_id)
        if printer is None:
            return 404, "printer_not_found"
        if not accepts_upload(printer):
            return 502, "upload_failed"
        if await self._upload() == "shutdown":
            return 0, "interrupted"
        if not accepts_upload(printer):
            return 502, "upload_failed"
        if printer.print_refusal == "start" or printer.job_name:
            return 502, "start_failed"
        printer.start_job(entry.filename, entry.print_minutes or 30)
        return 200, "started"

    async def _upload(self) -> str:
        sim = self._sim
        if sim.upload_delay <= 0:
            return "uploaded"
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[str] = loop.create_future()
        handle = None
        if sim.realtime:
            handle = loop.call_later(sim.upload_delay, _resolve, waiter, "uploaded")
        entry = (sim.sim_time + sim.upload_delay, waiter)
        self._uploads.append(entry)
        # Held like a hanging request: released with "shutdown" when the server stops.
        sim._held.add(waiter)
        try:
            return await waiter
        finally:
            if handle is not None:
                handle.cancel()
            self._uploads.remove(entry)
            sim._held.discard(waiter)


def accepts_upload(printer: SimPrinter) -> bool:
    """Whether an upload to the printer can succeed right now."""
    return (
        printer.connected
        and not printer.unreachable
        and printer.print_refusal != "upload"
    )


def _resolve(waiter: asyncio.Future[str], value: str) -> None:
    if not waiter.done():
        waiter.set_result(value)
