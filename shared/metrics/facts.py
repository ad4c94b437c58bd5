"""Facts for the metrics job: what a conversion, refund or reward change adds to its campaign's day.

Each is one item in the events table, written in the same transaction as the change it records, under a key
derived from the change (so a retried change overwrites its fact rather than adding one). They carry only
what the daily metrics need: no customer id, email or order metadata. Pure: callers pass the times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.platform import keys
from shared.platform.clock import expiry, iso
from shared.platform.event_items import stored_attributes

REWARD_CREATED = "reward_created"
REWARD_VOIDED = "reward_voided"
SURVEY_ANSWER = "survey_answer"
REPEAT_PURCHASE = "repeat_purchase"
REWARD_HELD = "reward_held"


@dataclass(frozen=True)
class Fact:
    key: keys.Key
    attributes: dict[str, Any]

    @property
    def item(self) -> dict[str, Any]:
        """As stored: what the key holds (kind, campaign, the fact's own id) is left out of the attributes."""
        return {**self.key, **stored_attributes(self.key["sk"].partition("#")[0], self.attributes)}


def _stamp(fact_type: str, at: datetime, retention_days: int) -> dict[str, Any]:
    return {"kind": fact_type, "at": iso(at), "expires_at": expiry(at, retention_days)}


def conversion_fact(
    *,
    conversion_id: str,
    campaign_id: str | None,
    advocate_id: str | None,
    status: str,
    amount: int,
    currency: str,
    new_customer: bool,
    received_at: datetime,
    retention_days: int,
    heard_from: str | None = None,
) -> Fact:
    """Filed on the day wom received the conversion: that is the day it was reported. An unattributed conversion
    keeps its buyer's `heard_from` answer (untracked word of mouth); a claimed one's goes in a survey_answer_fact."""
    attributes = {
        **_stamp("conversion", received_at, retention_days),
        "conversion_id": conversion_id,
        "campaign_id": campaign_id,
        "advocate_id": advocate_id,
        "status": status,
        "amount": amount,
        "currency": currency,
        "new_customer": new_customer,
        "heard_from": heard_from if campaign_id is None else None,
    }
    return Fact(keys.conversion_fact_key(campaign_id, received_at.date(), conversion_id), attributes)


def survey_answer_fact(*, conversion_id: str, heard_from: str, received_at: datetime, retention_days: int) -> Fact:
    """A claimed conversion's answer to "how did you hear about us?", counted deployment-wide (heard_from)."""
    attributes = {**_stamp(SURVEY_ANSWER, received_at, retention_days), "heard_from": heard_from}
    return Fact(keys.survey_answer_fact_key(received_at.date(), conversion_id), attributes)


def repeat_purchase_fact(
    *, conversion_id: str, campaign_id: str, amount: int, currency: str, received_at: datetime, retention_days: int
) -> Fact:
    """A purchase, attributed or not, by a customer this campaign referred on an earlier day: on the purchase's day."""
    attributes = {**_stamp(REPEAT_PURCHASE, received_at, retention_days), "campaign_id": campaign_id, "amount": amount, "currency": currency}
    return Fact(keys.repeat_purchase_fact_key(campaign_id, received_at.date(), conversion_id), attributes)


def refund_fact(
    *,
    refund_id: str,
    conversion_id: str,
    campaign_id: str,
    conversion_status: str,
    amount: int,
    currency: str,
    received_at: datetime,
    retention_days: int,
) -> Fact:
    attributes = {
        **_stamp("refund", received_at, retention_days),
        "refund_id": refund_id,
        "conversion_id": conversion_id,
        "campaign_id": campaign_id,
        "conversion_status": conversion_status,
        "amount": amount,
        "currency": currency,
    }
    return Fact(keys.refund_fact_key(campaign_id, received_at.date(), refund_id), attributes)


def reward_fact(
    change: str,
    *,
    reward_id: str,
    campaign_id: str,
    advocate_id: str,
    recipient: str,
    amount: int,
    currency: str,
    at: datetime,
    retention_days: int,
) -> Fact:
    """A reward created (filed on its `created_at` day, the day of its conversion), voided (on the day of the
    refund or review that voided it) or held for review (on the day it was flagged)."""
    attributes = {
        **_stamp(change, at, retention_days),
        "reward_id": reward_id,
        "campaign_id": campaign_id,
        "advocate_id": advocate_id,
        "recipient": recipient,
        "amount": amount,
        "currency": currency,
    }
    return Fact(keys.reward_fact_key(campaign_id, at.date(), change, reward_id), attributes)
