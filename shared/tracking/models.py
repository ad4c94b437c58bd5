"""Tracking requests (the events API and the pixel) and what a referral code resolves to.

Plain Python, no pydantic: the tracking function's cold start is its import (SPEC §8), and pydantic's import
alone is about half of `import boto3` plus a client. The OpenAPI document describes the same shapes
(functions/tracking/openapi.py); tests/unit/test_tracking_models.py holds the two to the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.platform.ids import EVENT_ID

EVENT_TYPES = ("share", "view", "click")
PIXEL_TYPES = ("share", "view")
CODE_MAX = 64
CHANNEL_MAX = 64
BATCH_MAX = 100
_EVENT_ID = re.compile(EVENT_ID)
_FIELDS = frozenset({"type", "code", "channel", "occurred_at", "event_id"})


class InvalidEvent(ValueError):
    """One event of a batch that is not an event: `message` says which field and why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class LinkTarget:
    """What a referral code resolves to on the hot path."""

    code: str
    campaign_id: str
    advocate_id: str
    destination_url: str


@dataclass(frozen=True)
class TrackedEvent:
    type: str
    code: str
    channel: str | None = None
    occurred_at: datetime | None = None
    event_id: str | None = None


@dataclass(frozen=True)
class PixelQuery:
    t: str
    c: str
    ch: str | None = None


@dataclass(frozen=True)
class RejectedEvent:
    index: int
    error: dict[str, str]


@dataclass(frozen=True)
class EventBatchResult:
    accepted: int
    rejected: list[RejectedEvent]

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "rejected": [{"index": r.index, "error": r.error} for r in self.rejected]}


def _text(raw: dict[str, Any], name: str, max_length: int, required: bool) -> str | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise InvalidEvent(f"{name}: Field required")
        return None
    if not isinstance(value, str):
        raise InvalidEvent(f"{name}: Input should be a valid string")
    value = value.strip()
    if required and not value:
        raise InvalidEvent(f"{name}: String should have at least 1 character")
    if len(value) > max_length:
        raise InvalidEvent(f"{name}: String should have at most {max_length} characters")
    return value


def _instant(value: Any) -> datetime | None:
    """ISO-8601 (a time without a zone is UTC); anything else is not a time."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidEvent("occurred_at: Input should be a valid datetime")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InvalidEvent("occurred_at: Input should be a valid datetime") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def tracked_event(raw: Any) -> TrackedEvent:
    """One event of a batch, or InvalidEvent saying what is wrong with it."""
    if not isinstance(raw, dict):
        raise InvalidEvent("Input should be an object")
    unknown = sorted(str(name) for name in raw if name not in _FIELDS)
    if unknown:
        raise InvalidEvent(f"{unknown[0]}: Extra inputs are not permitted")
    event_type = _text(raw, "type", 16, required=True)
    if event_type not in EVENT_TYPES:
        raise InvalidEvent("type: Input should be 'share', 'view' or 'click'")
    event_id = _text(raw, "event_id", 128, required=False)
    if event_id is not None and not _EVENT_ID.match(event_id):
        raise InvalidEvent(f"event_id: String should match pattern '{EVENT_ID}'")
    return TrackedEvent(
        type=event_type,
        code=str(_text(raw, "code", CODE_MAX, required=True)),
        channel=_text(raw, "channel", CHANNEL_MAX, required=False),
        occurred_at=_instant(raw.get("occurred_at")),
        event_id=event_id,
    )


def batch_events(body: Any) -> list[Any]:
    """The `events` of a body, 1–100 of them; ValueError when the body is not such a batch."""
    if not isinstance(body, dict) or "events" not in body:
        raise ValueError("events: Field required")
    events = body["events"]
    if not isinstance(events, list) or not 1 <= len(events) <= BATCH_MAX:
        raise ValueError(f"events: a list of 1 to {BATCH_MAX} events")
    return events


def pixel_query(query: dict[str, str]) -> PixelQuery | None:
    """The pixel's query (`t`, `c`, `ch`; anything else ignored), or None when it is not valid."""
    kind, code, channel = query.get("t"), query.get("c"), query.get("ch")
    if kind not in PIXEL_TYPES or not code or len(code) > CODE_MAX or (channel is not None and len(channel) > CHANNEL_MAX):
        return None
    return PixelQuery(t=kind, c=code, ch=channel)
