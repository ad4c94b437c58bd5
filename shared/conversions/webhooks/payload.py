"""Reading a platform's JSON without trusting it: every missing field or wrong type is a domain error (a 400).

A webhook body has a valid signature, so it came from the platform, but a change of API version, a test tool or a
bug can still send a shape we do not expect; the route must then answer 4xx in wom's error shape, never 5xx.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from shared.platform.errors import InvalidRequest

MALFORMED_JSON = "malformed_json"
INVALID_WEBHOOK = "invalid_webhook"


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def parse_json_object(raw_body: bytes, what: str) -> dict[str, Any]:
    """The body as a JSON object, or InvalidRequest: bad UTF-8, bad JSON, NaN, nesting too deep, not an object."""
    try:
        value = json.loads(raw_body, parse_constant=_no_constants)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidRequest(f"the {what} body is not valid UTF-8 JSON", code=MALFORMED_JSON) from error
    if not isinstance(value, dict):
        raise InvalidRequest(f"the {what} body is not a JSON object", code=MALFORMED_JSON)
    return value


def invalid(where: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"{where} {message}", code=INVALID_WEBHOOK)


class Doc:
    """A JSON object and where it sits in the payload, so an error names the field (`data.object.amount_total`)."""

    __slots__ = ("value", "where")

    def __init__(self, value: dict[str, Any], where: str) -> None:
        self.value = value
        self.where = where

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str) -> Any:
        return self.value.get(key)

    def text(self, key: str, *, required: bool = False, max_length: int = 5000) -> str | None:
        """A string (an empty one counts as absent)."""
        value = self.value.get(key)
        if value is None or value == "":
            if required:
                raise invalid(self._path(key), "is missing")
            return None
        if not isinstance(value, str):
            raise invalid(self._path(key), "must be a string")
        if len(value) > max_length:
            raise invalid(self._path(key), f"is longer than {max_length} characters")
        return value

    def identifier(self, key: str, *, required: bool = False, max_length: int = 128) -> str | None:
        """An id: a string, an integer (Shopify's ids are JSON numbers), or an expanded object's `id` (Stripe)."""
        value = self.value.get(key)
        where = self._path(key)
        if isinstance(value, dict):
            return Doc(value, where).identifier("id", required=required, max_length=max_length)
        if type(value) is int and value >= 0:
            value = str(value)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if required:
                raise invalid(where, "is missing")
            return None
        if not isinstance(value, str):
            raise invalid(where, "must be a string or a non-negative integer")
        if len(value) > max_length:
            raise invalid(where, f"is longer than {max_length} characters")
        return value

    def integer(self, key: str, *, required: bool = True, minimum: int | None = 0) -> int | None:
        value = self.value.get(key)
        if value is None:
            if required:
                raise invalid(self._path(key), "is missing")
            return None
        if type(value) is not int:  # bool is an int in Python; JSON true is not an amount
            raise invalid(self._path(key), "must be an integer")
        if minimum is not None and value < minimum:
            raise invalid(self._path(key), f"must be at least {minimum}")
        return value

    def obj(self, key: str, *, required: bool = False) -> Doc | None:
        value = self.value.get(key)
        if value is None:
            if required:
                raise invalid(self._path(key), "is missing")
            return None
        if not isinstance(value, dict):
            raise invalid(self._path(key), "must be an object")
        return Doc(value, self._path(key))

    def objects(self, key: str) -> list[Doc]:
        """A list of objects (absent or null: empty)."""
        value = self.value.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise invalid(self._path(key), "must be a list")
        items = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise invalid(f"{self._path(key)}[{index}]", "must be an object")
            items.append(Doc(item, f"{self._path(key)}[{index}]"))
        return items

    def string_map(self, key: str) -> dict[str, str]:
        """Stripe metadata: string keys and values; anything else in it is skipped, not fatal."""
        value = self.value.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise invalid(self._path(key), "must be an object")
        return {name: item for name, item in value.items() if isinstance(item, str)}

    def timestamp(self, key: str, *, required: bool = False) -> datetime | None:
        """Unix seconds (Stripe) as an aware UTC datetime."""
        seconds = self.integer(key, required=required)
        if seconds is None:
            return None
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError) as error:
            raise invalid(self._path(key), "is not a plausible time") from error

    def iso_time(self, key: str) -> datetime | None:
        """An ISO-8601 time with an offset (Shopify) as UTC; absent, empty or unparseable: None."""
        value = self.value.get(key)
        if not isinstance(value, str) or not value:
            return None
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)

