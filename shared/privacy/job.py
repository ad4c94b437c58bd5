"""The privacy job (SPEC §6), every few minutes in AWS and every WOM_JOBS_INTERVAL seconds in local mode:

- works through each pending erasure's customer index, one referenced item per transaction, until none is left:
  a pending reward is voided (RewardVoided through the rewards outbox), any other reward keeps its amount and
  loses the customer's ids, a conversion loses its buyer (id, customer key, email hash, metadata, body hash), an
  advocate goes with its enrolment, counters and activity, and its code stops resolving. Then the receipt
  completes;
- deletes an erased customer's state once its hold has ended: the last item that held their customer key;
- destroys the visitor salts whose 48 hours are over (TTL would too, but DynamoDB's TTL may take days).

Each step is conditional on the state it read and closes its reference in the same transaction, so a run that
dies halfway, or two runs at once, leave every item either erased once or still to do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.campaigns.repository import CampaignRepository
from shared.conversions.repository import ConversionRepository
from shared.platform.clock import iso
from shared.platform.dynamo import ConditionFailed, Operation, TransactionCancelled
from shared.platform.observability import logger
from shared.platform.worklist import first_unseen
from shared.privacy.index import ERASED
from shared.privacy.repository import ErasureRepository
from shared.rewards.events import reward_event
from shared.rewards.repository import RewardRepository
from shared.tracking.salts import VisitorSaltRepository

# How long an erased customer's state (their customer key, marked `erased`) outlives the erasure, turning away
# writes of their data: longer than any request can last (API Gateway ends every integration at 30 s), so a
# conversion or enrolment that was under way when the erasure completed is stored without them or refused.
ERASURE_HOLD = timedelta(seconds=60)
# Stop starting new work this many seconds before the function's time runs out.
TIME_MARGIN_SECONDS = 20.0
MAX_ROUNDS = 1_000
_ATTEMPTS = 3
KEPT_CHANGING = "the item changed each time it was read for erasure"
# Rewards first: a reward's erasure reads nothing else, and voids before anything it depends on goes.
_FAMILY_ORDER = {"reward": 0, "conversion": 1, "advocate": 2}

Changes = tuple[list[Operation], str | None]  # the item's changes and the receipt count they add to (None: nothing to erase)


@dataclass
class PrivacyRunSummary:
    erasures_completed: int = 0
    erasures_unfinished: int = 0
    items_erased: int = 0
    set_aside: int = 0  # references whose item kept changing: every run tries them again
    set_aside_items: list[dict[str, str]] = field(default_factory=list)
    customers_forgotten: int = 0
    salts_destroyed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class PrivacyJob:
    def __init__(
        self,
        erasures: ErasureRepository,
        campaigns: CampaignRepository,
        conversions: ConversionRepository,
        rewards: RewardRepository,
        salts: VisitorSaltRepository,
        hold: timedelta = ERASURE_HOLD,
    ) -> None:
        self.erasures = erasures
        self.campaigns = campaigns
        self.conversions = conversions
        self.rewards = rewards
        self.salts = salts
        self.hold = hold

    def set_aside(self) -> list[dict[str, Any]]:
        """The references earlier runs could not erase, and why (no personal data: ids of wom's own items)."""
        return [
            {"family": r.get("family"), "name": r.get("name"), "reason": r.get("set_aside_reason"), "set_aside_at": r.get("due_at")}
            for r in self.erasures.set_aside_references()
        ]

    def run(self, now: datetime, time_left: Callable[[], float] = lambda: math.inf) -> dict[str, Any]:
        """`time_left`: seconds until the function is stopped (Lambda's remaining time). Every run retries what
        earlier ones set aside: a pending erasure's references stay in its customer's index until erased."""
        summary = PrivacyRunSummary()
        seen: set[tuple[str, str]] = set()
        for _ in range(MAX_ROUNDS):
            # The index lags the table a little: an entry this run has dealt with may still be listed.
            due = first_unseen(lambda cursor: self.erasures.due(now, cursor), lambda item: (item["pk"], item["due_at"]) not in seen)
            if not due or time_left() < TIME_MARGIN_SECONDS:
                break
            for item in due:
                seen.add((item["pk"], item["due_at"]))
                if time_left() < TIME_MARGIN_SECONDS:
                    break
                if item.get("kind") == "erasure":
                    self._advance(item, now, time_left, summary)
                elif item.get("kind") == "customer" and item.get("state") == ERASED:
                    self._forget(item, now, summary)
        summary.salts_destroyed = self.salts.destroy_expired(now)
        return summary.as_dict()

    # --- one erasure ----------------------------------------------------------------------------------

    def _advance(self, erasure: dict[str, Any], now: datetime, time_left: Callable[[], float], summary: PrivacyRunSummary) -> None:
        customer_key = erasure.get("customer_key")
        if erasure.get("status") != "pending" or not customer_key:
            return  # a stale entry of a completed erasure
        stuck: set[str] = set()
        while time_left() >= TIME_MARGIN_SECONDS:
            references = [r for r in self.erasures.references(customer_key) if r["sk"] not in stuck]
            if not references:
                if stuck:
                    break
                self._complete(erasure, now, summary)
                return
            for reference in sorted(references, key=lambda r: _FAMILY_ORDER.get(r.get("family"), len(_FAMILY_ORDER))):
                if time_left() < TIME_MARGIN_SECONDS:
                    break
                if self._erase_reference(erasure["erasure_id"], customer_key, reference, now):
                    summary.items_erased += 1
                else:
                    stuck.add(reference["sk"])
                    self.erasures.set_aside(reference, KEPT_CHANGING, now)
                    summary.set_aside += 1
                    summary.set_aside_items.append({"erasure_id": erasure["erasure_id"], "family": reference.get("family", ""), "name": reference.get("name", ""), "reason": KEPT_CHANGING})
        summary.erasures_unfinished += 1

    def _complete(self, erasure: dict[str, Any], now: datetime, summary: PrivacyRunSummary) -> None:
        try:
            self.erasures.complete(erasure, now, now + self.hold)
            summary.erasures_completed += 1
        except TransactionCancelled:
            pass  # an overlapping run completed it

    def _forget(self, state: dict[str, Any], now: datetime, summary: PrivacyRunSummary) -> None:
        try:
            self.erasures.forget(state, now)
            summary.customers_forgotten += 1
        except TransactionCancelled:
            pass  # forgotten by an overlapping run

    def _erase_reference(self, erasure_id: str, customer_key: str, reference: dict[str, Any], now: datetime) -> bool:
        """Erases the item a reference names and closes the reference, in one transaction; re-reads the item when it
        changed meanwhile. False when it kept changing: the reference stays for the next run."""
        for _ in range(_ATTEMPTS):
            operations, count = self._changes(reference, customer_key, iso(now))
            try:
                self.erasures.erase(operations + self.erasures.reference_done(erasure_id, reference, count))
                return True
            except ConditionFailed:
                continue
        logger.error("privacy job set an item aside", extra={"erasure_id": erasure_id, "family": reference.get("family"), "reason": KEPT_CHANGING})
        return False

    def _changes(self, reference: dict[str, Any], customer_key: str, at: str) -> Changes:
        family, name = reference.get("family"), reference.get("name", "")
        if family == "reward":
            return self._reward_changes(name, customer_key, at)
        if family == "conversion":
            order = self.conversions.order_item(name)
            if order is None or order.get("customer_key") != customer_key:
                return [], None
            return self.conversions.erasure_changes(order, customer_key, at), "conversions"
        if family == "ledger":
            # The customer's revenue ledger goes; the cohort's ERASED counters keep what it added (no receipt count:
            # it is wom's own aggregate input, not a record the customer would recognise).
            return self.conversions.ledger.erasure_changes(customer_key), None
        if family == "advocate":
            records = self.campaigns.advocate_records(name)
            advocate = next((r for r in records if r["sk"] == "META"), None)
            if advocate is None or advocate.get("customer_key") != customer_key:
                return [], None
            # Counters and daily activity first: should the transaction below fail, the next attempt finds them gone.
            self.campaigns.forget_records([r for r in records if r["sk"] != "META"])
            return self.campaigns.erasure_changes(advocate, customer_key), "advocates"
        return [], None

    def _reward_changes(self, reward_id: str, customer_key: str, at: str) -> Changes:
        item = self.rewards.reward_item(reward_id)
        if item is None or item.get("customer_key") != customer_key:
            return [], None
        reward = self.rewards.record_of(item)
        if reward.status in ("pending", "held") and not reward.is_adjustment:  # not owed yet: never will be
            voided = reward.model_copy(update={"status": "voided", "voided_at": at, "customer_id": None})
            event = reward_event(voided, "RewardVoided", at, reason="customer_erased")
            changes = self.rewards.voided_for_erasure(reward, at, event)
            return changes + self.rewards.unpublished_events_scrubbed(reward, skip=("RewardVoided",)), "rewards_voided"
        return self.rewards.anonymised(reward, at) + self.rewards.unpublished_events_scrubbed(reward), "rewards_anonymised"
