"""Request and domain models (pydantic v2). Validation lives here, once."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
EVENT_ID = r"^[A-Za-z0-9._:-]{1,128}$"
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RewardRule(_Strict):
    type: Literal["percent", "flat"]
    value: Annotated[float, Field(gt=0, description="percent of the order amount, or minor units for flat")]

    @model_validator(mode="after")
    def _value_fits_type(self) -> RewardRule:
        if self.type == "percent" and self.value > 100:
            raise ValueError("a percent reward is at most 100")
        if self.type == "flat" and self.value != int(self.value):
            raise ValueError("a flat reward is a whole number of minor units")
        return self


class RewardRules(_Strict):
    advocate: RewardRule
    friend: RewardRule | None = None
    min_order_amount: Annotated[int, Field(ge=0)] = 0
    holding_days: Annotated[int, Field(ge=0, le=365)] = 14
    max_rewards_per_advocate_per_month: Annotated[int, Field(ge=1)] | None = None
    first_purchase_only: bool = True


def _https_url(value: str) -> str:
    if len(value) > 2048 or any(ch.isspace() for ch in value):
        raise ValueError("destination_url must be a URL of at most 2048 characters without spaces")
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or not _HOSTNAME.match(parts.hostname):
        raise ValueError("destination_url must be an https URL with a host name")
    if parts.username or parts.password:
        raise ValueError("destination_url must not carry credentials")
    return value


class CampaignCreate(_Strict):
    campaign_id: Annotated[str, Field(pattern=SLUG, description="lower-case slug, 1–64 characters")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    destination_url: Annotated[str, Field(description="https URL the referral links lead to")]
    attribution_window_days: Annotated[int, Field(ge=1, le=365)] = 30
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO-4217 code")] = "USD"
    rewards: RewardRules

    _destination = field_validator("destination_url")(_https_url)


class Campaign(CampaignCreate):
    model_config = ConfigDict(extra="ignore")
    status: Literal["active", "disabled"] = "active"
    rules_version: int = 1
    created_at: str


class AdvocateEnrolment(_Strict):
    customer_id: Annotated[str, Field(min_length=1, max_length=128)]
    email: Annotated[str, Field(max_length=254)] | None = None

    @field_validator("email")
    @classmethod
    def _email_shape(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            raise ValueError("email is not an email address")
        return value


class Advocate(BaseModel):
    model_config = ConfigDict(extra="ignore")
    advocate_id: str
    campaign_id: str
    customer_id: str
    code: str
    created_at: str
    email_hash: str | None = None


class AdvocateLink(BaseModel):
    advocate_id: str
    code: str
    link: str


class LinkTarget(BaseModel):
    """What a referral code resolves to on the hot path."""

    code: str
    campaign_id: str
    advocate_id: str
    destination_url: str


class TrackedEvent(_Strict):
    type: Literal["share", "view", "click"]
    code: Annotated[str, Field(min_length=1, max_length=64)]
    channel: Annotated[str, Field(max_length=64)] | None = None
    occurred_at: datetime | None = None
    event_id: Annotated[str, Field(pattern=EVENT_ID)] | None = None

    @field_validator("occurred_at")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


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


class ConversionRequest(_Strict):
    order_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: Annotated[int, Field(strict=True, ge=0, description="minor units")]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO-4217 code")]
    customer_id: Annotated[str, Field(min_length=1, max_length=128)]
    customer_email: Annotated[str, Field(max_length=254)] | None = None
    click_id: Annotated[str, Field(max_length=128)] | None = None
    referral_code: Annotated[str, Field(max_length=64)] | None = None
    occurred_at: datetime | None = None
    metadata: dict[str, Any] | None = None

    _email = field_validator("customer_email")(AdvocateEnrolment._email_shape.__func__)
    _utc = field_validator("occurred_at")(TrackedEvent._as_utc.__func__)

    @field_validator("metadata")
    @classmethod
    def _metadata_size(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(json.dumps(value, separators=(",", ":")).encode()) > 4096:
            raise ValueError("metadata is larger than 4 KB")
        return value


class ConversionAttribution(BaseModel):
    method: Literal["click_id", "referral_code", "none"]
    click_id: str | None = None


class ConversionResult(BaseModel):
    conversion_id: str
    order_id: str
    status: Literal["attributed", "unattributed", "self_referral", "not_first_purchase"]
    campaign_id: str | None = None
    advocate_id: str | None = None
    attribution: ConversionAttribution


class RefundRequest(_Strict):
    refund_id: Annotated[str, Field(min_length=1, max_length=128)]
    order_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: Annotated[int, Field(strict=True, gt=0, description="minor units")]
    occurred_at: datetime | None = None

    _utc = field_validator("occurred_at")(TrackedEvent._as_utc.__func__)


class RefundResult(BaseModel):
    refund_id: str
    order_id: str
    conversion_id: str
    amount: int
    refunded_total: int


class CampaignPatch(_Strict):
    """Changes to a campaign; new `rewards` make a new rules version (earlier conversions keep theirs)."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    destination_url: str | None = None
    attribution_window_days: Annotated[int, Field(ge=1, le=365)] | None = None
    status: Literal["active", "disabled"] | None = None
    rewards: RewardRules | None = None

    @field_validator("destination_url")
    @classmethod
    def _destination(cls, value: str | None) -> str | None:
        return None if value is None else _https_url(value)

    @model_validator(mode="after")
    def _not_empty(self) -> CampaignPatch:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


RewardStatus = Literal["pending", "approved", "paid", "voided"]


class Reward(BaseModel):
    model_config = ConfigDict(extra="ignore")
    reward_id: str
    campaign_id: str
    conversion_id: str
    advocate_id: str
    recipient: Literal["advocate", "friend"]
    customer_id: str
    amount: int
    currency: str
    status: RewardStatus
    rules_version: int
    created_at: str
    approved_at: str | None = None
    paid_at: str | None = None
    voided_at: str | None = None
    reference: str | None = None
    # A negative adjustment (clawback) names the reward it adjusts and the refund behind it.
    adjusts: str | None = None
    refund_id: str | None = None


class RewardPage(BaseModel):
    rewards: list[Reward]
    next_cursor: str | None


class Fulfilment(_Strict):
    reference: Annotated[str, Field(min_length=1, max_length=256)]


class RewardTally(BaseModel):
    count: int = 0
    amount: int = 0


class AdvocateView(BaseModel):
    advocate_id: str
    campaign_id: str
    customer_id: str
    code: str
    created_at: str
    shares: int
    clicks: int
    conversions: int
    rewards: dict[RewardStatus, RewardTally]
    adjustments: RewardTally
