"""Fraud review's signals and reasons as decision tables (SPEC §4), and the email normalisation behind alias_of_advocate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from disposable_email_domains import blocklist
from pydantic import ValidationError

from shared.campaigns.models import FraudSettings
from shared.fraud.rules import FraudSignals, fraud_reasons, host_blocked, is_disposable_domain, signals_of, velocity_hours
from shared.platform.hosts import referring_host
from shared.platform.privacy import email_hash, mailbox, mailbox_hash

KEY = b"k"
DEFAULTS = FraudSettings()
COUPONS = FraudSettings(max_referrals_per_day=3, blocked_referrer_hosts=["Coupons.Example", "deals.example."])


@pytest.mark.parametrize(
    ("signals", "settings", "reasons"),
    [
        (FraudSignals(), DEFAULTS, []),
        (FraudSignals(disposable_email=True), DEFAULTS, ["disposable_email"]),
        (FraudSignals(alias_of_advocate=True), DEFAULTS, ["alias_of_advocate"]),
        (FraudSignals(advocate_referrals_24h=10), DEFAULTS, []),  # the default allows 10 a day
        (FraudSignals(advocate_referrals_24h=11), DEFAULTS, ["advocate_velocity"]),  # more than 10
        (FraudSignals(advocate_referrals_24h=4), COUPONS, ["advocate_velocity"]),
        (FraudSignals(referrer_host="coupons.example"), DEFAULTS, []),  # no list: no block
        (FraudSignals(referrer_host="coupons.example"), COUPONS, ["blocked_referrer"]),
        (FraudSignals(referrer_host="www.coupons.example"), COUPONS, ["blocked_referrer"]),  # a subdomain
        (FraudSignals(referrer_host="notcoupons.example"), COUPONS, []),  # not a subdomain
        (FraudSignals(referrer_host="mail.google.com"), COUPONS, []),
        (
            FraudSignals(disposable_email=True, alias_of_advocate=True, advocate_referrals_24h=4, referrer_host="deals.example"),
            COUPONS,
            ["disposable_email", "alias_of_advocate", "advocate_velocity", "blocked_referrer"],
        ),
    ],
)
def test_reasons_from_signals_and_settings(signals, settings, reasons):
    assert fraud_reasons(signals, settings) == reasons


def test_stored_signals_read_back_and_old_conversions_have_none():
    signals = FraudSignals(disposable_email=True, advocate_referrals_24h=3, referrer_host="coupons.example")
    assert FraudSignals.from_stored(signals.stored()) == signals
    assert "referrer_host" not in FraudSignals().stored()
    assert FraudSignals.from_stored(None) == FraudSignals() and fraud_reasons(FraudSignals.from_stored({}), DEFAULTS) == []


def test_settings_normalise_hosts_and_refuse_what_is_not_one():
    assert COUPONS.blocked_referrer_hosts == ["coupons.example", "deals.example"]
    for bad in (["https://coupons.example/x"], ["not a host"], ["a" * 254]):
        with pytest.raises(ValidationError):
            FraudSettings(blocked_referrer_hosts=bad)
    for bad in (0, 100_001):
        with pytest.raises(ValidationError):
            FraudSettings(max_referrals_per_day=bad)
    with pytest.raises(ValidationError):
        FraudSettings(blocked_referrer_hosts=[f"h{n}.example" for n in range(201)])


@pytest.mark.parametrize(
    ("domain", "disposable"),
    [("mailinator.com", True), ("MAILINATOR.COM", True), ("inbox.mailinator.com", True), ("gmail.com", False), ("example.com", False), ("com", False)],
)
def test_disposable_domains_come_from_the_maintained_list(domain, disposable):
    assert is_disposable_domain(domain) is disposable


def test_every_domain_of_the_list_is_disposable():
    sample = sorted(blocklist)[:: max(1, len(blocklist) // 200)]
    assert len(blocklist) > 1000 and all(is_disposable_domain(domain) for domain in sample)


@pytest.mark.parametrize(
    ("email", "delivered_to"),
    [
        ("Ada.Lovelace+shop@Gmail.com", "adalovelace@gmail.com"),  # Gmail ignores dots and +tags, any case
        ("a.d.a@googlemail.com", "ada@gmail.com"),
        ("ada+x@outlook.com", "ada@outlook.com"),  # +tags only: dots count at Microsoft
        ("a.da+x@hotmail.com", "a.da@hotmail.com"),
        ("ada+x@icloud.com", "ada@icloud.com"),
        ("ada+x@proton.me", "ada@proton.me"),
        ("a.da+x@example.com", "a.da+x@example.com"),  # unknown provider: the address as given
        ("  Ada@Example.COM ", "ada@example.com"),
    ],
)
def test_mailboxes_drop_what_their_provider_ignores(email, delivered_to):
    assert mailbox(email) == delivered_to


@pytest.mark.parametrize(
    ("buyer", "advocate", "alias"),
    [
        ("ada.lovelace+friend@gmail.com", "AdaLovelace@gmail.com", True),
        ("ada+2@outlook.com", "ada@outlook.com", True),
        ("ada.l@outlook.com", "adal@outlook.com", False),  # Microsoft keeps dots: another person
        ("ada+2@example.com", "ada@example.com", False),  # a provider not known to ignore +tags
        ("bob@gmail.com", "ada@gmail.com", False),
        (None, "ada@gmail.com", False),  # no buyer email: nothing to compare
    ],
)
def test_alias_of_advocate_compares_mailbox_hashes(buyer, advocate, alias):
    signals = signals_of(
        email_domain=buyer.rpartition("@")[2] if buyer else None,
        buyer_mailbox_hash=mailbox_hash(KEY, buyer) if buyer else None,
        advocate_mailbox_hash=mailbox_hash(KEY, advocate),
        advocate_referrals_24h=1,
        referrer_host=None,
    )
    assert signals.alias_of_advocate is alias


def test_mailbox_hashes_are_keyed_and_never_equal_the_email_hash():
    assert mailbox_hash(KEY, "ada@example.com") != email_hash(KEY, "ada@example.com")
    assert mailbox_hash(KEY, "ada@example.com") != mailbox_hash(b"other", "ada@example.com")
    assert "ada" not in mailbox_hash(KEY, "ada@example.com")


def test_velocity_counts_the_clock_hour_and_the_23_before():
    first, last = velocity_hours(datetime(2026, 11, 2, 12, 34, 56, tzinfo=UTC))
    assert (first, last) == (datetime(2026, 11, 1, 13, tzinfo=UTC), datetime(2026, 11, 2, 12, tzinfo=UTC))


@pytest.mark.parametrize(
    ("referer", "host"),
    [
        ("https://Coupons.Example/deal?id=1&email=ada@example.com", "coupons.example"),  # the host only: no path, no query
        ("https://coupons.example:8443/x", "coupons.example"),
        ("https://user:pw@coupons.example/", "coupons.example"),
        ("android-app://com.google.android.gm/", "com.google.android.gm"),
        ("", None),
        (None, None),
        ("not a url", None),
        ("https://[::1]/", None),
        ("https://" + "a" * 300 + ".example/", None),
    ],
)
def test_a_referer_is_kept_as_its_host_alone(referer, host):
    assert referring_host(referer) == host


def test_hosts_block_themselves_and_their_subdomains():
    assert host_blocked("a.b.example", ["b.example"]) and host_blocked("b.example", ["b.example"])
    assert not host_blocked("ab.example", ["b.example"]) and not host_blocked("example", ["b.example"])
