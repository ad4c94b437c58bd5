"""Referral codes and ids: random, URL-safe, free of look-alike characters."""

from __future__ import annotations

import re
import secrets

# 31 symbols, no 0/o, 1/l/i: 10 of them give about 8e14 codes, too many to enumerate cheaply.
CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
CODE_LENGTH = 10
CODE_PATTERN = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def is_valid_code(code: str) -> bool:
    return bool(CODE_PATTERN.match(code))


def new_advocate_id() -> str:
    return "adv_" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))


def new_token(length: int = 16) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
