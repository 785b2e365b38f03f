"""Request validation the way FastAPI and pydantic report it (the 422 error items)."""

from __future__ import annotations

from datetime import date
import json
from typing import Any
import uuid

from aiohttp import web

from .common import enum_message

type Errors = list[dict[str, Any]]

_TRUE = {"1", "true", "t", "yes", "y", "on"}
_FALSE = {"0", "false", "f", "no", "n", "off"}
_HEX = frozenset("0123456789abcdefABCDEF")


def error_item(kind: str, loc: list[Any], msg: str, value: Any) -> dict[str, Any]:
    """One entry of `details.validation_errors` (the server drops pydantic's ctx)."""
    return {"type": kind, "loc": loc, "msg": msg, "input": value}


def int_param(
    query: Any,
    name: str,
    default: int,
    *,
    minimum: int | None,
    maximum: int | None,
    errors: Errors,
    where: str = "query",
) -> int:
    """Parse an integer query (or path) parameter with optional bounds."""
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        errors.append(
            error_item(
                "int_parsing",
                [where, name],
                "Input should be a valid integer, unable to parse string as an integer",
                raw,
            )
        )
        return default
    if minimum is not None and value < minimum:
        errors.append(
            error_item(
                "greater_than_equal",
                [where, name],
                f"Input should be greater than or equal to {minimum}",
                raw,
            )
        )
        return default
    if maximum is not None and value > maximum:
        errors.append(
            error_item(
                "less_than_equal",
                [where, name],
                f"Input should be less than or equal to {maximum}",
                raw,
            )
        )
        return default
    return value


def enum_param(
    query: Any, name: str, values: tuple[str, ...], errors: Errors
) -> str | None:
    """Parse an optional enum query parameter."""
    raw = query.get(name)
    if raw is None:
        return None
    if raw not in values:
        errors.append(error_item("enum", ["query", name], enum_message(values), raw))
        return None
    return str(raw)


def bool_param(query: Any, name: str, errors: Errors) -> bool | None:
    """Parse an optional boolean query parameter the way pydantic does."""
    raw = query.get(name)
    if raw is None:
        return None
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    errors.append(
        error_item(
            "bool_parsing",
            ["query", name],
            "Input should be a valid boolean, unable to interpret input",
            raw,
        )
    )
    return None


def str_param(
    query: Any, name: str, errors: Errors, *, min_length: int = 0
) -> str | None:
    """Parse an optional string query parameter with a minimum length."""
    raw = query.get(name)
    if raw is None:
        return None
    if len(raw) < min_length:
        plural = "character" if min_length == 1 else "characters"
        errors.append(
            error_item(
                "string_too_short",
                ["query", name],
                f"String should have at least {min_length} {plural}",
                raw,
            )
        )
        return None
    return str(raw)


def date_param(query: Any, name: str, errors: Errors) -> date | None:
    """Parse an optional `date` query parameter (YYYY-MM-DD)."""
    raw = query.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(
            error_item(
                "date_from_datetime_parsing",
                ["query", name],
                "Input should be a valid date or datetime, invalid date separator",
                raw,
            )
        )
        return None


def uuid_path(request: web.Request, name: str, errors: Errors) -> str:
    """Parse a path parameter declared as `UUID`; returns its canonical form."""
    raw = request.match_info[name]
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        pass
    bad = next(
        (
            (index + 1, char)
            for index, char in enumerate(raw)
            if char not in _HEX and char != "-"
        ),
        None,
    )
    if bad is not None:
        detail = (
            "invalid character: expected an optional prefix of `urn:uuid:` "
            f"followed by [0-9a-fA-F-], found `{bad[1]}` at {bad[0]}"
        )
    else:
        digits = len(raw.replace("-", ""))
        detail = f"invalid length: expected length 32 for simple format, found {digits}"
    errors.append(
        error_item(
            "uuid_parsing",
            ["path", name],
            f"Input should be a valid UUID, {detail}",
            raw,
        )
    )
    return raw


async def json_body(request: web.Request, errors: Errors) -> Any:
    """Read a required JSON body; a missing or undecodable one becomes a 422 item."""
    raw = await request.text() if request.can_read_body else ""
    if not raw:
        errors.append(error_item("missing", ["body"], "Field required", None))
        return None
    try:
        return json.loads(raw)
    except ValueError as err:
        position = err.pos if isinstance(err, json.JSONDecodeError) else 0
        errors.append(
            error_item("json_invalid", ["body", position], "JSON decode error", {})
        )
        return None


def body_object(body: Any, errors: Errors) -> dict[str, Any] | None:
    """Require the body to be a JSON object, as a pydantic model does."""
    if isinstance(body, dict):
        return body
    errors.append(
        error_item(
            "model_attributes_type",
            ["body"],
            "Input should be a valid dictionary or object to extract fields from",
            body,
        )
    )
    return None


def required_str(body: dict[str, Any], name: str, errors: Errors) -> str | None:
    """A required string field of a body model."""
    if name not in body:
        errors.append(error_item("missing", ["body", name], "Field required", body))
        return None
    value = body[name]
    if not isinstance(value, str):
        errors.append(
            error_item(
                "string_type", ["body", name], "Input should be a valid string", value
            )
        )
        return None
    return value


def optional_str(body: dict[str, Any], name: str, errors: Errors) -> str | None:
    """An optional string field (null allowed) of a body model."""
    value = body.get(name)
    if value is None or isinstance(value, str):
        return value
    errors.append(
        error_item(
            "string_type", ["body", name], "Input should be a valid string", value
        )
    )
    return None


def optional_int(body: dict[str, Any], name: str, errors: Errors) -> int | None:
    """An optional integer field (null allowed) of a body model."""
    value = body.get(name)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            errors.append(
                error_item(
                    "int_parsing",
                    ["body", name],
                    "Input should be a valid integer, unable to parse string as an integer",
                    value,
                )
            )
            return None
    errors.append(
        error_item("int_type", ["body", name], "Input should be a valid integer", value)
    )
    return None
