"""Each customer's revenue ledger, for the cohorts (SPEC §5): stored in the referrals table, written in the same
transaction as each conversion and refund (shared.conversions.repository), read by the metrics job one cohort
partition at a time, and removed by the customer's erasure, which folds what the customer added into the cohort's
ERASED counters first, so the cohort's figures keep their value (shared.metrics.cohorts.contribution).

Keys (shared.platform.keys): the head `CUSTOMER#<customer key>`/`LEDGER` says which cohort the customer joined and
when; the member `COHORT#<cohort>#<month>`/`MEMBER#<customer key>` holds their purchases and refunds by id, each with
the day wom received it, its amount and currency. Neither holds a customer id or email: only the customer key,
which the erasure deletes with them (the customer's index names the ledger: family `ledger`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.metrics.cohorts import contribution, month_of
from shared.platform import keys
from shared.platform.dynamo import Operation, Table
from shared.privacy.index import CustomerIndex

NO_COHORT = ""  # a customer whose first purchase was a self-referral: on no cohort's ledger


@dataclass(frozen=True)
class LedgerHead:
    cohort: str  # a campaign id, keys.NOT_REFERRED_COHORT, or NO_COHORT
    month: str
    first_day: str

    def referred_by(self) -> str | None:
        """The campaign that referred this customer's first purchase, if one did."""
        return self.cohort if self.cohort not in (NO_COHORT, keys.NOT_REFERRED_COHORT) else None


def _entry(day: date, amount: int, currency: str) -> dict[str, Any]:
    return {"day": day.isoformat(), "amount": amount, "currency": currency}


class LedgerMoved(Exception):
    """The customer's ledger changed since it was read (a first purchase raced another): read it again."""


class CustomerLedger:
    def __init__(self, table: Table) -> None:
        self._table = table
        self._index = CustomerIndex(table)

    def head(self, customer_key: str) -> LedgerHead | None:
        item = self._table.get(keys.ledger_head_key(customer_key), consistent=True)
        return LedgerHead(item["cohort"], item["month"], item["first_day"]) if item else None

    def first_purchase(self, customer_key: str, cohort: str, day: date, conversion_id: str, amount: int, currency: str) -> list[Operation]:
        """The customer's head (fails if another first purchase got there first), their member item and the index's
        reference to the ledger. The caller's transaction already checks the customer's state."""
        month = month_of(day)
        operations = [self._table.put_new_op(keys.ledger_head_key(customer_key), {"kind": "ledger_head", "cohort": cohort, "month": month, "first_day": day.isoformat()})]
        if cohort != NO_COHORT:
            member = {"kind": "cohort_member", "first_day": day.isoformat(), "purchases": {conversion_id: _entry(day, amount, currency)}, "refunds": {}}
            operations.append(self._table.put_new_op(keys.cohort_member_key(cohort, month, customer_key), member))
        operations.append(self._index.reference(customer_key, "ledger", f"{cohort}#{month}"))
        return operations

    def _still(self, head: LedgerHead, customer_key: str) -> Operation:
        return self._table.check_op(keys.ledger_head_key(customer_key), "first_day = :first", {":first": head.first_day})

    def purchase(self, head: LedgerHead, customer_key: str, day: date, conversion_id: str, amount: int, currency: str) -> list[Operation]:
        """A later purchase on the customer's ledger (nothing to write for a customer in no cohort)."""
        return self._entry_op(head, customer_key, "purchases", conversion_id, _entry(day, amount, currency))

    def refund(self, head: LedgerHead, customer_key: str, day: date, refund_id: str, amount: int, currency: str) -> list[Operation]:
        return self._entry_op(head, customer_key, "refunds", refund_id, _entry(day, amount, currency))

    def _entry_op(self, head: LedgerHead, customer_key: str, entries: str, entry_id: str, entry: dict[str, Any]) -> list[Operation]:
        if head.cohort == NO_COHORT:
            return [self._still(head, customer_key)]
        return [
            self._still(head, customer_key),
            self._table.update_op(
                keys.cohort_member_key(head.cohort, head.month, customer_key),
                f"SET {entries}.#id = :entry",
                {":entry": entry},
                "attribute_exists(pk)",
                {"#id": entry_id},
            ),
        ]

    # --- the cohorts --------------------------------------------------------------------------------

    def cohort(self, cohort: str, month: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None, int]:
        """(members, the erased customers' counters, items read): one Query of the cohort's partition."""
        items = self._table.partition(keys.cohort_partition(cohort, month))
        members = [item for item in items if str(item["sk"]).startswith(keys.COHORT_MEMBER_PREFIX)]
        erased = next((item for item in items if item["sk"] == keys.cohort_erased_key(cohort, month)["sk"]), None)
        return members, erased, len(items)

    # --- erasure ------------------------------------------------------------------------------------

    def erasure_changes(self, customer_key: str) -> list[Operation]:
        """The head and member go; what the member added moves to the cohort's ERASED counters, in one transaction
        (conditional on the member being as read, so a purchase meanwhile makes the job read again)."""
        head = self.head(customer_key)
        if head is None:
            return []
        operations = [self._table.delete_op(keys.ledger_head_key(customer_key), "first_day = :first", {":first": head.first_day})]
        if head.cohort == NO_COHORT:
            return operations
        member_key = keys.cohort_member_key(head.cohort, head.month, customer_key)
        member = self._table.get(member_key, consistent=True)
        if member is None:
            return operations
        added = contribution(member)
        names = {f"#c{i}": name for i, name in enumerate(sorted(added))}
        values = {f":c{i}": added[name] for i, name in enumerate(sorted(added))}
        operations.append(self._table.update_op(
            keys.cohort_erased_key(head.cohort, head.month),
            "SET kind = :kind ADD " + ", ".join(f"{alias} {alias.replace('#', ':')}" for alias in names),
            {**values, ":kind": "cohort_erased"},
            names=names,
        ))
        operations.append(self._table.delete_op(
            member_key,
            "size(purchases) = :purchases AND size(refunds) = :refunds",
            {":purchases": len(member.get("purchases", {})), ":refunds": len(member.get("refunds", {}))},
        ))
        return operations
