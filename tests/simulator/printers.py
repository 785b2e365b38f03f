"""Simulated printers: jobs that progress, temperatures that move, connectivity."""

from __future__ import annotations

from collections.abc import Callable
import copy
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


# Bambu Lab models with an RTSP live stream (X1, H2 and P2 series); the others (A1,
# P1) only deliver single pictures.
LIVE_STREAM_MODELS = ("X1", "H2", "P2")
PRINT_REFUSAL_STAGES = ("upload", "start")
# Job events a printer reports to its listener (the simulator's job history).
JOB_STARTED = "started"
JOB_COMPLETED = "completed"
JOB_FAILED = "failed"
JOB_CANCELLED = "cancelled"
_UNCHANGED: Any = object()

type JobListener = Callable[[str, "SimPrinter"], None]


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
        thumbnail_type: str = "image/png",
        camera: bool | None = None,
        live_stream: bool | None = None,
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
        self.filaments: list[Any] | None = filaments
        # Whether the active slot follows the print (the simulated AMS does).
        self.ams_follows_print = False
        self.total_jobs = total_jobs
        # The job's thumbnail: PNG, or JPEG ("image/jpeg") as some slicers embed.
        self.thumbnail_type = thumbnail_type
        # Built-in camera: every Bambu Lab printer has one, Prusa printers none.
        self.camera = printer_type == "bambu_lab" if camera is None else camera
        if live_stream is None:
            upper = self.name.upper()
            live_stream = self.camera and printer_type == "bambu_lab"
            live_stream = live_stream and any(m in upper for m in LIVE_STREAM_MODELS)
        self.live_stream = live_stream
        # Set: the camera delivers no frames and the server reports this message.
        self.camera_error: str | None = None
        # Set: the external webcam delivers no frames (this is the reason).
        self.webcam_error: str | None = None
        # "upload" or "start": the printer refuses library prints at that step.
        self.print_refusal: str | None = None
        self.listener: JobListener | None = None
        # Seconds since the job started, pauses included.
        self.job_wall_s = 0.0
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
            self.job_wall_s = self.job_elapsed_s
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
        if self.job_name:
            self._notify(JOB_CANCELLED)
        self.job_name = name
        self.job_duration_s = float(duration_minutes) * 60
        self.job_elapsed_s = 0.0
        self.job_wall_s = 0.0
        self.job_started_at = None
        self.phase = "printing"
        self.message = None
        self._follow_print()
        self._notify(JOB_STARTED)
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
        self._notify(JOB_CANCELLED)
        self._clear_job()
        self.phase = "idle"
        return self

    def finish(self) -> SimPrinter:
        """Complete the current job: status back to online, job cleared."""
        if self.job_name:
            self.total_jobs += 1
            self.job_elapsed_s = self.job_duration_s
            self._follow_print()
            self._notify(JOB_COMPLETED)
        self._clear_job()
        self.phase = "idle"
        self.message = None
        return self

    def fail(self, reason: str = "Print failed") -> SimPrinter:
        """Fail the current job: status error with `reason` as the message."""
        if self.job_name:
            self.total_jobs += 1
            self._notify(JOB_FAILED)
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
        self.job_wall_s = 0.0
        self.job_started_at = None

    def _notify(self, event: str) -> None:
        if self.listener is not None:
            self.listener(event, self)

    # ------------------------------------------------------------- cameras
    def fail_camera(
        self, message: str = "Camera connection failed: [Errno 111] Connection refused"
    ) -> SimPrinter:
        """Make the built-in camera deliver no frames (503) and report `message`."""
        self.camera_error = message
        return self

    def restore_camera(self) -> SimPrinter:
        """Let the built-in camera and the external webcam deliver frames again."""
        self.camera_error = None
        self.webcam_error = None
        return self

    def fail_webcam(self, message: str = "Connection refused") -> SimPrinter:
        """Make the external webcam deliver no frames (503 with `message`)."""
        self.webcam_error = message
        return self

    @property
    def camera_delivers(self) -> bool:
        """Whether the built-in camera has a frame to give right now."""
        return (
            self.camera
            and self.camera_error is None
            and self.connected
            and not self.unreachable
        )

    # ----------------------------------------------------------- filaments
    def set_filaments(
        self, filaments: list[Any] | None, *, follow_print: bool = False
    ) -> SimPrinter:
        """Report `filaments` as given (None, or any entries, malformed ones included).

        With `follow_print` the active slot changes during prints as with the default
        AMS; otherwise the list stays exactly as set.
        """
        self.filaments = copy.deepcopy(filaments)
        self.ams_follows_print = follow_print and filaments is not None
        return self

    def set_slot(
        self,
        slot: int,
        *,
        color: str | None = _UNCHANGED,
        material: str | None = _UNCHANGED,
    ) -> SimPrinter:
        """Change one slot's colour and/or material (its `type`; None = empty)."""
        for entry in self.filaments or []:
            if isinstance(entry, dict) and entry.get("slot") == slot:
                if color is not _UNCHANGED:
                    entry["color"] = color
                if material is not _UNCHANGED:
                    entry["type"] = material
                self._follow_print()
                return self
        raise KeyError(f"no filament slot {slot}")

    def _follow_print(self) -> None:
        """Make the slot the current print has reached the active one.

        A print feeds the loaded slots (those with a material type) in turn: with three
        loaded slots the first is active below 1/3 of the progress, the second up to 2/3
        and the third from there on.
        """
        if not self.ams_follows_print or not self.job_name or not self.filaments:
            return
        loaded = [
            entry
            for entry in self.filaments
            if isinstance(entry, dict) and entry.get("type") is not None
        ]
        if not loaded:
            return
        position = min(len(loaded) - 1, int(self.progress / 100 * len(loaded)))
        active = loaded[position]
        for entry in self.filaments:
            if isinstance(entry, dict) and "is_active" in entry:
                entry["is_active"] = entry is active

    @property
    def active_filament_color(self) -> str | None:
        """The active slot's colour, if any."""
        for entry in self.filaments or []:
            if isinstance(entry, dict) and entry.get("is_active"):
                color = entry.get("color")
                return color if isinstance(color, str) else None
        return None

    # --------------------------------------------------------------- prints
    def refuse_prints(self, stage: str | None = "start") -> SimPrinter:
        """Refuse library prints at `stage` ("upload" or "start"); None accepts again."""
        if stage is not None and stage not in PRINT_REFUSAL_STAGES:
            raise ValueError(f"stage must be one of {PRINT_REFUSAL_STAGES} or None")
        self.print_refusal = stage
        return self

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
                self.job_wall_s += remaining
                self.finish()
                self._approach(seconds - remaining)
                return
            self.job_elapsed_s += seconds
            self._follow_print()
        if self.job_name:
            self.job_wall_s += seconds
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
                self.ams_follows_print = True
                self._follow_print()
