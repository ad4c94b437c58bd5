"""Attribution (SPEC §4): which advocate, if any, a purchase is credited to. Pure: callers supply the facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from shared.platform.errors import InvalidRequest

Status = Literal["attributed", "unattributed", "self_referral", "not_first_purchase"]
Method = Literal["click_id", "referral_code", "none"]

# Conversions a campaign counts as its own (purchases its referrals drove) and the rewards job takes up for their
# advocate; only "attributed" ones earn rewards. A self-referral is the advocate buying through their own link:
# neither driven by a referral nor unclaimed.
REFERRED_STATUSES: frozenset[Status] = frozenset({"attributed", "not_first_purchase"})

# A storefront's clock may run a little behind ours.
CLOCK_SKEW = timedelta(minutes=5)

# The window a storefront's `occurred_at` (conversions and refunds) must lie in, around the time wom receives the
# post: a purchase may be reported up to 30 days late; a storefront clock may run up to 5 minutes ahead.
OCCURRED_AT_PAST = timedelta(days=30)
OCCURRED_AT_FUTURE = CLOCK_SKEW
OCCURRED_AT_WINDOW = "from 30 days before wom receives the post to 5 minutes after"


@dataclass(frozen=True)
class Referrer:
    """An advocate in a campaign, with what the decision needs of both."""

    campaign_id: str
    advocate_id: str
    advocate_customer_key: str
    advocate_email_hash: str | None
    attribution_window_days: int
    first_purchase_only: bool
    rules_version: int = 1
    # What the campaign's rules in force pay in, and the least order they pay for (for the answer's no_reward).
    currency: str = "USD"
    min_order_amount: int = 0
    advocate_mailbox_hash: str | None = None


@dataclass(frozen=True)
class ClickEvidence:
    click_id: str
    at: datetime
    bot: bool
    referrer: Referrer
    referrer_host: str | None = None  # the host the click came from (its Referer), for fraud review


@dataclass(frozen=True)
class Buyer:
    """The buyer as attribution compares them: by customer key (a keyed hash of their customer id) and email hash."""

    customer_key: str
    email_hash: str | None


@dataclass(frozen=True)
class Attribution:
    status: Status
    method: Method
    referrer: Referrer | None = None
    click_id: str | None = None


def reported_time(occurred_at: datetime | None, received_at: datetime) -> datetime:
    """When a purchase or refund happened, as the storefront says (inside the window), else when wom received it."""
    if occurred_at is None:
        return received_at
    if not received_at - OCCURRED_AT_PAST <= occurred_at <= received_at + OCCURRED_AT_FUTURE:
        raise InvalidRequest(f"occurred_at must lie {OCCURRED_AT_WINDOW}", code="occurred_at_out_of_range")
    return occurred_at


def click_counts(click: ClickEvidence, purchased_at: datetime) -> bool:
    window = timedelta(days=click.referrer.attribution_window_days)
    return not click.bot and click.at - CLOCK_SKEW <= purchased_at <= click.at + window


def choose_referrer(purchased_at: datetime, click: ClickEvidence | None, code_referrer: Referrer | None) -> Attribution:
    """A non-bot click inside its campaign's window wins; else a valid referral code; else nobody."""
    if click is not None and click_counts(click, purchased_at):
        return Attribution("attributed", "click_id", click.referrer, click.click_id)
    if code_referrer is not None:
        return Attribution("attributed", "referral_code", code_referrer)
    return Attribution("unattributed", "none")


def is_self_referral(buyer: Buyer, referrer: Referrer) -> bool:
    if buyer.customer_key == referrer.advocate_customer_key:
        return True
    return bool(buyer.email_hash) and buyer.email_hash == referrer.advocate_email_hash


def attribute_conversion(
    buyer: Buyer,
    purchased_at: datetime,
    click: ClickEvidence | None,
    code_referrer: Referrer | None,
    prior_purchase: bool,
) -> Attribution:
    """`prior_purchase`: the buyer already has a referred purchase in the chosen referrer's campaign."""
    chosen = choose_referrer(purchased_at, click, code_referrer)
    if chosen.referrer is None:
        return chosen
    if is_self_referral(buyer, chosen.referrer):
        return Attribution("self_referral", chosen.method, chosen.referrer, chosen.click_id)
    if chosen.referrer.first_purchase_only and prior_purchase:
        return Attribution("not_first_purchase", chosen.method, chosen.referrer, chosen.click_id)
    return chosen


def why_no_reward(attribution: Attribution, amount: int, currency: str) -> str | None:
    """Why an attributed purchase will earn no reward although it counts for its advocate, or None: rewards are
    paid in the campaign's currency only (the rewards job's rule too), and not for orders under the minimum."""
    referrer = attribution.referrer
    if attribution.status != "attributed" or referrer is None:
        return None
    if currency != referrer.currency:
        return "currency_mismatch"
    if amount < referrer.min_order_amount:
        return "under_minimum"
    return None
