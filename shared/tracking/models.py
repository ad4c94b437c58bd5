"""Tracking requests (the events API and the pixel) and what a referral code resolves to."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.platform.validation import EVENT_ID, StrictModel, as_utc


class LinkTarget(BaseModel):
    """What a referral code resolves to on the hot path."""

    code: str
    campaign_id: str
    advocate_id: str
    destination_url: str


class TrackedEvent(StrictModel):
    type: Literal["share", "view", "click"]
    code: Annotated[str, Field(min_length=1, max_length=64)]
    channel: Annotated[str, Field(max_length=64)] | None = None
    occurred_at: datetime | None = None
    event_id: Annotated[str, Field(pattern=EVENT_ID)] | None = None

    _utc = field_validator("occurred_at")(as_utc)


class EventBatch(BaseModel):
    events: Annotated[
        list[Any],
        Field(min_length=1, max_length=100, description="1–100 events, each {type, code, channel?, occurred_at?, event_id?}"),
    ]


class RejectedEvent(BaseModel):
    index: int
    error: dict[str, str]


class EventBatchResult(BaseModel):
    accepted: int
    rejected: list[RejectedEvent]


class PixelQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    t: Literal["share", "view"]
    c: Annotated[str, Field(min_length=1, max_length=64)]
    ch: Annotated[str, Field(max_length=64)] | None = None
