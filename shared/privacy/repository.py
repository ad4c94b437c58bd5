"""Erasures in the referrals table: their receipts, the customer's state (shared.privacy.index) and their work list.

An erasure is recorded with its receipt and the customer's state set to `erasing`, in one transaction; it then
sits on the `erasures` queue of the due index until the privacy job has worked through the customer's index. On
completion the receipt drops the customer key, and the customer's state (`erased`) goes on the same queue, due
when its hold ends, for the job to delete.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.platform import keys
from shared.platform.clock import iso
from shared.platform.dynamo import ConditionFailed, Operation, Table, TransactionCancelled, transact
from shared.platform.worklist import due, on_queue
from shared.privacy.index import ERASED, ERASING, NOT_ERASED, STATE
from shared.privacy.models import COUNT_ATTRIBUTES, ErasureReceipt

ERASURES_QUEUE = "erasures"
# References whose item kept changing while the job erased it: still retried by every run, listed from here.
SET_ASIDE_QUEUE = "erasures_set_aside"
# References read at a time: each is then erased in a transaction of its own.
REFERENCE_PAGE = 50


class AlreadyMarked(ConditionFailed):
    """The customer is already being erased, or was just erased: `erasure_id` is that erasure."""

    def __init__(self, erasure_id: str) -> None:
        super().__init__(erasure_id)
        self.erasure_id = erasure_id


def _on_queue(due_at: str) -> dict[str, str]:
    return on_queue(ERASURES_QUEUE, due_at)


class ErasureRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = Table(client, table_name)

    # --- the request ------------------------------------------------------------------------------------

    def record(self, receipt: ErasureReceipt, customer_key: str) -> None:
        """The receipt (holding the customer key until it completes) and the customer marked `erasing`. Raises
        AlreadyMarked when an erasure of the customer is under way or has just finished."""
        item = {
            "kind": "erasure",
            **receipt.model_dump(exclude={"erased"}, exclude_none=True),
            **{attribute: 0 for attribute in COUNT_ATTRIBUTES.values()},
            "customer_key": customer_key,
            **_on_queue(receipt.requested_at),
        }
        mark = self._table.update_op(
            keys.customer_key_item(customer_key),
            "SET #state = :erasing, erasure_id = :id, kind = :kind",
            {":erasing": ERASING, ":id": receipt.erasure_id, ":kind": "customer"},
            NOT_ERASED,
            {"#state": STATE},
        )
        try:
            transact(self._client, [self._table.put_new_op(keys.erasure_key(receipt.erasure_id), item), mark])
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(1):
                state = self.customer_state(customer_key)
                if state is not None and state.get("erasure_id"):
                    raise AlreadyMarked(state["erasure_id"]) from cancelled
                raise ConditionFailed(receipt.erasure_id) from cancelled  # forgotten meanwhile: record again
            raise

    def receipt(self, erasure_id: str) -> dict[str, Any] | None:
        return self._table.get(keys.erasure_key(erasure_id), consistent=True)

    def customer_state(self, customer_key: str) -> dict[str, Any] | None:
        return self._table.get(keys.customer_key_item(customer_key), consistent=True)

    # --- the job -----------------------------------------------------------------------------------------

    def due(self, now: datetime, cursor: str | None = None, limit: int = 100) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the erasures to work on and erased customers whose hold has ended, earliest first, and the
        cursor of the next."""
        return due(self._table, ERASURES_QUEUE, now, limit, cursor)

    def references(self, customer_key: str) -> list[dict[str, Any]]:
        """The next page of the customer's index (consistent: a reference written before the erasure's mark is here)."""
        items, _ = self._table.page(
            limit=REFERENCE_PAGE,
            cursor=None,
            cursor_names=set(),
            listing={},
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": keys.customer_key_item(customer_key)["pk"], ":prefix": keys.CUSTOMER_REFERENCE_PREFIX},
            ConsistentRead=True,
        )
        return items

    def reference_done(self, erasure_id: str, reference: dict[str, Any], count: str | None) -> list[Operation]:
        """What closes the erasure of one reference, in the transaction that erases its item: the reference goes
        (conditional on it being there, so it is counted once) and the receipt counts it. Without a count (its item
        no longer holds the customer) the reference just goes."""
        key = {"pk": reference["pk"], "sk": reference["sk"]}
        if count is None:
            return [self._table.delete_op(key)]
        operations = [self._table.delete_op(key, "attribute_exists(pk)")]
        if count is not None:
            operations.append(
                self._table.update_op(keys.erasure_key(erasure_id), "ADD #n :one", {":one": 1}, "attribute_exists(pk)", {"#n": COUNT_ATTRIBUTES[count]})
            )
        return operations

    def set_aside(self, reference: dict[str, Any], reason: str, at: datetime) -> None:
        """Marks a reference the job could not erase (it stays in the index, so every run tries it again)."""
        self._table.update(
            {"pk": reference["pk"], "sk": reference["sk"]},
            "SET due_queue = :q, due_at = :at, set_aside_reason = :why",
            {":q": SET_ASIDE_QUEUE, ":at": iso(at), ":why": reason},
        )

    def set_aside_references(self) -> list[dict[str, Any]]:
        return list(self._table.query(
            IndexName="due",
            KeyConditionExpression="due_queue = :q",
            ExpressionAttributeValues={":q": SET_ASIDE_QUEUE},
        ))

    def erase(self, operations: list[Operation]) -> None:
        """One reference's transaction. Raises ConditionFailed when its item changed since it was read."""
        try:
            transact(self._client, operations)
        except TransactionCancelled as cancelled:
            if cancelled.any_condition_failed:
                raise ConditionFailed("the item changed while it was erased") from cancelled
            raise

    def complete(self, erasure: dict[str, Any], completed_at: datetime, forget_at: datetime) -> None:
        """The receipt completed without the customer key; the customer's state `erased`, due to be forgotten."""
        customer_key, erasure_id = erasure["customer_key"], erasure["erasure_id"]
        transact(
            self._client,
            [
                self._table.update_op(
                    keys.erasure_key(erasure_id),
                    "SET #s = :completed, completed_at = :at REMOVE customer_key, due_queue, due_at",
                    {":completed": "completed", ":pending": "pending", ":at": iso(completed_at)},
                    "#s = :pending",
                    {"#s": "status"},
                ),
                self._table.update_op(
                    keys.customer_key_item(customer_key),
                    "SET #state = :erased, forget_at = :forget, due_queue = :q, due_at = :forget",
                    {":erased": ERASED, ":erasing": ERASING, ":id": erasure_id, ":forget": iso(forget_at), ":q": ERASURES_QUEUE},
                    "#state = :erasing AND erasure_id = :id",
                    {"#state": STATE},
                ),
            ],
        )

    def forget(self, state: dict[str, Any], at: datetime) -> None:
        """Deletes an erased customer's state once its hold has ended: the last item holding their customer key."""
        transact(
            self._client,
            [
                self._table.delete_op(
                    {"pk": state["pk"], "sk": state["sk"]},
                    "#state = :erased AND forget_at = :forget",
                    {":erased": ERASED, ":forget": state["forget_at"]},
                    {"#state": STATE},
                ),
                self._table.update_op(keys.erasure_key(state["erasure_id"]), "SET forgotten_at = :at", {":at": iso(at)}, "attribute_exists(pk)"),
            ],
        )
