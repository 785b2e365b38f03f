"""Field readers shared by the models.

Each reader takes the containing object, the key and the dotted path of the
containing object, and names the full path in its error, e.g.
``health.services.database.status: expected str, got int``. Errors never
quote the offending value: it may sit next to a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
import math
import re
from typing import Any, Self

# Relative, so that the package works wherever it is mounted; the models
# import the error from here.
from ..exceptions import PrinternizerResponseError

__all__ = [
    "LenientEnum",
    "PrinternizerResponseError",
    "as_object",
    "opt_array",
    "opt_bool",
    "opt_decimal",
    "opt_enum",
    "opt_float",
    "opt_int",
    "opt_object",
    "opt_str",
    "opt_timestamp",
    "parse_timestamp",
    "req_int",
    "req_str",
    "type_name",
    "without_userinfo",
    "wrong",
]

_USERINFO_RE = re.compile(r"(?<=://)[^/@\s]+@")


class LenientEnum(StrEnum):
    """A string enum whose unknown values map to ``unknown``."""

    @classmethod
    def _missing_(cls, value: object) -> Self:
        return cls("unknown")


def type_name(value: object) -> str:
    """Return the JSON name of a decoded value's type."""
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def wrong(path: str, expected: str, value: object) -> PrinternizerResponseError:
    """Return the error for a field of the wrong type."""
    return PrinternizerResponseError(
        f"{path}: expected {expected}, got {type_name(value)}"
    )


def as_object(value: object, path: str) -> Mapping[str, Any]:
    """Return ``value`` as a JSON object, or raise naming ``path``."""
    if not isinstance(value, Mapping):
        raise wrong(path, "object", value)
    return value


def opt_object(data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    """Return an object field, or an empty mapping when absent or null."""
    value = data.get(key)
    if value is None:
        return {}
    return as_object(value, f"{path}.{key}")


def opt_array(data: Mapping[str, Any], key: str, path: str) -> list[Any]:
    """Return an array field, or an empty list when absent or null."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise wrong(f"{path}.{key}", "array", value)
    return value


def req_str(data: Mapping[str, Any], key: str, path: str) -> str:
    """Return a required string field."""
    if key not in data:
        raise PrinternizerResponseError(f"{path}.{key}: missing")
    value = data[key]
    if not isinstance(value, str):
        raise wrong(f"{path}.{key}", "str", value)
    return value


def opt_str(data: Mapping[str, Any], key: str, path: str) -> str | None:
    """Return a string field, or None when absent or null."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise wrong(f"{path}.{key}", "str", value)
    return value


def opt_bool(data: Mapping[str, Any], key: str, path: str) -> bool | None:
    """Return a boolean field, or None when absent or null."""
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise wrong(f"{path}.{key}", "bool", value)
    return value


def opt_float(data: Mapping[str, Any], key: str, path: str) -> float | None:
    """Return a number field (int or float) as float, or None."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong(f"{path}.{key}", "number", value)
    return float(value)


def opt_int(data: Mapping[str, Any], key: str, path: str) -> int | None:
    """Return an integer field; an integral float such as ``3.0`` is accepted."""
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong(f"{path}.{key}", "int", value)
    if isinstance(value, float) and not value.is_integer():
        raise wrong(f"{path}.{key}", "int", value)
    return int(value)


def req_int(data: Mapping[str, Any], key: str, path: str) -> int:
    """Return a required integer field."""
    value = opt_int(data, key, path)
    if value is None:
        raise PrinternizerResponseError(f"{path}.{key}: missing")
    return value


def opt_decimal(data: Mapping[str, Any], key: str, path: str) -> float | None:
    """Read a number the server may send as a decimal string (``"12.50"``).

    A string that is not a finite number gives None; other types raise.
    """
    value = data.get(key)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return opt_float(data, key, path)


def opt_enum[E: LenientEnum](
    data: Mapping[str, Any], key: str, path: str, enum: type[E]
) -> E:
    """Read an enum field leniently: absent, null or unknown → ``unknown``."""
    value = opt_str(data, key, path)
    return enum(value if value is not None else "unknown")


def parse_timestamp(value: object, tz: tzinfo = UTC) -> datetime | None:
    """Parse a server timestamp into an aware datetime.

    A naive timestamp (the server's usual form) is read in ``tz``. ``None``
    or a string that is not ISO-8601 gives ``None``; any other type raises
    ``TypeError``.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(type_name(value))
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def opt_timestamp(
    data: Mapping[str, Any], key: str, path: str, tz: tzinfo
) -> datetime | None:
    """Read a timestamp field in ``tz`` (see :func:`parse_timestamp`)."""
    value = data.get(key)
    try:
        return parse_timestamp(value, tz)
    except TypeError:
        raise wrong(f"{path}.{key}", "timestamp", value) from None


def without_userinfo(text: str | None) -> str | None:
    """Remove ``user:password@`` from every URL in ``text``."""
    if text is None:
        return None
    return _USERINFO_RE.sub("", text)
