"""The server's file library: print files and models, identified by SHA-256 checksum."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
import hashlib
import json
import math
from typing import Any
import uuid

# Extensions the print route accepts as print files (besides role "printfile").
PRINTABLE_EXTENSIONS = frozenset({".gcode", ".gco", ".g", ".bgcode", ".3mf"})
# Every optional metadata field of the server's LibraryFileResponse.
METADATA_FIELDS = (
    "model_width",
    "model_depth",
    "model_height",
    "model_volume",
    "surface_area",
    "object_count",
    "role",
    "parent_checksum",
    "analysis_error",
    "layer_height",
    "first_layer_height",
    "nozzle_diameter",
    "wall_count",
    "wall_thickness",
    "infill_density",
    "infill_pattern",
    "support_used",
    "nozzle_temperature",
    "bed_temperature",
    "print_speed",
    "total_layer_count",
    "total_filament_weight",
    "filament_length",
    "filament_colors",
    "material_types",
    "material_cost",
    "energy_cost",
    "total_cost",
    "complexity_score",
    "difficulty_level",
    "success_probability",
    "overhang_percentage",
    "compatible_printers",
    "slicer_name",
    "slicer_version",
    "profile_name",
    "bed_type",
)


@dataclass
class LibraryFile:
    """One library entry.

    `print_minutes` is how long a print of it takes on a simulated printer (print files
    only); `metadata` fills the response's optional analysis fields.
    """

    filename: str
    file_size: int
    role: str = "printfile"
    print_minutes: float | None = 30.0
    display_name: str | None = None
    has_thumbnail: bool = True
    status: str = "available"
    analysed: bool = True
    added: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    checksum: str = ""

    def __post_init__(self) -> None:
        if not self.checksum:
            self.checksum = hashlib.sha256(
                f"printernizer-sim:{self.filename}:{self.file_size}".encode()
            ).hexdigest()
        if self.display_name is None:
            self.display_name = self.filename.rsplit(".", 1)[0].replace("_", " ")

    @property
    def file_type(self) -> str:
        """The extension with its dot, lower case (the server's `file_type`)."""
        _, dot, extension = self.filename.rpartition(".")
        return f".{extension.lower()}" if dot else ""

    @property
    def printable(self) -> bool:
        """Whether POST .../print accepts it."""
        return self.role == "printfile" or self.file_type in PRINTABLE_EXTENSIONS

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The LibraryFileResponse for this file."""
        added = self.added or now
        stamp = added.isoformat()
        body: dict[str, Any] = {
            "id": str(uuid.UUID(self.checksum[:32])),
            "checksum": self.checksum,
            "filename": self.filename,
            "display_name": self.display_name,
            "library_path": f"{'models' if self.role == 'model' else 'printfiles'}/"
            f"{self.checksum[:2]}/{self.filename}",
            "file_size": self.file_size,
            "file_type": self.file_type,
            "status": self.status,
            "added_to_library": stamp,
            "last_modified": stamp,
            "last_accessed": None,
            "last_analyzed": stamp if self.analysed else None,
            "has_thumbnail": self.has_thumbnail,
        }
        for name in METADATA_FIELDS:
            body[name] = self.metadata.get(name)
        body["role"] = self.role
        body["sources"] = json.dumps(
            [{"type": "upload", "path": self.filename, "discovered_at": stamp}]
        )
        return body


def default_library(now: datetime) -> list[LibraryFile]:
    """Three print files (G-code and 3MF) and one model that cannot be printed."""

    def printfile(**metadata: Any) -> dict[str, Any]:
        return {
            "layer_height": 0.2,
            "first_layer_height": 0.2,
            "nozzle_diameter": 0.4,
            "wall_count": 2,
            "infill_density": 15.0,
            "infill_pattern": "grid",
            "support_used": False,
            "nozzle_temperature": 220,
            "bed_temperature": 60,
            "slicer_name": "OrcaSlicer",
            "slicer_version": "2.3.0",
            "energy_cost": 0.05,
            **metadata,
        }

    return [
        LibraryFile(
            "benchy.gcode",
            1_846_213,
            print_minutes=42,
            added=now - timedelta(days=12),
            metadata=printfile(
                total_filament_weight=11.9,
                filament_length=3.97,
                material_types='["PLA"]',
                filament_colors='["#FFFFFF"]',
                material_cost=0.3,
                total_cost=0.35,
                total_layer_count=240,
                model_width=60.0,
                model_depth=31.0,
                model_height=48.0,
            ),
        ),
        LibraryFile(
            "calibration_cube.gcode",
            402_188,
            print_minutes=14,
            added=now - timedelta(days=9),
            metadata=printfile(
                total_filament_weight=4.1,
                filament_length=1.37,
                material_types='["PLA"]',
                filament_colors='["#000000"]',
                material_cost=0.1,
                total_cost=0.15,
                total_layer_count=100,
            ),
        ),
        LibraryFile(
            "phone_stand.3mf",
            2_953_330,
            print_minutes=95,
            added=now - timedelta(days=3),
            metadata=printfile(
                total_filament_weight=31.0,
                filament_length=10.4,
                material_types='["PLA", "PETG"]',
                filament_colors='["#FFFFFF", "#FF6A13"]',
                material_cost=0.78,
                total_cost=0.88,
                object_count=2,
                compatible_printers='["Bambu Lab X1 Carbon", "Bambu Lab P1S"]',
            ),
        ),
        LibraryFile(
            "planter_vase.stl",
            5_120_684,
            role="model",
            print_minutes=None,
            has_thumbnail=False,
            analysed=False,
            added=now - timedelta(days=1),
            metadata={
                "model_width": 120.0,
                "model_depth": 120.0,
                "model_height": 140.0,
            },
        ),
    ]


def pagination(page: int, limit: int, total: int) -> dict[str, Any]:
    """The library's pagination block."""
    pages = math.ceil(total / limit)
    return {
        "page": page,
        "limit": limit,
        "total_items": total,
        "total_pages": pages,
        "page_size": limit,
        "current_page": page,
        "has_previous": page > 1,
        "has_next": page < pages,
    }


def statistics(files: list[LibraryFile]) -> dict[str, Any]:
    """GET /library/statistics."""
    total = len(files)
    size = sum(f.file_size for f in files)
    return {
        "total_files": total,
        "total_size": size,
        "files_with_thumbnails": sum(1 for f in files if f.has_thumbnail),
        "files_analyzed": sum(1 for f in files if f.analysed),
        "available_files": sum(1 for f in files if f.status == "available"),
        "processing_files": sum(1 for f in files if f.status == "processing"),
        "error_files": sum(1 for f in files if f.status == "error"),
        "unique_file_types": len({f.file_type for f in files}),
        "avg_file_size": float(size / total) if total else 0.0,
        "total_material_cost": float(
            round(sum(f.metadata.get("material_cost") or 0 for f in files), 2)
        ),
    }
