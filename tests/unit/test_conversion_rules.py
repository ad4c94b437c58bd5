"""Signature check and the attribution decision table. No AWS, no network."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from shared.conversions.attribution import Buyer, ClickEvidence, Referrer, attribute_conversion
from shared.conversions.service import body_hash
from shared.platform.errors import Unauthorized
from shared.conversions.signatures import sign, signature_header, verify_signature

BODY = b'{"order_id":"o-1","amount":4200,"currency":"USD","customer_id":"c-7"}'
T = 1_795_000_000


def openssl_hmac(secret: str, message: bytes) -> str:
    """The reference vector, computed by a different implementation than ours."""
    out = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", secret], input=message, capture_output=True, check=True
    ).stdout.decode()
    return out.strip().rsplit("= ", 1)[1]


def test_signature_matches_an_independently_computed_vector():
    expected = openssl_hmac("whsec_live", f"{T}.".encode() + BODY)
    assert sign("whsec_live", T, BODY) == expected
    verify_signature(f"t={T},v1={expected}", BODY, ["whsec_live"], now=T)


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_timestamps_within_300_seconds_pass(skew):
    verify_signature(signature_header("s", T, BODY), BODY, ["s"], now=T + skew)


@pytest.mark.parametrize("skew", [-301, 301, 86_400 * 90])
def test_stale_or_future_timestamps_fail(skew):
    with pytest.raises(Unauthorized) as caught:
        verify_signature(signature_header("s", T, BODY), BODY, ["s"], now=T + skew)
    assert caught.value.code == "stale_signature"


def test_rotation_accepts_any_listed_signature_and_any_live_secret():
    old, new = sign("old", T, BODY), sign("new", T, BODY)
    verify_signature(f"t={T},v1={old},v1={new}", BODY, ["new"], now=T)
    verify_signature(f"t={T},v1={'0' * 64},v1={old}", BODY, ["new", "old"], now=T)
    with pytest.raises(Unauthorized):
        verify_signature(f"t={T},v1={old}", BODY, ["new"], now=T)


@pytest.mark.parametrize(
    "header,code",
    [
        (None, "missing_signature"),
        ("", "missing_signature"),
        ("garbage", "invalid_signature"),
        (f"v1={'a' * 64}", "invalid_signature"),
        (f"t={T}", "invalid_signature"),
        (f"t=soon,v1={'a' * 64}", "invalid_signature"),
        (f"t={T},t={T},v1={'a' * 64}", "invalid_signature"),
        (f"t={T},v1={'a' * 64}", "invalid_signature"),
    ],
)
def test_missing_malformed_and_wrong_signatures_fail(header, code):
    with pytest.raises(Unauthorized) as caught:
        verify_signature(header, BODY, ["s"], now=T)
    assert caught.value.code == code


@pytest.mark.parametrize("timestamp", ["²", "¹²³", "١٧٩٥٠٠٠٠٠٠", "１７９５０００００", f"{T}.0", f"-{T}", f"+{T}", f" {T}", "0x6afc5f00"])
def test_only_ascii_digits_make_a_timestamp(timestamp):
    # "²".isdigit() is True and int("²") raises; Arabic-Indic and full-width digits int() reads as numbers.
    with pytest.raises(Unauthorized) as caught:
        verify_signature(f"t={timestamp},v1={sign('s', timestamp, BODY)}", BODY, ["s"], now=T)
    assert caught.value.code == "invalid_signature"


def test_the_hmac_covers_the_timestamp_as_sent():
    padded = f"00{T}"
    # Signed over the canonical number, sent padded: a different message, so it fails...
    with pytest.raises(Unauthorized):
        verify_signature(f"t={padded},v1={sign('s', T, BODY)}", BODY, ["s"], now=T)
    # ...while a signature over exactly what was sent passes.
    verify_signature(f"t={padded},v1={sign('s', padded, BODY)}", BODY, ["s"], now=T)


def test_a_changed_body_breaks_the_signature():
    header = signature_header("s", T, BODY)
    with pytest.raises(Unauthorized):
        verify_signature(header, BODY.replace(b"4200", b"1"), ["s"], now=T)


def test_body_hash_ignores_key_order_and_whitespace_only():
    assert body_hash({"a": 1, "b": [1, 2]}) == body_hash({"b": [1, 2], "a": 1})
    assert body_hash({"a": 1}) != body_hash({"a": 2})


# --- attribution decision table -------------------------------------------------

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
ALICE = Referrer("spring", "adv_alice", "alice", "hash-alice", attribution_window_days=30, first_purchase_only=True)
BOB = Referrer("summer", "adv_bob", "bob", None, attribution_window_days=7, first_purchase_only=False)
FRIEND = Buyer("friend", "hash-friend")


def click(at: datetime, bot: bool = False, referrer: Referrer = ALICE) -> ClickEvidence:
    return ClickEvidence("abcdefghjk.2026112212" + "a" * 16, at, bot, referrer)


@pytest.mark.parametrize(
    "name,buyer,the_click,code,prior,expected",
    [
        ("fresh click wins", FRIEND, click(NOW - timedelta(days=1)), None, False, ("attributed", "click_id", "adv_alice")),
        ("click beats code", FRIEND, click(NOW - timedelta(days=1)), BOB, False, ("attributed", "click_id", "adv_alice")),
        ("click on the window's last day", FRIEND, click(NOW - timedelta(days=30)), None, False, ("attributed", "click_id", "adv_alice")),
        ("click outside window", FRIEND, click(NOW - timedelta(days=30, seconds=1)), None, False, ("unattributed", "none", None)),
        ("stale click falls back to code", FRIEND, click(NOW - timedelta(days=31)), BOB, False, ("attributed", "referral_code", "adv_bob")),
        ("bot click never counts", FRIEND, click(NOW, bot=True), None, False, ("unattributed", "none", None)),
        ("bot click falls back to code", FRIEND, click(NOW, bot=True), BOB, False, ("attributed", "referral_code", "adv_bob")),
        ("click after the purchase", FRIEND, click(NOW + timedelta(hours=1)), None, False, ("unattributed", "none", None)),
        ("code alone", FRIEND, None, BOB, False, ("attributed", "referral_code", "adv_bob")),
        ("nothing", FRIEND, None, None, False, ("unattributed", "none", None)),
        ("self by customer id", Buyer("alice", None), click(NOW), None, False, ("self_referral", "click_id", "adv_alice")),
        ("self by email hash", Buyer("alice-2nd-account", "hash-alice"), click(NOW), None, False, ("self_referral", "click_id", "adv_alice")),
        ("repeat purchase", FRIEND, click(NOW), None, True, ("not_first_purchase", "click_id", "adv_alice")),
        ("repeat purchase allowed", FRIEND, None, BOB, True, ("attributed", "referral_code", "adv_bob")),
        ("self beats repeat", Buyer("alice", None), click(NOW), None, True, ("self_referral", "click_id", "adv_alice")),
    ],
)
def test_attribution_decision_table(name, buyer, the_click, code, prior, expected):
    outcome = attribute_conversion(buyer, NOW, the_click, code, prior_purchase=prior)
    advocate = outcome.referrer.advocate_id if outcome.referrer else None
    assert (outcome.status, outcome.method, advocate) == expected, name
