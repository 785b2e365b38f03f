"""Printers: the list, one printer, its status and its WebSocket pushes.

Printer credentials (``connection_config`` with its ``api_key`` and
``access_code``) as well as addresses and serial numbers are never kept.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import Self

from ._fields import (
    LenientEnum,
    PrinternizerResponseError,
    as_object,
    opt_bool,
    opt_enum,
    opt_float,
    opt_int,
    opt_object,
    opt_str,
    opt_timestamp,
    req_str,
    wrong,
)


class PrinterState(LenientEnum):
    """State of a printer as the server reports it (there is no ``idle``)."""

    ONLINE = "online"
    OFFLINE = "offline"
    PRINTING = "printing"
    PAUSED = "paused"
    ERROR = "error"
    UNKNOWN = "unknown"


class PrinterType(LenientEnum):
    """Driver family of a printer."""

    BAMBU_LAB = "bambu_lab"
    PRUSA_CORE = "prusa_core"
    OCTOPRINT = "octoprint"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Temperature:
    """A current and target temperature in °C; either may be unknown."""

    current: float | None = None
    target: float | None = None

    @classmethod
    def from_value(cls, value: object, *, path: str) -> Self:
        """Parse a flat number or a ``{current, target}`` object."""
        if value is None:
            return cls()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return cls(current=float(value))
        obj = as_object(value, path)
        return cls(
            current=opt_float(obj, "current", path),
            target=opt_float(obj, "target", path),
        )


@dataclass(frozen=True, slots=True)
class PrinterTemperatures:
    """The printer list's flat temperatures."""

    bed: float | None
    nozzle: float | None


@dataclass(frozen=True, slots=True)
class PrinterJob:
    """The job a printer reports in the printer list or detail."""

    name: str | None
    status: str | None
    progress: float | None


@dataclass(frozen=True, slots=True)
class Filament:
    """One AMS / MMU slot."""

    slot: int | None
    color: str | None
    material: str | None
    is_active: bool

    @classmethod
    def from_dict(cls, data: object, *, path: str = "filament") -> Self:
        """Parse one slot (``type`` is its material)."""
        obj = as_object(data, path)
        return cls(
            slot=opt_int(obj, "slot", path),
            color=opt_str(obj, "color", path),
            material=opt_str(obj, "type", path),
            is_active=bool(opt_bool(obj, "is_active", path)),
        )

    @classmethod
    def tuple_from(cls, data: object, *, path: str = "filaments") -> tuple[Self, ...]:
        """Parse a printer's slots; a slot that does not parse is left out.

        One odd slot must not cost the whole printer list. A value that is not
        an array at all still raises.
        """
        if data is None:
            return ()
        if not isinstance(data, list):
            raise wrong(path, "array", data)
        slots: list[Self] = []
        for index, item in enumerate(data):
            try:
                slots.append(cls.from_dict(item, path=f"{path}[{index}]"))
            except PrinternizerResponseError:
                continue
        return tuple(slots)


@dataclass(frozen=True, slots=True)
class Printer:
    """A printer from ``GET /api/v1/printers`` or ``/api/v1/printers/{id}``.

    Only non-secret fields are kept: no connection settings, address or
    serial number.
    """

    id: str
    name: str
    printer_type: PrinterType
    status: PrinterState
    last_seen: datetime | None
    current_job: PrinterJob | None
    temperatures: PrinterTemperatures | None
    filaments: tuple[Filament, ...]
    total_jobs: int | None

    @classmethod
    def from_dict(
        cls, data: object, *, tz: tzinfo = UTC, path: str = "printer"
    ) -> Self:
        """Parse a printer object."""
        obj = as_object(data, path)
        printer_id = req_str(obj, "id", path)
        job: PrinterJob | None = None
        if obj.get("current_job") is not None:
            job_obj = as_object(obj["current_job"], f"{path}.current_job")
            job_path = f"{path}.current_job"
            job = PrinterJob(
                name=opt_str(job_obj, "name", job_path),
                status=opt_str(job_obj, "status", job_path),
                progress=opt_float(job_obj, "progress", job_path),
            )
        temperatures: PrinterTemperatures | None = None
        if obj.get("temperatures") is not None:
            temp_path = f"{path}.temperatures"
            temp_obj = as_object(obj["temperatures"], temp_path)
            temperatures = PrinterTemperatures(
                bed=Temperature.from_value(
                    temp_obj.get("bed"), path=f"{temp_path}.bed"
                ).current,
                nozzle=Temperature.from_value(
                    temp_obj.get("nozzle"), path=f"{temp_path}.nozzle"
                ).current,
            )
        return cls(
            id=printer_id,
            name=opt_str(obj, "name", path) or printer_id,
            printer_type=opt_enum(obj, "printer_type", path, PrinterType),
            status=opt_enum(obj, "status", path, PrinterState),
            last_seen=opt_timestamp(obj, "last_seen", path, tz),
            current_job=job,
            temperatures=temperatures,
            filaments=Filament.tuple_from(
                obj.get("filaments"), path=f"{path}.filaments"
            ),
            total_jobs=opt_int(obj, "total_jobs", path),
        )


@dataclass(frozen=True, slots=True)
class PrinterStatusEvent:
    """A ``printer_status`` push from the WebSocket.

    It carries no remaining time, no target temperatures and no filaments.
    """

    printer_id: str
    state: PrinterState
    message: str | None
    temperature_bed: float | None
    temperature_nozzle: float | None
    progress: float | None
    current_job: str | None
    current_job_has_thumbnail: bool | None
    timestamp: datetime | None

    @classmethod
    def from_message(cls, message: object, *, tz: tzinfo = UTC) -> Self:
        """Parse a whole ``{"type": "printer_status", ...}`` message."""
        path = "printer_status"
        obj = as_object(message, path)
        if obj.get("type") != "printer_status":
            raise PrinternizerResponseError(f"{path}.type: not printer_status")
        data = as_object(obj.get("data"), f"{path}.data")
        if data.get("printer_id") is None and obj.get("printer_id") is not None:
            data = {**data, "printer_id": obj["printer_id"]}
        return cls.from_dict(data, tz=tz, path=f"{path}.data")

    @classmethod
    def from_dict(
        cls, data: object, *, tz: tzinfo = UTC, path: str = "printer_status.data"
    ) -> Self:
        """Parse the ``data`` part of a ``printer_status`` push."""
        obj = as_object(data, path)
        return cls(
            printer_id=req_str(obj, "printer_id", path),
            state=opt_enum(obj, "status", path, PrinterState),
            message=opt_str(obj, "message", path),
            temperature_bed=opt_float(obj, "temperature_bed", path),
            temperature_nozzle=opt_float(obj, "temperature_nozzle", path),
            progress=opt_float(obj, "progress", path),
            current_job=opt_str(obj, "current_job", path),
            current_job_has_thumbnail=opt_bool(obj, "current_job_has_thumbnail", path),
            timestamp=opt_timestamp(obj, "timestamp", path, tz),
        )


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """``GET /api/v1/printers/{id}/status``, optionally refreshed by pushes.

    ``remaining_time`` is in minutes, as of ``remaining_time_at`` (the time of
    the reading that brought it: pushes lack it, so a merged push keeps the
    poll's). ``message`` only ever comes from a WebSocket push.
    """

    id: str
    name: str
    state: PrinterState
    timestamp: datetime | None
    bed: Temperature
    nozzle: Temperature
    job_name: str | None
    progress: float | None
    remaining_time: int | None
    message: str | None = None
    remaining_time_at: datetime | None = None

    @classmethod
    def from_dict(cls, data: object, *, tz: tzinfo = UTC) -> Self:
        """Parse a printer status body."""
        path = "printer_status"
        obj = as_object(data, path)
        printer_id = req_str(obj, "id", path)
        job = opt_object(obj, "current_job", path)
        job_path = f"{path}.current_job"
        temps = opt_object(obj, "temperatures", path)
        temp_path = f"{path}.temperatures"
        timestamp = opt_timestamp(obj, "timestamp", path, tz)
        remaining_time = opt_int(job, "remaining_time", job_path)
        return cls(
            id=printer_id,
            name=opt_str(obj, "name", path) or printer_id,
            state=opt_enum(obj, "status", path, PrinterState),
            timestamp=timestamp,
            bed=Temperature.from_value(temps.get("bed"), path=f"{temp_path}.bed"),
            nozzle=Temperature.from_value(
                temps.get("nozzle"), path=f"{temp_path}.nozzle"
            ),
            job_name=opt_str(job, "name", job_path),
            progress=opt_float(job, "progress", job_path),
            remaining_time=remaining_time,
            remaining_time_at=timestamp if remaining_time is not None else None,
        )

    @classmethod
    def from_event(cls, event: PrinterStatusEvent, *, name: str | None = None) -> Self:
        """Build a status from a push alone (no targets, no remaining time)."""
        return cls(
            id=event.printer_id,
            name=name or event.printer_id,
            state=event.state,
            timestamp=event.timestamp,
            bed=Temperature(current=event.temperature_bed),
            nozzle=Temperature(current=event.temperature_nozzle),
            job_name=event.current_job,
            progress=event.progress,
            remaining_time=None,
            message=event.message,
        )

    def merged_with(self, event: PrinterStatusEvent) -> Self:
        """Return this status updated by a push for the same printer.

        The push's state, message, job name, progress and current temperatures
        win; target temperatures are kept, as is the remaining time while the
        same job is still running. A temperature or progress the push leaves
        out keeps its previous value.
        """
        if event.printer_id != self.id:
            raise ValueError("event is for another printer")
        same_job = event.current_job is not None and event.current_job == self.job_name
        return replace(
            self,
            state=event.state,
            timestamp=event.timestamp or self.timestamp,
            bed=_merge_temperature(self.bed, event.temperature_bed),
            nozzle=_merge_temperature(self.nozzle, event.temperature_nozzle),
            job_name=event.current_job,
            progress=event.progress if event.progress is not None else self.progress,
            remaining_time=self.remaining_time if same_job else None,
            remaining_time_at=self.remaining_time_at if same_job else None,
            message=event.message,
        )


def _merge_temperature(previous: Temperature, current: float | None) -> Temperature:
    if current is None:
        return previous
    return Temperature(current=current, target=previous.target)
