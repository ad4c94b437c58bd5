"""Conversion and refund requests from storefronts, and the answers they get."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.conversions.attribution import OCCURRED_AT_WINDOW
from shared.platform.validation import MAX_AMOUNT, MAX_DOCUMENT_DEPTH, StrictModel, as_utc, email_shape, storable_document

# Holding counts from when wom received the purchase, whatever occurred_at says (SPEC §4).
OCCURRED_AT_DESCRIPTION = f"when it happened (ISO-8601; no zone means UTC), {OCCURRED_AT_WINDOW}; default: when wom receives it"


# SPEC §3.2: the buyer's answer to a post-purchase "how did you hear about us?", when the storefront asks it.
HeardFrom = Literal["friend_or_family", "social_media", "influencer", "review_site", "search", "advertising", "other"]
HEARD_FROM: tuple[HeardFrom, ...] = get_args(HeardFrom)
# Where a conversion came from: the signed API, or a commerce platform's webhook.
ConversionSource = Literal["api", "stripe", "shopify"]


class ConversionRequest(StrictModel):
    order_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: Annotated[int, Field(strict=True, ge=0, le=MAX_AMOUNT, description="minor units")]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO-4217 code")]
    customer_id: Annotated[str, Field(min_length=1, max_length=128)]
    customer_email: Annotated[str, Field(max_length=254)] | None = None
    click_id: Annotated[str, Field(max_length=128)] | None = None
    referral_code: Annotated[str, Field(max_length=64)] | None = None
    occurred_at: Annotated[datetime, Field(description=OCCURRED_AT_DESCRIPTION)] | None = None
    metadata: Annotated[
        dict[str, Any],
        Field(description=f"the storefront's own data, at most 4 KB as JSON, nesting at most {MAX_DOCUMENT_DEPTH} levels, no empty keys"),
    ] | None = None
    heard_from: HeardFrom | None = None

    _email = field_validator("customer_email")(email_shape)
    _utc = field_validator("occurred_at")(as_utc)

    @field_validator("metadata")
    @classmethod
    def _metadata_storable(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        storable_document(value)
        if len(json.dumps(value, separators=(",", ":")).encode()) > 4096:
            raise ValueError("metadata is larger than 4 KB")
        return value


class ConversionAttribution(BaseModel):
    method: Literal["click_id", "referral_code", "none"]
    click_id: str | None = None


class NoReward(BaseModel):
    """Said on an attributed purchase that will earn no reward, with the reason."""

    code: Literal["currency_mismatch", "under_minimum"]
    message: str


class ConversionResult(BaseModel):
    conversion_id: str
    order_id: str
    status: Literal["attributed", "unattributed", "self_referral", "not_first_purchase"]
    # Absent when unattributed: no campaign claims the purchase.
    campaign_id: str | None = None
    advocate_id: str | None = None
    attribution: ConversionAttribution
    no_reward: NoReward | None = None


class RefundRequest(StrictModel):
    refund_id: Annotated[str, Field(min_length=1, max_length=128)]
    order_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: Annotated[int, Field(strict=True, gt=0, le=MAX_AMOUNT, description="minor units")]
    occurred_at: Annotated[datetime, Field(description=OCCURRED_AT_DESCRIPTION)] | None = None

    _utc = field_validator("occurred_at")(as_utc)


class RefundResult(BaseModel):
    refund_id: str
    order_id: str
    conversion_id: str
    amount: int
    refunded_total: int


class WebhookReceipt(BaseModel):
    """What wom answers a commerce platform's delivery (the same answer for every redelivery of it)."""

    model_config = ConfigDict(extra="allow")
    received: bool
    event_id: str
    outcome: Literal[
        "ignored",
        "conversion_recorded",
        "already_recorded",
        "attribution_kept",
        "payment_linked",
        "refund_recorded",
        "nothing_new",
        "unknown_order",
        "currency_differs",
        "refund_exceeds_order",
        "idempotency_conflict",
        "erasure_requested",
    ]
