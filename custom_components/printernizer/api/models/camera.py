"""Images, printer cameras and their stored snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Self

from ._fields import (
    LenientEnum,
    as_object,
    opt_bool,
    opt_enum,
    opt_int,
    opt_str,
    opt_timestamp,
    req_int,
    req_str,
    without_userinfo,
    wrong,
)
from .printers import PrinterType


@dataclass(frozen=True, slots=True, repr=False)
class Image:
    """An image as the server sent it; ``content_type`` is e.g. ``image/png``."""

    content: bytes
    content_type: str

    def __repr__(self) -> str:
        """Name the type and size, not the bytes."""
        return f"Image(content_type={self.content_type!r}, size={len(self.content)})"


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """``GET /api/v1/printers/{id}/camera/status``.

    ``stream_url`` is usually the server's relative preview path, but may be
    the printer's own stream URL, and ``external_webcam_url`` the configured
    webcam: either may carry credentials, so neither is part of the repr.
    URL credentials in ``error_message`` are removed.
    """

    has_camera: bool
    has_external_webcam: bool
    is_available: bool
    stream_url: str | None = field(repr=False)
    external_webcam_url: str | None = field(repr=False)
    external_webcam_type: str | None
    ffmpeg_available: bool
    ffmpeg_required: bool
    error_message: str | None
    last_snapshot_at: datetime | None

    @classmethod
    def from_dict(cls, data: object, *, tz: tzinfo = UTC) -> Self:
        """Parse a camera status body; absent flags read as the server's defaults."""
        path = "camera_status"
        obj = as_object(data, path)
        ffmpeg_available = opt_bool(obj, "ffmpeg_available", path)
        return cls(
            has_camera=bool(opt_bool(obj, "has_camera", path)),
            has_external_webcam=bool(opt_bool(obj, "has_external_webcam", path)),
            is_available=bool(opt_bool(obj, "is_available", path)),
            stream_url=opt_str(obj, "stream_url", path),
            external_webcam_url=opt_str(obj, "external_webcam_url", path),
            external_webcam_type=opt_str(obj, "external_webcam_type", path),
            ffmpeg_available=ffmpeg_available is not False,
            ffmpeg_required=bool(opt_bool(obj, "ffmpeg_required", path)),
            error_message=without_userinfo(opt_str(obj, "error_message", path)),
            last_snapshot_at=opt_timestamp(obj, "last_snapshot_at", path, tz),
        )


class SnapshotTrigger(LenientEnum):
    """What made the server store a snapshot."""

    MANUAL = "manual"
    AUTO = "auto"
    JOB_START = "job_start"
    JOB_COMPLETE = "job_complete"
    JOB_FAILED = "job_failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A stored camera snapshot (``/camera/snapshot``, ``/snapshots``).

    ``captured_at`` is read in the server's zone. The server labels the
    snapshot it has just taken ``image/jpeg`` whatever it is; the image's own
    content type comes with :meth:`PrinternizerClient.snapshot_image`.
    """

    id: int
    printer_id: str
    job_id: str | None
    filename: str | None
    file_size: int | None
    content_type: str | None
    captured_at: datetime | None
    capture_trigger: SnapshotTrigger
    width: int | None
    height: int | None
    is_valid: bool
    notes: str | None
    job_name: str | None
    job_status: str | None
    printer_name: str | None
    printer_type: PrinterType

    @classmethod
    def from_dict(
        cls, data: object, *, tz: tzinfo = UTC, path: str = "snapshot"
    ) -> Self:
        """Parse one snapshot."""
        obj = as_object(data, path)
        is_valid = opt_bool(obj, "is_valid", path)
        return cls(
            id=req_int(obj, "id", path),
            printer_id=req_str(obj, "printer_id", path),
            job_id=_identifier(obj.get("job_id"), f"{path}.job_id"),
            filename=opt_str(obj, "filename", path),
            file_size=opt_int(obj, "file_size", path),
            content_type=opt_str(obj, "content_type", path),
            captured_at=opt_timestamp(obj, "captured_at", path, tz),
            capture_trigger=opt_enum(obj, "capture_trigger", path, SnapshotTrigger),
            width=opt_int(obj, "width", path),
            height=opt_int(obj, "height", path),
            is_valid=is_valid is not False,
            notes=opt_str(obj, "notes", path),
            job_name=opt_str(obj, "job_name", path),
            job_status=opt_str(obj, "job_status", path),
            printer_name=opt_str(obj, "printer_name", path),
            printer_type=opt_enum(obj, "printer_type", path, PrinterType),
        )

    @classmethod
    def list_from(cls, data: object, *, tz: tzinfo = UTC) -> list[Self]:
        """Parse the array of ``GET /api/v1/printers/{id}/snapshots``."""
        path = "snapshots"
        if not isinstance(data, list):
            raise wrong(path, "array", data)
        return [
            cls.from_dict(item, tz=tz, path=f"{path}[{index}]")
            for index, item in enumerate(data)
        ]


def _identifier(value: object, path: str) -> str | None:
    """Read an id the server sends as a number or a string."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise wrong(path, "int or str", value)
