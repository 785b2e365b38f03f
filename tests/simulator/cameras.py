"""The simulated cameras: pictures with a short cache, and stored snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .frames import HEIGHT, WIDTH, Scene, frame_jpeg, frame_png, parse_colour

if TYPE_CHECKING:
    from .printers import SimPrinter
    from .server import Simulator


@dataclass(frozen=True)
class Frame:
    """One captured camera picture."""

    data: bytes
    content_type: str
    counter: int
    taken_at: float


@dataclass
class Snapshot:
    """A stored snapshot (the server keeps the file and a database row)."""

    id: int
    printer_id: str
    printer_name: str
    printer_type: str
    data: bytes
    content_type: str
    filename: str
    captured_at: str
    capture_trigger: str
    job_id: int | None
    notes: str | None

    def to_json(self, *, response_content_type: str | None = None) -> dict[str, Any]:
        """The SnapshotResponse."""
        return {
            "id": self.id,
            "printer_id": self.printer_id,
            "job_id": self.job_id,
            "filename": self.filename,
            "file_size": len(self.data),
            "content_type": response_content_type or self.content_type,
            "captured_at": self.captured_at,
            "capture_trigger": self.capture_trigger,
            "width": WIDTH,
            "height": HEIGHT,
            "is_valid": True,
            "notes": self.notes,
            # The job join matches an integer job_id against text job ids: never set.
            "job_name": None,
            "job_status": None,
            "printer_name": self.printer_name,
            "printer_type": self.printer_type,
        }


@dataclass
class CameraSet:
    """Every printer's built-in camera and external webcam, plus the snapshot store.

    A camera delivers a new picture at most every `sim.camera_frame_seconds` (the
    server caches pictures for 5 s); a manual snapshot forces a new one.
    """

    sim: Simulator
    snapshots: list[Snapshot] = field(default_factory=list)
    _frames: dict[tuple[str, str], Frame] = field(default_factory=dict)
    _counters: dict[tuple[str, str], int] = field(default_factory=dict)

    def camera_frame(
        self, printer: SimPrinter, *, force_refresh: bool = False
    ) -> Frame | None:
        """The built-in camera's current picture, None when it has none to give."""
        if not printer.camera_delivers:
            return None
        return self._frame(printer, "camera", force_refresh=force_refresh)

    def webcam_frame(self, printer: SimPrinter) -> Frame | None:
        """The external webcam's current picture (independent of the printer)."""
        url = printer.webcam_url
        if not url or printer.webcam_error is not None:
            return None
        if url.lower().startswith("rtsp") and not self.sim.ffmpeg_available:
            return None
        return self._frame(printer, "webcam", force_refresh=False)

    def _frame(self, printer: SimPrinter, source: str, *, force_refresh: bool) -> Frame:
        key = (printer.id, source)
        now = self.sim.now()
        cached = self._frames.get(key)
        if (
            cached is not None
            and not force_refresh
            and now - cached.taken_at < self.sim.camera_frame_seconds
        ):
            return cached
        counter = self._counters.get(key, 0) + 1
        self._counters[key] = counter
        data, content_type = encode_frame(printer, counter, external=source == "webcam")
        frame = Frame(data, content_type, counter, now)
        self._frames[key] = frame
        return frame

    def store_snapshot(
        self,
        printer: SimPrinter,
        frame: Frame,
        trigger: str = "manual",
        job_id: int | None = None,
        notes: str | None = None,
    ) -> Snapshot:
        """Keep a snapshot as the server does (file plus database row)."""
        now = self.sim.clocks.now()
        extension = "png" if frame.content_type == "image/png" else "jpg"
        snapshot = Snapshot(
            id=max((s.id for s in self.snapshots), default=0) + 1,
            printer_id=printer.id,
            printer_name=printer.name,
            printer_type=printer.printer_type,
            data=frame.data,
            content_type=frame.content_type,
            filename=f"snapshot_{printer.id}_{now:%Y%m%d_%H%M%S}.{extension}",
            captured_at=now.isoformat(),
            capture_trigger=trigger,
            job_id=job_id,
            notes=notes,
        )
        self.snapshots.append(snapshot)
        return snapshot


def scene_for(printer: SimPrinter, counter: int) -> Scene:
    """What the printer's camera sees now."""
    progress = printer.progress if printer.job_name else None
    return Scene(
        counter=counter,
        progress=progress,
        filament=parse_colour(printer.active_filament_color),
        label=printer.name,
    )


def encode_frame(
    printer: SimPrinter, counter: int, *, external: bool
) -> tuple[bytes, str]:
    """A frame in the format the source delivers: JPEG (Bambu Lab, webcams), PNG (Prusa)."""
    scene = scene_for(printer, counter)
    if external or printer.printer_type == "bambu_lab":
        return frame_jpeg(scene), "image/jpeg"
    return frame_png(scene), "image/png"
