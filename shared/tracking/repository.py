"""Writes tracked events: exactly one DynamoDB write per event."""

from __future__ import annotations

from typing import Any

from shared.platform.dynamo import Key, Table
from shared.tracking.rules import EventRecord


class EventRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._table = Table(client, table_name)

    def find(self, key: Key) -> dict[str, Any] | None:
        return self._table.get(key)

    def record(self, record: EventRecord) -> None:
        if record.repeatable:
            self._record_repeatable(record)
        else:
            self._table.put({**record.key, **record.attributes})

    def _record_repeatable(self, record: EventRecord) -> None:
        # First occurrence sets the item, later ones only add a hit and move last_at: one UpdateItem either way.
        names = {f"#{name}": name for name in record.attributes}
        sets = [f"#{name} = if_not_exists(#{name}, :{name})" for name in record.attributes]
        names["#last_at"] = "last_at"
        names["#hits"] = "hits"
        values = {f":{name}": value for name, value in record.attributes.items()}
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
        self._table.put_batch([{**r.key, **r.attributes} for r in puts.values()])
