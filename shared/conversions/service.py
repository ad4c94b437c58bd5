"""Recording conversions and refunds: gathers the facts, asks the attribution rules, stores the outcome once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared.platform import ids, keys
from shared.conversions.attribution import Attribution, Buyer, ClickEvidence, attribute_conversion, reported_time
from shared.platform.clock import iso
from shared.platform.ids import is_valid_code
from shared.platform.errors import Conflict, NotFound
from shared.metrics.facts import Fact, conversion_fact, refund_fact, repeat_purchase_fact, survey_answer_fact
from shared.metrics.ledger import NO_COHORT, LedgerMoved
from shared.platform.dynamo import Operation
from shared.conversions.attribution import why_no_reward
from shared.conversions.models import (
    ConversionAttribution,
    ConversionRequest,
    ConversionResult,
    ConversionSource,
    NoReward,
    RefundRequest,
    RefundResult,
)
from shared.platform.privacy import customer_key, email_domain, email_hash, mailbox_hash
from shared.fraud.rules import FraudSignals, signals_of, velocity_hours
from shared.privacy.index import CustomerErasing
from shared.conversions.repository import ConversionRepository, FirstPurchaseTaken, RefundExceedsOrder, Stored
from shared.platform.dynamo import AlreadyStored
from shared.tracking.repository import EventRepository
from shared.campaigns.repository import CampaignRepository
from shared.conversions.attribution import REFERRED_STATUSES
from shared.rewards.rules import progress_at_purchase

Answer = tuple[int, str]  # HTTP status and the exact JSON body


def body_hash(body: Any) -> str:
    """Same JSON value, same hash: key order and whitespace do not make a different body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(stored: Stored, digest: str, what: str) -> Answer:
    # An erased buyer's order keeps no hash of the body that named them: any repeat gets the stored answer.
    if stored.body_hash is not None and stored.body_hash != digest:
        raise Conflict(f"{what} was already recorded with a different body", code="idempotency_conflict")
    return 200, stored.response


def _must(stored: Stored | None) -> Stored:
    if stored is None:
        raise RuntimeError("an item that failed its not-exists condition could not be read back")
    return stored


def _no_reward(attribution: Attribution, request: ConversionRequest) -> NoReward | None:
    reason = why_no_reward(attribution, request.amount, request.currency)
    if reason is None or attribution.referrer is None:
        return None
    referrer = attribution.referrer
    if reason == "currency_mismatch":
        message = f"campaign {referrer.campaign_id!r} pays rewards in {referrer.currency}; an order in {request.currency} counts for its advocate but earns no reward"
    else:
        message = f"campaign {referrer.campaign_id!r} rewards orders of at least {referrer.min_order_amount} minor units; this one counts for its advocate but earns no reward"
    return NoReward(code=reason, message=message)


LEDGER_RACES = 16  # concurrent purchases of one buyer a conversion outwaits before it gives up


class ConversionService:
    def __init__(
        self,
        campaigns: CampaignRepository,
        events: EventRepository,
        conversions: ConversionRepository,
        hash_key: Callable[[], bytes],
        clock: Callable[[], datetime],
        retention_days: int,
    ) -> None:
        self.campaigns = campaigns
        self.events = events
        self.conversions = conversions
        self.hash_key = hash_key
        self.clock = clock
        self.retention_days = retention_days

    def _click_evidence(self, click_id: str | None) -> ClickEvidence | None:
        reference = keys.parse_click_id(click_id) if click_id else None
        if reference is None:
            return None
        referrer = self.campaigns.find_referrer(reference.code)
        if referrer is None:
            return None
        click = self.events.find(keys.click_key(referrer.campaign_id, reference))
        if click is None:
            return None
        return ClickEvidence(
            click_id=reference.click_id,
            at=datetime.fromisoformat(click["at"]),
            bot=bool(click["bot"]),
            referrer=referrer,
            referrer_host=click.get("referrer_host"),
        )

    def order(self, order_id: str) -> dict[str, Any] | None:
        """A recorded order as stored (its amount, currency, refunded total), or None."""
        stored = self.conversions.find_order(order_id)
        return stored.item if stored else None

    def record_conversion(self, request: ConversionRequest, body: Any, source: ConversionSource = "api") -> Answer:
        """`source` says where the conversion came from (the signed API, or a platform's webhook)."""
        digest = body_hash(body)
        stored = self.conversions.find_order(request.order_id)
        if stored:
            return _replay(stored, digest, f"order {request.order_id!r}")
        now = self.clock()
        purchased_at = reported_time(request.occurred_at, now)
        key = self.hash_key()
        buyer = Buyer(customer_key(key, request.customer_id), email_hash(key, request.customer_email) if request.customer_email else None)
        click = self._click_evidence(request.click_id)
        code = request.referral_code
        code_referrer = self.campaigns.find_referrer(code) if code and is_valid_code(code) else None
        attribution = attribute_conversion(buyer, purchased_at, click, code_referrer, prior_purchase=False)
        # Every referred purchase claims the buyer's first purchase in its campaign: the claim is what makes the
        # buyer a new referred customer, and what first_purchase_only turns away a second reward with.
        claim = attribution.status == "attributed"
        anonymous = False
        # Each turn-away below changes what the next attempt writes (at most once each), except a moved ledger:
        # every racing purchase of the buyer moves it once, so allow a turn for each of a burst of them.
        for _ in range(3 + LEDGER_RACES):
            try:
                return self._save(request, buyer, attribution, digest, purchased_at, now, source, click, claim=claim and not anonymous, anonymous=anonymous)
            except LedgerMoved:
                continue  # another purchase by the same buyer changed their ledger meanwhile: read it again
            except FirstPurchaseTaken:
                attribution = attribute_conversion(buyer, purchased_at, click, code_referrer, prior_purchase=True)
                claim = False
            except CustomerErasing:
                # The buyer is being erased: the sale still counts, but nothing about them is kept.
                anonymous = True
            except AlreadyStored:
                break
        # A concurrent duplicate got there first: answer as a replay of what it stored.
        return _replay(_must(self.conversions.find_order(request.order_id)), digest, f"order {request.order_id!r}")

    def _fraud_signals(self, request: ConversionRequest, attribution: Attribution, click: ClickEvidence | None, now: datetime) -> FraudSignals:
        """What fraud review needs of an attributed purchase, seen now: no email is kept, only what it showed."""
        referrer = attribution.referrer
        assert referrer is not None
        email = request.customer_email
        first_hour, last_hour = velocity_hours(now)
        earlier = self.conversions.advocate_referrals(referrer.advocate_id, first_hour, last_hour)
        return signals_of(
            email_domain=email_domain(email) if email else None,
            buyer_mailbox_hash=mailbox_hash(self.hash_key(), email) if email else None,
            advocate_mailbox_hash=referrer.advocate_mailbox_hash,
            advocate_referrals_24h=earlier + 1,
            referrer_host=click.referrer_host if click is not None and attribution.method == "click_id" else None,
        )

    def _save(
        self,
        request: ConversionRequest,
        buyer: Buyer,
        attribution: Attribution,
        digest: str,
        purchased_at: datetime,
        now: datetime,
        source: str,
        click: ClickEvidence | None,
        claim: bool,
        anonymous: bool,
    ) -> Answer:
        referrer = attribution.referrer
        result = ConversionResult(
            conversion_id=ids.conversion_id(request.order_id),
            order_id=request.order_id,
            status=attribution.status,
            campaign_id=referrer.campaign_id if referrer else None,
            advocate_id=referrer.advocate_id if referrer else None,
            attribution=ConversionAttribution(method=attribution.method, click_id=attribution.click_id),
            no_reward=_no_reward(attribution, request),
        )
        response = result.model_dump_json(exclude_none=True)
        attributes = {
            **result.model_dump(exclude={"attribution", "no_reward"}, exclude_none=True),
            "attribution_method": attribution.method,
            "click_id": attribution.click_id,
            "rules_version": referrer.rules_version if referrer else None,
            "amount": request.amount,
            "currency": request.currency,
            "occurred_at": iso(purchased_at),
            "received_at": iso(now),
            "heard_from": request.heard_from,
            "source": source,
            "refunded_amount": 0,
            "response": response,
        }
        # Only an attributed purchase earns rewards, so only it is reviewed and counted for its advocate's velocity.
        referral_hour = None
        if attribution.status == "attributed" and referrer is not None:
            attributes["fraud_signals"] = self._fraud_signals(request, attribution, click, now).stored()
            referral_hour = (referrer.advocate_id, velocity_hours(now)[1])
        if anonymous:
            attributes["erased_at"] = iso(now)
            # No claim can be made without the buyer's key: whether this was their first purchase stays unknown.
            attributes["first_purchase_unverified"] = True if attribution.status == "attributed" else None
        else:
            attributes |= {
                "customer_key": buyer.customer_key,
                # Raw only until the rewards job has made the friend's reward (the one place it must be given back).
                "customer_id": request.customer_id if attribution.status == "attributed" else None,
                "customer_email_hash": buyer.email_hash,
                "metadata": request.metadata,
                "body_hash": digest,
            }
        fact = conversion_fact(
            conversion_id=result.conversion_id,
            campaign_id=result.campaign_id,
            advocate_id=result.advocate_id,
            status=result.status,
            amount=request.amount,
            currency=request.currency,
            new_customer=claim,
            received_at=now,
            retention_days=self.retention_days,
            heard_from=request.heard_from,
        )
        more_facts: list[Fact] = []
        if request.heard_from and result.campaign_id is not None:
            # An unattributed conversion's fact carries its answer; a claimed one's is counted deployment-wide.
            more_facts.append(survey_answer_fact(conversion_id=result.conversion_id, heard_from=request.heard_from, received_at=now, retention_days=self.retention_days))
        ledger: list[Operation] = []
        if not anonymous:
            ledger, repeat = self._ledger(buyer.customer_key, result, request, now)
            more_facts += repeat
        claim_in = referrer.campaign_id if claim and referrer else None
        # Referred purchases go on the rewards job's work list.
        rewards_due_at = now if attribution.status in REFERRED_STATUSES else None
        # The advocate sees the purchase on their page at once (SPEC §3.6), the job moves it on from there.
        progress = progress_at_purchase(attribution.status, purchased_at) if referrer else None
        referral = (progress, referrer.advocate_customer_key) if progress and referrer else None
        self.conversions.save_conversion(
            request.order_id, attributes, None if anonymous else buyer.customer_key, claim_in, fact, rewards_due_at, referral_hour,
            more_facts=tuple(more_facts), ledger=tuple(ledger), referral=referral,
        )
        return 201, response

    def _ledger(self, customer_key: str, result: ConversionResult, request: ConversionRequest, now: datetime) -> tuple[list[Operation], list[Fact]]:
        """The buyer's revenue ledger (cohorts): a first purchase makes them a member of the cohort it decides;
        a later one adds to their ledger and, when a campaign referred their first purchase on an earlier day, is
        that campaign's repeat purchase."""
        ledger = self.conversions.ledger
        day = now.date()
        head = ledger.head(customer_key)
        if head is None:
            cohort = {"attributed": result.campaign_id, "unattributed": keys.NOT_REFERRED_COHORT}.get(result.status) or NO_COHORT
            return ledger.first_purchase(customer_key, cohort, day, result.conversion_id, request.amount, request.currency), []
        repeat: list[Fact] = []
        referred_by = head.referred_by()
        if referred_by is not None and head.first_day < day.isoformat():
            repeat.append(repeat_purchase_fact(
                conversion_id=result.conversion_id, campaign_id=referred_by, amount=request.amount, currency=request.currency,
                received_at=now, retention_days=self.retention_days,
            ))
        return ledger.purchase(head, customer_key, day, result.conversion_id, request.amount, request.currency), repeat

    def record_refund(self, request: RefundRequest, body: Any) -> Answer:
        digest = body_hash(body)
        stored = self.conversions.find_refund(request.refund_id)
        if stored:
            return _replay(stored, digest, f"refund {request.refund_id!r}")
        order = self.conversions.find_order(request.order_id)
        if order is None:
            raise NotFound(f"no conversion for order {request.order_id!r}", code="order_not_found")
        now = self.clock()
        refunded_at = reported_time(request.occurred_at, now)
        refunded = int(order.item.get("refunded_amount", 0))
        order_amount = int(order.item["amount"])
        if refunded + request.amount > order_amount:
            raise Conflict("the refunds would exceed the order's amount", code="refund_exceeds_order")
        result = RefundResult(
            refund_id=request.refund_id,
            order_id=request.order_id,
            conversion_id=order.item["conversion_id"],
            amount=request.amount,
            refunded_total=refunded + request.amount,
        )
        response = result.model_dump_json()
        attributes = {
            **result.model_dump(),
            "campaign_id": order.item.get("campaign_id"),
            "occurred_at": iso(refunded_at),
            "received_at": iso(now),
            "body_hash": digest,
            "response": response,
        }
        campaign_id = order.item.get("campaign_id")
        fact = None
        if campaign_id:
            fact = refund_fact(
                refund_id=request.refund_id,
                conversion_id=result.conversion_id,
                campaign_id=campaign_id,
                conversion_status=order.item["status"],
                amount=request.amount,
                currency=order.item["currency"],
                received_at=now,
                retention_days=self.retention_days,
            )
        ledger: list[Operation] = []
        customer = order.item.get("customer_key")
        head = self.conversions.ledger.head(customer) if customer else None
        if customer and head is not None:
            ledger = self.conversions.ledger.refund(head, customer, now.date(), request.refund_id, request.amount, order.item["currency"])
        rewards_due_at = now if order.item.get("status") == "attributed" else None
        # Without the ledger on a second try: the buyer's ledger went (an erasure) between reading and writing it.
        for with_ledger in (tuple(ledger), ()):
            try:
                self.conversions.save_refund(request.refund_id, request.order_id, request.amount, order_amount, attributes, fact, rewards_due_at, ledger=with_ledger)
                break
            except LedgerMoved:
                continue
            except AlreadyStored:
                return _replay(_must(self.conversions.find_refund(request.refund_id)), digest, f"refund {request.refund_id!r}")
            except RefundExceedsOrder as error:
                raise Conflict("the refunds would exceed the order's amount", code="refund_exceeds_order") from error
        return 201, response
