"""Status tokens (SPEC §3.6) are pure: one advocate, 30 days, wom's key, and nothing else reads as one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.campaigns.status_tokens import LIFETIME, issue_status_token, read_status_token
from shared.platform.errors import Unauthorized

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
KEY = "key-one"


def refused(token: str | None, keys=(KEY,), now: datetime = NOW) -> str:
    with pytest.raises(Unauthorized) as raised:
        read_status_token(token, keys, now)
    assert raised.value.status == 401
    return raised.value.code


def test_a_token_reads_back_as_its_advocate_until_it_expires():
    token = issue_status_token("adv_abc23", NOW, KEY)
    assert read_status_token(token, [KEY], NOW) == "adv_abc23"
    assert read_status_token(token, [KEY], NOW + LIFETIME - timedelta(microseconds=1)) == "adv_abc23"
    assert refused(token, now=NOW + LIFETIME) == "expired_token"
    assert LIFETIME == timedelta(days=30)


def test_the_token_is_bound_to_its_advocate_its_expiry_and_the_key():
    token = issue_status_token("adv_abc23", NOW, KEY)
    version, advocate, expires, mac = token.split(".")
    assert refused(f"{version}.adv_abc24.{expires}.{mac}") == "invalid_token"
    assert refused(f"{version}.{advocate}.{int(expires) + 1}.{mac}") == "invalid_token"
    assert refused(token, keys=("another-key",)) == "invalid_token"
    assert refused(token, keys=("",)) == "invalid_token", "an empty key never signs"


def test_an_expired_token_with_a_bad_mac_is_invalid_not_expired():
    token = issue_status_token("adv_abc23", NOW - LIFETIME * 2, KEY)
    assert refused(token) == "expired_token"
    assert refused(token[:-1] + ("A" if token[-1] != "A" else "B")) == "invalid_token"


def test_rotation_the_first_key_signs_and_any_key_reads():
    old = issue_status_token("adv_abc23", NOW, "old")
    assert read_status_token(old, ["new", "old"], NOW) == "adv_abc23"
    assert read_status_token(issue_status_token("adv_abc23", NOW, "new"), ["new", "old"], NOW) == "adv_abc23"


@pytest.mark.parametrize(
    "token",
    ["", None],
)
def test_no_token_is_missing(token):
    assert refused(token) == "missing_token"


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "st1.adv_abc23.1.",
        "st1..1767000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "st1.adv_abc.23.1767000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "st1.adv_abc23.-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "st1.adv_abc23.１７６７.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "st1.adv_abc23.1767000000.AAAA",
        "st1.adv_abc23.1767000000." + "A" * 400,
        "\x00" * 50,
    ],
)
def test_anything_else_is_invalid(token):
    assert refused(token) == "invalid_token"


def test_the_mac_covers_a_purpose_so_a_plain_hmac_of_the_same_text_is_no_token():
    import base64
    import hashlib
    import hmac

    signed = f"st1.adv_abc23.{int((NOW + LIFETIME).timestamp())}"
    plain = base64.urlsafe_b64encode(hmac.new(KEY.encode(), signed.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    assert refused(f"{signed}.{plain}") == "invalid_token"
