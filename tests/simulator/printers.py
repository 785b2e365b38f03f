"""Simulated printers: jobs that progress, temperatures that move, connectivity."""

from __future__ import annotations

import math
import random
import string
from typing import Any
import uuid

from .common import PRINTER_STATUSES

AMBIENT = 22.0
# (bed, nozzle) targets while printing, per printer type.
PRINT_TARGETS = {"bambu_lab": (55.0, 220.0), "prusa_core": (60.0, 215.0)}
PAUSED_NOZZLE = 150.0
BED_TAU = 90.0
NOZZLE_TAU = 30.0

DEFAULT_NAMES = {
    "bambu_lab": ["Bambu X1C", "Bambu P1S", "Bambu A1", "Bambu A1 mini", "Bambu H2D"],
    "prusa_core": [
        "Prusa MK4",
        "Prusa XL",
        "Prusa MINI",
        "Prusa CORE One",
        "Prusa MK3.9",
    ],
}
AMS_SLOTS: list[dict[str, Any]] = [
    {"slot": 0, "color": "#FFFFFF", "type": "PLA", "is_active": True},
    {"slot": 1, "color": "#000000", "type": "PLA", "is_active": False},
    {"slot": 2, "color": "#FF6A13", "type": "PETG", "is_active": False},
    {"slot": 3, "color": None, "type": None, "is_active": False},
]


class PrinterActionError(Exception):
    """A control that the printer cannot carry out in its current state."""


class SimPrinter:
    """One printer of the simulated fleet.

    `status` is derived the way the server derives it: `offline` while not connected,
    otherwise from the printer's phase (`online` when idle, `printing`, `paused`,
    `error`, `unknown`). Missing ids and secrets are filled in deterministically by the
    `Simulator` when the printer is added to it.
    """

    def __init__(
        self,
        name: str | None = None,
        printer_type: str = "bambu_lab",
        *,
        id: str | None = None,  # noqa: A002 - the API's field name
        status: str = "online",
        ip_address: str | None = None,
        api_key: str | None = None,
        access_code: str | None = None,
        serial_number: str | None = None,
        webcam_url: str | None = None,
        filaments: list[dict[str, Any]] | None = None,
        job_name: str | None = None,
        job_duration_minutes: float = 30,
        progress: float = 0,
        bed_temp: float | None = None,
        nozzle_temp: float | None = None,
        total_jobs: int = 0,
    ) -> None:
        if printer_type not in ("bambu_lab", "prusa_core"):
            raise ValueError(
                f"printer_type must be bambu_lab or prusa_core, not {printer_type!r}"
            )
        if status not in PRINTER_STATUSES:
            raise ValueError(
                f"status must be one of {PRINTER_STATUSES}, not {status!r}"
            )
        self.id = id or ""
        self.name = name or DEFAULT_NAMES[printer_type][0]
        self.printer_type = printer_type
        self.ip_address = ip_address
        self.api_key = api_key
        self.access_code = access_code
        self.serial_number = serial_number
        self.webcam_url = webcam_url
        self.filaments = filaments
        self.total_jobs = total_jobs
        self.last_seen: str | None = None
        self.message: str | None = None
        # An unreachable Bambu printer keeps reporting "online" with 0.0 temperatures.
        self.unreachable = False
        self.connected = status != "offline"
        self.phase = "idle"
        self.job_name: str | None = None
        self.job_duration_s = 0.0
        self.job_elapsed_s = 0.0
        self.job_started_at: str | None = None
        self.bed_temp = AMBIENT if bed_temp is None else float(bed_temp)
        self.nozzle_temp = AMBIENT if nozzle_temp is None else float(nozzle_temp)
        if status in ("printing", "paused") or job_name:
            self.start_job(job_name or "benchy.gcode", job_duration_minutes)
            self.job_elapsed_s = (
                self.job_duration_s * max(0.0, min(progress, 100.0)) / 100
            )
            if status == "paused":
                self.phase = "paused"
        elif status == "error":
            self.phase = "error"
            self.message = "Error"
        elif status == "unknown":
            self.phase = "unknown"

    def __repr__(self) -> str:
        return f"SimPrinter({self.name!r}, {self.printer_type!r}, id={self.id!r}, status={self.status!r})"

    # ----------------------------------------------------------------- views
    @property
    def status(self) -> str:
        """The PrinterStatus the server reports."""
        if not self.connected:
            return "offline"
        if self.unreachable:
            return "online" if self.printer_type == "bambu_lab" else "error"
        return {"idle": "online"}.get(self.phase, self.phase)

    @property
    def state(self) -> str:
        """Alias of `status`."""
        return self.status

    @property
    def progress(self) -> float:
        """Job progress in percent (0 without a job)."""
        if not self.job_name or self.job_duration_s <= 0:
            return 0.0
        return min(100.0, 100.0 * self.job_elapsed_s / self.job_duration_s)

    @property
    def remaining_minutes(self) -> int | None:
        """Minutes left on the current job, None without a job."""
        if not self.job_name:
            return None
        return max(0, math.ceil((self.job_duration_s - self.job_elapsed_s) / 60))

    @property
    def secrets(self) -> list[str]:
        """The secret strings this printer carries."""
        return [s for s in (self.api_key, self.access_code, self.serial_number) if s]

    @property
    def reports_job(self) -> bool:
        """Whether the server currently sees a job on this printer."""
        return self.connected and not self.unreachable and bool(self.job_name)

    @property
    def reports_temperatures(self) -> bool:
        """Whether the server has temperatures for this printer."""
        return self.connected and not (
            self.unreachable and self.printer_type != "bambu_lab"
        )

    def temperatures(self) -> tuple[float, float]:
        """(bed, nozzle) as reported."""
        if self.unreachable:
            return 0.0, 0.0
        return round(self.bed_temp, 1), round(self.nozzle_temp, 1)

    def status_message(self) -> str:
        """Return the driver's status message, as carried by WebSocket pushes."""
        if self.unreachable:
            if self.printer_type == "bambu_lab":
                return "Ready"
            return f"Cannot connect to Prusa printer: Cannot connect to host {self.ip_address}:80"
        if self.message:
            return self.message
        return {"idle": "Ready", "printing": "Printing", "paused": "Paused"}.get(
            self.phase, "Unknown"
        )

    # -------------------------------------------------------------- controls
    def start_job(
        self, name: str = "benchy.gcode", duration_minutes: float = 30
    ) -> SimPrinter:
        """Start printing `name`, taking `duration_minutes` of simulated time."""
        if duration_minutes <= 0:
            raise ValueError("duration_minutes must be positive")
        self.job_name = name
        self.job_duration_s = float(duration_minutes) * 60
        self.job_elapsed_s = 0.0
        self.job_started_at = None
        self.phase = "printing"
        self.message = None
        return self

    def pause(self) -> SimPrinter:
        """Pause the running job."""
        if self.phase != "printing":
            raise PrinterActionError("Printer is not printing")
        self.phase = "paused"
        return self

    def resume(self) -> SimPrinter:
        """Resume a paused job."""
        if self.phase != "paused":
            raise PrinterActionError("Printer is not paused")
        self.phase = "printing"
        return self

    def stop(self) -> SimPrinter:
        """Cancel the current job; the printer becomes idle."""
        if not self.job_name:
            raise PrinterActionError("No active print job")
        self._clear_job()
        self.phase = "idle"
        return self

    def finish(self) -> SimPrinter:
        """Complete the current job: status back to online, job cleared."""
        if self.job_name:
            self.total_jobs += 1
        self._clear_job()
        self.phase = "idle"
        self.message = None
        return self

    def fail(self, reason: str = "Print failed") -> SimPrinter:
        """Fail the current job: status error with `reason` as the message."""
        if self.job_name:
            self.total_jobs += 1
        self._clear_job()
        self.phase = "error"
        self.message = reason
        return self

    def clear_error(self) -> SimPrinter:
        """Acknowledge an error: the printer becomes idle (online)."""
        self.phase = "idle"
        self.message = None
        return self

    def go_offline(self) -> SimPrinter:
        """Lose the connection: status offline, no pushes, no temperatures."""
        self.connected = False
        return self

    def come_online(self) -> SimPrinter:
        """Reconnect; the status follows the printer's phase again."""
        self.connected = True
        self.unreachable = False
        return self

    def go_unreachable(self) -> SimPrinter:
        """Stay connected but unreachable (Bambu: online at 0.0 °C; Prusa: error)."""
        self.connected = True
        self.unreachable = True
        return self

    def _clear_job(self) -> None:
        self.job_name = None
        self.job_duration_s = 0.0
        self.job_elapsed_s = 0.0
        self.job_started_at = None

    # ------------------------------------------------------------ simulation
    def targets(self) -> tuple[float, float]:
        """(bed, nozzle) temperatures the printer is heading for."""
        bed, nozzle = PRINT_TARGETS[self.printer_type]
        if self.phase == "printing":
            return bed, nozzle
        if self.phase == "paused":
            return bed, PAUSED_NOZZLE
        return AMBIENT, AMBIENT

    def advance(self, seconds: float) -> None:
        """Move simulated time forward: temperatures approach targets, jobs progress."""
        if seconds <= 0:
            return
        if self.phase == "printing" and self.job_name:
            remaining = self.job_duration_s - self.job_elapsed_s
            if seconds >= remaining:
                self._approach(remaining)
                self.finish()
                self._approach(seconds - remaining)
                return
            self.job_elapsed_s += seconds
        self._approach(seconds)

    def _approach(self, seconds: float) -> None:
        if seconds <= 0:
            return
        bed_target, nozzle_target = self.targets()
        self.bed_temp = bed_target + (self.bed_temp - bed_target) * math.exp(
            -seconds / BED_TAU
        )
        self.nozzle_temp = nozzle_target + (
            self.nozzle_temp - nozzle_target
        ) * math.exp(-seconds / NOZZLE_TAU)

    def on_poll(self, timestamp: str) -> None:
        """Record that the server polled this printer at `timestamp`."""
        self.last_seen = timestamp
        if self.job_name:
            # The server reports the time of the last poll as the job's started_at.
            self.job_started_at = timestamp

    # --------------------------------------------------------------- secrets
    def fill_missing(self, rng: random.Random, index: int) -> None:
        """Give the printer an id, an address and secrets where it has none."""
        if not self.id:
            self.id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if self.ip_address is None:
            self.ip_address = f"192.168.1.{100 + index % 150}"
        alnum = string.ascii_letters + string.digits
        if self.printer_type == "prusa_core" and self.api_key is None:
            self.api_key = "PK" + "".join(rng.choices(alnum, k=18))
        if self.printer_type == "bambu_lab":
            if self.access_code is None:
                self.access_code = "".join(
                    rng.choices(string.ascii_uppercase + string.digits, k=8)
                )
            if self.serial_number is None:
                self.serial_number = "01S00C" + "".join(rng.choices(string.digits, k=9))
            if self.filaments is None:
                self.filaments = [dict(slot) for slot in AMS_SLOTS]
