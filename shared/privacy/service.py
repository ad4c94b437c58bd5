"""Erasure use cases (SPEC §3.3, §6): a customer's erasure asked for (the admin API, `wom erase`, Shopify's
`customers/redact`), and its receipt read back. The erasing itself is the privacy job's (shared.privacy.job)."""

from __future__ import annotations

from collections.abc import Callable

from shared.platform.clock import Clock, iso
from shared.platform.dynamo import ConditionFailed
from shared.platform.errors import NotFound
from shared.platform.ids import new_erasure_id
from shared.platform.privacy import customer_key
from shared.privacy.models import ErasureReceipt, ErasureSource
from shared.privacy.repository import AlreadyMarked, ErasureRepository

_RECORD_ATTEMPTS = 3


class ErasureService:
    def __init__(self, erasures: ErasureRepository, hash_key: Callable[[], bytes], clock: Clock) -> None:
        self.erasures = erasures
        self.hash_key = hash_key
        self.clock = clock

    def erase_customer(self, customer_id: str, source: ErasureSource = "api") -> ErasureReceipt:
        """Records the erasure of everything wom holds about `customer_id` and answers its receipt, pending: the
        privacy job does the work, so this is quick whatever the customer's history (Shopify waits 5 s at most).

        Known or not, every customer gets the same answer: a customer wom never saw has a receipt that completes
        with zero counts. Asked again while an erasure of theirs is under way or has just finished (its hold),
        the answer is that erasure's receipt."""
        key = customer_key(self.hash_key(), customer_id)
        for _ in range(_RECORD_ATTEMPTS):
            receipt = ErasureReceipt(erasure_id=new_erasure_id(), status="pending", source=source, requested_at=iso(self.clock()))
            try:
                self.erasures.record(receipt, key)
                return receipt
            except AlreadyMarked as marked:
                existing = self.erasures.receipt(marked.erasure_id)
                if existing is not None:
                    return ErasureReceipt.of(existing)
            except ConditionFailed:
                pass  # the earlier erasure was forgotten between the two reads: record this one
        raise RuntimeError("could not record the erasure: the customer's state kept changing")

    def receipt(self, erasure_id: str) -> ErasureReceipt:
        item = self.erasures.receipt(erasure_id)
        if item is None:
            raise NotFound(f"no erasure {erasure_id!r}", code="erasure_not_found")
        return ErasureReceipt.of(item)
