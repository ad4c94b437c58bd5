"""Decimal amounts (Shopify's "409.94") to integer minor units, by each currency's ISO 4217 exponent.

The exponents come from the `iso4217` package (ISO's own table, republished with each amendment; public domain,
12 KB, no dependencies). Its import parses that XML table (about 30 ms here), so it happens on the first amount
converted, not at a cold start of a function that never sees one. No floating point anywhere: the string's
digits are shifted, so "0.1" + "0.2" problems cannot arise and an amount with more decimals than the currency has
is refused rather than rounded.
"""

from __future__ import annotations

import re
from functools import lru_cache

from shared.conversions.webhooks.payload import invalid

_DECIMAL = re.compile(r"^(\d{1,30})(?:\.(\d{1,30}))?$")
_CODE = re.compile(r"^[A-Z]{3}$")


@lru_cache(maxsize=1)
def _exponents() -> dict[str, int | None]:
    import iso4217  # deferred: see the module's docstring

    return {currency.code: currency.exponent for currency in iso4217.Currency}


def currency_code(value: str | None, where: str) -> str:
    """An ISO 4217 code, upper-cased (Stripe sends `usd`)."""
    code = (value or "").strip().upper()
    if not _CODE.match(code):
        raise invalid(where, "must be a three-letter ISO 4217 currency code")
    return code


def exponent(currency: str, where: str = "currency") -> int:
    """Digits after the decimal point: USD 2, JPY 0, KWD 3. Unknown codes, and units with none (XAU), are refused."""
    exponents = _exponents()
    if currency not in exponents:
        raise invalid(where, f"{currency!r} is not an ISO 4217 currency")
    digits = exponents[currency]
    if digits is None:
        raise invalid(where, f"{currency!r} has no minor unit, so it cannot be an order's currency")
    return digits


def minor_units(amount: object, currency: str, where: str) -> int:
    """A non-negative decimal string (or a JSON integer of whole units) in minor units of `currency`."""
    if type(amount) is int and amount >= 0:
        text = str(amount)
    elif isinstance(amount, str):
        text = amount.strip()
    else:
        # A JSON float has already lost exactness; Shopify sends money as strings.
        raise invalid(where, "must be a decimal string such as \"12.34\"")
    match = _DECIMAL.match(text)
    if not match:
        raise invalid(where, "must be a non-negative decimal such as \"12.34\"")
    whole, fraction = match.group(1), match.group(2) or ""
    digits = exponent(currency, where)
    kept, dropped = fraction[:digits], fraction[digits:]
    if dropped.strip("0"):
        raise invalid(where, f"has more than {digits} decimal places, which {currency} does not have")
    return int(whole) * 10**digits + int(kept.ljust(digits, "0") or "0")
