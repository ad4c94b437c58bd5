"""Writes tracked events: exactly one DynamoDB write per event."""

from __future__ import annotations

from typing import Any

from shared.platform.dynamo import Key, Table
from shared.platform.event_items import read_event, stored_attributes, stored_name
from shared.tracking.rules import EventRecord


class EventRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._table = Table(client, table_name)

    def find(self, key: Key) -> dict[str, Any] | None:
        """The event stored under `key`, in the domain's names (shared.platform.event_items.read_event)."""
        item = self._table.get(key)
        return read_event(item) if item else None

    def record(self, record: EventRecord) -> None:
        if record.repeatable:
            self._record_repeatable(record)
        else:
            self._table.put(_item(record))

    def _record_repeatable(self, record: EventRecord) -> None:
        # First occurrence sets the item, later ones only add a hit and move last_at: one UpdateItem either way.
        attributes = stored_attributes(record.kind, record.attributes)
        names = {f"#{name}": name for name in attributes}
        sets = [f"#{name} = if_not_exists(#{name}, :{name})" for name in attributes]
        last_at, hits = stored_name("last_at"), stored_name("hits")
        names |= {"#last_at": last_at, "#hits": hits}
        values = {f":{name}": value for name, value in attributes.items()}
        values[":last_at"] = record.attributes["at"]
        values[":one"] = 1
        self._table.update(record.key, f"SET {', '.join(sets)}, #last_at = :last_at ADD #hits :one", values, names)

    def record_many(self, records: list[EventRecord]) -> None:
        """Puts go in batches; a batch holds one item per key, so a retried event_id within a batch counts once."""
        puts: dict[tuple[str, str], EventRecord] = {}
        for record in records:
            if record.repeatable:
                self._record_repeatable(record)
            else:
                puts.setdefault((record.key["pk"], record.key["sk"]), record)
        self._table.put_batch([_item(r) for r in puts.values()])


def _item(record: EventRecord) -> dict[str, Any]:
    return {**record.key, **stored_attributes(record.kind, record.attributes)}
