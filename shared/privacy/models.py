"""Erasures (SPEC §6): the receipt an operator keeps, and what it counts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.platform.validation import StrictModel

ErasureStatus = Literal["pending", "completed"]
# Who asked: the admin API (wom erase included, which calls it) or Shopify's customers/redact.
ErasureSource = Literal["api", "shopify"]

# How each count is stored on the receipt item (flat attributes, so a transaction can ADD to one).
COUNT_ATTRIBUTES = {
    "advocates": "erased_advocates",
    "conversions": "erased_conversions",
    "rewards_voided": "erased_rewards_voided",
    "rewards_anonymised": "erased_rewards_anonymised",
}


class ErasureRequest(StrictModel):
    customer_id: Annotated[str, Field(min_length=1, max_length=128, description="the storefront's customer id, as it was sent to wom")]


class ErasedCounts(BaseModel):
    advocates: Annotated[int, Field(description="advocate records deleted, with their enrolment and counters; their codes stop resolving")] = 0
    conversions: Annotated[int, Field(description="conversions that lost the customer's id, customer key, email hash and metadata")] = 0
    rewards_voided: Annotated[int, Field(description="pending rewards voided (each published as RewardVoided)")] = 0
    rewards_anonymised: Annotated[int, Field(description="approved, paid or voided rewards and adjustments that keep their amount but lost the customer id")] = 0


class ErasureReceipt(BaseModel):
    """What `DELETE /v1/customers/{customer_id}` answers and `GET /v1/erasures/{erasure_id}` shows. It never holds
    the customer's id or any hash of it."""

    model_config = ConfigDict(extra="ignore")
    erasure_id: str
    status: ErasureStatus
    source: ErasureSource
    requested_at: str
    completed_at: Annotated[str | None, Field(description="when every item holding the customer's data was erased")] = None
    forgotten_at: Annotated[
        str | None,
        Field(description="when wom deleted the last trace: the customer key it kept for a short hold after completion, to turn away writes racing the erasure"),
    ] = None
    erased: ErasedCounts = ErasedCounts()

    @classmethod
    def of(cls, item: dict) -> ErasureReceipt:
        counts = {name: int(item.get(attribute, 0)) for name, attribute in COUNT_ATTRIBUTES.items()}
        return cls.model_validate({**item, "erased": counts})
