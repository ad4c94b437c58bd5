"""Conversion and refund requests from storefronts, and the answers they get."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator

from shared.platform.validation import StrictModel, as_utc, email_shape


class ConversionRequest(StrictModel):
    order_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: Annotated[int, Field(strict=True, ge=0, description="minor units")]
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO-4217 code")]
    customer_id: Annotated[str, Field(min_length=1, max_length=128)]
    customer_email: Annotated[str, Field(max_length=254)] | None = None
    click_id: Annotated[str, Field(max_length=128)] | None = None
    referral_code: Annotated[str, Field(max_length=64)] | None = None
    occurred_at: datetime | None = None
    metadata: dict[str, Any] | None = None

    _email = field_validator("customer_email")(email_shape)
    _utc = field_validator("occurred_at")(as_utc)

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


class RefundRequest(StrictModel):
    refund_id: Annotated[str, Field(min_length=1, max_length=128)]
    order_id: Annotated[str, Field(min_length=1, max_length=128)]
    amount: Annotated[int, Field(strict=True, gt=0, description="minor units")]
    occurred_at: datetime | None = None

    _utc = field_validator("occurred_at")(as_utc)


class RefundResult(BaseModel):
    refund_id: str
    order_id: str
    conversion_id: str
    amount: int
    refunded_total: int
