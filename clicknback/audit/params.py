"""Query-string parsing for list filters: a bad value is a 422 naming the parameter, never a 500."""

import datetime as dt
import re
import uuid

from clicknback.errors import ValidationFailed

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def param_str(query_params, name: str, max_length: int = 255) -> str | None:
    raw = query_params.get(name)
    if raw is None or raw.strip() == "":
        return None
    if "\x00" in raw or len(raw) > max_length:
        raise ValidationFailed(
            f"{name} is not a valid value.", field=name, reason=f"Must be at most {max_length} printable characters."
        )
    return raw.strip()


def parse_uuid_param(query_params, name: str) -> uuid.UUID | None:
    raw = param_str(query_params, name)
    if raw is None:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be a UUID.", field=name, reason="Must be a valid UUID.") from None


def parse_date_param(query_params, name: str) -> dt.date | None:
    raw = param_str(query_params, name)
    if raw is None:
        return None
    try:
        if not _DATE.match(raw):
            raise ValueError
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(
            f"{name} must be a date (YYYY-MM-DD).", field=name, reason="Must be a date in YYYY-MM-DD format."
        ) from None


def parse_choice_param(query_params, name: str, choices: list[str]) -> str | None:
    raw = param_str(query_params, name)
    if raw is None:
        return None
    if raw not in choices:
        allowed = ", ".join(choices)
        raise ValidationFailed(f"{name} must be one of: {allowed}.", field=name, reason=f"Must be one of: {allowed}.")
    return raw


def parse_bool_param(query_params, name: str) -> bool | None:
    raw = param_str(query_params, name)
    if raw is None:
        return None
    value = raw.lower()
    if value in {"true", "1"}:
        return True
    if value in {"false", "0"}:
        return False
    raise ValidationFailed(f"{name} must be true or false.", field=name, reason="Must be true or false.")
