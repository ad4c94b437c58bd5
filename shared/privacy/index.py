"""Each customer's index: how every item that holds a customer's id, email hash or customer key is found again by
that customer's erasure, without a scan.

The index of a customer is one partition of the referrals table, `CUSTOMER#<customer key>`:
- `META`, the customer's state: absent until an erasure, then `erasing`, then `erased` for a short hold, then gone;
- one `REF#<family>#<id>` item per item family and item that holds the customer's data (an advocate, a conversion,
  a reward), written in the same transaction as that item, so no such item is ever stored unindexed.

Every one of those transactions also checks the state (a ConditionCheck: nothing is written to META), so a write
of a customer's data either commits before an erasure marks them, and is found by it, or fails and is told so
(`CustomerErasing`). The repositories that store customer data build their transactions with `CustomerIndex`.
"""

from __future__ import annotations

from typing import Literal

from shared.platform import keys
from shared.platform.dynamo import ConditionFailed, Operation, Table

# What a reference refers to: the erasure treats each family in its own way.
Family = Literal["reward", "conversion", "advocate", "ledger"]

STATE = "state"
ERASING = "erasing"
ERASED = "erased"
# The check every write of a customer's data carries: no erasure has marked them.
NOT_ERASED = "attribute_not_exists(#state)"


class CustomerErasing(ConditionFailed):
    """An erasure of this customer is under way (or has just finished): their data may not be written now."""


class CustomerIndex:
    """The two operations a transaction that stores a customer's data adds for that customer."""

    def __init__(self, table: Table) -> None:
        self._table = table

    def entries(self, customer_key: str, family: Family, name: str) -> list[Operation]:
        """[the state check, the reference]: the check comes first, so `CustomerIndex.failed` can name it."""
        return [self.check(customer_key), self.reference(customer_key, family, name)]

    def check(self, customer_key: str) -> Operation:
        return self._table.check_op(keys.customer_key_item(customer_key), NOT_ERASED, names={"#state": STATE})

    def reference(self, customer_key: str, family: Family, name: str) -> Operation:
        # Unconditional: writing a reference again (a retried transaction, a second reward change) changes nothing.
        return self._table.put_op({**keys.customer_reference_key(customer_key, family, name), "kind": "customer_reference", "family": family, "name": name})
