"""Writes tracked events: exactly one DynamoDB write per event."""

from __future__ import annotations

from typing import Any

from shared.platform import keys
from shared.platform.clock import expiry
from shared.platform.dynamo import AlreadyStored, Key, Table, TransactionCancelled, transact
from shared.platform.event_items import read_event, stored_attributes, stored_name
from shared.tracking.rules import EventRecord


# A replay marker outlives every redelivery of its message (SQS keeps a message at most 14 days).
REPLAY_MARKER_DAYS = 15


class EventRepository:
    def __init__(self, client: Any, table_name: str, referrals_table: str | None = None) -> None:
        self._client = client
        self._table = Table(client, table_name)
        # Where the replay's markers go (only the replay is given it).
        self._markers = Table(client, referrals_table) if referrals_table else None

    def find(self, key: Key) -> dict[str, Any] | None:
        """The event stored under `key`, in the domain's names (shared.platform.event_items.read_event)."""
        item = self._table.get(key)
        return read_event(item) if item else None

    def record(self, record: EventRecord) -> None:
        if record.repeatable:
            self._record_repeatable(record)
        else:
            self._table.put(_item(record))

    def _repeatable_update(self, record: EventRecord) -> tuple[str, dict[str, Any], dict[str, str]]:
        attributes = stored_attributes(record.kind, record.attributes)
        names = {f"#{name}": name for name in attributes}
        sets = [f"#{name} = if_not_exists(#{name}, :{name})" for name in attributes]
        last_at, hits = stored_name("last_at"), stored_name("hits")
        names |= {"#last_at": last_at, "#hits": hits}
        values = {f":{name}": value for name, value in attributes.items()}
        values[":last_at"] = record.attributes["at"]
        values[":one"] = 1
        return f"SET {', '.join(sets)}, #last_at = :last_at ADD #hits :one", values, names

    def _record_repeatable(self, record: EventRecord) -> None:
        # First occurrence sets the item, later ones only add a hit and move last_at: one UpdateItem either way.
        expression, values, names = self._repeatable_update(record)
        self._table.update(record.key, expression, values, names)

    # --- the replay of spilled events (shared/tracking/replay.py) --------------------------------------

    def replay_new(self, record: EventRecord) -> bool:
        """Writes a spilled share or view unless its item is there (a redelivery, or a write that timed out after
        it landed); says whether it wrote."""
        try:
            self._table.put_new(record.key, stored_attributes(record.kind, record.attributes))
        except AlreadyStored:
            return False
        return True

    def replay_hit(self, record: EventRecord, marker_id: str, now: Any) -> bool:
        """Adds a spilled click's hit once per request: the hit and the request's marker in one transaction, which
        a redelivery finds marked. Says whether it added the hit."""
        if self._markers is None:
            raise RuntimeError("the replay's markers need the referrals table")
        expression, values, names = self._repeatable_update(record)
        marker = self._markers.put_new_op(keys.replay_marker_key(marker_id), {"kind": "replayed", "expires_at": expiry(now, REPLAY_MARKER_DAYS)})
        try:
            transact(self._client, [marker, self._table.update_op(record.key, expression, values, names=names)])
        except TransactionCancelled as cancelled:
            if cancelled.failed_at(0):
                return False
            raise
        return True

    def record_many(self, records: list[EventRecord]) -> tuple[list[EventRecord], Exception | None]:
        """Puts go in batches; a batch holds one item per key, so a retried event_id within a batch counts once.
        Returns what was not (or not surely) written, for the spill queue, and the first error."""
        puts: dict[tuple[str, str], EventRecord] = {}
        unwritten: list[EventRecord] = []
        first_error: Exception | None = None
        for record in records:
            if record.repeatable:
                try:
                    self._record_repeatable(record)
                except Exception as error:  # noqa: BLE001 - the caller spills it
                    unwritten.append(record)
                    first_error = first_error or error
            else:
                puts.setdefault((record.key["pk"], record.key["sk"]), record)
        try:
            self._table.put_batch([_item(r) for r in puts.values()])
        except Exception as error:  # noqa: BLE001 - which batches landed is unknown: the replay puts only new items
            unwritten += puts.values()
            first_error = first_error or error
        return unwritten, first_error


def _item(record: EventRecord) -> dict[str, Any]:
    return {**record.key, **stored_attributes(record.kind, record.attributes)}
