"""Writes tracked events: exactly one DynamoDB write per event."""

from __future__ import annotations

from typing import Any

from shared.platform.dynamo import deserialise, put_in_batches, serialise
from shared.tracking.rules import EventRecord


class EventRepository:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def find(self, key: dict[str, str]) -> dict[str, Any] | None:
        item = self._client.get_item(TableName=self._table, Key=serialise(key)).get("Item")
        return deserialise(item) if item else None

    def record(self, record: EventRecord) -> None:
        if record.repeatable:
            self._record_repeatable(record)
        else:
            self._client.put_item(TableName=self._table, Item=serialise({**record.key, **record.attributes}))

    def _record_repeatable(self, record: EventRecord) -> None:
        # First occurrence sets the item, later ones only add a hit and move last_at: one UpdateItem either way.
        names = {f"#{name}": name for name in record.attributes}
        sets = [f"#{name} = if_not_exists(#{name}, :{name})" for name in record.attributes]
        names["#last_at"] = "last_at"
        names["#hits"] = "hits"
        values = {f":{name}": value for name, value in record.attributes.items()}
        values[":last_at"] = record.attributes["at"]
        values[":one"] = 1
        self._client.update_item(
            TableName=self._table,
            Key=serialise(record.key),
            UpdateExpression=f"SET {', '.join(sets)}, #last_at = :last_at ADD #hits :one",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=serialise(values),
        )

    def record_many(self, records: list[EventRecord]) -> None:
        """Puts go in batches; a batch holds one item per key, so a retried event_id within a batch counts once."""
        puts: dict[tuple[str, str], EventRecord] = {}
        for record in records:
            if record.repeatable:
                self._record_repeatable(record)
            else:
                puts.setdefault((record.key["pk"], record.key["sk"]), record)
        put_in_batches(self._client, self._table, [serialise({**r.key, **r.attributes}) for r in puts.values()])
