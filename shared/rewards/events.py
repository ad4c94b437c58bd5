"""What each reward change tells the outside world: its EventBridge event (through the outbox) and its fact for the
metrics job. Pure: callers pass the times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.metrics.facts import Fact, reward_fact
from shared.rewards.models import RewardRecord
from shared.rewards.repository import OutboxEntry, event_id

_SHOWN = {"reward_id", "campaign_id", "conversion_id", "advocate_id", "recipient", "customer_id", "amount", "currency", "status", "rules_version"}


def _compact(at: str) -> str:
    return "".join(ch for ch in at if ch.isalnum())


def reward_event(reward: RewardRecord, detail_type: str, at: str, **extra: Any) -> OutboxEntry:
    """The event for one state change of one reward; its id names the change, so consumers can deduplicate. A reward is
    approved and voided at most once, but may be held again after a rescore released it: a hold's id carries its time.
    A hold names no customer: nothing is owed to anyone yet, and an erasure, which rewrites the unpublished events it
    can name by id (shared/privacy/job.py), could not name a hold's."""
    if detail_type == "RewardHeld":
        event_id_ = f"{reward.reward_id}.held.{_compact(at)}"
        detail = {"event_id": event_id_, **reward.model_dump(include=_SHOWN - {"customer_id"}), "at": at}
        if reward.review is not None:
            detail["review"] = reward.review.model_dump(include={"reasons", "flagged_at"})
    else:
        event_id_ = event_id(reward.reward_id, detail_type)
        detail = {"event_id": event_id_, **reward.model_dump(include=_SHOWN), "at": at}
    if reward.milestone is not None:
        detail["milestone"] = reward.milestone
    return OutboxEntry(event_id_, detail_type, {**detail, **extra})


def reward_change_fact(change: str, reward: RewardRecord, at: datetime, retention_days: int) -> Fact:
    return reward_fact(
        change,
        **reward.model_dump(include={"reward_id", "campaign_id", "advocate_id", "recipient", "amount", "currency"}),
        at=at,
        retention_days=retention_days,
    )
