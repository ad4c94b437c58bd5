"""Keyed hashes: visitors under a daily salt, emails and customer ids under the deployment's hash key.

Neither the raw IP, the user agent nor the email is ever stored; only these digests are. A customer id is kept
raw only where it must be given back (the advocate, the reward an operator pays); everything else about a
customer is keyed by `customer_key`, which is what an erasure looks them up by (shared/privacy).
"""

from __future__ import annotations

import hashlib
import hmac

_SEPARATOR = "\x1f"


def visitor_hash(salt: bytes, ip: str, user_agent: str, code: str) -> str:
    """Same visitor, same link, same day: same hash. A new day's salt unlinks it from yesterday's."""
    message = _SEPARATOR.join((ip, user_agent, code)).encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[:32]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_hash(key: bytes, email: str) -> str:
    return hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()


# Mailbox providers that deliver `a.b+anything@` to `ab@` (dots ignored) or `a+anything@` to `a@` (+tags), from their
# own documentation. Other domains may treat dots and + as part of the name, so their addresses are left as they are.
_IGNORES_DOTS_AND_TAGS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
_IGNORES_TAGS = frozenset(
    {
        "outlook.com", "hotmail.com", "live.com", "msn.com",  # Microsoft: plus addressing
        "icloud.com", "me.com", "mac.com",  # Apple: plus addressing
        "fastmail.com", "fastmail.fm",
        "proton.me", "protonmail.com", "protonmail.ch", "pm.me",
    }
)


def mailbox(email: str) -> str:
    """The mailbox an address delivers to: lower case, and without the dots and +tags its provider ignores."""
    local, _, domain = normalise_email(email).rpartition("@")
    if domain in _IGNORES_DOTS_AND_TAGS:
        return local.split("+", 1)[0].replace(".", "") + "@" + _IGNORES_DOTS_AND_TAGS[domain]
    if domain in _IGNORES_TAGS:
        return local.split("+", 1)[0] + "@" + domain
    return f"{local}@{domain}"


def mailbox_hash(key: bytes, email: str) -> str:
    """The keyed hash of an address's mailbox (alias_of_advocate); kept apart from email_hash by its own prefix."""
    return hmac.new(key, ("mailbox" + _SEPARATOR + mailbox(email)).encode(), hashlib.sha256).hexdigest()


def email_domain(email: str) -> str:
    return normalise_email(email).rpartition("@")[2]


def customer_key(key: bytes, customer_id: str) -> str:
    """The storefront's customer id under the hash key. Its own prefix keeps it from ever equalling an email's
    hash (a guest buyer's customer id may be one), and 128 bits are plenty for a key that is never shown."""
    message = _SEPARATOR.join(("customer", customer_id)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def tracking_opted_out(headers: dict[str, str]) -> bool:
    """`DNT: 1` or `Sec-GPC: 1`: the click still counts, but no visitor hash is made."""
    return headers.get("dnt", "").strip() == "1" or headers.get("sec-gpc", "").strip() == "1"
