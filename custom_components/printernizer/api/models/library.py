"""The server's file library."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Self

from ._fields import as_object, opt_bool, opt_int, opt_str, opt_timestamp, req_str

#: File types the server's print route accepts whatever the file's role.
PRINTABLE_FILE_TYPES = frozenset({".gcode", ".gco", ".g", ".bgcode", ".3mf"})


@dataclass(frozen=True, slots=True)
class LibraryFile:
    """One file of ``GET /api/v1/library/files``.

    ``checksum`` identifies the file (duplicates carry a suffix after it).
    ``printable`` is decided as the server's print route decides: a file
    whose role is ``printfile`` or whose type is in
    :data:`PRINTABLE_FILE_TYPES`. ``size`` is in bytes; ``added_to_library``
    is read in the server's zone.
    """

    checksum: str
    name: str
    filename: str
    file_type: str | None
    size: int | None
    status: str | None
    role: str | None
    has_thumbnail: bool
    printable: bool
    added_to_library: datetime | None

    @classmethod
    def from_dict(
        cls, data: object, *, tz: tzinfo = UTC, path: str = "library_file"
    ) -> Self:
        """Parse one library file."""
        obj = as_object(data, path)
        filename = req_str(obj, "filename", path)
        file_type = opt_str(obj, "file_type", path)
        role = opt_str(obj, "role", path)
        return cls(
            checksum=req_str(obj, "checksum", path),
            name=opt_str(obj, "display_name", path) or filename,
            filename=filename,
            file_type=file_type,
            size=opt_int(obj, "file_size", path),
            status=opt_str(obj, "status", path),
            role=role,
            has_thumbnail=bool(opt_bool(obj, "has_thumbnail", path)),
            printable=role == "printfile" or _printable_type(file_type),
            added_to_library=opt_timestamp(obj, "added_to_library", path, tz),
        )


def _printable_type(file_type: str | None) -> bool:
    if not file_type:
        return False
    normalised = file_type.strip().lower()
    if not normalised.startswith("."):
        normalised = f".{normalised}"
    return normalised in PRINTABLE_FILE_TYPES
