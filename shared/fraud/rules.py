"""Fraud review (SPEC §4): the signals a referred purchase is recorded with, and the reasons they give to hold its
rewards under a campaign's settings. Pure: callers pass the facts (hashes, counts, the click's host).

Signals are what was seen when the conversion was recorded, stored with it; reasons are decided from them under the
campaign's `fraud` settings of the moment, so changed thresholds can be applied to past conversions (rescore).
No signal looks at addresses or devices: two buyers in one household are never flagged for sharing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from shared.campaigns.models import FraudSettings
from shared.rewards.models import FraudReason

# advocate_velocity counts the clock hour of the purchase and the 23 before it (hourly counters, no scan).
VELOCITY_HOURS = 24


@dataclass(frozen=True)
class FraudSignals:
    disposable_email: bool = False  # the buyer's email domain is on the disposable-domain list
    alias_of_advocate: bool = False  # the buyer's mailbox (dots and +tags dropped) is the advocate's
    advocate_referrals_24h: int = 0  # the advocate's referred purchases in the window, this one included
    referrer_host: str | None = None  # the host the attributing click came from (a host, never a URL)

    def stored(self) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "disposable_email": self.disposable_email,
            "alias_of_advocate": self.alias_of_advocate,
            "advocate_referrals_24h": self.advocate_referrals_24h,
        }
        if self.referrer_host:
            stored["referrer_host"] = self.referrer_host
        return stored

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> FraudSignals:
        """A conversion recorded before fraud review existed has none: nothing to flag."""
        if not stored:
            return cls()
        return cls(
            disposable_email=bool(stored.get("disposable_email")),
            alias_of_advocate=bool(stored.get("alias_of_advocate")),
            advocate_referrals_24h=int(stored.get("advocate_referrals_24h") or 0),
            referrer_host=stored.get("referrer_host") or None,
        )


@lru_cache(maxsize=1)
def _disposable_domains() -> frozenset[str]:
    # Loaded on first use (about 10,000 domains): only conversions with an email pay for it.
    from disposable_email_domains import blocklist

    return frozenset(blocklist)


def is_disposable_domain(domain: str) -> bool:
    """The domain, or a domain it is under (x.mailinator.com is mailinator's), is on the maintained list."""
    labels = domain.lower().strip(".").split(".")
    domains = _disposable_domains()
    return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))


def host_blocked(host: str, blocked: list[str]) -> bool:
    """A listed host blocks itself and its subdomains (coupons.example blocks www.coupons.example)."""
    return any(host == entry or host.endswith("." + entry) for entry in blocked)


def signals_of(
    email_domain: str | None,
    buyer_mailbox_hash: str | None,
    advocate_mailbox_hash: str | None,
    advocate_referrals_24h: int,
    referrer_host: str | None,
) -> FraudSignals:
    return FraudSignals(
        disposable_email=bool(email_domain) and is_disposable_domain(email_domain),
        alias_of_advocate=bool(buyer_mailbox_hash) and buyer_mailbox_hash == advocate_mailbox_hash,
        advocate_referrals_24h=advocate_referrals_24h,
        referrer_host=referrer_host,
    )


def fraud_reasons(signals: FraudSignals, settings: FraudSettings) -> list[FraudReason]:
    """Why a conversion's rewards are held under these settings, in a fixed order; empty: not held."""
    reasons: list[FraudReason] = []
    if signals.disposable_email:
        reasons.append("disposable_email")
    if signals.alias_of_advocate:
        reasons.append("alias_of_advocate")
    if signals.advocate_referrals_24h > settings.max_referrals_per_day:
        reasons.append("advocate_velocity")
    if signals.referrer_host and host_blocked(signals.referrer_host, settings.blocked_referrer_hosts):
        reasons.append("blocked_referrer")
    return reasons


def velocity_hours(now: datetime) -> tuple[datetime, datetime]:
    """The first and last clock hour advocate_velocity counts for a purchase recorded at `now`."""
    last = now.replace(minute=0, second=0, microsecond=0)
    return last - timedelta(hours=VELOCITY_HOURS - 1), last
