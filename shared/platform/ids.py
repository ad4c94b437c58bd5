"""Referral codes and ids, in one URL-safe alphabet free of look-alike characters: random ones (codes, advocates,
tokens) and derived ones (conversions, rewards, adjustments), which are the same whenever they are derived again."""

from __future__ import annotations

import hashlib
import re
import secrets

# 31 symbols, no 0/o, 1/l/i: 10 of them give about 8e14 codes, too many to enumerate cheaply.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 10
CODE_PATTERN = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
# Shapes of the ids clients choose: campaign slugs, and the event_id that makes a client's retry idempotent.
SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
EVENT_ID = r"^[A-Za-z0-9._:-]{1,128}$"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_valid_code(code: str) -> bool:
    return bool(CODE_PATTERN.match(code))


def new_advocate_id() -> str:
    return "adv_" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))


def new_erasure_id() -> str:
    return "era_" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))


def new_token(length: int = 16) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def digest(text: str, size: int) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=size).digest()


def encode_token(raw: bytes, length: int = 16) -> str:
    """`raw` written in the code alphabet: the same bytes, the same token."""
    number = int.from_bytes(raw, "big")
    out = []
    for _ in range(length):
        number, index = divmod(number, len(CODE_ALPHABET))
        out.append(CODE_ALPHABET[index])
    return "".join(out)


def conversion_id(order_id: str) -> str:
    return "cnv_" + encode_token(digest(f"order|{order_id}", 12), 20)


def reward_id(conversion_id_: str, recipient: str) -> str:
    """Deterministic: a conversion has at most one reward per recipient, however often the job runs."""
    return "rwd_" + encode_token(digest(f"reward|{conversion_id_}|{recipient}", 12), 20)


def adjustment_id(reward_id_: str, refund_id: str) -> str:
    return "adj_" + encode_token(digest(f"adjustment|{reward_id_}|{refund_id}", 12), 20)


def milestone_reward_id(advocate_id: str, referrals: int) -> str:
    """Deterministic: an advocate earns each milestone once, however often the job runs."""
    return "rwd_" + encode_token(digest(f"milestone|{advocate_id}|{referrals}", 12), 20)
