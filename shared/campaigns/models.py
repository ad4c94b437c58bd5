"""Campaigns, their reward rules and their advocates: requests and what is stored."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.platform.validation import SLUG, StrictModel, email_shape, https_url
from shared.rewards.models import RewardStatus, RewardTally


class RewardRule(StrictModel):
    type: Literal["percent", "flat"]
    value: Annotated[float, Field(gt=0, description="percent of the order amount, or minor units for flat")]

    @model_validator(mode="after")
    def _value_fits_type(self) -> RewardRule:
        if self.type == "percent" and self.value > 100:
            raise ValueError("a percent reward is at most 100")
        if self.type == "flat" and self.value != int(self.value):
            raise ValueError("a flat reward is a whole number of minor units")
        return self


class RewardRules(StrictModel):
    advocate: RewardRule
    friend: RewardRule | None = None
    min_order_amount: Annotated[int, Field(ge=0)] = 0
    holding_days: Annotated[int, Field(ge=0, le=365)] = 14
    max_rewards_per_advocate_per_month: Annotated[int, Field(ge=1)] | None = None
    first_purchase_only: bool = True


class CampaignCreate(StrictModel):
    campaign_id: Annotated[str, Field(pattern=SLUG, description="lower-case slug, 1–64 characters")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    destination_url: Annotated[str, Field(description="https URL the referral links lead to")]
    attribution_window_days: Annotated[int, Field(ge=1, le=365)] = 30
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO-4217 code")] = "USD"
    rewards: RewardRules

    _destination = field_validator("destination_url")(https_url)


class Campaign(CampaignCreate):
    model_config = ConfigDict(extra="ignore")
    status: Literal["active", "disabled"] = "active"
    rules_version: int = 1
    created_at: str


class AdvocateEnrolment(StrictModel):
    customer_id: Annotated[str, Field(min_length=1, max_length=128)]
    email: Annotated[str, Field(max_length=254)] | None = None

    _email = field_validator("email")(email_shape)


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


class CampaignPatch(StrictModel):
    """Changes to a campaign; new `rewards` make a new rules version (earlier conversions keep theirs)."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    destination_url: str | None = None
    attribution_window_days: Annotated[int, Field(ge=1, le=365)] | None = None
    status: Literal["active", "disabled"] | None = None
    rewards: RewardRules | None = None

    @field_validator("destination_url")
    @classmethod
    def _destination(cls, value: str | None) -> str | None:
        return None if value is None else https_url(value)

    @model_validator(mode="after")
    def _not_empty(self) -> CampaignPatch:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self


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
